"""Signed, per-subscription links for email recipients: one-click unsubscribe and their own preferences.

    token = sign_recipient(secret, "ngo-kenya", "ana@example.org")
    verify_recipient(secret, token) == ("ngo-kenya", "ana@example.org")

The token carries the subscription and the address, with an HMAC-SHA256 over both; no account needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_recipient(secret: str, subscription: str, target: str) -> str:
    """Return a URL-safe token naming one recipient of one subscription."""
    body = _b64(json.dumps([subscription, target], ensure_ascii=False).encode("utf-8"))
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()[:18]
    return f"{body}.{_b64(mac)}"


def verify_recipient(secret: str, token: str) -> tuple[str, str] | None:
    """Return (subscription, target) of a genuine token, or None."""
    body, _, mac = token.partition(".")
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()[:18]
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        subscription, target = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    return str(subscription), str(target)


def unsubscribe_url(public_url: str, secret: str, subscription: str, target: str) -> str:
    """Return the one-click unsubscribe URL (RFC 8058: POST to it unsubscribes; GET shows a page)."""
    return f"{public_url.rstrip('/')}/u/{sign_recipient(secret, subscription, target)}"
