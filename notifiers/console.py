"""Print alerts as readable blocks to a stream: always configured, handy for dry runs."""

from __future__ import annotations

import sys
from typing import ClassVar, TextIO

from monitor.config import Settings
from monitor.errors import DeliveryError
from monitor.registry import Deps
from monitor.types import Channel, ChannelSpec, DigestEdition, Message, SendReceipt
from notifiers.base import NOTIFIERS, NotifierLimits
from notifiers.render import console_text, digest_plain, one_line


@NOTIFIERS.register("console")
class ConsoleNotifier:
    """Write each alert to a text stream (stdout unless one is given)."""

    kind = "console"
    channel: ClassVar[ChannelSpec] = ChannelSpec(kind, "Console (the monitor's output)",
                                                 'Print alerts where the monitor runs ("stdout").', updates="all",
                                                 example="stdout")
    limits: ClassVar[NotifierLimits] = NotifierLimits(max_chars=100_000, per_second=1000.0)

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @classmethod
    def from_config(cls, config: Settings, deps: Deps) -> ConsoleNotifier:
        """Build a console notifier printing to `deps.stream` (stdout when None); it needs no settings."""
        return cls(deps.stream)

    def send(self, message: Message, target: str = "") -> SendReceipt:
        """Print the alert, headed by the target when one is named."""
        # Resolve stdout at send time so pytest's capsys and CLI redirection both see it.
        stream = self._stream or sys.stdout
        head = f"--- {one_line(target)} ---\n" if target else "---\n"
        try:
            stream.write(head + console_text(message))
            stream.flush()
        except (OSError, ValueError) as exc:  # closed pipe or closed file
            raise DeliveryError(f"console: cannot write: {exc}", retryable=False) from exc
        return SendReceipt()

    def send_digest(self, edition: DigestEdition, target: str = "", key: str | None = None,
                    channel: Channel | None = None) -> SendReceipt:
        """Print the compact digest."""
        stream = self._stream or sys.stdout
        try:
            stream.write(f"--- digest {one_line(target)} ---\n" + digest_plain(edition))
            stream.flush()
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"console: cannot write: {exc}", retryable=False) from exc
        return SendReceipt()
