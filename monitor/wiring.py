"""Build the dependencies of a monitor process from settings (the face floor's one factory)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO, Any

from monitor.clock import Clock, SystemClock
from monitor.config import Settings
from monitor.pipeline import Runtime

log = logging.getLogger(__name__)

CONSOLE_SUBSCRIPTION = "console"


def open_store(settings: Settings):
    """Open (and migrate) the store named by the settings."""
    from monitor.store import Store

    return Store.open(settings.db_url)


def load_sources(settings: Settings):
    from monitor.sources.catalog import load_sources as load

    return load(Path(settings.sources_path))


def load_watchlist(settings: Settings):
    from monitor.watchlist import load_watchlist as load

    return load(settings.watchlist_paths)


def classifier_factory(settings: Settings, watchlist: Any):
    """Return a function that loads the configured classifier on first use."""

    def build():
        from classifiers import build_classifier

        return build_classifier(settings.classifier, watchlist)

    return build


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    stream: IO[str] | None = None,
    client: Any = None,
    store: Any = None,
    sources: Any = None,
) -> Runtime:
    """Everything one process needs, built once: store, fetcher, watchlist, notifiers, subscriptions."""
    from monitor.sources.fetch import Fetcher, make_client
    from notifiers import build_notifiers

    store = store or open_store(settings)
    watchlist = load_watchlist(settings)
    if sources is None:
        from monitor.sources.catalog import apply_source_changes

        sources = apply_source_changes(load_sources(settings), store.list_source_changes())
    store.sync_sources(sources)
    seed_subscriptions(store, settings)
    client = client or make_client(settings.fetch)
    clock = clock or SystemClock()
    fetcher = Fetcher(client, settings.fetch, clock)
    return Runtime(
        settings=settings, store=store, clock=clock, fetcher=fetcher, watchlist=watchlist, http_client=client,
        sources=sources, parser=parse_pool(settings, sum(1 for s in sources if s.enabled)), classifier_factory=classifier_factory(settings, watchlist),
        notifiers=build_notifiers(settings, stream=stream),
    )


def parse_pool(settings: Settings, source_count: int):
    """Parse in worker processes when there are enough sources to keep them busy; inline otherwise."""
    from monitor.sources.parsing import ParsePool, default_workers

    fetch = settings.fetch
    workers = default_workers() if fetch.parse_workers < 0 else fetch.parse_workers
    return ParsePool(workers if source_count >= fetch.parallel_from else 0)


def seed_subscriptions(store: Any, settings: Settings) -> None:
    """Load subscriptions.yaml into the store; with none at all, print every alert on the console."""
    from monitor.subscriptions import load_subscriptions

    if settings.subscriptions_path:
        for sub in load_subscriptions(Path(settings.subscriptions_path)):
            store.upsert_subscription(sub)
    if not store.list_subscriptions():
        store.upsert_subscription(console_subscription())
    from monitor.hygiene import register_secrets

    # a webhook URL is a credential: logs (slack_sdk's debug log included) show only its host
    register_secrets(t for s in store.list_subscriptions() if s.channel.kind == "slack_webhook"
                     for t in s.channel.targets)


def console_subscription():
    from monitor.types import Channel, Subscription

    return Subscription(name=CONSOLE_SUBSCRIPTION, channel=Channel("console", ("stdout",)))
