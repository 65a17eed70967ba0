"""Email delivery with smtplib: one message per recipient, HTML and plain text, List-Unsubscribe."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, ClassVar
from urllib.parse import quote

from monitor.config import Settings, SmtpSettings, resolve_smtp_tls
from monitor.errors import DeliveryError, NotConfigured
from monitor.registry import Deps
from monitor.types import Channel, ChannelSpec, DigestEdition, Message, SendReceipt
from notifiers.base import NOTIFIERS, NotifierLimits
from notifiers.render import email_parts, one_line, safe_unsubscribe

TLS_MODES = ("starttls", "ssl", "none")
CHART_CID = "chart"  # monitor/weekly.py renders the digest HTML with src="cid:chart"


resolve_tls = resolve_smtp_tls  # one rule, kept with the settings


# --------------------------------------------------------------------------- composing


def single_address(target: str) -> str:
    """Return the target when it is exactly one email address, else raise (never retried)."""
    _, address = parseaddr(target)
    if not address or "@" not in address or any(c in target for c in ",;\r\n"):
        raise DeliveryError(f"email: not one address: {one_line(target)!r}", retryable=False)
    return target.strip()


def unsubscribe_headers(sender: str, subscription: str, link: str | None) -> dict[str, str]:
    """Return List-Unsubscribe (mailto, plus the URL when known) and, for https, one-click POST."""
    link = safe_unsubscribe(link)
    mailto = f"mailto:{sender}?subject={quote('unsubscribe ' + one_line(subscription))}"
    links = [link] if link and link.lower().startswith("mailto:") else [mailto] + ([link] if link else [])
    headers = {"List-Unsubscribe": ", ".join(f"<{_header_safe(u)}>" for u in links)}
    if any(u.lower().startswith("https://") for u in links):  # RFC 8058 wants an https URI
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _header_safe(url: str) -> str:
    return url.replace("<", "%3C").replace(">", "%3E").replace(",", "%2C")


def thread_id(ref: str | None) -> str | None:
    """Return the first alert's Message-ID when `ref` is one (`<...@...>`, no line breaks), else None."""
    ref = (ref or "").strip()
    if ref.startswith("<") and ref.endswith(">") and "@" in ref and not any(c in ref for c in "\r\n, "):
        return ref
    return None


def alert_email(message: Message, sender: str, target: str) -> EmailMessage:
    """Compose the multipart/alternative alert email for one recipient."""
    subject, text, html = email_parts(message)
    msg = _envelope(sender, single_address(target), subject, message.alert.created_at, message.key)
    for name, value in unsubscribe_headers(sender, message.alert.subscription, message.unsubscribe).items():
        msg[name] = value
    msg["X-Rights-Monitor-Incident"] = str(message.incident.id)
    first = thread_id(message.thread_ref) if message.alert.kind == "update" else None
    if first:  # mail clients thread an update under the first alert
        msg["In-Reply-To"] = first
        msg["References"] = first
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def digest_email(
    sender: str,
    recipient: str,
    subject: str,
    html: str,
    text: str,
    chart_png: bytes | None,
    when: datetime | None,
    message_id: str | None = None,
) -> EmailMessage:
    """Compose a digest email; the chart travels inline (multipart/related, cid) with the HTML."""
    msg = _envelope(sender, single_address(recipient), one_line(subject), when, message_id)
    msg.set_content(text)
    msg.add_alternative(_with_chart(html) if chart_png else html, subtype="html")
    if chart_png:
        html_part: Any = msg.get_payload()[1]  # type: ignore[index]  # multipart: a list of parts
        html_part.add_related(chart_png, "image", "png", cid=f"<{CHART_CID}>", filename="chart.png")
    return msg


def _with_chart(html: str) -> str:
    """Make sure the HTML shows the inline chart (the digest file on disk links a PNG file)."""
    if f"cid:{CHART_CID}" in html:
        return html
    img = f'<p><img src="cid:{CHART_CID}" alt="Incidents this week"></p>'
    at = html.lower().rfind("</body>")
    return html[:at] + img + html[at:] if at >= 0 else html + img


def _envelope(sender: str, to: str, subject: str, when: datetime | None, message_id: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = one_line(subject)
    if when is not None:
        msg["Date"] = format_datetime(when if when.tzinfo else when.replace(tzinfo=UTC))
    # The outbox chooses the Message-ID before the first attempt: a resend after a crash is the same message.
    msg["Message-ID"] = _message_id(message_id) or make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"  # keeps vacation responders quiet
    return msg


def _message_id(key: str | None) -> str | None:
    """Return `key` when it is a well-formed Message-ID (`<local@domain>`, no spaces or controls)."""
    if key and key.startswith("<") and key.endswith(">") and "@" in key and key.isprintable() and " " not in key:
        return key
    return None


# --------------------------------------------------------------------------- sending


def smtp_error(exc: Exception, where: str) -> DeliveryError:
    """Classify an SMTP or network failure: 4xx and network trouble are retried, 5xx never."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return DeliveryError(
            f"{where}: recipient refused {codes}", retryable=all(400 <= c < 500 for c in codes)
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"{where}: login refused ({exc.smtp_code})", retryable=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = _smtp_text(exc.smtp_error)
        return DeliveryError(f"{where}: {exc.smtp_code} {detail}", retryable=not 500 <= exc.smtp_code < 600)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"{where}: server lacks a required extension: {exc}", retryable=False)
    if isinstance(exc, ssl.SSLError):  # a certificate or protocol mismatch is configuration, not luck
        return DeliveryError(f"{where}: TLS failed: {exc}", retryable=False)
    unreachable = isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)  # refused, timed out
    unreachable = unreachable or isinstance(exc, smtplib.SMTPServerDisconnected)
    return DeliveryError(f"{where}: {type(exc).__name__}: {exc}", retryable=True, unreachable=unreachable)


def _smtp_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


@contextmanager
def smtp_session(settings: SmtpSettings, ssl_context: ssl.SSLContext | None = None) -> Iterator[smtplib.SMTP]:
    """Open, secure and log in to the SMTP server; quit on the way out."""
    if not settings.host:
        raise NotConfigured("email: no SMTP host (SMTP_HOST)")
    mode = resolve_tls(settings.tls, settings.port)
    context = ssl_context or ssl.create_default_context()
    smtp = _connect(settings, mode, context)
    try:
        if mode == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        yield smtp
    finally:
        _close(smtp)


def _connect(settings: SmtpSettings, mode: str, context: ssl.SSLContext) -> smtplib.SMTP:
    if not settings.host:
        raise DeliveryError("email is not configured: set SMTP_HOST", retryable=False)
    if mode == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s, context=context)
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


@NOTIFIERS.register("email")
class EmailNotifier:
    """Send each alert as its own email to one address."""

    kind = "email"
    channel: ClassVar[ChannelSpec] = ChannelSpec(kind, "Email", "Email address (repeat for several).",
                                                 target="email", many=True, example="desk@ngo.example")
    limits: ClassVar[NotifierLimits] = NotifierLimits(max_chars=1_000_000, per_second=5.0, threads=True,
                                                      attachments=True)  # threads: In-Reply-To

    def __init__(self, settings: SmtpSettings, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self._ssl_context = ssl_context

    @classmethod
    def from_config(cls, config: Settings, deps: Deps) -> EmailNotifier:
        """Build an email notifier; raise NotConfigured without an SMTP host."""
        if not config.smtp.host:
            raise NotConfigured("email is not configured: set SMTP_HOST (settings: smtp.host)")
        resolve_tls(config.smtp.tls, config.smtp.port)  # a bad mode fails at start, not at send
        return cls(config.smtp)

    def send(self, message: Message, target: str) -> SendReceipt:
        """Send the alert to `target`; return its Message-ID."""
        msg = alert_email(message, self.settings.sender, target)
        where = f"email {self.settings.host}:{self.settings.port}"
        try:
            with smtp_session(self.settings, self._ssl_context) as smtp:
                smtp.send_message(msg)
        except OSError as exc:  # smtplib's errors are OSErrors too
            raise smtp_error(exc, where) from exc
        return SendReceipt(external_ref=msg["Message-ID"])

    def send_digest(self, edition: DigestEdition, target: str, key: str | None = None,
                    channel: Channel | None = None) -> SendReceipt:
        """Mail the full HTML digest to `target`, the chart inline; the outbox's key is its Message-ID."""
        msg = digest_email(self.settings.sender, target, edition.subject, edition.html, edition.text, edition.chart,
                           edition.created_at, message_id=key)
        where = f"digest email {self.settings.host}:{self.settings.port}"
        try:
            with smtp_session(self.settings, self._ssl_context) as smtp:
                smtp.send_message(msg)
        except OSError as exc:
            raise smtp_error(exc, where) from exc
        return SendReceipt(external_ref=msg["Message-ID"])


def send_digest(
    settings: SmtpSettings,
    recipients: Iterable[str],
    subject: str,
    html: str,
    text: str,
    chart_png: bytes | None,
    *,
    when: datetime | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Email the weekly digest to each recipient separately, with the chart inline."""
    messages = [digest_email(settings.sender, r, subject, html, text, chart_png, when) for r in recipients]
    where = f"digest email {settings.host}:{settings.port}"
    refused: list[DeliveryError] = []
    try:
        with smtp_session(settings, ssl_context) as smtp:
            for msg in messages:
                refused += _send_one(smtp, msg, where)
    except OSError as exc:
        raise smtp_error(exc, where) from exc
    if refused:
        detail = "; ".join(str(e) for e in refused)
        raise DeliveryError(detail, retryable=all(e.retryable for e in refused))


def _send_one(smtp: smtplib.SMTP, msg: EmailMessage, where: str) -> list[DeliveryError]:
    """Send one digest copy; a refused recipient is reported without stopping the others."""
    try:
        smtp.send_message(msg)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
        smtp.rset()
        return [smtp_error(exc, f"{where} to {msg['To']}")]
    return []
