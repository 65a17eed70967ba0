"""Find the countries an item names, as ISO 3166-1 alpha-2 codes (`classifiers.countries` adds the fallback).

Names come from CLDR (every locale we read, `data/gazetteer_countries.json`) plus hand-written
demonyms, capitals and regions (`data/gazetteer_places.yaml`). A country named only as a company's
or outlet's nationality ("Israeli spyware firm NSO", "the US-based Kentik") does not count.

    mentioned_countries("Iran cuts mobile data", "... in Sistan and Baluchistan ...")  # ('IR',)
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
_TITLE_WEIGHT = 3  # a country in the headline outweighs a few in the body

# After a nationality: the thing it qualifies is a company or an outlet, not a place.
_NATIONALITY_OF = re.compile(
    r"^[\s-]*(based\b|owned\b|made\b|headquartered\b|"
    r"(\w+[\s-]+){0,2}?(firms?|company|companies|vendors?|makers?|maker|manufacturers?|developers?|"
    r"spyware|surveillance (?:firm|company|vendor)|tech(?:nology)? (?:firm|company|giant)|giant|startup|"
    r"outlet|newspaper|daily|broadcaster|news agency|media group|hersteller|herstellers|entreprise|société|"
    r"empresa|fabricante|компани\w*|производител\w*|شركة|equipment|tools?|technology|software|spying|spy|"
    r"intelligence|hackers?|subsidiary|subsidiaries|filial|filiale|unit|arm|branch)\b|"
    r"-?\s?(language|speaking)\b|(\w+[\s-]+)?or\s+\w+-language\b)"
)
# "Qatar's Ooredoo", "South Korea's Miru Systems": a possessive naming whose company or outlet it is;
# a state body ("Nigeria's Defence Intelligence Agency") keeps its country.
_STATE_WORDS = (
    "Ministry|Minister|Government|President|Prime|Supreme|Constitutional|High|Federal|National|Central|"
    "Defen[cs]e|Interior|Electoral|Election|Parliament|Senate|Court|Army|Armed|Military|Police|"
    "Communications?|Telecommunications?|Information|Internet|Cyber|State|Security|Intelligence|Digital|"
    "Media|Regulatory|Independent|General|Justice|Attorney|Public|Department|Office|Agency|Authority|"
    "Commission|Council|Foreign|Home|Capital|Northern|Southern|Eastern|Western|North|South|East|West"
)
_OWNER_OF = re.compile(rf"^['’]s\s+(?!(?:{_STATE_WORDS})\b)[A-Z][\w&.-]+")
# "like Iran and Russia", "followed by Syria": a comparison, not where the incident is.
_COMPARED = re.compile(
    r"\b(like|unlike|such as|including countries such as|compared (?:with|to)|followed by|similar to|as in|"
    r"comme|como|wie)\s+((the\s+)?[A-Z][\w'’-]*(\s+[A-Z][\w'’-]*)?,?\s+(and\s+|or\s+)?){0,4}$"
)


_BASED = re.compile(r"^-(based|owned|made|headquartered)\b")


@dataclass(frozen=True)
class _Name:
    code: str
    prefix: bool  # matches the start of a longer word (demonyms, Russian cases)
    cased: bool  # needs a capital first letter in the text (Chad, Jordan, Turkey)
    demonym: bool  # a nationality word, which may qualify a company rather than a place


@lru_cache(maxsize=512)  # the linker and the country detection both ask, for the same item
def mentioned_countries(title: str, summary: str) -> tuple[str, ...]:
    """Return ISO 3166-1 alpha-2 codes of the places an item names, most relevant first."""
    weight: dict[str, int] = {}  # insertion order = first seen, which breaks ties
    for each, text in ((_TITLE_WEIGHT, title), (1, summary)):
        for _, code in _mentions(text or ""):
            weight[code] = weight.get(code, 0) + each
    return tuple(sorted(weight, key=lambda code: -weight[code]))


def _mentions(text: str) -> Iterable[tuple[int, str]]:
    """Yield (position, code) for every accepted place name in `text`."""
    folded = _fold(text)
    automaton, names = _gazetteer()
    for start, key in _longest(automaton.iter(folded)):
        end = start + len(key)
        name = names[key]
        if _accept(text, folded, start, end, name):
            yield start, name.code


def _longest(hits: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    spans = sorted(((end - len(key) + 1, key) for end, key in hits), key=lambda s: (s[0], -len(s[1])))
    kept: list[tuple[int, str]] = []
    for start, key in spans:
        if not kept or start >= kept[-1][0] + len(kept[-1][1]):
            kept.append((start, key))
    return kept


def _accept(text: str, folded: str, start: int, end: int, name: _Name) -> bool:
    if not name.code or not _bounded(folded, start, end, name.prefix):
        return False
    if name.cased and not text[start].isupper():
        return False
    rest = folded[end:].lstrip("'’")
    if _OWNER_OF.match(text[end : end + 60]) or _COMPARED.search(text[max(0, start - 80) : start]):
        return False
    return not (_BASED.match(rest) or (name.demonym and _NATIONALITY_OF.match(rest)))


def _bounded(folded: str, start: int, end: int, prefix: bool) -> bool:
    before = folded[start - 1] if start > 0 else " "
    after = folded[end] if end < len(folded) else " "
    if _arabic(folded[start:end]):  # Arabic attaches و ب ل ف ك to the next word
        earlier = folded[start - 2] if start > 1 else " "
        attached = before in "وبلفك" and not earlier.isalnum()
        return (not before.isalnum() or attached) and (prefix or not after.isalnum())
    return not before.isalnum() and (prefix or not after.isalnum())


def _arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _fold(text: str) -> str:
    """Lower-case and strip accents char by char, keeping positions."""
    if text.isascii():
        return text.lower()
    return "".join([_fold_char(ch) for ch in text])


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    return bare if len(bare) == 1 else ch.lower() if len(ch.lower()) == 1 else ch


# --------------------------------------------------------------------------- gazetteer


@lru_cache(maxsize=1)
def _gazetteer():  # type: ignore[no-untyped-def]
    """Build the automaton once: CLDR names, then hand-written places (which win on conflicts)."""
    import ahocorasick  # lazy: a C extension only detection needs

    names = _cldr_names()
    names.update(_place_names())
    automaton = ahocorasick.Automaton()
    for key in names:
        automaton.add_word(key, key)
    automaton.make_automaton()
    return automaton, names


def _cldr_names() -> dict[str, _Name]:
    doc = json.loads((DATA / "gazetteer_countries.json").read_text(encoding="utf-8"))
    owners: dict[str, set[str]] = {}
    for code, names in doc["names"].items():
        for name in names:
            owners.setdefault(_fold(name), set()).add(code)
    # a name two countries share ('Congo') says nothing; the places file names them apart
    return {_stem(key): _name(code.pop(), key) for key, code in owners.items() if len(code) == 1}


def _place_names() -> dict[str, _Name]:
    doc = yaml.safe_load((DATA / "gazetteer_places.yaml").read_text(encoding="utf-8"))
    out = {}
    for code, names in doc.items():
        for raw in names:
            # not_places: words that contain or equal a place name but are not one (Кубань, المالي)
            out[_fold(str(raw).rstrip("*~"))] = _place("" if code == "not_places" else code, str(raw))
    return out


def _place(code: str, raw: str) -> _Name:
    word = raw.rstrip("*~")
    demonym = raw.endswith(("*", "~")) or word[:1].islower()
    cased = word[:1].isupper() and not demonym
    return _Name(code, prefix=raw.endswith("*"), cased=cased, demonym=demonym)


def _name(code: str, key: str) -> _Name:
    cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in key)
    # Russian inflects place names (Иран, Ирана, Иране): match the stem as a word prefix
    prefix = cyrillic and len(key) >= 4
    return _Name(code, prefix=prefix, cased=not _arabic(key) and key[:1].isalpha(), demonym=False)


def _stem(key: str) -> str:
    """Drop a Russian ending so the stem matches every case (Россия -> Росси: России, Россию)."""
    if not any("\u0400" <= ch <= "\u04ff" for ch in key):
        return key
    return key[:-1] if len(key) > 4 and key[-1] in "аяйьео" else key


__all__ = ["mentioned_countries"]
