"""Slack delivery through slack-sdk: a bot posting with chat.postMessage, or an incoming webhook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from monitor.config import Settings, SlackSettings
from monitor.errors import DeliveryError, NotConfigured, SourceError
from monitor.netguard import UrlGuard
from monitor.registry import Deps
from monitor.types import Channel, ChannelSpec, DigestEdition, Message, SendReceipt
from notifiers.base import NOTIFIERS, Notifier, NotifierLimits, Pacer, redact_url, retryable_status
from notifiers.render import digest_blocks, safe_url, slack_blocks

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_S = 30
METADATA_EVENT = "rights_monitor_alert"  # message metadata carrying the outbox's key, for the lookup after a crash
LOOKUP_LIMIT = 200
LOOKUP_PAGES = 5
LOOKUP_UNAVAILABLE = frozenset({"missing_scope", "not_allowed_token_type", "unknown_method", "not_in_channel"})
# Slack `error` codes that say "later", not "never".
RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def api_base_url(api_url: str | None) -> str:
    """Return the Web API base with one trailing slash (SLACK_API_URL may come without it)."""
    return (api_url or DEFAULT_API_URL).rstrip("/") + "/"


def retry_after_s(headers: Mapping[str, Any] | None) -> float | None:
    """Read a Retry-After header in seconds (slack-sdk may hand values as lists)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, (list, tuple)) and value else value
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def delivery_error(status: int, error: str, headers: Mapping[str, Any] | None, where: str) -> DeliveryError:
    """Classify a failed Slack answer as retryable or not."""
    retryable = retryable_status(status) or error in RETRYABLE_ERRORS
    wait = retry_after_s(headers) if retryable else None
    return DeliveryError(f"{where}: HTTP {status} {error}".strip(), retryable=retryable, retry_after_s=wait)


def _network_error(exc: Exception, where: str) -> DeliveryError:
    return DeliveryError(f"{where}: cannot reach Slack: {exc}", retryable=True, unreachable=True)


# --------------------------------------------------------------------------- bot


@NOTIFIERS.register("slack_channel")
class SlackBotNotifier:
    """Post to a channel as a bot; updates reply in the thread of the first message."""

    kind = "slack_channel"
    channel: ClassVar[ChannelSpec] = ChannelSpec(
        kind, "Slack channel", "Slack channel ID (bot mode, SLACK_BOT_TOKEN; or webhook mode, SLACK_WEBHOOK_URL).",
        updates="all", example="C0123456789")
    # Slack: 40,000 characters of text, 50 blocks, about one message per second per channel
    limits: ClassVar[NotifierLimits] = NotifierLimits(max_chars=40_000, per_second=1.0, threads=True)

    def __init__(self, client: Any, pacer: Pacer | None = None) -> None:
        self._client = client  # a slack_sdk.WebClient
        self._pacer = pacer or Pacer()

    @classmethod
    def from_config(cls, config: Settings, deps: Deps) -> Notifier:
        """Build a bot notifier; in webhook mode (no bot token) the configured webhook; else NotConfigured."""
        if config.slack.bot_token:
            return cls(web_client(config.slack), Pacer(sleep=deps.sleep))
        if config.slack.webhook_url:  # webhook mode: channel subscriptions post through it, without threads
            return SlackWebhookNotifier.from_config(config, deps)
        raise NotConfigured("Slack is not configured: set SLACK_BOT_TOKEN (bot mode, with threads) "
                            "or SLACK_WEBHOOK_URL (webhook mode)")

    def send(self, message: Message, target: str) -> SendReceipt:
        """Post the alert to channel `target`; return the ts to thread later updates on."""
        text, blocks = slack_blocks(message)
        thread = message.thread_ref if message.alert.kind == "update" else None
        self._pacer.wait(target)
        ts = self._post(target, text, blocks, thread, message.key)
        # Slack wants replies threaded on the parent, so a reply hands the parent back.
        return SendReceipt(external_ref=thread or ts)

    def send_digest(self, edition: DigestEdition, target: str, key: str | None = None,
                    channel: Channel | None = None) -> SendReceipt:
        """Post the compact digest (counts, top incidents, the full digest's link) to channel `target`."""
        text, blocks = digest_blocks(edition)
        self._pacer.wait(target)
        return SendReceipt(external_ref=self._post(target, text, blocks, None, key))

    def find_sent(self, message: Message, target: str) -> SendReceipt | None:
        """Look for the message carrying `message.key` in the channel (or the thread); None when absent.

        Called by the outbox after a crash between a send and its record, so an alert is not posted twice.
        It reads back at most LOOKUP_PAGES x LOOKUP_LIMIT messages.
        """
        if not message.key:
            return None
        thread = message.thread_ref if message.alert.kind == "update" else None
        return self.find_key(message.key, target, thread)

    def find_key(self, key: str, target: str, thread: str | None = None) -> SendReceipt | None:
        """Look for the message carrying `key` in the channel (or the thread); None when absent (digests too)."""
        cursor = None
        for _ in range(LOOKUP_PAGES):
            response = self._history(target, thread, cursor)
            if response is None:
                return None
            ts = _ts_with_key(response.get("messages") or [], key)
            if ts is not None:
                return SendReceipt(external_ref=thread or ts)
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def _history(self, target: str, thread: str | None, cursor: str | None) -> Any:
        """One page of the channel's history (or the thread's replies); None when the token may not read it."""
        from slack_sdk.errors import SlackApiError

        try:
            if thread:
                return self._client.conversations_replies(
                    channel=target, ts=thread, include_all_metadata=True, limit=LOOKUP_LIMIT, cursor=cursor)
            return self._client.conversations_history(
                channel=target, include_all_metadata=True, limit=LOOKUP_LIMIT, cursor=cursor)
        except SlackApiError as exc:
            if str(exc.response.get("error", "")) in LOOKUP_UNAVAILABLE:
                return None  # no history scope: sending again is all that is left
            r = exc.response
            raise delivery_error(r.status_code, str(r.get("error", "")), r.headers, f"slack {target}") from exc
        except OSError as exc:
            raise _network_error(exc, f"slack {target}") from exc

    def _post(self, channel: str, text: str, blocks: list[dict[str, Any]], thread: str | None,
              key: str | None = None) -> str:
        from slack_sdk.errors import SlackApiError

        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}} if key else None
        try:
            response = self._client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            )
        except SlackApiError as exc:
            r = exc.response
            raise delivery_error(
                r.status_code, str(r.get("error", "")), r.headers, f"slack {channel}"
            ) from exc
        except OSError as exc:  # URLError, refused, timeout, reset
            raise _network_error(exc, f"slack {channel}") from exc
        return str(response.get("ts") or "")


def _ts_with_key(messages: list[dict[str, Any]], key: str) -> str | None:
    """Return the ts of the message whose metadata carries `key`, or None."""
    for found in messages:
        payload = (found.get("metadata") or {}).get("event_payload") or {}
        if payload.get("key") == key:
            return str(found.get("ts") or "")
    return None


def web_client(slack: SlackSettings) -> Any:
    """Build a WebClient for the configured API base, without slack-sdk's own retries."""
    from slack_sdk import WebClient

    # The outbox retries with backoff; retrying inside the client would sleep in the worker.
    return WebClient(
        token=slack.bot_token, base_url=api_base_url(slack.api_url), timeout=int(max(1, slack.timeout_s)),
        retry_handlers=[],
    )


# --------------------------------------------------------------------------- webhook


@NOTIFIERS.register("slack_webhook")
class SlackWebhookNotifier:
    """Post to an incoming webhook: the target URL, or the configured one when the target is not a URL."""

    kind = "slack_webhook"
    channel: ClassVar[ChannelSpec] = ChannelSpec(kind, "Slack incoming webhook", "Slack incoming-webhook URL.",
                                                 target="url", updates="all",
                                                 example="https://hooks.slack.com/services/...")
    limits: ClassVar[NotifierLimits] = NotifierLimits(max_chars=40_000, per_second=1.0)

    def __init__(
        self,
        default_url: str | None = None,
        pacer: Pacer | None = None,
        client_factory: Callable[[str], Any] | None = None,
        guard: UrlGuard | None = None,
    ) -> None:
        self._default_url = default_url
        self._pacer = pacer or Pacer()
        self._client_factory = client_factory or webhook_client
        self._guard = guard or UrlGuard()

    @classmethod
    def from_config(cls, config: Settings, deps: Deps) -> SlackWebhookNotifier:
        """Build a webhook notifier; always configured, since subscriptions may name the URL."""
        timeout = int(max(1, config.slack.timeout_s))
        return cls(config.slack.webhook_url, Pacer(sleep=deps.sleep),
                   client_factory=lambda url: webhook_client(url, timeout), guard=UrlGuard(config.fetch.allow_hosts))

    def send(self, message: Message, target: str) -> SendReceipt:
        """Post the alert (an update is a short message: webhooks cannot thread)."""
        return self._post_blocks(target, *slack_blocks(message))

    def send_digest(self, edition: DigestEdition, target: str, key: str | None = None,
                    channel: Channel | None = None) -> SendReceipt:
        """Post the compact digest through the webhook."""
        return self._post_blocks(target, *digest_blocks(edition))

    def _post_blocks(self, target: str, text: str, blocks: list[dict[str, Any]]) -> SendReceipt:
        url = self._url_for(target)
        self._pacer.wait(url)
        where = f"slack webhook {redact_url(url)}"
        try:
            response = self._client_factory(url).send(text=text, blocks=blocks, unfurl_links=False)
        except OSError as exc:
            raise _network_error(exc, where) from exc
        if response.status_code != 200:
            raise delivery_error(response.status_code, str(response.body or ""), response.headers, where)
        return SendReceipt()

    def _url_for(self, target: str) -> str:
        url = safe_url(target)
        if url is not None and url != self._default_url:
            self._check(url)  # a subscription's URL comes from a user: the SSRF guard applies
        url = url or safe_url(self._default_url or "")
        if url is None:
            raise DeliveryError(
                "slack_webhook: no http(s) webhook URL (target or SLACK_WEBHOOK_URL)", retryable=False
            )
        return url

    def _check(self, url: str) -> None:
        try:
            self._guard.check_blocking(url)
        except SourceError as exc:
            permanent = not str(exc).startswith("DNS lookup failed")
            raise DeliveryError(f"slack webhook {redact_url(url)}: {str(exc).split(': ', 1)[-1]}",
                                retryable=not permanent) from exc


def webhook_client(url: str, timeout_s: int = TIMEOUT_S) -> Any:
    """Build a WebhookClient without slack-sdk's own retries."""
    from slack_sdk import WebhookClient

    return WebhookClient(url, timeout=timeout_s, retry_handlers=[])
