"""Detect the countries an item is about, as ISO 3166-1 alpha-2 codes.

Names come from `classifiers.placenames` (CLDR names, demonyms, capitals, regions). With a watchlist, an
item that names no place falls back to where its named operators work, through the company linker; the
linker itself only needs the place names, so imports point one way: countries -> companies -> placenames.

    detect_countries("Iran cuts mobile data", "... in Sistan and Baluchistan ...")  # ('IR',)
"""

from __future__ import annotations

from classifiers.companies import CompanyLinks, link_companies
from classifiers.placenames import _fold, mentioned_countries
from monitor.watchlist import Company, Watchlist


def detect_countries(title: str, summary: str, watchlist: Watchlist | None = None,
                     links: CompanyLinks | None = None) -> tuple[str, ...]:
    """Return ISO 3166-1 alpha-2 codes of the places an item is about, most relevant first.

    With a watchlist, an item that names no place falls back to where its named operators work
    ("MTN eSwatini restores social media" -> SZ; "Safaricom records stolen" -> KE). `links`: the item's
    `link_companies` with this watchlist, when the caller has them already.
    """
    found = mentioned_countries(title, summary)
    return found or (operator_countries(title, summary, watchlist, links) if watchlist else ())


def operator_countries(title: str, summary: str, watchlist: Watchlist,
                       links: CompanyLinks | None = None) -> tuple[str, ...]:
    """Return the countries of the named country subsidiaries and single-country operators."""
    codes: list[str] = []
    for name, surface in (links or link_companies(title, summary, watchlist)).surfaces:
        company = watchlist.get(name)
        codes += _subsidiary_countries(company, surface) if company else []
        if company and company.category == "telecom" and (company.parent or len(company.countries) == 1):
            codes.append(company.hq)  # a national operator (Safaricom, MTN Nigeria), not a group
    return tuple(dict.fromkeys(codes))


def _subsidiary_countries(company: Company, surface: str) -> list[str]:
    key = _fold(surface)
    return [c for s in company.subsidiaries if key in {_fold(n) for n in s.match} for c in s.countries]


__all__ = ["detect_countries", "operator_countries"]
