"""The workspace's writing pages: login, subscriptions, watchlists, feed tokens, and the signed
unsubscribe and preferences pages of email recipients (no account needed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.errors import ConfigError
from monitor.signing import verify_recipient
from monitor.subscriptions import subscription_from_mapping, subscription_mapping
from monitor.types import ChannelSpec, User
from monitor.web import actions, auth
from monitor.web.deps import ADMIN, ANALYST, VIEWER, check_csrf, workspace
from monitor.web.render import show
from notifiers import channel_specs

router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    public = workspace(request).settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


# ------------------------------------------------------------------ login


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    return show(request, "login.html", error=None, next=request.query_params.get("next", "/"))


@router.post("/login", dependencies=[Depends(check_csrf)])
async def login(request: Request):
    ws = workspace(request)
    form = await request.form()
    email, password = str(form.get("email", "")).strip().lower(), str(form.get("password", ""))
    keys = (f"ip:{request.client.host if request.client else '?'}", f"email:{email}")
    if ws.throttle.blocked(*keys):
        return show(request, "login.html", status_code=429, error="Too many failed logins; wait 15 minutes.",
                    next="/")
    user = ws.store.get_user(email) if email else None
    if not auth.check_password_of(user.password_hash if user else None, password):
        ws.throttle.failed(*keys)
        return show(request, "login.html", status_code=401, error="Wrong email or password.", next="/")
    ws.throttle.succeeded(f"email:{email}")
    target = str(form.get("next") or "/")
    response = RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/", 303)
    assert user is not None  # check_password_of refuses a missing user
    response.set_cookie(auth.SESSION_COOKIE, auth.make_session(ws.secret, user.id, user.password_hash), max_age=auth.SESSION_MAX_AGE_S,
                        httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout():
    response = RedirectResponse("/login", 303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


# ------------------------------------------------------------------ subscriptions


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions_page(request: Request, user: User = Depends(VIEWER)):
    ws = workspace(request)
    return show(request, "subscriptions.html", user=user, subs=ws.store.list_subscriptions(),
                message=request.query_params.get("m"))


@router.get("/subscriptions/new", response_class=HTMLResponse)
@router.get("/subscriptions/{name}/edit", response_class=HTMLResponse)
def subscription_form(request: Request, name: str | None = None, user: User = Depends(ANALYST)):
    ws = workspace(request)
    sub = ws.store.get_subscription(name) if name else None
    if name and sub is None:
        raise HTTPException(404, f"no subscription {name!r}")
    return show(request, "subscription_form.html", user=user, s=subscription_mapping(sub) if sub else None,
                kind=sub.channel.kind if sub else "email", error=None, channels=channel_specs().values(),
                watchlists=sorted(actions.all_watchlists(ws)))


def entry_from_form(form: Any, channels: Mapping[str, ChannelSpec]) -> dict[str, Any]:
    """Return the subscription mapping of the subscription form's fields (the channel's key from its spec)."""
    split = lambda key: [v.strip() for v in str(form.get(key, "")).replace("\n", ",").split(",") if v.strip()]
    kind = str(form.get("kind", "email"))
    entry: dict[str, Any] = {
        "name": str(form.get("name", "")).strip(), "companies": split("companies"),
        "watchlists": [str(v) for v in form.getlist("watchlists")], "labels": [str(v) for v in form.getlist("labels")],
        "countries": split("countries"), "min_severity": str(form.get("min_severity", "low")),
        "mode": str(form.get("mode", "instant")), "quiet_hours": str(form.get("quiet_hours", "")).strip(),
        "timezone": str(form.get("timezone", "UTC")).strip() or "UTC", "daily_cap": str(form.get("daily_cap", "")).strip(),
        "paused": form.get("paused") == "on", "updates": str(form.get("updates", "")),
        "digest_every": str(form.get("digest_every", "")), "secret_env": str(form.get("secret_env", "")).strip(),
    }
    targets = split("targets")
    if kind in channels:
        entry[kind] = targets if channels[kind].many else (targets[0] if targets else "")
    return {k: v for k, v in entry.items() if v not in (None, [], "")}


@router.post("/subscriptions", dependencies=[Depends(check_csrf)])
async def save_subscription(request: Request, user: User = Depends(ANALYST)):
    ws = workspace(request)
    form = await request.form()
    channels = channel_specs()
    entry = entry_from_form(form, channels)
    try:
        sub = subscription_from_mapping(entry, channels)
        refused = actions.channel_refusals(ws, sub, channels)
        if refused:
            raise ConfigError("; ".join(refused))
    except ConfigError as exc:
        return show(request, "subscription_form.html", status_code=400, user=user, s=entry, error=str(exc),
                    kind=str(form.get("kind", "email")), channels=channels.values(),
                    watchlists=sorted(actions.all_watchlists(ws)))
    ws.store.upsert_subscription(sub)
    return RedirectResponse("/subscriptions?" + urlencode({"m": f"saved {sub.name}"}), 303)


@router.post("/subscriptions/{name}/{verb}", dependencies=[Depends(check_csrf)])
def subscription_action(request: Request, name: str, verb: str, user: User = Depends(ANALYST)):
    ws = workspace(request)
    sub = ws.store.get_subscription(name)
    if sub is None:
        raise HTTPException(404, f"no subscription {name!r}")
    if verb == "delete":
        ws.store.delete_subscription(name)
        message = f"deleted {name}"
    elif verb in ("pause", "resume"):
        from dataclasses import replace

        ws.store.upsert_subscription(replace(sub, paused=verb == "pause"))
        message = f"{verb}d {name}"
    elif verb == "test":
        outcomes = actions.send_test_alert(ws, sub)
        message = "; ".join(f"test alert to {t}: {err or 'sent'}" for t, err in outcomes) or "no targets"
    else:
        raise HTTPException(404, "unknown action")
    return RedirectResponse("/subscriptions?" + urlencode({"m": message}), 303)


# ------------------------------------------------------------------ watchlists


@router.get("/watchlists", response_class=HTMLResponse)
def watchlists_page(request: Request, user: User = Depends(VIEWER)):
    ws = workspace(request)
    return show(request, "watchlists.html", user=user, lists=actions.all_watchlists(ws), unknown=[], saved=None)


@router.post("/watchlists", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def save_watchlist(request: Request, user: User = Depends(ANALYST)):
    ws = workspace(request)
    form = await request.form()
    saved, unknown = actions.save_watchlist(ws, str(form.get("name", "")), str(form.get("entries", "")), user.email)
    status = 200 if saved.name and saved.companies else 400
    return show(request, "watchlists.html", status_code=status, user=user, lists=actions.all_watchlists(ws),
                unknown=unknown, saved=saved)


# ------------------------------------------------------------------ account and feed token


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: User = Depends(VIEWER)):
    token = workspace(request).store.user_feed_token(user.id)
    return show(request, "account.html", user=user, has_token=token is not None, new_token=None)


@router.post("/account/feed-token", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def new_feed_token(request: Request, user: User = Depends(VIEWER)):
    ws = workspace(request)
    token = auth.new_token()
    ws.store.delete_tokens(user.id, "feed")
    ws.store.add_token("feed", "viewer", auth.token_hash(token), ws.clock.now(), user_id=user.id)
    return show(request, "account.html", user=user, has_token=True, new_token=token)


# ------------------------------------------------------------------ email recipients, by signed link


def _recipient(request: Request, token: str) -> tuple[Any, str]:
    ws = workspace(request)
    found = verify_recipient(ws.store.app_secret("unsubscribe"), token)
    if found is None:
        raise HTTPException(404, "this link is not valid")
    name, target = found
    return ws.store.get_subscription(name), target


@router.get("/u/{token}", response_class=HTMLResponse)
def recipient_page(request: Request, token: str):
    sub, target = _recipient(request, token)
    return show(request, "recipient.html", sub=sub, target=target, token=token, done=None)


@router.post("/u/{token}", response_class=HTMLResponse)
def one_click_unsubscribe(request: Request, token: str):
    """RFC 8058: a POST to the List-Unsubscribe URL unsubscribes at once (mail providers send no CSRF token)."""
    sub, target = _recipient(request, token)
    if sub is not None:
        actions.unsubscribe_recipient(workspace(request), sub.name, target)
    return show(request, "recipient.html", sub=None, target=target, token=token, done="unsubscribed")


@router.post("/u/{token}/preferences", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def recipient_preferences(request: Request, token: str):
    ws = workspace(request)
    sub, target = _recipient(request, token)
    if sub is None:
        raise HTTPException(404, "this subscription no longer exists")
    form = await request.form()
    entry = subscription_mapping(sub)
    entry.update(labels=[str(v) for v in form.getlist("labels")],
                 countries=[c.strip() for c in str(form.get("countries", "")).split(",") if c.strip()],
                 min_severity=str(form.get("min_severity", "low")), mode=str(form.get("mode", sub.mode)))
    try:
        updated = subscription_from_mapping({k: v for k, v in entry.items() if v not in (None, [], "")},
                                            channel_specs())
    except ConfigError as exc:
        raise HTTPException(400, str(exc)) from None
    ws.store.upsert_subscription(updated)
    return show(request, "recipient.html", sub=updated, target=target, token=token, done="saved")


# ------------------------------------------------------------------ feeds and health


@router.get("/feeds/incidents.atom")
def incidents_feed(request: Request, token: str = "", company: str = "", watchlist: str = "", label: str = "",
                   country: str = ""):
    from monitor.web.api import run_query
    from monitor.web.feeds import render_atom
    from monitor.web.views import FilterError, Filters

    ws = workspace(request)
    if not token or ws.store.token_by_hash(auth.token_hash(token)) is None:
        raise HTTPException(401, "a feed token is needed: ?token=... (create one on your account page)")
    try:
        rows, _ = run_query(request, Filters(company=company, watchlist=watchlist, label=label, country=country))
    except FilterError as exc:
        raise HTTPException(400, str(exc)) from None
    base = (ws.settings.public_url or str(request.base_url)).rstrip("/")
    wanted = ", ".join(v for v in (company, watchlist, label, country) if v) or "all"
    body = render_atom(rows, title=f"rights-monitor incidents: {wanted}", base_url=base,
                       self_url=str(request.url.remove_query_params("token")), updated=ws.clock.now())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/healthz")
def healthz():
    return {"ok": True}


# ------------------------------------------------------------------ accounts (admins)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: User = Depends(ADMIN)):
    return show(request, "users.html", user=user, users=workspace(request).store.list_users(),
                message=request.query_params.get("m"))


@router.post("/users", dependencies=[Depends(check_csrf)])
async def save_user(request: Request, user: User = Depends(ADMIN)):
    """Create an account or set a new role and password (the same as `rights-monitor user add`)."""
    from monitor.types import ROLES

    ws = workspace(request)
    form = await request.form()
    email, role, password = (str(form.get(k, "")).strip() for k in ("email", "role", "password"))
    if "@" not in email or role not in ROLES or len(password) < 8:
        message = "give an email address, a role and a password of at least 8 characters"
    else:
        made = ws.store.add_user(email, role, auth.hash_password(password), ws.clock.now())
        message = f"saved {made.email} ({made.role})"
    return RedirectResponse("/users?" + urlencode({"m": message}), 303)
