"""What a person reads: clean links, country names, titles cut at a word, and incident filters.

Pure functions of incidents and the watchlist; the CLI, the notifiers' messages and the digest use them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.dedup import canonical_url
from monitor.types import Incident


def shown_incident(incident: Incident) -> Incident:
    """Return the incident with the links a person should see: canonical (no tracking parameters)."""
    urls = tuple(dict.fromkeys(_clean(u) for u in incident.urls if u))
    return dataclasses.replace(incident, url=_clean(incident.url), urls=urls)


def _clean(url: str) -> str:
    if not url:
        return url
    try:
        return canonical_url(url)
    except ValueError:
        return url


def counted(count: int, noun: str) -> str:
    """`1 subscription`, `2 subscriptions`: a count with its noun, plural when the count is not one."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def cut_at_word(text: str, limit: int) -> str:
    """Shorten text to at most `limit` characters at a word boundary, ending with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:-") + "\u2026"


@dataclass(frozen=True)
class IncidentFilter:
    """What `incidents list` narrows to; every field is optional."""

    labels: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    min_severity: Any = None  # a Severity
    status: str | None = None  # open | dismissed
    start: datetime | None = None  # seen in [start, end)
    end: datetime | None = None
    text: str = ""


def select_incidents(incidents: Sequence[Incident], f: IncidentFilter, watchlist: Any) -> list[Incident]:
    """Keep the incidents that pass every part of the filter (a group's filter matches its subsidiaries)."""
    wanted = _company_names(f.companies, watchlist)
    return [i for i in incidents if _passes(i, f, wanted, watchlist)]


def _passes(i: Incident, f: IncidentFilter, wanted: set[str], watchlist: Any) -> bool:
    checks = (
        not f.labels or bool(set(f.labels) & set(i.labels)),
        not f.countries or bool({c.upper() for c in f.countries} & {c.upper() for c in i.countries}),
        f.min_severity is None or i.severity >= f.min_severity,
        f.status is None or i.status == f.status,
        f.start is None or i.last_seen >= f.start,
        f.end is None or i.first_seen < f.end,
        not f.text or f.text.casefold() in f"{i.title} {' '.join(e.text for e in i.evidence)}".casefold(),
        not wanted or _has_company(i, wanted, watchlist),
    )
    return all(checks)


def _company_names(names: Sequence[str], watchlist: Any) -> set[str]:
    found = set()
    for name in names:
        company = watchlist.resolve(name) if watchlist else None
        found.add((company.name if company else name).casefold())
    return found


def _has_company(i: Incident, wanted: set[str], watchlist: Any) -> bool:
    for company in (*i.companies, *i.inferred_companies):
        family = watchlist.family(company) if watchlist else (company,)
        if any(member.casefold() in wanted for member in (family or (company,))):
            return True
    return False
