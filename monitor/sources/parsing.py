"""Parse fetched documents off the event loop: in worker processes, so that many feeds parse in parallel.

    pool = ParsePool(workers=2)
    parsed = await pool.parse(source, result)   # ParsedDocument(items, keys, warning)
    pool.close()

feedparser and the HTML-to-text step are pure Python: on one thread they hold the GIL and stall every
fetch in flight. A pool of `workers` processes (forkserver, the parsers imported once) takes them off
the loop; with `workers=0` the document is parsed inline, which is what a handful of sources needs.
The dedup keys (canonical URL, content hash) are computed in the worker too.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from monitor.childprocess import exit_with_parent
from monitor.dedup import canonical_url, content_hash
from monitor.registry import Deps
from monitor.types import FetchResult, RawItem, SourceConfig

# Parsing runs in worker processes, which get only the catalog entry and the fetched body: a parse uses no
# clock or environment (a JSON source's clock only sets the time range of its request URL, in the poller).
PARSE_DEPS = Deps()

log = logging.getLogger(__name__)
PRELOAD = ["monitor.sources", "feedparser", "bs4", "monitor.dedup"]


@dataclass(frozen=True)
class ParsedDocument:
    """A source's items, each with its (canonical URL, content hash), and the parser's warning if any."""

    items: tuple[RawItem, ...]
    keys: tuple[tuple[str, str], ...]
    warning: str | None = None


def parse_document(source: SourceConfig, result: FetchResult) -> ParsedDocument:
    """Parse one fetched document into items and their dedup keys (raises SourceError)."""
    from monitor.sources import build_source

    raws = build_source(source, PARSE_DEPS).parse(result)
    return ParsedDocument(tuple(raws), tuple(dedup_keys(raws)), getattr(raws, "warning", None))


def dedup_keys(raws: list[RawItem] | tuple[RawItem, ...]) -> list[tuple[str, str]]:
    """Return each item's canonical URL ('' without a link) and content hash."""
    return [(canonical_url(r.url) if r.url else "", content_hash(r.title, r.summary)) for r in raws]


def default_workers() -> int:
    """One parse process per core, at most 4, none on a single core (the loop would only wait on it)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cores < 2 else min(cores, 4)


class ParsePool:
    """Parse documents in `workers` processes, started on first use; inline when `workers` is 0."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    async def parse(self, source: SourceConfig, result: FetchResult) -> ParsedDocument:
        """Parse `result` for `source` (raises SourceError as the parser does)."""
        if self.workers < 1:
            return parse_document(source, result)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool(), parse_document, source, result)
        except (BrokenProcessPool, RuntimeError) as exc:
            # A worker died, or processes cannot start here (a script without a __main__ guard): parse
            # inline from now on rather than fail every source.
            log.warning("parse workers unavailable (%s); parsing in this process", exc)
            self.close()
            self.workers = 0
            return parse_document(source, result)

    def start(self) -> None:
        """Start the worker processes now (each imports the parsers), rather than on the first document."""
        if self.workers < 1:
            return
        try:
            futures = [self._pool().submit(os.getpid) for _ in range(self.workers)]
            for future in futures:
                future.result()
        except (BrokenProcessPool, RuntimeError) as exc:
            log.warning("parse workers unavailable (%s); parsing in this process", exc)
            self.close()
            self.workers = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=exit_with_parent)
        return self._executor

    def close(self) -> None:
        """Stop the worker processes."""
        if self._executor is not None:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=True, cancel_futures=True)
