"""Sources: fetching feeds and pages, and parsing them into items.

Importing this package registers the built-in kinds (`rss`, `html`, `json`) in `SOURCES`.
"""

from monitor.sources import html, jsonapi, rss  # noqa: F401  (register the built-in kinds)
from monitor.sources.base import SOURCES, Source

__all__ = ["SOURCES", "Source", "build_source"]


def build_source(config):  # type: ignore[no-untyped-def]
    """Return the Source object for one catalog entry."""
    return SOURCES.get(config.kind).from_config(config)
