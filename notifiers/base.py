"""The shape every notifier has, the registry of kinds, and pacing per destination."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from monitor.config import Settings
from monitor.registry import Registry
from monitor.types import Message, SendReceipt

NOTIFIERS: Registry = Registry("notifier")


@runtime_checkable
class Notifier(Protocol):
    """Deliver one rendered alert to one target; raise DeliveryError(retryable=...) on failure."""

    kind: str

    def send(self, message: Message, target: str) -> SendReceipt: ...

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier: ...


def retryable_status(status: int) -> bool:
    """Tell whether an HTTP status is worth retrying later (rate limits, server faults)."""
    return status == 429 or status == 408 or status >= 500


def pacing_delay(last_sent: float | None, now: float, interval_s: float) -> float:
    """Return how long to wait so that two sends are at least `interval_s` apart."""
    if last_sent is None:
        return 0.0
    return max(0.0, interval_s - (now - last_sent))


class Pacer:
    """Keep sends to one destination about `interval_s` apart (Slack: 1 message/s/channel)."""

    def __init__(
        self,
        interval_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval_s = interval_s
        self._sleep = sleep
        self._monotonic = monotonic
        self._last: dict[str, float] = {}

    def wait(self, destination: str) -> None:
        """Sleep (through the injected sleep) until `destination` may receive again."""
        delay = pacing_delay(self._last.get(destination), self._monotonic(), self.interval_s)
        if delay > 0:
            self._sleep(delay)
        self._last[destination] = self._monotonic()


def redact_url(url: str) -> str:
    """Show only the scheme and host of a secret-bearing URL (webhooks) in errors and logs."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/\u2026" if rest else "<url>"
