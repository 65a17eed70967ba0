"""One-off: write classifiers/data/gazetteer_countries.json from babel's CLDR territory names."""
import json
import re
from pathlib import Path

from babel import Locale, __version__

OUT = Path(__file__).resolve().parents[1] / "classifiers" / "data" / "gazetteer_countries.json"

LOCALES = ["en", "fr", "es", "pt", "ru", "ar", "de", "id", "tr", "it", "sw", "fa", "hi", "ur", "am"]
SKIP = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "AC", "CP", "DG", "EA", "IC", "TA", "CQ", "AQ", "BV", "HM", "UM", "CC", "CX", "NF", "PN", "TK", "GS", "IO", "TF", "SJ", "BQ", "AX", "MF", "BL", "PM", "WF", "VG", "VI", "AS", "GU", "MP", "NU", "CK", "TC", "KY", "MS", "AI", "FK", "SH", "GG", "JE", "IM", "FO", "GL", "GI", "NC", "PF", "RE", "YT", "GP", "MQ", "GF", "EH", "SX", "CW", "AW"}
out = {}
for loc in LOCALES:
    terr = Locale(loc).territories
    for code, name in terr.items():
        if len(code) != 2 or not code.isalpha() or code in SKIP:
            continue
        names = out.setdefault(code, [])
        for part in re.split(r"\s*[()]\s*|\s+-\s+", name):
            part = part.strip(" ,")
            if len(part) > 2 and part not in names and not re.search(r"RAS|САР|SAR|ЕАО|خاصة", part):
                names.append(part)
doc = {"origin": f"Unicode CLDR territory names via babel {__version__}, locales {', '.join(LOCALES)}; "
                 "generated once by the linking engineer. Hand-written demonyms, capitals and regions live in "
                 "gazetteer_places.yaml.",
       "names": out}
with open(OUT, "w", encoding="utf-8") as handle:
    json.dump(doc, handle, ensure_ascii=False, indent=0, sort_keys=True)
print(len(out), out["CD"], out["PS"][:6])
