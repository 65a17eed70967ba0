"""Build the dependencies of a monitor process from settings (the face floor's one factory)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, TextIO

from monitor.clock import Clock, SystemClock
from monitor.config import Settings
from monitor.pipeline import Runtime
from monitor.registry import Deps

log = logging.getLogger(__name__)

CONSOLE_SUBSCRIPTION = "console"


CREATES_A_STORE = "`rights-monitor run` or `poll --once` creates a new store"


def open_store(settings: Settings, *, create: bool = False, existing: bool = False):
    """Open (and migrate) the store named by the settings.

    A SQLite path that does not exist is most likely a mistyped `--db`: only commands that create a
    store (`create=True`: run, poll, demo) make its folder; the default store's folder is always made,
    so a fresh clone works. Commands that only read or act on what is stored (`existing=True`: incidents,
    sources, deliveries, digest, ...) also refuse a missing SQLite file, rather than create an empty store
    and report that it holds nothing.
    """
    from monitor.errors import StoreError
    from monitor.store import Store

    missing = missing_store_folder(settings)
    if missing is not None and not create:
        raise StoreError(f"no store at {missing[0]}: folder {missing[1]} does not exist (a mistyped --db or "
                         f"RIGHTS_MONITOR_DB?); {CREATES_A_STORE}")
    absent = missing_store_file(settings)
    if absent is not None and existing and not create:
        typo = "" if settings.db_url == Settings().db_url else " (a mistyped --db or RIGHTS_MONITOR_DB?)"
        raise StoreError(f"no store at {absent}: the file does not exist{typo}; {CREATES_A_STORE}")
    return Store.open(settings.db_url)


def missing_store_file(settings: Settings) -> Path | None:
    """Return the SQLite store's file when it does not exist yet, else None (also for other databases)."""
    from monitor.store.migrate import sqlite_file

    path = sqlite_file(settings.db_url)
    return path if path is not None and not path.exists() else None


def missing_store_folder(settings: Settings) -> tuple[Path, Path] | None:
    """Return (file, folder) when the SQLite store's folder does not exist and is not the default's, else None."""
    from monitor.store.migrate import sqlite_file

    path = sqlite_file(settings.db_url)
    if path is None or path.parent.exists() or settings.db_url == Settings().db_url:
        return None
    return path, path.parent


def new_store_notice(settings: Settings) -> str | None:
    """Return a line announcing that this run creates a new SQLite store, or None when it exists (or is not SQLite)."""
    path = missing_store_file(settings)
    return None if path is None else f"creating a new store at {path}"


def load_sources(settings: Settings):
    from monitor.sources.catalog import load_sources as load

    return load(Path(settings.sources_path))


def load_watchlist(settings: Settings):
    from monitor.watchlist import load_watchlist as load

    return load(settings.watchlist_paths)


def make_deps(*, clock: Clock | None = None, stream: TextIO | None = None, watchlist: Any = None) -> Deps:
    """The dependencies every component factory gets, made once per process (the only reader of os.environ here)."""
    return Deps(clock=clock or SystemClock(), environ=os.environ, log=logging.getLogger("rights_monitor"),
                sleep=time.sleep, stream=stream, watchlist=watchlist)


def build_notifiers(settings: Settings, deps: Deps | None = None):
    """Build the configured notifiers (each switched-off one logged with its reason)."""
    from notifiers import build_notifiers as build

    return build(settings, deps or make_deps())


def classifier_factory(settings: Settings, deps: Deps):
    """Return what loads the configured classifier on first use (here, or pickled to its worker process)."""
    from monitor.classifying import ClassifierRecipe

    return ClassifierRecipe(settings.classifier, deps.watchlist)


def classify_pool(settings: Settings, recipe, source_count: int):
    """Classify in a worker process when configured and there are enough sources to overlap; else None."""
    from monitor.classifying import ClassifyPool

    if not settings.classifier.process or source_count < settings.fetch.parallel_from:
        return None
    return ClassifyPool(recipe)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    stream: TextIO | None = None,
    client: Any = None,
    store: Any = None,
    sources: Any = None,
) -> Runtime:
    """Everything one process needs, built once: store, fetcher, watchlist, notifiers, subscriptions."""
    from monitor.sources.fetch import Fetcher, make_client
    from notifiers import channel_specs

    store = store or open_store(settings, create=True)
    watchlist = load_watchlist(settings)
    if sources is None:
        from monitor.sources.catalog import apply_source_changes

        sources = apply_source_changes(load_sources(settings), store.list_source_changes())
    store.sync_sources(sources)
    seed_subscriptions(store, settings)
    client = client or make_client(settings.fetch)
    deps = make_deps(clock=clock, stream=stream, watchlist=watchlist)
    fetcher = Fetcher(client, settings.fetch, deps.clock)
    enabled = sum(1 for s in sources if s.enabled)
    recipe = classifier_factory(settings, deps)
    return Runtime(
        settings=settings, store=store, clock=deps.clock, deps=deps, fetcher=fetcher, watchlist=watchlist,
        http_client=client, sources=sources, parser=parse_pool(settings, enabled),
        classifier_factory=recipe, classify_pool=classify_pool(settings, recipe, enabled),
        notifiers=build_notifiers(settings, deps), channels=channel_specs(),
    )


def parse_pool(settings: Settings, source_count: int):
    """Parse in worker processes when there are enough sources to keep them busy; inline otherwise."""
    from monitor.sources.parsing import ParsePool, default_workers

    fetch = settings.fetch
    workers = default_workers() if fetch.parse_workers < 0 else fetch.parse_workers
    return ParsePool(workers if source_count >= fetch.parallel_from else 0)


def seed_subscriptions(store: Any, settings: Settings) -> dict[str, list[str]]:
    """Create the seed file's subscriptions that do not exist yet; with none at all, print alerts on the console.

    The store owns subscriptions: a seed never overwrites one (edit it with `subscribe`) and never brings
    back one removed with `unsubscribe`. Returns the names by outcome: created, exists, removed.
    """
    from monitor.subscriptions import load_subscriptions
    from notifiers import channel_specs

    outcomes: dict[str, list[str]] = {"created": [], "exists": [], "removed": []}
    if settings.subscriptions_path:
        for sub in load_subscriptions(Path(settings.subscriptions_path), channel_specs()):
            outcomes[store.seed_subscription(sub)].append(sub.name)
    if outcomes["created"]:
        log.info("subscriptions created from %s: %s", settings.subscriptions_path, ", ".join(outcomes["created"]))
    if outcomes["removed"]:
        log.info("not re-created (removed with unsubscribe): %s", ", ".join(outcomes["removed"]))
    if not store.list_subscriptions() and CONSOLE_SUBSCRIPTION not in store.removed_subscription_names():
        store.upsert_subscription(console_subscription())
    from monitor.hygiene import register_secrets

    # a webhook URL is a credential: logs (slack_sdk's debug log included) show only its host
    urls = {kind for kind, spec in channel_specs().items() if spec.target == "url"}
    register_secrets(t for s in store.list_subscriptions() if s.channel.kind in urls for t in s.channel.targets)
    return outcomes


def console_subscription():
    from monitor.types import Channel, Subscription

    return Subscription(name=CONSOLE_SUBSCRIPTION, channel=Channel("console", ("stdout",)))
