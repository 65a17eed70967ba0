"""Link an item's text to tracked companies: who is named, and who takes part.

One Aho-Corasick automaton per Watchlist (cached) finds every surface name in one pass; the
watchlist's ambiguity rules then drop risky names without context and vetoed phrases, and cue
patterns around each mention tell a party to the incident from a data source, a quote, a
channel or a reporter (labeling guide, "Companies").

    links = link_companies(title, summary, load_watchlist())
    links.companies   # ('NSO Group',)        involved, most specific tracked entries
    links.mentioned   # ('Apple', 'NSO Group') every tracked company named
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from classifiers.placenames import mentioned_countries
from monitor.watchlist import Company, Watchlist


def _words(text: str) -> tuple[str, ...]:
    """Split a `|`-separated word list (kept compact: the lists are long)."""
    return tuple(text.split("|"))


# Surfaces that name a company's research, measurement or alerting arm: a mention through them
# is a company reporting, not taking part.
REPORTER_SURFACES = _words(
    "cloudflare radar|google threat analysis group|tag|google threat intelligence group|mandiant|"
    "microsoft threat intelligence|mstic|microsoft defender|talos|thousandeyes|lockdown mode|"
    "google transparency report"
)

# Devices and operating systems: a phone that was hacked names its maker only as background.
DEVICE_SURFACES = _words("iphone|ipad|ios|ipados|macos|android|windows|galaxy|chrome|safari")

# Words that back a risky name of a company of this category in any of our languages (the
# watchlist's own `require_context` words are English).
CATEGORY_CONTEXT: dict[str, tuple[str, ...]] = {
    "telecom": _words(
        "operator|operators|carrier|carriers|provider|providers|isp|isps|telecom|telecoms|mobile|"
        "network|subscribers|opérateur|opérateurs|fournisseur|réseau|operador|operadores|"
        "operadora|operadoras|proveedor|proveedores|provedor|móvil|celular|red|rede|оператор|"
        "связ|сот|مشغل|مشغلي|شركة|شركات|شبكة|penyelenggara|operator seluler|internet|интернет|інтернет|"
        "إنترنت|الإنترنت|اینترنت|इंटरनेट|انٹرنیٹ|ኢንተርኔት|mtandao|kampuni ya simu|betreiber|netz|mobilfunk|"
        "operatore|rete|operatör|şebeke|nhà mạng"
    ),
    "platform": _words(
        "app|apps|application|platform|platforms|messenger|messaging|users|channel|channels|"
        "blocked|block|blocks|blocking|banned|restricted|restricts|throttled|throttling|"
        "social media|social network|accounts|posts|tweets|application|plateforme|messagerie|utilisateurs|bloqué|bloquée|"
        "aplicación|aplicativo|plataforma|usuarios|usuários|bloqueo|bloqueado|bloqueio|cuentas|contas|perfiles|"
        "perfis|publicaciones|publicações|redes sociales|rede social|red social|redes sociais|"
        "мессенджер|приложени|платформ|пользовател|блокир|заблокир|канал|تطبيق|منصة|مستخدمي|حجب|"
        "قناة|aplikasi|diblokir|pemblokiran|situs|"
        # German, Italian, Turkish, Vietnamese, Swahili, Persian, Hindi, Urdu, Amharic
        "plattform|nutzer|konto|konten|beiträge|beiträgen|gesperrt|sperre|sperrt|netzwerk|netzwerken|"
        "piattaforma|utenti|bloccato|bloccata|erişim|engellendi|engel|kullanıcı|mạng xã hội|nền tảng|"
        "người dùng|chặn|ứng dụng|programu|mtandao wa kijamii|mitandao ya kijamii|watumiaji|imezuiwa|kuzuiwa|"
        "کاربران|فیلتر|مسدود|پلتفرم|प्लेटफॉर्म|मंच|सोशल मीडिया|उपयोगकर्ता|ब्लॉक|پلیٹ فارم|سوشل میڈیا|صارفین|"
        "بندش|پابندی|ማኅበራዊ|ተጠቃሚ"
    ),
    "surveillance_vendor": _words(
        "spyware|surveillance|hacked|infected|infection|infections|logiciel espion|espion|espía|espionaje|"
        "espião|шпион|слежк|تجسس|مراقبة|spähsoftware|überwachung|trojaner|स्पाइवेयर|जासूसी|निगरानी|"
        "phần mềm gián điệp|casus yazılım|casusluk|programu ya ujasusi|ujasusi|perangkat mata-mata|penyadapan"
    ),
}

_WINDOW = 70  # characters of the same sentence looked at on each side of a mention

# Text right before a mention that makes it a source, quote, channel or contrast. The cue speaks of
# the source it names, not of the topic after it: "citing Citizen Lab research on FinSpy" names FinSpy
# as the topic, so a topic word (on, about, into) between cue and name ends the cue.
_TOPIC = r"(?!(?:on|about|into|over|sobre|sur|über|su|hakkında|về)\b)"
_BEFORE = re.compile(
    r"(according to|data (?:from|by)|figures from|measurements? (?:from|by)|citing|cited by|"
    r"reported by|detected by|discovered by|identified by|attributed by|notified by|alerted by|warned by|"
    r"notifications? (?:from|by)|statement (?:on|via)|wrote on|"
    r"unlike|rather than|as did|pressure on|"
    r"appels|selon|d'apres|segun|de acuerdo con|de acordo com|segundo|secondo|stando a|laut|nach angaben|"
    r"по данным|согласно|по словам|по информации|по оценкам|menurut|kwa mujibu wa|به گزارش|بحسب|حسب|وفقا ل|"
    r"researchers at|analysts at|experts at|security firm|researchers from|team at)"
    # (a comma ends the source: "According to Reuters, WhatsApp notified ..." names WhatsApp as acting)
    rf"(?:\b{_TOPIC}[^.;:!?,،]|[^.;:!?,،\w]){{0,25}}$"
)
# A company only threatened or criticised ("Erdogan also threatened Facebook", "critica a TikTok") is the
# object of words, not of an act.
_THREAT = re.compile(
    r"\b(threaten(?:ed|s)?|critici[sz](?:ed|es)?|critica|criticou|critique|ataca|atacou|amenazo|ameacou|menace|"
    r"угрожа\w*|раскритиковал\w*)\s+(?:(?:a|the|o|a la|al)\s+)?$"
)
# Using a platform is using a channel ("the use of WhatsApp by protesters"); using a vendor's spyware or
# an operator's network is the vendor or operator taking part, so these cues hold for platforms only.
_USED = re.compile(
    r"(also used|use of|uso del?|uso das?|uso dos?|usage de|utilisation de|\b(?:su )?dung|"
    # users moving to another app: "protesters flocked to Telegram", "volcándose en Telegram"
    r"(?:moved|moving|switched|switching|turned|turning|flocked|flocking|migrated|migrating|shifted)(?: \w+){0,2} to|"
    r"volcando\w* en|se volc\w* (?:a|en)|migr\w* (?:a|para|vers)|passaram para|перешл\w* (?:в|на))"
    rf"(?:\b{_TOPIC}[^.;:!?]|[^.;:!?\w]){{0,25}}$"
)
# Text right after a mention that makes it a source, reporter or notifier.
_AFTER = re.compile(
    r"^(('s?)?\s+(radar|data|figures|metrics|traffic data|transparency report|"
    r"researchers?|analysts?|security (?:team|researchers)|threat (?:intelligence|analysis))\b|"
    # (", the paper said", ", NetBlocks said" after a name: someone else speaks)
    # ("were told to shut down", "was notified of the order": passive, the company was the one ordered)
    # ("spyware found on phones", "cameras discovered in police stations": the thing found, not the finder)
    r"(?!\s*[,،])(?![^.;:!?]{0,12}?\b(?:was|were|been|being|be|is|are)\s+"
    r"(?:told|notified|alerted|warned|asked|found|discovered|detected|observed)\b)"
    r"[^.;:!?]{0,12}?\b"
    r"(said|says|told|reported|confirmed|noted|showed|shows|"
    r"(?:found|observed|detected|discovered)(?!\s+(?:on|in|at|inside|within|aboard|among|across)\b)|"
    r"notified|notifications?|warned|alerted|sent (?:\w+ )?(?:threat )?(?:notifications|alerts|warnings)|"
    r"patched|fixed|issued (?:a )?(?:patch|fix|update)|exposed|exposes|uncovered|uncovers|revealed|reveals|"
    r"disclosed|discloses|warns|attributed|spokes(?:person|man|woman)|"
    r"dijo|afirmo|informo|a declare|a indique|disse|informou|stayed up|remained (?:up|accessible|available)|"
    r"still worked|kept working|was not affected|were not affected|unaffected|representatives?|estimated|"
    # notifying targets, in our other languages
    r"avvisato|avvertito|notifico|notificou|alerto|alertou|a averti|a prevenu|a notifie|warnte|"
    r"benachrichtigte|уведомил\w*|предупредил\w*)\b|"
    # a source named after it: "NetBlocks'a göre", "के अनुसार", "کے مطابق", "zufolge"
    r"(?:['’](?:y?a|y?e|n?a|n?e))?\s*(?:gore|के अनुसार|के मुताबिक|كے مطابق|zufolge)|"
    # a service that kept working is a contrast, however long the aside before the verb
    r"[^.;:!?]{0,40}?\b(?:was not affected|were not affected|unaffected|continued to (?:work|operate|function)|"
    r"continued working|kept working|still worked|remained (?:up|accessible|available|online))\b)"
)
# "leaving Facebook and WhatsApp unusable": services a cut of the whole network took down with it are
# collateral, not parties (a blocked platform is named as blocked).
_LEAVING = re.compile(r"\b(leaving|left|rendering|making|dejando|deixando|laissant)\s+$")
_UNUSABLE = re.compile(
    r"^\s+(?:\w+\s+)?(unusable|inaccessible|unreachable|unavailable|inutilizables?|inutilizáveis|inutilisables?)\b"
)
# Posted or spread on a platform: the platform is where the content ran, not a party (outside a vote).
_POSTED = re.compile(
    r"(posted (?:\w+ )?(?:on|to)|shared (?:\w+ )?on|circulated (?:\w+ )?on|spread (?:\w+ )?(?:on|via|through)|"
    r"published (?:\w+ )?on)[^.;:!?]{0,25}$"
)
# A person's account, page, number or message on a platform: the platform is where it happened.
_OWNED = re.compile(r"(\b(his|her|their|my|your|our)|\b[\w-]+'s)\s+$")
_USER_THING = re.compile(
    r"^(\s+|-)(pages?|accounts?|posts?|profiles?|groups?|numbers?|messages?|calls?|chats?|stories|reels?|videos?|clips?|"
    r"seiten?|konto|konten|gruppen?|beiträgen?|nachrichten)\b"
)
# ... unless the service itself was cut: "WhatsApp calls were blocked" names WhatsApp as blocked.
_THING_BLOCKED = re.compile(
    r"^[\s-]+\w+\s+(were|was|have been|has been|are|is)\s+(\w+\s+)?"
    r"(blocked|banned|restricted|throttled|cut|suspended|disabled)\b"
)


# Between two names of one list ("TikTok, Blogspot, Telegram and YouTube"): the cue before the list
# ("also used", "spread on") speaks of every name in it.
_CONJ = r"(?:and|or|et|ou|y|o|e|und|oder|ve|veya|dan|atau|na|va|и|или|і|و|يا|और|या|اور|እና)"
_SEP = rf"(?:\s*[,،፣、]\s*(?:{_CONJ}\s+)?|\s+{_CONJ}\s+)"
_LIST_GAP = re.compile(rf"^{_SEP}(?:[\w.-]+(?:\s[\w.-]+)?{_SEP}){{0,2}}$")

# "Meta removes ...", "Meta said ...": a capitalised risky name acting as a company is one.
_ACTS = re.compile(
    r"^\s+(said|says|removed|removes|took down|takes down|banned|bans|blocked|blocks|suspended|suspends|"
    r"announced|announces|confirmed|complied|refused|restricted|restricts|disabled|disables)\b"
)
# Election disinformation: a platform through which it ran is involved, not a mere channel (labeling guide).
# (matched on folded text: no accents; scripts that join prefixes to words are matched without \b)
_ELECTION = re.compile(
    r"\b(election|electoral|voters?|candidat|elecci|eleic|выбор|вибор|pemilu|wahl|secim|bau cu|uchaguzi)|"
    r"(انتخاب|چناؤ|चुनाव|ምርጫ)"
)
_DISINFORMATION = re.compile(
    r"\b(disinformation|misinformation|fake|deepfake|troll|inauthentic|propaganda|amplif|bots?\b|"
    r"generated|falso|falsa|fausse|faux|desinforma|ia\b|ai\b|фейк|дезинформ|manipulat|hoax|hoaks|"
    r"dezenformasyon|sahte|tin gia|uzushi|habari za uongo|falsch)|"
    r"(تضليل|مضلل|كاذب|مزيف|جعلي|نادرست|جھوٹ|फर्जी|फ़र्ज़ी|भ्रामक|डीपफेक|ሐሰተኛ)"
)
# A fact-check of one false post: the platform where it circulated is a channel, not a manipulated system.
_FACT_CHECK = re.compile(
    r"(fact-?check|fast check|debunk|#?enganos[oa]|verificacion|checagem|faktencheck|cek fakta|"
    r"dogrulama|verifactu|desmentid)"
)
# A clause that recalls earlier events: a company named there is background, not a party to this item.
_BACKGROUND = re.compile(
    r"\b(recalls?|recalled|since (?:19|20)\d\d|(?:the )?previous (?:month|year|week)|"
    r"another (?:important )?day|(?:in|during|over) (?:the )?(?:past|last) (?:\w+ )?(?:years|months)|"
    r"zuvor|crisis anteriores|el ano pasado|no ano passado|l'an dernier|l'annee derniere|"
    r"в прошлом году|до этого|العام الماضي|العامين|السنوات الماضية|tahun lalu|gecen yıl|nam ngoai|"
    r"گزشتہ سال|سال گذشته|पिछले साल|mwaka jana)\b"
)
# Persian writes ی and ک where Arabic writes ي and ك: fold them so one spelling matches both.
_PERSIAN = {"ی": "ي", "ک": "ك", "ى": "ي"}

# "Meta said it removed ...": a company reporting its own act takes part in it.
# "Econet said it had again been ordered to shut down": a company reporting the order it was given, or
# its compliance, takes part too; "WhatsApp said its [= the vendor's] spyware was used" does not.
_SELF_REPORT = re.compile(
    r"^\s+(said|says|confirmed|announced|admitted|acknowledged)\s+(that\s+)?(it|they|the company)\s+"
    r"(had\s+|has\s+|have\s+|was\s+|were\s+|would\s+)?\w+ed\b|"
    r"^\s+(said|says|confirmed|admitted|acknowledged)\s+(that\s+)?its\s+(\w+\s+)?(had\s+)?\w+ed\b|"
    r"^[^.;:!?]{0,40}?\b(said|says|confirmed|admitted|acknowledged)\s+(that\s+)?(it|they|the company)\b"
    r"[^.;:!?]{0,40}?\b(ordered|forced|instructed|required|obliged|obligations?|directed|directive|"
    r"compelled|complied|comply|complying)\b"
)
# "Three operators": a number word, not the operator Three.
_COUNTED = re.compile(
    r"^\s+(?!(?:says|cuts|blocks|bans|restores|confirms|denies|suspends|restricts|disables)\b)[a-z]+s\b",
    re.IGNORECASE,
)
# Rumours spread "on WhatsApp, Facebook and Twitter": the platform is only the channel.
_CHANNEL = re.compile(
    r"(rumou?rs?|misinformation|messages?|posts?|files?|links?|lures?|videos?|photos?|images?|statements?|hate speech|fake news|"
    r"inflammatory content|leaks?|leaked|live-?streamed|broadcast|announced|publici[sz]\w*|urged|appealed|wrote|"
    r"circul\w*|spread\w*|shar\w+|post(?:ed|ing)|sent|delivered|difund\w*|compart\w*|partag\w*|divulg\w*|viraliz\w*|"
    r"publica\w*|publie\w*|publicou|verbreitet\w*|geteilt\w*)"
    r"\b[^.;:!?]{0,30}\b(on|via|through|over|sur|en|por|no|na|auf|в|через)\s+(\w+,?\s+(and|or|et|y|e|и|und)?\s*){0,3}$"
)
# Arabic, Persian and Urdu "via" / "through": a platform something was done through is a channel.
_VIA = re.compile(r"(عبر|من خلال|از طريق|كے ذريعے|کے ذریعے)\s+$")
# Turkish locative (X'te, Facebook'ta): something said or shared on the platform; blocking takes the dative.
_LOCATIVE = re.compile(r"^['’](te|ta|de|da|ten|tan|den|dan)\b")


@dataclass(frozen=True)
class CompanyLinks:
    """Companies found in one item."""

    companies: tuple[str, ...]  # involved, most specific tracked display names
    mentioned: tuple[str, ...]  # every tracked company named
    surfaces: tuple[tuple[str, str], ...]  # (display name, matched text)


@dataclass(frozen=True)
class _Mention:
    company: Company
    start: int
    end: int
    surface: str  # the folded surface that matched
    risky: bool


def link_companies(title: str, summary: str, watchlist: Watchlist) -> CompanyLinks:
    """Find the tracked companies an item names and those it shows taking part."""
    text = f"{title}.\n{summary}" if summary else title
    folded = fold_keep_length(text)
    places = lru_cache(maxsize=1)(lambda: mentioned_countries(title, summary))
    matcher = _matcher(watchlist)
    mentions = _accepted(_find(folded, matcher, places), folded, text, places, matcher.reach)
    mentioned = _ordered(m.company.name for m in mentions)
    vote = bool(
        _ELECTION.search(folded) and _DISINFORMATION.search(folded) and not _FACT_CHECK.search(folded)
    )
    heads = _list_heads(mentions, folded)
    tails = _list_tails(mentions, heads)
    title_end = len(title)
    parts = [
        _takes_part(m, folded, vote, h, t) and not (m.start > title_end and _in_background(folded, m))
        for m, h, t in zip(mentions, heads, tails)
    ]
    # (in a vote, every platform the operation ran through is a party: no roll-call there)
    roll_call = set() if vote else _roll_call(mentions, heads, parts, title_end)
    in_title = {m.company.name for m, part in zip(mentions, parts) if part and m.end <= title_end}
    reporters = _reporters(mentions, folded) - in_title  # the headline's party is no mere reporter
    involved = _ordered(
        m.company.name
        for m, part in zip(mentions, parts)
        if part and m.company.name not in roll_call and m.company.name not in reporters
    )
    return CompanyLinks(
        companies=_most_specific(involved, watchlist),
        mentioned=mentioned,
        surfaces=tuple(dict.fromkeys((m.company.name, text[m.start : m.end]) for m in mentions)),
    )


def implied_operators(countries: Iterable[str], watchlist: Watchlist) -> tuple[str, ...]:
    """Return the tracked operators licensed in any of `countries` (for shutdown routing)."""
    return _ordered(name for country in countries for name in watchlist.operators_in(country))


# --------------------------------------------------------------------------- text


def fold_keep_length(text: str) -> str:
    """Lower-case and strip accents char by char, so positions still index the original text."""
    if text.isascii():
        return text.lower()
    return "".join([_fold_char(ch) for ch in text])


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    if ch in _PERSIAN:
        return _PERSIAN[ch]
    bare = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    if len(bare) == 1:
        return bare
    return ch.lower() if len(ch.lower()) == 1 else ch


def _folded_words(words: str) -> str:
    """Fold a `|`-separated word list the way item text is folded (accents off, Persian letters)."""
    return "|".join(fold_keep_length(w) for w in words.split("|"))


# Someone wrote, posted or announced something on a platform, in our other languages: a channel.
_POST_VERBS = _folded_words(
    "publicó|publicaron|escribió|anunció|denunció|compartió|difundió|informó|tuiteó|publicou|escreveu|anunciou|"
    "compartilhou|divulgou|a écrit|a publié|a annoncé|a dénoncé|a déclaré|a partagé|a posté|écrit|publié|"
    "schrieb|schreibt|postete|teilte|verbreitete|veröffentlichte|ha scritto|ha pubblicato|ha annunciato|"
    "написал|написала|написали|сообщил|сообщила|опубликовал|опубликовала|заявил|заявила|объявил|"
    "menulis|mengunggah|membagikan|mengumumkan|memposting|aliandika|alichapisha|alitangaza|said|wrote|tweeted"
)
_POST_PREPS = _folded_words(
    "en|a través de|por|no|na|em|pelo|pela|sur|via|auf|über|bei|su|в|на|di|melalui|lewat|kwenye|katika|kupitia"
)
_POSTED_INTL = re.compile(
    rf"\b({_POST_VERBS})\b[^.;:!?]{{0,30}}\b({_POST_PREPS})\s+(?:\w+,?\s+(?:{_CONJ}\s+)?){{0,3}}$|"
    + _folded_words(r"(نشر|كتب|غرد|أعلن|قال|تغريدة|منشور|مقطع فيديو|فيديو)[^.،؟]{0,30}\s(على|عبر|في)\s+$")
)
# A person's account, page or channel on a platform, in our other languages.
_OWNED_INTL = re.compile(
    _folded_words(
        r"\b(su|sus|seu|sua|seus|suas|son|sa|ses|leur|leurs|seinem|ihrem|seiner|ihrer|своём|своей|своих|его|её)\s+"
        r"(cuenta|cuentas|perfil|perfiles|página|canal|conta|contas|página|compte|page|profil|chaîne|konto|account|"
        r"kanal|канале|аккаунте|странице)\s*(de|en|no|na|do|da|em|sur|auf|bei|в|на)?\s*$"
    )
    + r"|\b(akun|akaunti(?: yake| yao)? ya|ukurasa(?: wake| wao)? wa)\s+$"
    + _folded_words(r"|(حساب\w*|صفحت\w*|صفحة|قنات\w*)\s+(على|في)?\s*$|(صفحه|حساب|کانال|پیج|پست)\s+$")
)
# ... and the same after the name, where the verb comes last (Persian, Hindi, Urdu).
_POSTED_AFTER = re.compile(
    r"^(\s+(خود\s+)?(نوشت|نوشته|اعلام كرد|منتشر كرد|گفت)|\s+पर\s+(लिखा|कहा|पोस्ट|शेयर|ट्वीट|जानकारी)|"
    r"\s+پر\s+(كہا|لكھا|پوسٹ|شيئر|جاري))"
)
# A user's account, channel or post named after the platform (Hindi, Urdu, Russian, Turkish).
_USER_THING_INTL = re.compile(
    r"^(\s+(हैंडल|अकाउंट|पेज|चैनल|पोस्ट)|\s+(اكاؤنٹ|ہينڈل|پيج|پوسٹ)|-?(канал\w*|аккаунт\w*|страниц\w*|пост\w*)|"
    r"\s+(hesab\w*|sayfas\w*))"
)
# Accounts, channels or posts blocked, removed or withheld: the platform was made to act on them.
_TAKEDOWN = re.compile(
    r"(block|blocked|blocking|remov|withh[oe]ld|suspend|take ?down|taken down|took down|delet|restrict|geo-?block|"
    r"bloque|suppr|retir|sperr|losch|blocc|rimoss|engel|kaldır|erisim|blokir|hapus|zuia|futa|"
    r"блокир|заблокир|удал|огранич|حجب|حذف|اغلاق|مسدود|فيلتر|ब्लॉक|हटा|بلاك|بند|ہٹا)"
)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _bounded(folded: str, start: int, end: int, surface: str, strict: bool) -> bool:
    """A surface counts only as a whole word (CJK names excepted); risky ones also not hyphen-joined."""
    if _is_cjk(surface):
        return True
    before = folded[start - 1] if start > 0 else " "
    after = folded[end] if end < len(folded) else " "
    # a risky name hyphen-joined to a Latin word is another word (X-ray); joined to a word in another
    # script it is the name with that language's noun (Telegram-каналов, WhatsApp-групп)
    start_ok = not (_is_word(before) or (strict and before == "-" and _latin_at(folded, start - 2)))
    end_ok = not (_is_word(after) or (strict and after == "-" and _latin_at(folded, end + 1)))
    if _is_cyrillic(surface):  # Russian inflects names: Ростелекома, Телеграме
        return start_ok
    if _is_arabic(surface):  # Arabic joins prefixes: وفودافون, بتويتر
        return end_ok and (start_ok or before in "وبلفك")
    if _is_ethiopic(surface):  # Amharic joins prefixes and case endings: የኢትዮ ቴሌኮም, ፌስቡክን
        suffixed = after in _ETHIOPIC_SUFFIXES and not _is_word(
            folded[end + 1] if end + 1 < len(folded) else " "
        )
        return (start_ok or before in _ETHIOPIC_PREFIXES) and (end_ok or suffixed)
    return start_ok and end_ok


def _latin_at(folded: str, at: int) -> bool:
    """True when a Latin letter (or a digit) stands at `at`: what a hyphen joins a name to."""
    return 0 <= at < len(folded) and (folded[at].isascii() and folded[at].isalnum() or "\u00c0" <= folded[at] <= "\u024f")


_ETHIOPIC_PREFIXES = "የበለከእ"  # of, in/by, for, from
_ETHIOPIC_SUFFIXES = "ንምናው"  # object, also, and, the


def _is_ethiopic(text: str) -> bool:
    return any("\u1200" <= ch <= "\u139f" for ch in text)


def _is_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


# --------------------------------------------------------------------------- matcher


class _Matcher:
    """An Aho-Corasick automaton over every surface of a watchlist, plus its ambiguity rules."""

    def __init__(self, watchlist: Watchlist) -> None:
        import ahocorasick  # lazy: a C extension only the linker needs

        self.automaton = ahocorasick.Automaton()
        # every company a surface may name, in tier order ('Airtel': Bharti Airtel, Airtel Africa)
        self.owners: dict[str, list[tuple[Company, bool]]] = {}
        for company, surface, risky in _surfaces(watchlist):
            key = fold_keep_length(surface)
            owners = self.owners.setdefault(key, [])
            if any(ch.isalpha() for ch in key) and all(c.id != company.id for c, _ in owners):
                owners.append((company, risky))
        for key in self.owners:
            self.automaton.add_word(key, key)
        self.automaton.make_automaton()
        # where each company operates, itself or through a tracked subsidiary (MTN Group: MTN Nigeria's NG)
        self.reach: dict[str, frozenset[str]] = {}
        for company in watchlist:
            countries = set(company.countries)
            for other in watchlist:
                if company.name in watchlist.ancestors(other.name):
                    countries |= set(other.countries)
            self.reach[company.id] = frozenset(countries)


def _surfaces(watchlist: Watchlist) -> Iterable[tuple[Company, str, bool]]:
    """Yield (company, surface, risky) with identity names before brands before subsidiaries."""
    for tier in ("names", "brands", "subsidiaries"):
        for company in watchlist:
            risky = {fold_keep_length(r) for r in company.risky_aliases}
            for surface in _tier(company, tier):
                yield company, surface, fold_keep_length(surface) in risky


def _tier(company: Company, tier: str) -> tuple[str, ...]:
    if tier == "names":
        return (company.name, company.legal_name, *company.aliases, *company.risky_aliases)
    if tier == "brands":
        return (*company.brands, *company.local_names)
    return tuple(n for s in company.subsidiaries for n in s.match)


_CACHE: weakref.WeakKeyDictionary[Watchlist, _Matcher] = weakref.WeakKeyDictionary()


def _matcher(watchlist: Watchlist) -> _Matcher:
    matcher = _CACHE.get(watchlist)
    if matcher is None:
        matcher = _CACHE[watchlist] = _Matcher(watchlist)
    return matcher


def _find(folded: str, matcher: _Matcher, places: Callable[[], tuple[str, ...]]) -> list[_Mention]:
    """Return the longest non-overlapping whole-word mentions, in text order."""
    found = []
    for end_index, key in matcher.automaton.iter(folded):
        if not matcher.owners[key]:
            continue
        start, end = end_index - len(key) + 1, end_index + 1
        company, risky = _choose(matcher.owners[key], places)
        if _bounded(folded, start, end, key, strict=risky):
            found.append(_Mention(company, start, end, key, risky))
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[_Mention] = []
    for mention in found:
        if not kept or mention.start >= kept[-1].end:
            kept.append(mention)
    return kept


def _choose(
    owners: list[tuple[Company, bool]], places: Callable[[], tuple[str, ...]]
) -> tuple[Company, bool]:
    """Pick the owner of a shared name by the item's countries, the most specific first."""
    if len(owners) == 1:
        return owners[0]
    local = [o for o in owners if set(o[0].countries) & set(places())]
    local.sort(key=lambda o: o[0].parent is None)
    return (local or owners)[0]


# --------------------------------------------------------------------------- ambiguity


def _accepted(
    mentions: Sequence[_Mention],
    folded: str,
    text: str,
    places: Callable[[], tuple[str, ...]] = tuple,
    reach: Mapping[str, frozenset[str]] | None = None,
) -> list[_Mention]:
    """Drop vetoed mentions and risky ones without case or context to back them."""
    kept = [m for m in mentions if not _vetoed(m, folded)]
    safe = {m.company.id for m in kept if not m.risky}
    backed = {
        m.company.id
        for m in kept
        if m.risky
        and _risky_ok(m, folded, text, safe)
        and (m.company.id in safe or _licensed_here(m, places, reach))
    }
    # one sense per item: once one mention shows the company, its other written-case mentions are it too
    # ("Telegram yazuiwa ..." at a title's start, "... ufikiaji wa Telegram" with context further on)
    return [
        m
        for m in kept
        if not m.risky
        or (
            m.company.id in backed
            and _case_matches(text[m.start : m.end], m.company)
            and not (m.surface in ("three", "3") and _COUNTED.match(text[m.end : m.end + 30]))
        )
    ]


def _licensed_here(
    mention: _Mention,
    places: Callable[[], tuple[str, ...]],
    reach: Mapping[str, frozenset[str]] | None = None,
) -> bool:
    """An operator's ambiguous brand (Smart, Tele2, Telekom) counts only where the operator or one of its
    tracked subsidiaries is licensed: in an item about other countries it names a namesake (Smart in the
    Philippines is PLDT's, not Axiata's)."""
    countries = (reach or {}).get(mention.company.id) or frozenset(mention.company.countries)
    if mention.company.category != "telecom" or not countries:
        return True
    here = set(places())
    return not here or bool(here & countries)


def _vetoed(mention: _Mention, folded: str) -> bool:
    """True when an exclude phrase ('Orange County', not 'Orange ordered') covers the mention."""
    for phrase in mention.company.exclude_phrases:
        key = fold_keep_length(phrase)
        at = folded.find(key, max(0, mention.end - len(key)))
        while at != -1 and at <= mention.start:
            if at + len(key) >= mention.end and _bounded(folded, at, at + len(key), key, strict=False):
                return True
            at = folded.find(key, at + 1)
    return False


def _risky_ok(mention: _Mention, folded: str, text: str, safe: set[str]) -> bool:
    """A risky name needs its written case (apple vs Apple) and a context word or a safe name."""
    original = text[mention.start : mention.end]
    if not _case_matches(original, mention.company):
        return False
    if mention.surface in ("three", "3") and _COUNTED.match(text[mention.end : mention.end + 30]):
        return False
    if mention.company.id in safe or _ACTS.match(text[mention.end : mention.end + 30]):
        return True
    context = mention.company.require_context
    # a capital at a sentence start proves nothing ("Three operators..."), and an Arabic word has no
    # case at all (اتصالات is also "telecommunications"): only the company's own context words count
    if not (_sentence_start(folded, mention.start) or _is_arabic(mention.surface)):
        context = (*context, *CATEGORY_CONTEXT.get(mention.company.category, ()))
    return any(_has_word(folded, fold_keep_length(c)) for c in context)


def _sentence_start(folded: str, start: int) -> bool:
    before = folded[:start].rstrip(" \"'«“‘(")
    return not before or before[-1] in ".!?:;\n"


def _case_matches(original: str, company: Company) -> bool:
    bare = "".join(c for c in unicodedata.normalize("NFKD", original) if not unicodedata.combining(c))
    names = {
        "".join(c for c in unicodedata.normalize("NFKD", r) if not unicodedata.combining(c))
        for r in company.risky_aliases
    }
    return bare in names or original in company.risky_aliases


def _has_word(folded: str, word: str) -> bool:
    at = folded.find(word)
    while at != -1:
        if _bounded(folded, at, at + len(word), word, strict=False) or word.endswith("'s"):
            return True
        at = folded.find(word, at + 1)
    return False


# --------------------------------------------------------------------------- involvement


def _list_heads(mentions: Sequence[_Mention], folded: str) -> list[int]:
    """Return, for each mention, where the list it belongs to starts (its own start when alone)."""
    heads: list[int] = []
    for k, mention in enumerate(mentions):
        gap = folded[mentions[k - 1].end : mention.start] if k else ""
        joined = k and len(gap) <= 60 and _LIST_GAP.match(gap)
        heads.append(heads[-1] if joined else mention.start)
    return heads


# What a company that only detected, reported, patched or notified did (labeling guide, "Companies").
_REPORTER_ACT = re.compile(
    r"^\s+(patched|fixed|issued (?:a )?(?:patch|fix|update)|notified|alerted|warned|detected|discovered|exposed|"
    r"attributed|sent (?:\w+ )?(?:threat )?(?:notifications|alerts|warnings))\b"
)


def _reporters(mentions: Sequence[_Mention], folded: str) -> set[str]:
    """Companies one mention shows only reporting ("Microsoft patched the flaw") and none shows acting:
    their other mentions ("Microsoft and Citizen Lab said ...") are the same reporter."""
    reported, acted = set(), set()
    for mention in mentions:
        after = folded[mention.end : mention.end + _WINDOW]
        if _REPORTER_ACT.match(after):
            reported.add(mention.company.name)
        if _ACTS.match(after) or _SELF_REPORT.match(after):
            acted.add(mention.company.name)
    return reported - acted


def _roll_call(
    mentions: Sequence[_Mention], heads: Sequence[int], parts: Sequence[bool], title_end: int
) -> set[str]:
    """Companies named only in a roll-call of other services ("Facebook, Twitter, YouTube and Google are
    blocked in China") in an item whose title names the party: context, not parties to this incident.

    A roll-call is a list of three or more names none of whose companies the title shows taking part.
    """
    in_title = {m.company.name for m, part in zip(mentions, parts) if part and m.end <= title_end}
    if not in_title:
        return set()
    size: dict[int, int] = {}
    members: dict[int, set[str]] = {}
    for mention, head in zip(mentions, heads):
        size[head] = size.get(head, 0) + 1
        members.setdefault(head, set()).add(mention.company.name)
    background = {h for h in size if size[h] >= 3 and not members[h] & in_title}
    by_company: dict[str, list[int]] = {}
    for mention, head in zip(mentions, heads):
        by_company.setdefault(mention.company.name, []).append(head)
    return {
        name for name, hs in by_company.items() if name not in in_title and all(h in background for h in hs)
    }


def _list_tails(mentions: Sequence[_Mention], heads: Sequence[int]) -> list[int]:
    """Return, for each mention, where the list it belongs to ends (its own end when alone)."""
    tails = [m.end for m in mentions]
    for k in range(len(mentions) - 2, -1, -1):
        if heads[k + 1] == heads[k]:
            tails[k] = tails[k + 1]
    return tails


def _takes_part(
    mention: _Mention, folded: str, vote: bool = False, head: int | None = None, tail: int | None = None
) -> bool:
    """Judge one mention: a party unless its surface or the cues around it say source or reporter."""
    if mention.surface in REPORTER_SURFACES or mention.surface in DEVICE_SURFACES:
        return False
    start = mention.start if head is None else head
    end = mention.end if tail is None else tail
    before = folded[max(0, start - _WINDOW) : start]
    after = folded[mention.end : mention.end + _WINDOW]
    after_list = folded[end : end + _WINDOW]
    if _SELF_REPORT.match(after) or (end != mention.end and _SELF_REPORT.match(after_list)):
        return True
    if _LEAVING.search(before) and _UNUSABLE.match(after_list):
        return False
    thing = (_USER_THING.match(after) or _USER_THING_INTL.match(after)) and not (
        _THING_BLOCKED.match(after) or _TAKEDOWN.search(_clause(folded, mention))
    )
    channel_ok = not vote  # in a vote, a platform the content ran through is a party, not a channel
    if channel_ok and (_owned(before) or thing):
        return False
    source = bool(
        _BEFORE.search(before)
        or _THREAT.search(before)
        or _AFTER.search(after)
        or (end != mention.end and _AFTER.search(after_list))
    )
    return not (source or (channel_ok and _channel_around(mention, before, after)))


def _channel_around(mention: _Mention, before: str, after: str) -> bool:
    """True when the words around a mention make the platform only where something was said or done."""
    used = mention.company.category == "platform" and _USED.search(before)
    return bool(
        used
        or _channel(before)
        or _VIA.search(before)
        or _POSTED_INTL.search(before)
        or _OWNED_INTL.search(before)
        or _LOCATIVE.match(after)
        or _POSTED_AFTER.match(after)
    )


_CLAUSE_END = re.compile(r"[.;!?؟।።\n]")


def _clause(folded: str, mention: _Mention) -> str:
    """Return the clause (sentence or semicolon part) a mention stands in."""
    start = max((m.end() for m in _CLAUSE_END.finditer(folded, 0, mention.start)), default=0)
    found = _CLAUSE_END.search(folded, mention.end)
    return folded[start : found.start() if found else len(folded)]


def _in_background(folded: str, mention: _Mention) -> bool:
    """True when the mention stands in a clause that recalls earlier events."""
    return bool(_BACKGROUND.search(_clause(folded, mention)))


def _channel(before: str) -> bool:
    return bool(_CHANNEL.search(before) or _POSTED.search(before))


def _owned(before: str) -> bool:
    """True after 'his' or 'Tay's', not after 'Qatar's' (a place's possessive names a nationality)."""
    found = _OWNED.search(before)
    if found is None:
        return False
    owner = found.group(1)
    return not owner.endswith("'s") or not _is_place(owner[:-2])


@lru_cache(maxsize=1024)
def _is_place(word: str) -> bool:
    return bool(mentioned_countries(word.title(), ""))


def _most_specific(names: Sequence[str], watchlist: Watchlist) -> tuple[str, ...]:
    """Drop a group when one of its tracked subsidiaries is involved too."""
    covered = {a for n in names for a in watchlist.ancestors(n)}
    return tuple(n for n in names if n not in covered)


def _ordered(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


__all__ = ["REPORTER_SURFACES", "CompanyLinks", "fold_keep_length", "implied_operators", "link_companies"]
