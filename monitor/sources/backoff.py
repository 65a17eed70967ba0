"""When to poll a source next: its interval on success, capped jittered backoff on failure."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

MAX_BACKOFF_S = 6 * 3600.0


def next_delay_s(
    interval_s: float,
    consecutive_failures: int,
    retry_after_s: float | None = None,
    max_age_s: float | None = None,
    max_backoff_s: float = MAX_BACKOFF_S,
    rand: Callable[[], float] = random.random,
) -> float:
    """Return seconds until the next poll; a source is never given up for good.

    >>> next_delay_s(900, 0, max_age_s=1800)
    1800.0
    """
    interval = max(1.0, float(interval_s))
    cap = max(interval, float(max_backoff_s))
    if consecutive_failures <= 0:
        delay = max(interval, _finite(max_age_s))
    else:
        delay = _jittered_backoff(interval, consecutive_failures, cap, rand)
    # The server's own Retry-After wins over a shorter delay, but never past the cap.
    return min(cap, max(delay, _finite(retry_after_s)))


def _jittered_backoff(interval: float, failures: int, cap: float, rand: Callable[[], float]) -> float:
    # Full jitter over [interval, step]: sources that failed together (a shared outage) spread
    # out again, and none is polled faster than its own interval.
    step = min(cap, interval * 2.0 ** min(failures, 64))
    return interval + (step - interval) * _unit(rand())


def _unit(value: float) -> float:
    return 0.0 if math.isnan(value) else min(1.0, max(0.0, value))


def _finite(value: float | None) -> float:
    if value is None or math.isnan(value) or value < 0:
        return 0.0
    return min(float(value), 1e12)
