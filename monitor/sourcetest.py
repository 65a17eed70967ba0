"""`sources test URL`: fetch, parse and classify one source, storing nothing (the CLI and the sources page)."""

from __future__ import annotations

from typing import Any

from monitor.errors import ConfigError, MonitorError, SourceError
from monitor.registry import Deps
from monitor.types import ClassifyInput, SourceConfig

MAX_SHOWN = 20


async def test_source(url: str, kind: str, settings: Any, classifier: Any = None,
                      trusted: bool = False, deps: Deps | None = None) -> dict[str, Any]:
    """Return what one poll of `url` would yield: status, items and their classification, or the error.

    A URL typed into the workspace is not trusted: it passes the SSRF guard (`fetch.allow_hosts` lets
    internal hosts through); the operator's shell (`sources test`) passes `trusted=True`.
    """
    from monitor.registry import build
    from monitor.sources.base import SOURCES

    deps = deps or Deps()  # the source's clock (json windows); the caller's when it has one
    from monitor.sources.fetch import Fetcher, is_connect_failure, make_client

    report: dict[str, Any] = {"url": url, "kind": kind, "status": None, "items": [], "error": None, "failed": None}
    step = "url"  # where it failed: url (or kind), connect (no server answered), fetch (answered, refused), parse
    try:
        config = SourceConfig(name="test", kind=kind, url=url)
        if not url.startswith(("http://", "https://")):
            raise ConfigError("not an http(s) URL", path="url")
        source = build(SOURCES, kind, config, deps)
        step = "fetch"
        async with make_client(settings.fetch) as client:
            result = await Fetcher(client, settings.fetch).fetch(source.request_url(), trusted=trusted)
        report["status"] = result.status
        step = "parse"
        raws = source.parse(result)
    except (MonitorError, KeyError) as exc:
        if isinstance(exc, SourceError) and step == "fetch":
            report["status"] = exc.status
            step = "connect" if exc.status is None and is_connect_failure(exc) else step
        report["error"], report["failed"] = str(exc), step
        return report
    inputs = [ClassifyInput(id=str(k), title=r.title, summary=r.summary, url=r.url, lang=r.lang)
              for k, r in enumerate(raws[:MAX_SHOWN])]
    results = classifier.classify_many(inputs) if classifier is not None and inputs else [None] * len(inputs)
    report["count"] = len(raws)
    for raw, c in zip(raws, results):
        report["items"].append({"title": raw.title, "url": raw.url,
                                "published": raw.published.isoformat() if raw.published else None,
                                "labels": list(c.labels) if c else [], "companies": list(c.companies) if c else [],
                                "countries": list(c.countries) if c else []})
    return report


def summary_line(report: dict[str, Any]) -> str:
    """One line for a test's outcome: the status and item count, or what failed, in words."""
    url, error = report["url"], report["error"]
    if not error:
        return f"{url}: HTTP {report['status']}, {report.get('count', 0)} items"
    failed = report.get("failed")
    if failed == "connect":
        return f"{url}: could not connect: {error}"
    if failed == "fetch":
        return f"{url}: could not fetch: {error}"
    if failed == "parse":
        return f"{url}: HTTP {report['status']}, but could not parse it as {report['kind']}: {error}"
    return f"{url}: {error}"
