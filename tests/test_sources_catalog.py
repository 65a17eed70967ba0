"""sources.yaml: the shipped catalog loads; every mistake is named by its YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.sources.catalog import check_sources, load_sources, parse_interval

SHIPPED = Path(__file__).parent.parent / "sources.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_catalog_is_valid_and_polite():
    sources = load_sources(SHIPPED)
    assert len(sources) > 50 and check_sources(SHIPPED) == []
    names = {s.name for s in sources}
    for expected in (
        "Access Now",
        "EFF Deeplinks",
        "Citizen Lab",
        "OONI findings",
        "IODA outage alerts",
        "UN press",
    ):
        assert expected in names
    assert all(15 * 60 <= s.interval_s <= 3600 for s in sources)
    slow = [s for s in sources if "gdelt" in s.url or "news.google.com" in s.url]
    assert slow and all(s.interval_s >= 1800 for s in slow)
    assert {s.category for s in sources} == {"ngo", "un", "measurement", "news", "press"}
    assert any(not s.verified for s in sources)


def test_defaults_intervals_and_kind_options(tmp_path):
    path = write(
        tmp_path,
        """
defaults: {interval: 45m, lang: en}
sources:
  - {name: A, kind: rss, url: "https://a.example/feed", category: ngo}
  - {name: B, kind: json, url: "https://b.example/api", preset: gdelt, interval: 1h30m, lang: fr}
  - {name: C, kind: html, url: "https://c.example/", options: {item: li}, interval: 900, countries: [ir]}
""",
    )
    a, b, c = load_sources(path)
    assert (a.interval_s, a.lang, a.category) == (2700, "en", "ngo")
    assert (b.interval_s, b.lang, dict(b.options)) == (5400, "fr", {"preset": "gdelt"})
    assert (c.interval_s, c.countries, dict(c.options)) == (900, ("IR",), {"item": "li"})


def test_every_error_is_collected_with_its_path(tmp_path):
    path = write(
        tmp_path,
        """
sources:
  - {name: A, kind: rss, url: "https://a.example/feed"}
  - {name: A, kind: rss, url: "https://a2.example/feed"}
  - {name: B, kind: podcast, url: "https://b.example/"}
  - {name: C, kind: rss, url: "ftp://c.example/"}
  - {name: D, kind: rss, url: "ftp://d.example/"}
  - {name: E, kind: rss, url: "https://e.example/", interval: 10s}
  - {name: F, kind: json, url: "https://f.example/"}
  - {name: G, kind: rss, url: "https://g.example/", category: blog}
  - {name: H, kind: rss, url: "https://h.example/", selector: x}
""",
    )
    messages = [str(e) for e in check_sources(path)]
    where = [m.split(": ")[0].split(":", 1)[1] for m in messages]
    assert where == [
        "sources[2].kind",
        "sources[3].url",
        "sources[4].url",
        "sources[5].interval",
        "sources[6].items",
        "sources[7].category",
        "sources[8].selector",
        "sources[1].name",
    ]
    assert f"{path}:sources[4].url: not an http(s) URL" in messages
    with pytest.raises(ConfigError, match=r"sources\[2\]\.kind: unknown source kind 'podcast'"):
        load_sources(path)


def test_broken_files_are_errors_not_crashes(tmp_path):
    assert "not valid YAML" in str(check_sources(write(tmp_path, "sources: [unclosed"))[0])
    assert "sources: required" in str(check_sources(write(tmp_path, "defaults: {}"))[0])
    assert "cannot read" in str(check_sources(tmp_path / "missing.yaml")[0])


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("1h", 3600), ("900", 900), (900, 900), ("1h30m", 5400), ("2d", 172800)],
)
def test_parse_interval(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["soon", "15 minutes", "", "m", True])
def test_parse_interval_rejects_nonsense(text):
    with pytest.raises(ValueError):
        parse_interval(text)
