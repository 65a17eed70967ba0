"""The shape every notifier has, the registry of kinds, and pacing per destination.

A channel is one module: a class registered in NOTIFIERS that declares its `channel` (a `ChannelSpec`: the
subscription key, its targets, its `subscribe` option and form choice, its default update policy) and its
`limits`, and builds itself with `from_config(settings, deps)`, raising NotConfigured when switched off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from monitor.config import Settings
from monitor.errors import DeliveryError, SourceError
from monitor.netguard import UrlGuard
from monitor.registry import Deps, Registry
from monitor.types import Channel, ChannelSpec, DigestEdition, Message, SendReceipt

if TYPE_CHECKING:
    import httpx


@runtime_checkable
class Notifier(Protocol):
    """Deliver one rendered alert to one target; raise DeliveryError(retryable=...) on failure."""

    kind: str
    limits: ClassVar[NotifierLimits]

    def send(self, message: Message, target: str) -> SendReceipt: ...

    def send_digest(self, edition: DigestEdition, target: str, key: str | None = None,
                    channel: Channel | None = None) -> SendReceipt: ...


class NotifierKind(Protocol):
    """A registered notifier class: what its subscriptions look like, what it can take, how it is built."""

    kind: str
    channel: ChannelSpec
    limits: NotifierLimits

    def from_config(self, config: Settings, deps: Deps, /) -> Notifier: ...


NOTIFIERS: Registry[NotifierKind] = Registry("notifier")


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


@dataclass(frozen=True)
class NotifierLimits:
    """What a channel can take, declared by each notifier: message size, pace, threads, attachments."""

    max_chars: int  # longest message body the service accepts
    per_second: float  # sends per second to one destination
    threads: bool = False  # follow-ups can reply to the first message
    attachments: bool = False  # images travel with the message (the digest's chart)


def post_json(
    url: str,
    body: bytes,
    where: str,
    *,
    guard: UrlGuard,
    headers: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    timeout_s: float = 30.0,
) -> httpx.Response:
    """POST a JSON body to a webhook URL a user gave, after the SSRF guard; raise DeliveryError on failure."""
    import httpx

    try:
        guard.check_blocking(url)
    except SourceError as exc:
        permanent = not str(exc).startswith("DNS lookup failed")
        raise DeliveryError(f"{where}: {str(exc).split(': ', 1)[-1]}", retryable=not permanent) from exc
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    own = client is None
    http = client or httpx.Client(timeout=timeout_s, follow_redirects=False)
    try:
        response = http.post(url, content=body, headers=sent_headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{where}: cannot reach it: {exc}", retryable=True, unreachable=True) from exc
    finally:
        if own:
            http.close()
    if response.status_code >= 300:
        retryable = retryable_status(response.status_code)
        wait = _retry_after(response.headers.get("retry-after")) if retryable else None
        raise DeliveryError(f"{where}: HTTP {response.status_code}", retryable=retryable, retry_after_s=wait)
    return response


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
