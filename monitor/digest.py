"""The weekly digest for analysts: build it from the week's data, render it, write the files.

`build_digest` and the renderers are pure; `write_digest` is the one function that writes.
Feed text is hostile: HTML is autoescaped, Markdown is escaped, CSV cells cannot start a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.hygiene import clean_line, strip_controls
from monitor.types import (
    LABELS,
    CompanySection,
    CountChange,
    Digest,
    Incident,
    ItemStats,
    SourceConfig,
    SourceHealth,
    SourceStatus,
)

TOP_INCIDENTS = 10
STALE_FLOOR = timedelta(hours=48)
TEMPLATES = Path(__file__).parent / "templates"
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True)
class DigestFiles:
    """The file names of one week's digest."""

    week: str

    @property
    def html(self) -> str:
        return f"digest-{self.week}.html"

    @property
    def markdown(self) -> str:
        return f"digest-{self.week}.md"

    @property
    def csv(self) -> str:
        return f"digest-{self.week}.csv"

    @property
    def chart(self) -> str:
        return f"chart-{self.week}.png"


# --------------------------------------------------------------------------- weeks


def iso_week_bounds(week: str) -> tuple[datetime, datetime]:
    """Return the UTC start (Monday 00:00) and end (next Monday) of an ISO week like 2026-W47."""
    match = _WEEK.fullmatch(week.strip())
    if not match:
        raise ValueError(f"week {week!r}: expected an ISO week like 2026-W47")
    try:
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise ValueError(f"week {week!r}: no such ISO week") from None
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7)


def iso_week_of(moment: datetime) -> str:
    """Return the ISO week a moment falls in (UTC), like 2026-W47."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


# --------------------------------------------------------------------------- building


def build_digest(
    week: str,
    incidents: Sequence[Incident],
    previous_incidents: Sequence[Incident],
    health: Sequence[SourceHealth],
    sources: Sequence[SourceConfig],
    item_stats: ItemStats | Mapping[str, Mapping[str, int]] | None,
    now: datetime,
) -> Digest:
    """Build one week's digest: counts with last week's, top incidents, companies, health and gaps."""
    start, end = iso_week_bounds(week)
    current = rank_incidents(active_between(incidents, start, end))
    previous = active_between(previous_incidents, start - timedelta(days=7), start)
    stats = as_item_stats(item_stats)
    countries, langs = coverage_gaps(sources, stats, current)
    return Digest(
        week=week,
        start=start,
        end=end,
        generated_at=now,
        incidents=tuple(current),
        previous_total=len(previous),
        top=tuple(current[:TOP_INCIDENTS]),
        by_label=count_changes(current, previous, lambda i: i.labels, order=LABELS),
        by_company=count_changes(current, previous, _companies_of),
        by_country=count_changes(current, previous, lambda i: i.countries),
        companies=company_sections(current),
        health=source_statuses(health, sources, now),
        missing_countries=countries,
        missing_langs=langs,
        items_total=sum(stats.by_lang.values()) or sum(stats.by_source.values()),
    )


def active_between(incidents: Iterable[Incident], start: datetime, end: datetime) -> list[Incident]:
    """Keep the undismissed incidents seen at some time in [start, end)."""
    return [i for i in incidents if i.status != "dismissed" and i.first_seen < end and i.last_seen >= start]


def rank_incidents(incidents: Iterable[Incident]) -> list[Incident]:
    """Order incidents most severe first, then by more sources, then newest."""
    return sorted(incidents, key=lambda i: (-int(i.severity), -i.source_count, -i.last_seen.timestamp(), i.id))


def count_changes(
    current: Sequence[Incident], previous: Sequence[Incident], keys: Any, order: Sequence[str] = ()
) -> tuple[CountChange, ...]:
    """Count incidents per key this week and last; most frequent first (or in `order`)."""
    now_counts = Counter(k for i in current for k in set(keys(i)))
    before = Counter(k for i in previous for k in set(keys(i)))
    names = list(order) or sorted(now_counts, key=lambda k: (-now_counts[k], k))
    names += sorted(k for k in before if k not in names and not order)
    return tuple(CountChange(k, now_counts[k], before[k]) for k in names if now_counts[k] or before[k] or order)


def _companies_of(incident: Incident) -> tuple[str, ...]:
    return incident.companies + incident.inferred_companies


def company_sections(incidents: Sequence[Incident]) -> tuple[CompanySection, ...]:
    """Group the ranked incidents by company (named or inferred), busiest company first."""
    grouped: dict[str, list[Incident]] = {}
    for incident in incidents:
        for company in dict.fromkeys(_companies_of(incident)):
            grouped.setdefault(company, []).append(incident)
    ordered = sorted(grouped, key=lambda c: (-len(grouped[c]), c))
    return tuple(CompanySection(c, tuple(grouped[c])) for c in ordered)


def source_statuses(
    health: Sequence[SourceHealth], sources: Sequence[SourceConfig], now: datetime
) -> tuple[SourceStatus, ...]:
    """Report each enabled source as ok, failing, stale or unpolled; problems first."""
    records = {h.source: h for h in health}
    statuses = [_status(s, records.get(s.name), now) for s in sources if s.enabled]
    rank = {"failing": 0, "stale": 1, "unpolled": 2, "ok": 3}
    return tuple(sorted(statuses, key=lambda s: (rank[s.state], s.source)))


def _status(source: SourceConfig, record: SourceHealth | None, now: datetime) -> SourceStatus:
    if record is None or record.last_attempt is None and record.last_success is None:
        return SourceStatus(source.name, "unpolled")
    return SourceStatus(source.name, _state(source, record, now), record.consecutive_failures,
                        record.last_success, record.last_error)


def _state(source: SourceConfig, record: SourceHealth, now: datetime) -> str:
    if record.consecutive_failures > 0:
        return "failing"
    return "stale" if is_stale(source, record, now) else "ok"


def is_stale(source: SourceConfig, record: SourceHealth, now: datetime) -> bool:
    """Tell whether a source has gone without a success for 3 intervals and at least 48 hours."""
    # The 48 h floor keeps a 30-minute feed from being "stale" after a quiet evening.
    limit = max(timedelta(seconds=3 * source.interval_s), STALE_FLOOR)
    since = record.last_success or record.first_polled
    return since is not None and now - since > limit


def as_item_stats(stats: ItemStats | Mapping[str, Mapping[str, int]] | None) -> ItemStats:
    """Accept ItemStats or the store's {"by_lang": ..., "by_source": ...} mapping."""
    if isinstance(stats, ItemStats):
        return stats
    stats = stats or {}
    return ItemStats(
        by_lang=dict(stats.get("by_lang", {})),
        by_country=dict(stats.get("by_country", {})),
        by_source=dict(stats.get("by_source", {})),
    )


def coverage_gaps(
    sources: Sequence[SourceConfig], stats: ItemStats, incidents: Sequence[Incident]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the countries and languages the sources cover that had no items this week."""
    enabled = [s for s in sources if s.enabled]
    covered_countries = {c.upper() for s in enabled for c in s.countries}
    covered_langs = {s.lang.lower() for s in enabled if s.lang}
    seen_countries = {c.upper() for c, n in stats.by_country.items() if n} | {c.upper() for i in incidents for c in i.countries}
    seen_countries |= {c.upper() for s in enabled if stats.by_source.get(s.name) for c in s.countries}
    seen_langs = {lang.lower() for lang, n in stats.by_lang.items() if n}
    return tuple(sorted(covered_countries - seen_countries)), tuple(sorted(covered_langs - seen_langs))


# --------------------------------------------------------------------------- rendering


def render_html(d: Digest, chart_src: str | None = None) -> str:
    """Render the digest as HTML; `chart_src` defaults to the PNG file name (email: "cid:chart")."""
    template = _environment(autoescape=True).get_template("digest.html.j2")
    return strip_controls(template.render(d=d, chart_src=chart_src or DigestFiles(d.week).chart))


def render_text(d: Digest) -> str:
    """Render the digest as plain text (the email's text part): no markup, no escapes."""
    return strip_controls(_environment(autoescape=False).get_template("digest.txt.j2").render(d=d))


def for_reader(d: Digest, followed: Iterable[str]) -> Digest:
    """Put the sections of the companies a reader follows first (named in `d.reader_companies`)."""
    import dataclasses

    mine = {name.casefold() for name in followed}
    first = [s for s in d.companies if s.company.casefold() in mine]
    rest = [s for s in d.companies if s.company.casefold() not in mine]
    return dataclasses.replace(d, companies=tuple(first + rest), reader_companies=tuple(s.company for s in first))


def render_markdown(d: Digest) -> str:
    """Render the digest as Markdown, with feed text escaped."""
    return strip_controls(_environment(autoescape=False).get_template("digest.md.j2").render(d=d))


def _environment(autoescape: bool) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    from monitor.countries import country_list, country_name

    env.filters.update(md=escape_markdown, safe_url=safe_url, signed=signed, when=when, line=clean_line,
                       country_name=country_name, country_names=country_list)
    return env


_MD_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&\"'$:=])")


def escape_markdown(text: Any) -> str:
    """Escape Markdown-active characters and fold line breaks, so feed text stays plain text."""
    flat = clean_line(str(text))
    return _MD_ACTIVE.sub(r"\\\1", flat)


def safe_url(url: Any) -> str:
    """Return an http(s) URL fit for a link, or "" for anything else (javascript:, data:, junk)."""
    text = str(url or "").strip()
    if not re.match(r"(?i)https?://[^\s<>\"'`]+$", text):
        return ""
    return text.replace("(", "%28").replace(")", "%29")


def signed(change: int) -> str:
    """Write a change as +3, -2 or ±0."""
    return f"{change:+d}" if change else "±0"


def when(moment: datetime | None) -> str:
    """Write a moment as 2026-11-20 14:05 UTC, or "never"."""
    if moment is None:
        return "never"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


CSV_COLUMNS = ("week", "id", "severity", "labels", "companies", "countries", "sources", "first_seen", "title", "url")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_csv(d: Digest) -> str:
    """Render one CSV row per incident; cells that could start a spreadsheet formula are quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for incident in d.incidents:
        writer.writerow([guard_cell(clean_line(cell)) for cell in csv_row(d.week, incident)])
    return out.getvalue()


def csv_row(week: str, incident: Incident) -> list[str]:
    """Return the CSV cells of one incident."""
    return [
        week,
        str(incident.id),
        str(incident.severity),
        ";".join(incident.labels),
        ";".join(incident.companies + incident.inferred_companies),
        ";".join(incident.countries),
        str(incident.source_count),
        incident.first_seen.astimezone(UTC).isoformat(timespec="minutes"),
        incident.title,
        incident.url,
    ]


def guard_cell(cell: str) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with a quote."""
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def daily_counts(d: Digest) -> dict[str, list[int]]:
    """Count new incidents per day of the week by their main (first) label: each incident once."""
    counts = {label: [0] * 7 for label in LABELS}
    for incident in d.incidents:
        day = (incident.first_seen - d.start).days
        label = next((lab for lab in incident.labels if lab in counts), None)
        if 0 <= day < 7 and label:
            counts[label][day] += 1
    return counts


def render_chart(d: Digest) -> bytes:
    """Draw incidents per label per day of the week as a PNG."""
    from monitor.chart import stacked_bars

    days = [(d.start + timedelta(days=n)).strftime("%a %d") for n in range(7)]
    counts = daily_counts(d)
    series = {label.replace("_", " "): values for label, values in counts.items()}
    total = sum(sum(values) for values in counts.values())
    return stacked_bars(f"{total} new incidents per day by main label, {d.week}", days, series)


# --------------------------------------------------------------------------- writing


def write_digest(d: Digest, out_dir: Path | str) -> list[Path]:
    """Write the HTML, Markdown, CSV and chart of a digest into out_dir; return their paths."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    names = DigestFiles(d.week)
    texts = {names.html: render_html(d), names.markdown: render_markdown(d), names.csv: render_csv(d)}
    paths = []
    for name, text in texts.items():
        paths.append(folder / name)
        paths[-1].write_text(text, encoding="utf-8")
    paths.append(folder / names.chart)
    paths[-1].write_bytes(render_chart(d))
    return paths
