"""The workspace's dependencies and the request guards every route uses: who is asking, and may they."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import HTTPException, Request

from monitor.types import ApiToken, User
from monitor.web import auth


@dataclass
class Workspace:
    """Everything the web app uses, built once by `serve` (or a test) and shared by every request."""

    settings: Any
    store: Any
    watchlist: Any
    clock: Any
    notifiers: dict[str, Any] = field(default_factory=dict)
    sources: list[Any] = field(default_factory=list)
    classifier_factory: Any = None  # loads the classifier on first use (for testing a source)
    throttle: auth.LoginThrottle = None  # type: ignore[assignment]  # built in __post_init__
    secret: str = ""

    def __post_init__(self) -> None:
        self.secret = self.secret or self.store.app_secret("session")
        self.throttle = self.throttle or auth.LoginThrottle(self.clock.now, window=timedelta(minutes=15))


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace


class LoginRequired(Exception):
    """Raised by a page guard when nobody is logged in: the app redirects to /login."""


def session_user(request: Request) -> User | None:
    """Return the logged-in user of a browser request, or None."""
    ws = workspace(request)
    session = auth.read_session(ws.secret, request.cookies.get(auth.SESSION_COOKIE))
    if session is None:
        return None
    user = ws.store.get_user_by_id(session[0])
    return user if user is not None and auth.password_tag(user.password_hash) == session[1] else None


def page_user(needed: str = "viewer"):
    """Return a guard for pages: the logged-in user with at least `needed`, else /login or 403."""

    def guard(request: Request) -> User:
        user = session_user(request)
        if user is None:
            raise LoginRequired()
        if not auth.may(user.role, needed):
            raise HTTPException(403, f"this needs the {needed} role")
        return user

    return guard


def api_token(needed: str = "viewer"):
    """Return a guard for the API: a Bearer token with at least `needed` (401 without, 403 below)."""

    def guard(request: Request) -> ApiToken:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "a Bearer token is needed", headers={"WWW-Authenticate": "Bearer"})
        found = workspace(request).store.token_by_hash(auth.token_hash(token.strip()))
        if found is None:
            raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
        if not auth.may(found.role, needed):
            raise HTTPException(403, f"this needs the {needed} role")
        return found

    return guard


def csrf_nonce(request: Request) -> str:
    """Return this browser's CSRF nonce (set as a cookie by the middleware when missing)."""
    nonce = request.cookies.get(auth.CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(16)
        request.state.csrf_nonce = nonce
    return nonce


def csrf_for(request: Request) -> str:
    """Return the CSRF token a form on this page must carry."""
    return auth.csrf_token(workspace(request).secret, csrf_nonce(request))


async def check_csrf(request: Request) -> None:
    """Refuse (403) a state-changing browser request whose form or header lacks this browser's CSRF token."""
    token = request.headers.get("x-csrf-token")
    if token is None:
        form = await request.form()
        token = form.get("csrf_token")  # type: ignore[assignment]
    if not auth.csrf_ok(workspace(request).secret, request.cookies.get(auth.CSRF_COOKIE), str(token or "")):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")


# The guards, built once: `user: User = Depends(ANALYST)`.
VIEWER, ANALYST, ADMIN = page_user("viewer"), page_user("analyst"), page_user("admin")
API_VIEWER, API_ANALYST = api_token("viewer"), api_token("analyst")
