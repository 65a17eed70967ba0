"""Build feed documents and sources files for end-to-end tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from monitor.demo import render_rss


def rss(items: list[dict], now: datetime, title: str = "Test feed") -> bytes:
    """RSS 2.0 from dicts with title, url, summary and hours_ago."""
    return render_rss(title, items, now)


def write_sources(path: Path, urls: dict[str, str], interval: str = "15m") -> Path:
    """A sources.yaml with one rss source per name -> URL."""
    entries = [{"name": name, "kind": "rss", "url": url, "interval": interval, "category": "news"}
               for name, url in urls.items()]
    path.write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    return path
