"""Sources: fetching feeds and pages, and parsing them into items.

Importing this package registers the built-in kinds (`rss`, `html`, `json`) in `SOURCES`.
"""

from monitor.registry import Deps, build
from monitor.sources import html, jsonapi, rss  # noqa: F401  (register the built-in kinds)
from monitor.sources.base import SOURCES, Source
from monitor.types import SourceConfig

__all__ = ["SOURCES", "Source", "build_source"]


def build_source(config: SourceConfig, deps: Deps) -> Source:
    """Return the Source object for one catalog entry."""
    return build(SOURCES, config.kind, config, deps)
