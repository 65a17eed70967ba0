"""Multilingual cue patterns: the cheap first stage of the cascade and features for the model.

Each cue group is a list of regular expressions over text that is lower-cased and folded to
ASCII for Latin letters (so `élection` is written `election`). Patterns cover en, fr, es, pt,
ru and ar, with the commonest shutdown/censorship words of a few more languages (hi, fa, ur,
tr, id, sw, de, am) because shutdown reports from those places are frequent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from monitor.types import LABELS, Evidence


def _latin_fold_table() -> dict[int, str]:
    # Only Latin letters are folded: stripping marks from Devanagari or Arabic would change words.
    table = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))[:1]
        if base.isascii() and base.isalpha():
            table[code] = base.lower()
    return table | {ord("ı"): "i", ord("ł"): "l", ord("ø"): "o", ord("’"): "'"}


_FOLD = _latin_fold_table()

# --- ICT context: a network, platform, operator, app or surveillance technology is in play.
ICT = [
    r"\binternet\b", r"\bonline\b", r"\bweb ?sites?\b", r"\bsites? web\b", r"\bsitios? web\b", r"\bsocial (media|network)",
    r"\bredes sociales\b", r"\breseaux sociaux\b", r"\bredes sociais\b", r"\bmobile (data|internet|network|phone|service)",
    r"\bcell(ular|phone)", r"\btelecom\w*", r"\btelco", r"\boperat(or|eur|ora|ore)s?\b", r"\boperadora?s?\b",
    r"\bisps?\b", r"\bprovider", r"\bfournisseurs? d.acces", r"\bproveedor", r"\bprovedor", r"\bbroadband\b",
    r"\bsms\b", r"\bapps?\b", r"\bapplication", r"\baplicativo", r"\bvpns?\b", r"\bplatform", r"\bplateforme",
    r"\bplataforma", r"\bfacebook\b", r"\bmeta\b", r"\bwhatsapp\b", r"\binstagram\b", r"\btelegram\b", r"\btwitter\b",
    r"\bx\.com\b", r"\bon x\b", r"\bno x\b", r"\ben x\b", r"\btiktok\b", r"\byoutube\b", r"\bgoogle\b", r"\bapple\b.{0,40}\b(store|iphone|app|icloud)",
    r"\biphones?\b", r"\bandroid\b", r"\bsignal\b", r"\bsnapchat\b", r"\bwikipedia\b", r"\bdiscord\b", r"\bskype\b",
    r"\bviber\b", r"\bwechat\b", r"\bvk\b", r"\bvkontakte\b", r"\byandex\b", r"\bmicrosoft\b", r"\bamazon\b", r"\bhuawei\b",
    r"\bzte\b", r"\bnokia\b", r"\bericsson\b", r"\bcisco\b", r"\bsandvine\b", r"\bmtn\b", r"\bairtel\b", r"\borange\b",
    r"\bvodafone\b", r"\bvodacom\b", r"\bsafaricom\b", r"\bethio ?telecom\b", r"\btelenor\b", r"\bdigicel\b",
    r"\bmillicom\b", r"\btigo\b", r"\btelefonica\b", r"\bmovistar\b", r"\bclaro\b", r"\bveon\b", r"\bbeeline\b",
    r"\bооо\b", r"\bмтс\b", r"\bмегафон", r"\bбилайн", r"\bростелеком", r"\bтелеграм", r"\bинтернет", r"\bсвяз[иь]\b",
    r"\bпровайдер", r"\bоператор", r"\bсайт", r"\bсоцсет", r"\bприложени", r"\bтелефон",
    r"الإنترنت", r"الانترنت", r"انترنت", r"إنترنت", r"الاتصالات", r"شبك", r"مواقع", r"تطبيق", r"فيسبوك", r"تويتر", r"واتساب",
    r"المحمول", r"الهواتف", r"هاتف", r"منصة", r"تيك توك", r"يوتيوب", r"تليغرام", r"إنستغرام",
    r"इंटरनेट", r"नेटबंदी", r"اینترنت", r"موبائل", r"انٹرنیٹ", r"\bintaneti\b", r"\bmtandao\b", r"ኢንተርኔት",
    r"\bspyware\b", r"\bpegasus\b", r"\bpredator\b", r"\bfinfisher\b", r"\bsoftware\b", r"\blogiciel", r"\bphone",
    r"\btelephon", r"\btelefon", r"\bdigital", r"\bnumerique", r"\bcyber", r"\bhack", r"\bdata\b", r"\bdonnees\b", r"\bdatos\b",
    r"\bdados\b", r"\bданны", r"بيانات", r"\bnetwork", r"\breseau", r"\bred(es)?\b", r"\brede\b", r"\bсет[ьи]\b",
    r"\bemail", r"\bmessag", r"\bchatbot", r"\bai\b", r"\bdeepfake", r"\bbots?\b", r"\baccounts?\b", r"\bcomptes?\b",
    r"\bcuentas?\b", r"\bcontas?\b", r"\bаккаунт", r"حساب", r"\bkemkominfo\b", r"\bbtk\b", r"\bроскомнадзор", r"\bpta\b",
    r"\berisim\b", r"\bsitus\b", r"\bblokir\b",
]

# --- Label cues: words that report the event itself (not sufficient alone).
SHUTDOWN = [
    r"\b(internet|mobile|data|network|connectivity|phone|telecom)\w* (shut ?downs?|blackouts?|cuts?|outages?|disruptions?)\b",
    r"\b(shut(s|ting)? (down|off)|cut(s|ting)? off|cut(s|ting)?|suspend(s|ed|ing)?|switch(ed|es)? off|turn(ed|s)? off|disconnect(s|ed)?|restrict(s|ed|ing)?|block(s|ed|ing)?)( (the|all|mobile|internet|access|phone|their|to))*.{0,25}\b(internet|mobile data|mobile internet|mobile networks?|connectivity|telecommunications?|phone (lines|services?|networks?)|sms|data services?)",
    r"\b(internet|mobile data|mobile internet|connectivity|networks?|phone services?|sms)\b.{0,40}\b(was |were |been |is |are )?(cut|shut|suspended|switched off|disconnected|restored|blocked|down)\b",
    r"\b(switch|shut|turn)(ed|s|ing)? (off|down) (all )?(the )?(telecom|mobile|phone|gsm)?\w* ?networks?\b", r"\bkeepiton\b", r"\bkeep ?it ?on\b", r"\bnetwork disruption", r"\bthrottl\w*", r"\bblackouts?\b", r"\binternet access (was |has been )?(restored|cut|suspended)",
    r"\bcommunications? (blackout|cut|shutdown)", r"\bpull(s|ed)? the plug\b", r"\b(internet|phone|telecom)\w* (links?|lines?|services?)\b.{0,30}\bsevered",
    r"\bwithout (internet|mobile data|phone service|connectivity)\b", r"\bdigital (blackout|curfew)", r"\boff ?line for\b", r"\bkill switch\b",
    r"\bcoupure\w*.{0,30}\b(internet|reseau|telephon|sms|connexion)", r"\b(internet|reseau|sms|connexion)\w*.{0,30}\bcoupe",
    r"\bcouper? (l.)?internet", r"\brestreint internet", r"\bsuspension (de l.|d.)?internet", r"\bprive\w* d.internet",
    r"\b(corta|cortan|corte|cortes|cortado|suspende|suspendio|suspension|apagon|bloqueo)( de)?( el| la| los)? (internet|telefonia|datos|servicios? (de )?(internet|telefonia))",
    r"\b(internet|telefonia movil)\b.{0,30}\b(cortad|suspendid|restringid)", r"\bsem (dados moveis|internet)\b",
    r"\b(corte|bloqueio|suspensao|apagao) (da |de )?(internet|dados moveis|telefonia)", r"\bcortar a internet",
    r"\bотключ\w*.{0,30}(интернет|связ|мобильн)", r"\b(интернет|связ)\w*.{0,30}отключ", r"\bограничени\w* мобильного интернета",
    r"\bшатдаун", r"\bограничи\w* (мобильн\w* )?(интернет|связ)", r"\bбез (стабильной )?(мобильной )?(связи|интернета)",
    r"قطع\w* (خدم\w* )?(ال)?(إنترنت|انترنت|اتصالات)", r"انقطاع\w* (خدم\w* )?(ال)?(إنترنت|انترنت)", r"مقطوع", r"تعطل\w* (ال)?(إنترنت|انترنت)", r"تنقطع عن الإنترنت",
    r"(ال)?(إنترنت|انترنت).{0,20}(مقطوع|قطع)", r"عودة .{0,20}(الإنترنت|الهواتف)",
    r"(إبطاء|تقييد|تعطيل|قطع)\w* (خدم\w* )?(ال)?(إنترنت|انترنت|اتصالات)", r"(ال)?(إنترنت|انترنت).{0,20}(إبطاء|تقييد)",
    r"इंटरनेट (सेवा )?बंद", r"नेटबंदी", r"اینترنت.{0,30}قطع", r"قطع.{0,20}اینترنت", r"سروس بند", r"انٹرنیٹ.{0,20}بند",
    r"\binternet (kesinti|erisim)", r"\binternet (diputus|dimatikan|dibatasi)", r"\bkata(a)? intaneti\b", r"\bkuzima intaneti\b",
    r"\binternet ab(geschaltet|schalten|\b)", r"\bschaltet das internet ab", r"ኢንተርኔት.{0,40}ተቋር",
]
CENSORSHIP = [
    r"\bblock(s|ed|ing)?\b", r"\bbann?(ed|ing|s)?\b", r"\bcensor\w*", r"\btake ?downs?\b", r"\btaken down\b", r"\bremov(e|ed|al|ing)\b.{0,60}\b(order|request|government|authorit|court|ministry|regulator)",
    r"\b(order|request|demand)\w*.{0,60}\bremov", r"\bgeo-?(block|restrict)", r"\bwithh[oe]ld", r"\binaccessible\b",
    r"\brestrict(ed|s|ing)? access", r"\bkeyword filter", r"\bdelist", r"\bpull(s|ed)? .{0,40}\bapps?\b", r"\bapps?\b.{0,40}\bpulled\b", r"\bremov\w* .{0,40}\bapp store", r"\bpulled from\b.{0,20}\bstore",
    r"\b(remov|pull|delet|drop|tak)\w* .{0,50}\b(app store|play store|google play|app ?gallery)", r"\bthrottl\w* .{0,30}\b(twitter|x|youtube|facebook|telegram|whatsapp|instagram|tiktok|signal|platform)",
    r"\bbloqu\w*", r"\bblocage\w*", r"\bcensur\w*", r"\binterdi\w*", r"\bretir\w*.{0,40}\b(demande|ordre|gouvernement)", r"\bsuspend\w*.{0,30}\b(reseaux sociaux|facebook|whatsapp|twitter|tiktok|x)\b",
    r"\bbloque\w*", r"\bcensura\w*", r"\brestring\w*", r"\bprohib\w*", r"\belimin\w*.{0,40}(orden|peticion|gobierno)", r"\bsuspender?\b.{0,30}\b(whatsapp|telegram|x|twitter|redes)",
    r"\bbloqueio", r"\bbloquear\w*", r"\bsuspens\w*.{0,30}\b(whatsapp|telegram|x|twitter|rede)", r"\bderrubad",
    r"\bблокир\w*", r"\bзаблокир\w*", r"\bблокировк\w*", r"\bограничи\w*( доступ)?", r"\bцензур\w*", r"\bзапрет\w*", r"\bудал\w*.{0,40}(требовани|по запросу)",
    r"حجب", r"حظر", r"يحذف", r"حذف", r"بطلب حكومي", r"رقابة", r"إغلاق .{0,20}(موقع|حساب|قناة)",
    r"تقييد", r"إبطاء", r"(إزالة|أزال|تزيل|يزيل).{0,40}(بطلب|طلب|أمر)", r"منع .{0,20}(الوصول|تطبيق|موقع)",
    r"\berisim engel\w*", r"\bengellendi\b", r"\bblokir\w*", r"\bdiblokir\b", r"\bgesperrt\b",
]
SURVEILLANCE = [
    r"\bspyware\b", r"\bspy(ing|ware)?\b", r"\bpegasus\b", r"\bpredator\b", r"\bfinfisher\b", r"\bfinspy\b", r"\bhermit\b", r"\bcandiru\b",
    r"\bintellexa\b", r"\bcellebrite\b", r"\bnso group\b", r"\bhacking team\b", r"\bintercept\w*", r"\bwiretap\w*", r"\blawful intercept",
    r"\bfacial recognition\b", r"\bface recognition\b", r"\bsurveil\w*", r"\bmonitor(ing|ed)? (of )?(journalists|activists|users|citizens|protesters|communications|dissidents)",
    r"\bmass monitoring\b", r"\bbackdoors?\b", r"\b(user|customer|subscriber|location) data\b.{0,60}\b(hand|gave|give|share|provid|request|police|authorit|government|security)",
    r"\bdata requests?\b", r"\bhanded? over\b.{0,40}\bdata", r"\btrack(ing|ed)? (of )?(journalists|activists|users|protesters|phones)",
    r"\binfected\b", r"\b(smart |cctv |surveillance )?cameras?\b.{0,60}\b(identify|detect|track|monitor|intelligence|police|uyghur|ethnic)",
    r"\b(hand(s|ed)?( over)?|gave|turned over|disclos\w*)\b.{0,50}\b(messages|records|data|chats|location|metadata|identit)",
    r"\b(call|phone|subscriber|push.notification|location) (records|data|metadata)\b", r"\bpolice requests\b", r"\bwithout (a )?warrant",
    r"\b(jail|arrest|detain|prosecut)\w*.{0,60}\b(app|messag|users|posts)\b", r"\bhacked phones?\b", r"\bsorm\b", r"\bstingray", r"\bimsi catcher", r"\btargeted with\b",
    r"\bespion\w*", r"\blogiciels? espions?", r"\becoutes?\b", r"\bsurveillance\b", r"\breconnaissance faciale",
    r"\bespia\w*", r"\bespionaje\b", r"\bvigilancia\b", r"\binfectad[oa]s?\b", r"\breconocimiento facial", r"\bintervenci\w* (de )?(comunicaciones|telefon)",
    r"\bespionagem\b", r"\bvigilancia\b", r"\bvigilad", r"\breconhecimento facial", r"\bentregar dados\b", r"\bgrampo",
    r"\bслежк\w*", r"\bперехват\w*", r"\bраспознавани\w* лиц", r"\bшпион\w*", r"\bсорм\b", r"\bпрослушк\w*", r"\bсистем\w* наблюдени",
    r"تجسس", r"مراقبة", r"التعرف على الوجه", r"اختراق هواتف", r"برنامج تجسس", r"التنصت",
    r"\bspahsoftware\b", r"\buberwach\w*", r"\bstaatstrojaner", r"\bcasus yazilim", r"\bgozetim", r"\bpenyadapan\b",
]
ELECTION = [
    r"\belect\w*", r"\bvot(e|es|ing|ers?)\b", r"\bballot", r"\bpolls?\b", r"\bcandidat\w*", r"\bcampaign\w*", r"\breferend\w*",
    r"\bpresidential\b", r"\bprimar(y|ies)\b", r"\bparliamentary\b", r"\bpolling\b",
    r"\bscrutin\b", r"\bpresidentielle", r"\blegislatives\b", r"\belecci\w*", r"\belectoral\w*", r"\bvotaci\w*", r"\bcomicios\b",
    r"\beleic\w*", r"\beleitor\w*", r"\bvotac\w*", r"\burnas?\b", r"\bвыбор\w*", r"\bголосован\w*", r"\bизбират\w*",
    r"انتخاب", r"الاقتراع", r"التصويت", r"\buchaguzi\b", r"\bpemilu\b", r"\bsecim\w*", r"\bwahl\w*", r"چناؤ", r"चुनाव",
]
INFLUENCE = [
    r"\bdisinformation\b", r"\bmisinformation\b", r"\binfluence (operation|campaign)s?", r"\binauthentic\b", r"\btroll\w*",
    r"\bfake (accounts|news|profiles|pages)", r"\bbots?\b", r"\bbotnet", r"\bdeepfakes?\b", r"\bmicro-?target\w*", r"\bcambridge analytica\b",
    r"\bpropaganda\b", r"\bstate-(linked|backed|sponsored)\b", r"\b(accounts|networks?|pages) (tied|linked) to\b", r"\binterference\b", r"\bmanipulat\w*", r"\bcoordinated\b", r"\bfake video", r"\bai-generated\b",
    r"\bhack(ed|ers?|ing)?\b.{0,60}\b(election|electoral|campaign|voter|ballot)", r"\b(election|electoral|campaign|voter)\w*.{0,60}\bhack",
    r"\bleak\w*.{0,40}\b(campaign|candidate)", r"\bvoter (roll|data|registr)",
    r"\bdesinformation\b", r"\bingerence\w*", r"\bfaux comptes\b", r"\bmanipulation\b", r"\bpropagande\b", r"\bfausses? nouvelles",
    r"\bdesinformacion\b", r"\binjerencia\b", r"\bcuentas falsas\b", r"\bvideo falso\b", r"\bnoticias falsas\b", r"\bbulos?\b",
    r"\bdesinformacao\b", r"\bcontas falsas\b", r"\bfake news\b", r"\binterferencia\b", r"\bsao falsas\b",
    r"\bдезинформац\w*", r"\bвмешательств\w*", r"\bфейков\w*", r"\bботы?\b", r"\bтролл\w*", r"\bпропаганд\w*",
    r"تضليل", r"حسابات وهمية", r"حسابات مزيفة", r"تدخل", r"أخبار كاذبة", r"ذباب إلكتروني",
]
ORDER = [
    r"\border(ed|s)?\b", r"\bauthorit\w*", r"\bgovernment\b", r"\bregulator\w*", r"\bministr\w*", r"\bcourt\b", r"\bjudge\b",
    r"\bjunta\b", r"\bmilitary\b", r"\bpolice\b", r"\bsecurity (forces|services)", r"\bat the request\b", r"\bdirective\b", r"\binstruct\w*",
    r"\bordre\b", r"\bautorites\b", r"\bgouvernement\b", r"\bsur instruction", r"\bjustice\b", r"\bsommes? de\b",
    r"\borden\b", r"\bgobierno\b", r"\bautoridades\b", r"\bjuez\b", r"\btribunal\b", r"\bregulador",
    r"\bordem\b", r"\bgoverno\b", r"\bjustica\b", r"\bmanda\b", r"\bstf\b", r"\banatel\b",
    r"\bпо требованию\b", r"\bвласт\w*", r"\bсилович\w*", r"\bсуд\w*", r"\bроскомнадзор\w*", r"\bправительств\w*",
    r"أمر", r"السلطات", r"الحكومة", r"تعليمات", r"بطلب", r"\bbtk\b", r"\bkemkominfo\b", r"\bmenkominfo\b",
]
# --- Negative cues: the not-an-incident classes of the labeling guide.
ACCIDENT = [
    r"\b(submarine|undersea|subsea|fib(re|er)(-optic)?|optical) cables?\b", r"\bcable (cut|damage|break|fault)", r"\bcables? (was |were )?(cut|damaged|severed)",
    r"\bpower (outage|failure|cut)", r"\belectricity\b", r"\btechnical (fault|glitch|problem|issue)", r"\bglitch\b", r"\bsoftware (update|bug|fault)",
    r"\bbug\b", r"\bdns\b", r"\b(network|service|nationwide|widespread) outage\b", r"\bsos mode\b", r"\bcloud outage", r"\boutage\b.{0,40}\b(fix|update|config)", r"\bconfiguration (change|error)", r"\bhurricane\b",
    r"\bcyclone\b", r"\bearthquake\b", r"\bstorm\b", r"\bflood\w*", r"\bvandal\w*", r"\bthie(f|ves)\b", r"\bmaintenance\b", r"\bcrowdstrike\b",
    r"\bpanne\w*", r"\bcables? sous-marins?", r"\bendommage", r"\bcoupure de courant", r"\bfibra optica\b", r"\bfalla\b", r"\baveria\b", r"\bladrones\b",
    r"\bapagon electrico", r"\bcabo submarino", r"\bfalha\b", r"\bciclone\b", r"\bсбой\w*", r"\bобрыв\w*", r"\bперерезал\w*", r"\bавари\w*",
    r"الكابل البحري", r"عطل", r"الكوابل البحرية", r"\bkabel laut\b", r"\bputus\b",
]
CRIME = [
    r"\bransomware\b", r"\bransom\b", r"\bdata breach", r"\bbreach\b", r"\bleak(ed)? (of )?(customer|user|personal) data", r"\bfraud\w*", r"\bphishing\b",
    r"\bcriminal hackers\b", r"\bcybercrim\w*", r"\bextortion\b", r"\bcrypto\w*", r"\bscam\w*",
    r"\brancon\b", r"\bfuite de donnees", r"\bcyberattaque\b", r"\bpiratas\b", r"\bcriptomonedas\b", r"\brobo de datos\b", r"\bвымогател\w*", r"\bутечк\w*",
]
BUSINESS = [
    r"\bearnings\b", r"\bprofits?\b", r"\brevenues?\b", r"\bquarter(ly)?\b", r"\bdividend\w*", r"\bebitda\b", r"\bmergers?\b", r"\bacquisitions?\b",
    r"\bacquir\w*", r"\bipo\b", r"\bshares?\b", r"\binvestors?\b", r"\bsubscribers? (base|growth)", r"\bspectrum\b", r"\b5g\b", r"\blaunch\w*", r"\bauction\b",
    r"\bantitrust\b", r"\bcompetition (fine|authority|commission)", r"\blayoffs?\b", r"\bstake\b", r"\bfined\b",
    r"\bbenefice\b", r"\bchiffre d.affaires\b", r"\bamende\b", r"\bbeneficio\b", r"\bingres\w*", r"\btrimestr\w*", r"\bsemestr\w*", r"\blucro\b",
    r"\bleilao\b", r"\breceita\b", r"\bвыручк\w*", r"\bдивиденд\w*", r"\bприбыл\w*", r"\bоштраф\w*", r"أرباح", r"إيرادات", r"الربع", r"\bfaida\b",
    r"\bmapato\b", r"\blaba\b", r"\bgelir\w*", r"\bihale\w*", r"\bstarlink\b", r"\bsatellite internet\b",
]
POLICY = [
    r"\btransparency report", r"\bannual report\b", r"\bin \d+ countries\b", r"\bon record\b", r"\bdisclosure\b", r"\bglobal network initiative\b", r"\bend-to-end encrypt\w*", r"\branking\b", r"\bindex\b", r"\bscorecard\b",
    r"\brapport de transparence", r"\binforme de transparencia", r"\brelatorio de transparencia", r"تقرير الشفافية", r"\bотчет о прозрачности",
]
OTHER_SENSE = [
    r"\bgovernment shutdown\b", r"\bfederal shutdown\b", r"\bshutdown of the (us|federal) government", r"\bcongress\b.{0,60}\bshutdown", r"\bfurlough\w*",
    r"\b(disease|epidemiolog\w*|health|genomic|wastewater|polio|flu|influenza|pathogen|outbreak|epidemic|sentinel) surveillance\b", r"\bsurveillance (epidemiolog|sanitaire|de (la )?sante)",
    r"\bfilm (censor|classification|board)", r"\bcensor board\b", r"\bfilm certification", r"\bmovie\b.{0,40}\bcensor", r"\bcbfc\b",
    r"\bapples? (fruit|orchard|harvest|crop|growers?)", r"\borange county\b", r"\bx games\b", r"\bpegasus (airlines|hava)", r"\bhava yollari\b",
]
# --- Discourse: talk about a topic (advocacy, bills, papers, reports, plans) rather than an event.
# Only a model feature: incidents are often reported through such voices too.
DISCOURSE = [
    r"\burg(e|es|ed|ing)\b", r"\bcalls? (on|for)\b", r"\bexplainer\b", r"\bpaper\b", r"\bbills?\b", r"\blegislat\w*", r"\blawmakers\b",
    r"\bpropos\w*", r"\bconsultation\b", r"\bdebat\w*", r"\breview\b", r"\bplans?\b", r"\bguidelines?\b", r"\bwebinar\w*",
    r"\bconference\b", r"\bworkshop\w*", r"\bstudy\b", r"\bsurvey\b", r"\bresearch\w*", r"\bpublish\w*", r"\breleases?\b",
    r"\bstatistics\b", r"\brequests\b", r"\bcopyright\b", r"\bdefamation\b", r"\blawsuit\b", r"\bsuit\b", r"\bpolicy\b",
    r"\bappel\w* a\b", r"\bprojet de loi\b", r"\brapport\b", r"\betude\b", r"\bplaidoyer\b",
    r"\binsta\w* a\b", r"\bproyecto de ley\b", r"\binforme\b", r"\bestudio\b", r"\bpide\b",
    r"\bprojeto de lei\b", r"\bpl\b", r"\brelatorio\b", r"\badia\b", r"\bestudo\b", r"\bpede\b",
    r"\bзаконопроект\w*", r"\bпризыва\w*", r"\bдоклад\w*", r"\bисследовани\w*", r"\bобсужда\w*",
    r"مشروع قانون", r"يدعو", r"تدعو", r"تقرير", r"دراسة", r"\bsheria\b", r"\bkampeni\b", r"\bmuswada\b",
]
DENIAL = [r"\bfalse\b", r"\bfact.?check", r"\bdenie[sd]\b", r"\bhoax\b", r"\brumou?rs?\b", r"\bfalso\b", r"\bfaux\b", r"\bnao vai\b", r"\bопроверг\w*"]

GROUPS: Mapping[str, Sequence[str]] = {
    "ict": ICT, "shutdown": SHUTDOWN, "censorship": CENSORSHIP, "surveillance": SURVEILLANCE, "election": ELECTION,
    "influence": INFLUENCE, "order": ORDER, "accident": ACCIDENT, "crime": CRIME, "business": BUSINESS,
    "policy": POLICY, "other_sense": OTHER_SENSE, "denial": DENIAL, "discourse": DISCOURSE,
}
NEGATIVE_GROUPS = ("accident", "crime", "business", "policy", "other_sense", "denial")
FEATURE_NAMES: tuple[str, ...] = tuple(f"{g}_{part}" for g in GROUPS for part in ("title", "body"))


def _compile(patterns: Sequence[str]) -> re.Pattern[str]:
    # Texts are folded to lower case first, so matching need not ignore case (which is slower).
    return re.compile("|".join(f"(?:{p})" for p in patterns))


COMPILED: Mapping[str, re.Pattern[str]] = {name: _compile(patterns) for name, patterns in GROUPS.items()}
SINGLE: Mapping[str, tuple[re.Pattern[str], ...]] = {name: tuple(map(re.compile, ps)) for name, ps in GROUPS.items()}


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Name literals one of which every match of `pattern` contains (None: no such set found)."""
    try:  # the stdlib's own parser is private, so fail soft: without literals a pattern always runs
        from re import _constants as sre
        from re import _parser

        return _leading_literals(list(_parser.parse(pattern)), sre)
    except (ImportError, AttributeError, re.error, TypeError):
        return None


def _leading_literals(items: list, sre: Any) -> tuple[str, ...] | None:
    run = ""
    for op, arg in items:
        if op is sre.LITERAL:
            run += chr(arg)
        elif run:
            break
        elif op is sre.SUBPATTERN:
            return _leading_literals(list(arg[-1]), sre)
        elif op is sre.BRANCH:
            found = [_leading_literals(list(alt), sre) for alt in arg[1]]
            return None if None in found else tuple(lit for lits in found for lit in lits)
        elif op is not sre.AT:
            return None
    return (run,) if run else None


@dataclass(frozen=True)
class CueIndex:
    """Find cue counts fast: a literal scan picks the few patterns worth running on a text.

    A pattern whose required literals are all absent cannot match, so running only the others
    gives exactly the counts of the full alternation (see `count_disjoint`).
    """

    groups: tuple[str, ...]
    always: Mapping[str, tuple[int, ...]]  # patterns with no required literal: always run
    automaton: Any  # literal -> the (group, pattern index) pairs that need it

    @classmethod
    def build(cls, groups: Mapping[str, Sequence[str]]) -> CueIndex:
        import ahocorasick  # lazy: a C extension only cue search needs

        anchors = {g: [required_literals(p) for p in patterns] for g, patterns in groups.items()}
        needing: dict[str, list[tuple[str, int]]] = {}
        for group, literals in anchors.items():
            for i, lits in enumerate(literals):
                for literal in lits or ():
                    needing.setdefault(literal, []).append((group, i))
        automaton = ahocorasick.Automaton()
        for literal, users in needing.items():
            automaton.add_word(literal, tuple(users))
        automaton.make_automaton()
        always = {g: tuple(i for i, lits in enumerate(literals) if lits is None) for g, literals in anchors.items()}
        return cls(groups=tuple(groups), always=always, automaton=automaton)

    def counts(self, text: str) -> dict[str, int]:
        # Words in another sense ("government shutdown", "Pegasus Hava Yollari") are blanked out
        # first, so they never count as cues of a label.
        text, other_senses = COMPILED["other_sense"].subn(" ", text)
        live: dict[str, set[int]] = {g: set(self.always[g]) for g in self.groups}
        for _, users in self.automaton.iter(text) if text else ():
            for group, i in users:
                live[group].add(i)
        found = {group: self._count(group, text, live[group]) for group in self.groups}
        return found | {"other_sense": other_senses}

    def _count(self, group: str, text: str, live: set[int]) -> int:
        spans = sorted((m.start(), i, m.end()) for i in live for m in SINGLE[group][i].finditer(text))
        return count_disjoint(spans)


def count_disjoint(spans: Sequence[tuple[int, int, int]]) -> int:
    """Count matches the way one alternation would: leftmost first, earlier pattern first, no overlaps."""
    count, end = 0, -1
    for start, _, stop in spans:
        if start >= end:
            count, end = count + 1, max(stop, start + 1)
    return count


@lru_cache(maxsize=1)
def cue_index() -> CueIndex:
    """Build the shared cue index once."""
    return CueIndex.build(GROUPS)


def fold(text: str) -> str:
    """Lower-case and strip Latin accents so patterns can be written in plain ASCII."""
    return text.lower().translate(_FOLD)


@dataclass(frozen=True)
class CueHits:
    """How often each cue group matched in the title and in the rest of an item."""

    title: Mapping[str, int]
    body: Mapping[str, int]

    def count(self, group: str) -> int:
        return self.title[group] + self.body[group]

    def vector(self) -> list[float]:
        return [float(min(part[g], 3)) for g in GROUPS for part in (self.title, self.body)]


def find_cues(title: str, summary: str) -> CueHits:
    """Count every cue group's matches in the title and the summary."""
    index = cue_index()
    return CueHits(title=index.counts(fold(title)), body=index.counts(fold(summary)))


def negative_weight(hits: CueHits) -> int:
    """Count the not-an-incident cues (outage, crime, business, policy, other senses)."""
    return sum(hits.count(g) for g in NEGATIVE_GROUPS)


def label_cue_groups(label: str) -> tuple[str, ...]:
    """Name the cue groups that speak for one label."""
    return ("election", "influence") if label == "election_interference" else (label,)


def is_candidate(hits: CueHits) -> bool:
    """Say whether an item shows any label cue at all; the rest is settled as no incident."""
    return any(hits.count(g) for g in ("shutdown", "censorship", "surveillance", "influence")) or (
        hits.count("election") > 0 and hits.count("ict") > 0
    )


def rule_scores(hits: CueHits) -> dict[str, float]:
    """Score each label from cues alone: a transparent fallback for installs without the model."""
    ict = min(hits.count("ict"), 3) / 3
    penalty = min(negative_weight(hits), 4) * 0.15
    scores = {}
    for label in ("shutdown", "censorship", "surveillance"):
        strength = 0.35 * min(hits.title[label], 2) + 0.15 * min(hits.body[label], 3)
        scores[label] = _squash(strength + 0.25 * ict + 0.1 * min(hits.count("order"), 2) - penalty)
    election = min(hits.count("election"), 2) * 0.2
    influence = 0.3 * min(hits.title["influence"], 2) + 0.12 * min(hits.body["influence"], 3)
    blocking = 0.5 * max(scores["shutdown"], scores["censorship"])
    scores["election_interference"] = _squash(election * (1 + influence + blocking) + 0.2 * ict - penalty) if election else 0.0
    return scores


def _squash(value: float) -> float:
    return max(0.0, min(1.0, value))


_SENTENCE = re.compile(r"(?<=[.!?؟។।])\s+|\n+")


def find_evidence(label: str, title: str, summary: str, limit: int = 240) -> Evidence | None:
    """Quote the first sentence of the item in which a cue of the label matches."""
    patterns = [COMPILED[g] for g in label_cue_groups(label)]
    for sentence in [title, *_SENTENCE.split(summary)]:
        folded = fold(sentence)
        if any(p.search(folded) for p in patterns):
            return Evidence(label=label, text=_clip(sentence.strip(), limit))
    return None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rule_labels(scores: Mapping[str, float], hits: CueHits, threshold: float = 0.5) -> tuple[str, ...]:
    """Pick the labels whose rule score passes the threshold, behind the false-alarm gate."""
    if not passes_gate(hits):
        return ()
    return tuple(label for label in LABELS if scores[label] >= threshold)


def passes_gate(hits: CueHits) -> bool:
    """An incident needs an ICT signal (or an election hack/influence cue) and a concrete label cue."""
    return is_candidate(hits) and (hits.count("ict") > 0 or hits.count("influence") > 0)
