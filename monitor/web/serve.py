"""Build the workspace app for `serve` from settings: the store, watchlist, notifiers and sources."""

from __future__ import annotations

from typing import Any


def build_app(settings: Any, *, stream: Any = None) -> Any:
    """Open the store and build the app (the face floor's factory for the web)."""
    from monitor.web.app import create_app
    from monitor.web.deps import Workspace
    from monitor.wiring import (
        build_notifiers,
        classifier_factory,
        load_sources,
        load_watchlist,
        make_deps,
        open_store,
    )

    store = open_store(settings)
    watchlist = load_watchlist(settings)
    try:
        sources = load_sources(settings)
    except Exception:  # noqa: BLE001 - the workspace still serves the stored sources
        sources = store.list_sources()
    deps = make_deps(stream=stream, watchlist=watchlist)
    ws = Workspace(settings=settings, store=store, watchlist=watchlist, clock=deps.clock,
                   notifiers=build_notifiers(settings, deps), sources=list(sources),
                   classifier_factory=classifier_factory(settings, deps))
    return create_app(ws)
