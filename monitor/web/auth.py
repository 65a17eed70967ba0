"""Access to the workspace: password and token hashing, signed session cookies, CSRF tokens, login throttling.

Pure helpers with no I/O; the app (monitor/web/app.py) wires them to requests and the store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from monitor.types import ROLES

SESSION_COOKIE = "rm_session"
CSRF_COOKIE = "rm_csrf"
SESSION_MAX_AGE_S = 14 * 24 * 3600


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """Say whether a password matches its argon2 hash."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """Return a new random API or feed token (shown once, stored only as its hash)."""
    return "rm_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may(role: str, needed: str) -> bool:
    """Say whether `role` may do what `needed` may (viewer < analyst < admin)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def session_serializer(secret: str):
    """Return the signer of session cookies."""
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt="rights-monitor-session")


def read_session(secret: str, cookie: str | None) -> tuple[int, str] | None:
    """Return (user id, password tag) of a genuine, unexpired session cookie, or None."""
    from itsdangerous import BadSignature

    if not cookie:
        return None
    try:
        data = session_serializer(secret).loads(cookie, max_age=SESSION_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or "u" not in data:
        return None
    return int(data["u"]), str(data.get("p", ""))


def password_tag(password_hash: str) -> str:
    """Return a short digest of a password hash: a new password ends every session made with the old one."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def make_session(secret: str, user_id: int, password_hash: str) -> str:
    """Return a session cookie value for a user."""
    return session_serializer(secret).dumps({"u": user_id, "p": password_tag(password_hash),
                                             "n": secrets.token_hex(8)})


_DUMMY_HASH: list[str] = []


def check_password_of(password_hash: str | None, password: str) -> bool:
    """Check a password, spending the same time when there is no such account (no user enumeration)."""
    if password_hash is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hash_password(secrets.token_hex(8)))
        check_password(_DUMMY_HASH[0], password)
        return False
    return check_password(password_hash, password)


def csrf_token(secret: str, nonce: str) -> str:
    """Return the CSRF token that goes with a browser's CSRF cookie nonce."""
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, nonce: str | None, token: str | None) -> bool:
    """Say whether a submitted CSRF token belongs to this browser's nonce."""
    return bool(nonce and token) and hmac.compare_digest(csrf_token(secret, nonce or ""), token or "")


class LoginThrottle:
    """At most `limit` failed logins per address and per account in `window`; then 429 until they age out."""

    def __init__(self, now: Callable[[], datetime], limit: int = 5, window: timedelta = timedelta(minutes=15)):
        self._now, self.limit, self.window = now, limit, window
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= self._now() - self.window:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> bool:
        """Say whether any of the keys (an address, an email) has used up its attempts."""
        return any(len(self._recent(key)) >= self.limit for key in keys)

    def failed(self, *keys: str) -> None:
        """Count a failed attempt against every key."""
        for key in keys:
            self._recent(key).append(self._now())

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of an account that logged in."""
        for key in keys:
            self._failures.pop(key, None)
