"""Text that is safe to show: no control characters or bidi overrides, no secrets.

Untrusted text (feed titles, a server's reason phrase) may carry ESC sequences that rewrite a terminal,
BEL, CR that hides what came before, or a right-to-left override that reverses what a reader sees.
Secrets (webhook URLs, tokens, passwords, database URLs) must never be printed or logged in full.

    clean_line("Bad\\x1b[2J title\\u202e")   # 'Bad [2J title'
    mask_secrets("url https://hooks.slack.com/services/T1/B2/xyz")  # 'url https://hooks.slack.com/…'
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

# C0 (but tab and newline), DEL, C1, and the bidi embeddings, overrides, isolates and marks.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SPACE = re.compile(r"\s+")
_URL_SECRETS = [
    # Slack-style webhooks carry their credential in the path.
    (re.compile(r"(https?://[^/\s]+)/services/[^\s'\"<>]+"), r"\1/services/…"),
    # user:password@ in any URL (database URLs included).
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+):[^@/\s]+@", re.IGNORECASE), r"\1:***@"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]+"), "xox*-***"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/-]+=*"), r"\1***"),
    (re.compile(r"(?i)\b((?:token|password|passwd|secret|api_key)=)[^&\s'\"]+"), r"\1***"),
]
_known: set[str] = set()
_known_lock = threading.Lock()


def strip_controls(text: str) -> str:
    """Drop control characters and bidi overrides, keeping newlines and tabs."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, at a word boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"


def clean_line(text: str) -> str:
    """Return `text` on one line, without controls or bidi overrides, whitespace collapsed."""
    return _SPACE.sub(" ", strip_controls(text)).strip()


def json_text(value: object, **options: object) -> str:
    """Dump JSON for a terminal: readable Unicode, but every control or bidi character as a \\u escape
    (the same JSON value, none of its effect on the terminal)."""
    import json

    text = json.dumps(value, ensure_ascii=False, **options)  # type: ignore[arg-type]
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def terminal_cell(text: str) -> str:
    """Return `text` ready for a rich table cell: one clean line, markup escaped."""
    from rich.markup import escape

    return escape(clean_line(text))


def redact_url(url: str) -> str:
    """Show only the scheme and host of a secret-bearing URL (webhooks)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].rpartition('@')[2]}/\u2026" if rest else "<url>"


def mask_target(target: str) -> str:
    """Return a delivery target as safe to show: a URL (a webhook, a credential) redacted, others as they are."""
    return redact_url(target) if "://" in target else target


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values (tokens, passwords, webhook URLs) so that logs never show them."""
    with _known_lock:
        _known.update(v for v in values if v and len(v) >= 6)


def mask_secrets(text: str) -> str:
    """Replace every registered secret and every secret-looking pattern in `text`."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, redact_url(value) if "://" in value else "***")
    for pattern, replacement in _URL_SECRETS:
        text = pattern.sub(replacement, text)
    return text


class LogHygiene(logging.Filter):
    """Mask secrets and strip controls in every record a handler emits (slack_sdk's debug log included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = mask_secrets(strip_controls(message)), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(strip_controls(record.exc_text))
        return True


def install_log_hygiene(logger: logging.Logger | None = None) -> None:
    """Put the hygiene filter on every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, LogHygiene) for f in handler.filters):
            handler.addFilter(LogHygiene())
