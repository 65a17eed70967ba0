"""The weekly digest: building, rendering hostile feed text safely, writing the files."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from monitor.digest import (
    build_digest,
    escape_markdown,
    guard_cell,
    iso_week_bounds,
    iso_week_of,
    render_csv,
    render_html,
    render_markdown,
    safe_url,
    write_digest,
)
from monitor.types import Incident, ItemStats, Severity, SourceConfig, SourceHealth

WEEK = "2026-W47"
START = datetime(2026, 11, 16, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
HOSTILE = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> **bold** [x](javascript:alert(1))'


def incident(id: int, day: float = 1, **changes) -> Incident:
    seen = START + timedelta(days=day)
    base = {
        "id": id, "title": f"Incident {id}", "url": f"https://news.example/{id}", "labels": ("shutdown",),
        "companies": ("MTN Nigeria",), "inferred_companies": (), "countries": ("NG",), "first_seen": seen,
        "last_seen": seen, "source_count": 1, "severity": Severity.MEDIUM, "urls": (f"https://news.example/{id}",),
    }
    return Incident(**{**base, **changes})


SOURCES = [
    SourceConfig("ok-feed", "rss", "https://ok.example/rss", countries=("NG",), lang="en"),
    SourceConfig("broken", "rss", "https://broken.example/rss", countries=("KE",), lang="sw"),
    SourceConfig("weekly", "rss", "https://weekly.example/rss", interval_s=7 * 86400, lang="fr"),
    SourceConfig("quiet", "rss", "https://quiet.example/rss", countries=("ET",)),
    SourceConfig("new", "rss", "https://new.example/rss"),
    SourceConfig("off", "rss", "https://off.example/rss", enabled=False, countries=("ZW",)),
]
HEALTH = [
    SourceHealth("ok-feed", last_attempt=NOW, last_success=NOW - timedelta(hours=1)),
    SourceHealth("broken", last_attempt=NOW, last_success=NOW - timedelta(days=3), consecutive_failures=4,
                 last_error="HTTP 503"),
    SourceHealth("weekly", last_attempt=NOW, last_success=NOW - timedelta(days=6)),
    SourceHealth("quiet", last_attempt=NOW, last_success=NOW - timedelta(hours=49)),
]


def digest(current=(), previous=(), stats=None):
    stats = stats if stats is not None else {"by_lang": {"en": 40, "und": 2}, "by_source": {"ok-feed": 42}}
    return build_digest(WEEK, list(current), list(previous), HEALTH, SOURCES, stats, NOW)


# --------------------------------------------------------------------------- weeks


def test_iso_week_bounds_are_monday_to_monday_utc():
    assert iso_week_bounds(WEEK) == (START, START + timedelta(days=7))
    assert iso_week_bounds("2026-W01")[0] == datetime(2025, 12, 29, tzinfo=UTC)
    assert iso_week_of(START + timedelta(days=6, hours=23)) == WEEK


@pytest.mark.parametrize("bad", ["2026-47", "2026-W5", "W47", "2021-W53", "2026-W00"])
def test_bad_weeks_are_refused(bad):
    with pytest.raises(ValueError, match="week"):
        iso_week_bounds(bad)


# --------------------------------------------------------------------------- building


def test_counts_compare_with_last_week():
    current = [incident(1), incident(2, labels=("censorship",), companies=("Meta",), countries=("KE",)),
               incident(3, labels=("shutdown", "election_interference"))]
    previous = [incident(9, day=-3), incident(10, day=-2, companies=("Glo",))]
    d = digest(current, previous)
    labels = {c.key: (c.count, c.change) for c in d.by_label}
    assert labels == {"surveillance": (0, 0), "censorship": (1, 1), "shutdown": (2, 0),
                      "election_interference": (1, 1)}
    assert [(c.key, c.count, c.change) for c in d.by_company] == [("MTN Nigeria", 2, 1), ("Meta", 1, 1),
                                                                   ("Glo", 0, -1)]
    assert {c.key: c.change for c in d.by_country} == {"NG": 0, "KE": 1}
    assert (len(d.incidents), d.previous_total, d.items_total) == (3, 2, 42)


def test_top_incidents_by_severity_then_sources_and_only_this_week():
    current = [incident(1, source_count=5), incident(2, severity=Severity.CRITICAL), incident(3, source_count=9),
               incident(4, status="dismissed", severity=Severity.CRITICAL), incident(5, day=-5),
               incident(6, day=-5, last_seen=START + timedelta(days=1), severity=Severity.LOW)]
    assert [i.id for i in digest(current).top] == [2, 3, 1, 6]


def test_a_section_per_company_with_inferred_operators():
    current = [incident(1), incident(2, companies=("Meta",)), incident(3, companies=(),
                                                                   inferred_companies=("MTN Nigeria",))]
    sections = {s.company: [i.id for i in s.incidents] for s in digest(current).companies}
    assert sections == {"MTN Nigeria": [1, 3], "Meta": [2]}


def test_source_health_states():
    states = {s.source: s.state for s in digest().health}
    assert states == {"ok-feed": "ok", "broken": "failing", "weekly": "ok", "quiet": "stale", "new": "unpolled"}
    assert digest().health[0].last_error == "HTTP 503"  # problems first


def test_coverage_gaps_name_silent_countries_and_languages():
    d = digest([incident(1, countries=("KE",))])
    assert d.missing_countries == ("ET",)  # NG had items via its source, KE an incident; ZW's source is off
    assert d.missing_langs == ("fr", "sw")


def test_item_stats_type_is_accepted_too():
    d = digest(stats=ItemStats(by_lang={"en": 1, "sw": 2, "fr": 1}, by_country={"ET": 3, "KE": 1}))
    assert (d.missing_countries, d.missing_langs, d.items_total) == (("NG",), (), 4)


# --------------------------------------------------------------------------- hostile feed text


def hostile_digest():
    evil = incident(1, title=HOSTILE, url="javascript:alert(1)", companies=("=cmd|' /C calc'!A0",),
                    urls=("javascript:alert(2)", "https://ok.example/a?b=1&c=2"), severity=Severity.HIGH)
    return digest([evil, incident(2, title="-2+3 @sum")])


def test_html_escapes_feed_text_and_drops_unsafe_links():
    html = render_html(hostile_digest())
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert 'href="javascript' not in html
    assert 'href="https://ok.example/a?b=1&amp;c=2"' in html


def test_html_embeds_the_chart_by_file_name_or_content_id():
    assert 'src="chart-2026-W47.png"' in render_html(digest())
    assert 'src="cid:chart"' in render_html(digest(), chart_src="cid:chart")


def test_markdown_escapes_feed_text():
    md = render_markdown(hostile_digest())
    assert "<script>" not in md
    assert "**bold**" not in md and "\\*\\*bold\\*\\*" in md
    assert "](javascript" not in md
    assert "<https://ok.example/a?b=1&c=2>" in md


def test_escape_markdown_folds_line_breaks():
    assert escape_markdown("a\n# heading\n- item") == "a \\# heading \\- item"


def test_safe_url():
    assert safe_url("https://a.example/x(1)") == "https://a.example/x%281%29"
    assert safe_url("javascript:alert(1)") == safe_url("data:text/html,x") == safe_url("http://a b") == ""


def test_csv_has_one_guarded_row_per_incident():
    rows = list(csv.reader(io.StringIO(render_csv(hostile_digest()))))
    assert rows[0] == ["week", "id", "severity", "labels", "companies", "countries", "sources", "first_seen",
                       "title", "url"]
    assert len(rows) == 3
    evil, plain = rows[1], rows[2]
    assert evil[:4] == [WEEK, "1", "high", "shutdown"]
    assert evil[4] == "'=cmd|' /C calc'!A0"
    assert evil[8] == "'" + HOSTILE
    assert plain[8] == "'-2+3 @sum"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_guard_cell(cell):
    assert guard_cell(cell) == "'" + cell
    assert guard_cell("plain") == "plain"


# --------------------------------------------------------------------------- files


def test_write_digest_writes_four_files(tmp_path):
    paths = write_digest(hostile_digest(), tmp_path / "out")
    assert [p.name for p in paths] == ["digest-2026-W47.html", "digest-2026-W47.md", "digest-2026-W47.csv",
                                       "chart-2026-W47.png"]
    assert paths[3].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "<script>" not in paths[0].read_text(encoding="utf-8")


def test_importing_the_digest_stays_light():
    code = "import sys, monitor.digest; sys.exit(bool({'PIL', 'jinja2'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
