"""Decide which items may alert: first start never floods (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta


def is_alertable(
    published: datetime | None,
    first_polled: datetime,
    *,
    first_poll: bool,
    backfill_hours: float,
) -> bool:
    """Return False for backfill: published before the source's first poll minus the window, or undated on it.

    >>> from datetime import datetime, timezone
    >>> t0 = datetime(2026, 11, 20, tzinfo=timezone.utc)
    >>> is_alertable(None, t0, first_poll=True, backfill_hours=72)
    False
    """
    if published is None:
        return not first_poll
    return published >= first_polled - timedelta(hours=backfill_hours)
