"""What the pages, the API and the feeds show, built from store values (pure: no I/O)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from monitor.types import LABELS, REVIEW_STATES, Incident, IncidentQuery, Item, Review, Severity

PAGE_SIZE = 50


class FilterError(ValueError):
    """A filter value the list cannot use (shown to the user, 400 in the API)."""


@dataclass(frozen=True)
class Filters:
    """The incident filters as a user gives them (query string or API parameters)."""

    label: str = ""
    company: str = ""
    watchlist: str = ""
    country: str = ""
    severity: str = ""
    review: str = ""
    since: str = ""
    until: str = ""
    q: str = ""
    cursor: str = ""
    limit: int = PAGE_SIZE

    def as_params(self) -> dict[str, str]:
        """Return the non-empty filters (not the cursor), for links to other pages."""
        keys = ("label", "company", "watchlist", "country", "severity", "review", "since", "until", "q")
        return {k: str(getattr(self, k)) for k in keys if getattr(self, k)}


def to_query(f: Filters, resolve_company, watchlist_members) -> IncidentQuery:
    """Turn user filters into a store query; `resolve_company(text)` -> family names, `watchlist_members(name)`."""
    if f.label and f.label not in LABELS:
        raise FilterError(f"unknown label {f.label!r}")
    if f.review and f.review not in REVIEW_STATES:
        raise FilterError(f"unknown review state {f.review!r}")
    companies: tuple[str, ...] = ()
    if f.company:
        companies = tuple(resolve_company(f.company)) or (f.company,)
    if f.watchlist:
        members = tuple(watchlist_members(f.watchlist))
        if not members:
            raise FilterError(f"unknown or empty watchlist {f.watchlist!r}")
        companies = members if not companies else tuple(c for c in companies if c in members) or ("\x00none",)
    return IncidentQuery(
        labels=(f.label,) if f.label else (),
        companies=companies,
        countries=(f.country.strip().upper(),) if f.country.strip() else (),
        min_severity=_severity(f.severity),
        review=f.review or None,
        since=_day(f.since, "since"),
        until=_day(f.until, "until", end=True),
        text=f.q.strip()[:200],
        after=decode_cursor(f.cursor) if f.cursor else None,
        limit=max(1, min(int(f.limit), 200)) + 1,  # one more, to know whether there is a next page
    )


def _severity(text: str) -> Severity | None:
    if not text:
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise FilterError(str(exc)) from None


def _day(text: str, name: str, end: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FilterError(f"{name}: expected a date like 2026-11-23") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment + timedelta(days=1) if end and len(text.strip()) == 10 else moment


def encode_cursor(incident: Incident) -> str:
    """Return the opaque cursor that continues after this incident."""
    raw = f"{incident.last_seen.isoformat()}|{incident.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Return the (last_seen, id) of a cursor; FilterError when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = raw.partition("|")
        return datetime.fromisoformat(when), int(ident)
    except (ValueError, UnicodeDecodeError):
        raise FilterError("not a cursor") from None


def page(rows: Sequence[Incident], query: IncidentQuery) -> tuple[list[Incident], str | None]:
    """Split the rows of a query (one extra asked) into the page and the next cursor."""
    size = query.limit - 1
    shown = list(rows[:size])
    return shown, encode_cursor(shown[-1]) if len(rows) > size and shown else None


def report_json(item: Item) -> dict[str, Any]:
    """Return one report of an incident as the API shows it."""
    return {"url": item.url, "title": item.title, "source": item.source,
            "published": item.published.isoformat() if item.published else None}


def incident_json(i: Incident, reports: Iterable[Item] = ()) -> dict[str, Any]:
    """Return an incident as the API shows it (the fields of interfaces.md and a few more)."""
    return {
        "id": i.id, "title": i.title, "url": i.url, "labels": list(i.labels), "companies": list(i.companies),
        "inferred_companies": list(i.inferred_companies), "countries": list(i.countries),
        "severity": str(i.severity), "severity_reasons": list(i.severity_reasons),
        "first_seen": i.first_seen.isoformat(), "last_seen": i.last_seen.isoformat(), "review": i.review,
        "status": i.status, "source_count": i.source_count, "item_count": i.item_count,
        "scores": {label: round(float(i.scores.get(label, 0.0)), 4) for label in LABELS},
        "evidence": [{"label": e.label, "text": e.text} for e in i.evidence],
        "reports": [report_json(item) for item in reports],
    }


def review_json(r: Review) -> dict[str, Any]:
    return {"action": r.action, "reviewer": r.reviewer, "at": r.created_at.isoformat(), "labels": list(r.labels),
            "companies": list(r.companies), "note": r.note}


def timeline(incident: Incident, items: Sequence[Item], reviews: Sequence[Review],
             alerts: Sequence[tuple[Any, Sequence[Any]]]) -> list[tuple[datetime, str, str]]:
    """Return what happened to an incident, oldest first: (when, kind, text)."""
    events = [(item.published or item.fetched_at, "report", f"{item.source}: {item.title}") for item in items]
    events += [(r.created_at, "review", f"{r.action} by {r.reviewer}" + (f" — {r.note}" if r.note else ""))
               for r in reviews]
    for alert, deliveries in alerts:
        outcome = ", ".join(f"{d.channel_kind} {d.status}" for d in deliveries) or alert.note or "digest"
        events.append((alert.created_at, "alert", f"{alert.kind} alert to {alert.subscription} ({outcome})"))
    return sorted(events, key=lambda e: e[0])


def labels_by_week(rows: Iterable[tuple[datetime, tuple[str, ...]]], weeks: int, today: date) -> dict[str, list[int]]:
    """Count incidents per label per ISO week over the last `weeks` weeks (oldest first)."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    counts = {label: [0] * weeks for label in LABELS}
    for first_seen, labels in rows:
        index = (first_seen.date() - start).days // 7
        if 0 <= index < weeks:
            for label in labels:
                if label in counts:
                    counts[label][index] += 1
    return counts


def daily_series(per_day: Mapping[str, int], days: int, today: date) -> list[int]:
    """Return the counts of the last `days` days, oldest first (0 where missing)."""
    return [int(per_day.get((today - timedelta(days=days - 1 - k)).isoformat(), 0)) for k in range(days)]


def chart_bars(series: Mapping[str, Sequence[int]], width: int = 560, height: int = 160) -> list[dict[str, Any]]:
    """Return stacked SVG bars ({x, y, w, h, label}) of per-label series, for a chart with no script."""
    if not series:
        return []
    n = len(next(iter(series.values())))
    totals = [sum(values[k] for values in series.values()) for k in range(n)]
    top = max(totals + [1])
    bar_w = width / max(n, 1)
    bars = []
    for k in range(n):
        y = float(height)
        for label, values in series.items():
            h = height * values[k] / top
            if h:
                y -= h
                bars.append({"x": round(k * bar_w + 2, 1), "y": round(y, 1), "w": round(bar_w - 4, 1),
                             "h": round(h, 1), "label": label, "n": values[k]})
    return bars
