"""Bounded storage: items that report no incident are dropped after `retention_days`; incidents stay."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)


def prune_store(store: Any, now: datetime, days: float) -> int:
    """Delete processed items without an incident fetched more than `days` ago; return how many."""
    removed = store.prune_items(now - timedelta(days=days))
    if removed:
        log.info("retention: dropped %d items without an incident, older than %g days", removed, days)
    return removed
