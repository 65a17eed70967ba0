"""One-off: build monitor/data/companies.yaml from shared/reference/companies.yaml."""
import re
from pathlib import Path

import pycountry
import yaml

REF = "../shared/reference/companies.yaml"  # the research notes beside the repository
OUT = str(Path(__file__).resolve().parents[1] / "monitor" / "data" / "companies.yaml")
DISPLAY = {
 "alphabet": "Alphabet", "meta": "Meta", "apple": "Apple", "microsoft": "Microsoft", "amazon": "Amazon",
 "x_corp": "X Corp", "spacex_starlink": "SpaceX", "bytedance": "ByteDance", "telegram": "Telegram",
 "signal": "Signal", "tencent": "Tencent", "alibaba": "Alibaba", "baidu": "Baidu", "samsung_electronics": "Samsung",
 "kakao": "Kakao", "vk": "VK", "yandex": "Yandex", "yahoo": "Yahoo", "cloudflare": "Cloudflare", "oracle": "Oracle",
 "america_movil": "America Movil", "att": "AT&T", "axiata": "Axiata", "bharti_airtel": "Bharti Airtel",
 "deutsche_telekom": "Deutsche Telekom", "e_and": "e&", "mtn_group": "MTN Group", "ooredoo": "Ooredoo",
 "orange": "Orange", "telefonica": "Telefonica", "telenor": "Telenor", "vodafone": "Vodafone",
 "airtel_africa": "Airtel Africa", "safaricom": "Safaricom", "vodacom": "Vodacom", "mtn_nigeria": "MTN Nigeria",
 "vodafone_idea": "Vodafone Idea", "reliance_jio": "Reliance Jio", "bsnl": "BSNL", "zain": "Zain Group",
 "ethio_telecom": "Ethio Telecom", "turkcell": "Turkcell", "veon": "VEON", "maroc_telecom": "Maroc Telecom",
 "millicom": "Millicom", "mts": "MTS", "rostelecom": "Rostelecom", "mci_iran": "MCI", "ptcl": "PTCL",
 "econet_wireless": "Econet Wireless", "kazakhtelecom": "Kazakhtelecom", "viettel": "Viettel",
 "ck_hutchison": "CK Hutchison", "huawei": "Huawei", "zte": "ZTE", "ericsson": "Ericsson", "nokia": "Nokia",
 "cisco": "Cisco", "sandvine": "Sandvine", "nso_group": "NSO Group", "candiru": "Candiru", "intellexa": "Intellexa",
 "paragon": "Paragon Solutions", "cellebrite": "Cellebrite", "hikvision": "Hikvision", "dahua": "Dahua",
 "clearview_ai": "Clearview AI", "palantir": "Palantir", "finfisher": "FinFisher", "gamma_group": "Gamma Group",
 "memento_labs": "Memento Labs", "verint": "Verint", "cognyte": "Cognyte", "semptian": "Semptian",
}
# Tracked parents: a majority/controlling owner that is itself tracked (labeling guide pairs + reference facts).
PARENT = {"mtn_nigeria": "MTN Group", "safaricom": "Vodacom", "vodacom": "Vodafone",
          "airtel_africa": "Bharti Airtel", "maroc_telecom": "e&"}
# Short names by which a subsidiary in the reference is commonly called (a part of its reference name).
EXTRA_SUB_NAMES = {"Moov Africa Malitel (Sotelma)": ["Malitel"], "Pakistan Mobile Communications Ltd (Jazz)": ["Jazz Pakistan"]}
# Local spellings in other scripts, added by the project for matching (not in the reference).
LOCAL_NAMES = {
    "meta": ["فيسبوك", "فيس بوك", "إنستغرام", "انستغرام", "إنستجرام", "انستجرام", "واتساب", "واتس اب", "واتس آب",
             "Фейсбук", "Инстаграм", "Instagram", "Ватсап", "Вотсап", "Фейсбука", "Инстаграма"],
    "alphabet": ["يوتيوب", "غوغل", "جوجل", "Ютуб", "Гугл", "YouTube", "Google"],
    "x_corp": ["تويتر", "Твиттер", "Твиттера"],
    "telegram": ["تليغرام", "تلغرام", "تيليغرام", "تليجرام", "Телеграм", "Телеграмм", "Телеграма", "Телеграмма"],
    "bytedance": ["تيك توك", "ТикТок", "Тикток"],
    "apple": ["آبل", "أبل"],
    "microsoft": ["مايكروسوفت", "Майкрософт"],
    "huawei": ["هواوي", "Хуавэй", "Хуавей"],
    "vodafone": ["فودافون"],
    "orange": ["أورانج", "اورنج"],
    "ooredoo": ["أوريدو", "اوريدو", "آسياسيل", "اسياسيل"],
    "zain": ["زين العراق", "زين السودان", "شركة زين"],
    "nso_group": ["إن إس أو", "ان اس او"],
    "mtn_group": ["إم تي إن", "ام تي ان"],
    "veon": ["Билайн", "Вымпелком"],
    "mts": ["МТС"],
    "rostelecom": ["Ростелеком"],
    "vk": ["ВКонтакте"],
    "yandex": ["Яндекс"],
}
ISO = re.compile(r"^[A-Z]{2}$")

def sub_countries(s):
    c = str(s.get("country", ""))
    out = [x for x in re.split(r"[/,\s]+", c) if ISO.match(x)]
    if not out:  # e.g. 'LATAM' with the countries in the name
        inner = re.search(r"\(([A-Z, ]+)\)", s["name"])
        out = [x for x in re.split(r"[,\s]+", inner.group(1)) if ISO.match(x)] if inner else []
    return out

def sub_names(name):
    if "stake" in name or "units" in name or "country subsidiaries" in name:
        return []
    base = re.sub(r"\s*\(.*?\)", "", name).strip()
    inner = re.findall(r"\((.*?)\)", name)
    parts = [p.strip() for p in base.split(" / ")] + [i for i in inner if _brandlike(i)]
    parts += EXTRA_SUB_NAMES.get(name, [])
    return [p for p in parts if len(p) > 2]

def _brandlike(inner):
    """A parenthetical that names the operator itself ('Orange Sénégal', 'Vivo'), not a note or a country."""
    if inner.startswith(("ex-", "Tele2", "Google LLC", "Unitel")) or len(inner) < 4 or inner.isupper():
        return False
    return pycountry.countries.get(name=inner) is None and inner not in ("China", "Russia")

ref = yaml.safe_load(Path(REF).read_text(encoding="utf-8"))
names_of = {}
for c in ref:
    names_of[c["id"]] = {n.casefold() for n in [DISPLAY[c["id"]], *c["aliases"]]}
def tracked_elsewhere(name, me):
    n = re.sub(r"\s*\(.*?\)", "", name).strip().casefold()
    for cid, names in names_of.items():
        if cid != me and (n in names or n.removesuffix(" group") in names or n.removesuffix(" plc") in names):
            return True
    return False

out = []
for c in ref:
    cid = c["id"]
    amb = c.get("ambiguity") or {}
    subs, countries = [], [c["hq"]]
    for s in c.get("subsidiaries") or []:
        if tracked_elsewhere(s["name"], cid) or "stake" in s["name"]:
            continue
        cs = sub_countries(s)
        subs.append({"name": s["name"], "countries": cs, "match": sub_names(s["name"])})
        countries += [x for x in cs if x not in countries]
    tickers, isins = [], []
    for l in c.get("listings") or []:
        for t in str(l.get("ticker") or "").split(" / "):
            if t and t not in tickers:
                tickers.append(t)
        if l.get("isin") and l["isin"] not in isins:
            isins.append(l["isin"])
    entry = {
        "id": cid, "name": DISPLAY[cid], "legal_name": c["name"], "category": c["category"], "hq": c["hq"],
        "parent": PARENT.get(cid), "owner_note": c.get("parent"),
        "aliases": c["aliases"], "brands": c.get("brands") or [],
        "local_names": [n for n in LOCAL_NAMES.get(cid, []) if n not in c["aliases"] + (c.get("brands") or [])],
        "countries": countries, "subsidiaries": subs, "tickers": tickers, "isins": isins,
        "listings": [{k: v for k, v in l.items() if v is not None} for l in c.get("listings") or []],
        "ambiguity": {"level": amb.get("level", "low"), "risky_aliases": amb.get("risky_aliases") or [],
                      "require_context": amb.get("require_context") or [],
                      "exclude_phrases": amb.get("exclude_phrases") or []},
    }
    out.append(entry)

HEADER = """# The watchlist rights-monitor ships: 74 tracked ICT companies.
# Origin: built from the project's reference facts (shared/reference/companies.yaml, compiled from public
# sources, facts up to early/mid 2026; items marked 'recalled'/'verify' there still need checking) by the
# linking engineer. Nothing here is invented: `name` is the short display name the labeled data uses,
# `parent` is set only where a tracked company controls another (labeling guide pairs: MTN Nigeria -> MTN Group,
# Safaricom -> Vodacom -> Vodafone, Airtel Africa -> Bharti Airtel; reference: e& holds 53% of Maroc Telecom).
# `owner_note` keeps the reference's free-text owner (time-sensitive). `countries` = headquarters plus the
# countries of subsidiaries (for telecoms: where they are licensed), without subsidiaries that are tracked
# entries of their own and without minority stakes.
# Ambiguity rules: a `risky_aliases` name counts only when one of `require_context` occurs in the same item;
# `exclude_phrases` veto the match they contain.
# `local_names`: spellings in other scripts added by the project for matching (not from the reference).
# Users add companies and named watchlists in their own files (see watchlists.example.yaml).
"""
with open(OUT, "w") as f:
    f.write(HEADER)
    yaml.safe_dump({"companies": out}, f, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)
print(len(out))
