"""The JSON API under /api/v1 (interfaces.md, "Workspace"): Bearer tokens, documented at /docs."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from monitor.errors import ConfigError
from monitor.review import ReviewError
from monitor.subscriptions import subscription_from_mapping, subscription_mapping
from monitor.types import ApiToken
from monitor.web import actions
from monitor.web.deps import API_ANALYST, API_VIEWER, workspace
from monitor.web.views import FilterError, Filters, incident_json, page, to_query

router = APIRouter(prefix="/api/v1", tags=["api"], responses={
    401: {"description": "No token, or an unknown one (`Authorization: Bearer TOKEN`)"},
    403: {"description": "The token's role may not do this (viewer < analyst)"},
})


class ReviewIn(BaseModel):
    action: Literal["confirm", "dismiss", "relabel", "reopen"]
    labels: list[str] | None = None
    companies: list[str] | None = None
    note: str = ""


def channel_properties(schema: dict[str, Any]) -> None:
    """Document one field per installed channel (each channel module describes its own)."""
    from notifiers import channel_specs

    for kind, spec in channel_specs().items():
        schema.setdefault("properties", {})[kind] = {
            "title": spec.title, "description": spec.help,
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}, {"type": "null"}]}


class SubscriptionIn(BaseModel):
    """The fields of the `subscribe` command; give exactly one of the channel fields (`email`, `teams_webhook`...)."""

    # the channel fields are the installed channels' kinds: passed through, checked by subscription_from_mapping
    model_config = ConfigDict(extra="allow", json_schema_extra=channel_properties)

    name: str
    secret_env: str | None = None
    updates: str | None = None
    digest_every: str | None = None
    # plural as in subscriptions.yaml, or singular as the command's --company, --label ...
    companies: list[str] = Field(default_factory=list, validation_alias=AliasChoices("companies", "company"))
    watchlists: list[str] = Field(default_factory=list, validation_alias=AliasChoices("watchlists", "watchlist"))
    tickers: list[str] = Field(default_factory=list, validation_alias=AliasChoices("tickers", "ticker"))
    labels: list[str] = Field(default_factory=list, validation_alias=AliasChoices("labels", "label"))
    countries: list[str] = Field(default_factory=list, validation_alias=AliasChoices("countries", "country"))
    min_severity: str = "low"
    mode: str = "instant"
    quiet_hours: str | None = None
    timezone: str = "UTC"
    daily_cap: int | None = None
    paused: bool = False


def list_filters(label: str = "", company: str = "", watchlist: str = "", country: str = "", severity: str = "",
                 review: str = "", since: str = "", until: str = "", q: str = "",
                 limit: int = Query(50, ge=1, le=200), cursor: str = "") -> Filters:
    return Filters(label=label, company=company, watchlist=watchlist, country=country, severity=severity,
                   review=review, since=since, until=until, q=q, limit=limit, cursor=cursor)


def run_query(request: Request, filters: Filters) -> tuple[list[Any], str | None]:
    """Run the incident list query of some filters; FilterError for a bad one."""
    ws = workspace(request)
    query = to_query(filters, lambda text: actions.company_family(ws, text),
                     lambda name: actions.watchlist_members(ws, name))
    return page(ws.store.query_incidents(query), query)


@router.get("/incidents")
def get_incidents(request: Request, filters: Filters = Depends(list_filters),
                  _: ApiToken = Depends(API_VIEWER)) -> dict[str, Any]:
    """Incidents newest first, filtered, a page at a time (`next` is the cursor of the next page)."""
    try:
        rows, next_cursor = run_query(request, filters)
    except FilterError as exc:
        raise HTTPException(400, str(exc)) from None
    reports = workspace(request).store.items_for_incidents([i.id for i in rows])
    return {"items": [incident_json(i, reports.get(i.id, ())) for i in rows], "next": next_cursor}


@router.get("/incidents/{incident_id}")
def get_incident(request: Request, incident_id: int, _: ApiToken = Depends(API_VIEWER)) -> dict[str, Any]:
    """One incident with its reports and reviews."""
    store = workspace(request).store
    incident = store.get_incident(incident_id)
    if incident is None:
        raise HTTPException(404, f"no incident {incident_id}")
    return _full(store, incident)


def _full(store: Any, incident: Any) -> dict[str, Any]:
    from monitor.web.views import review_json

    data = incident_json(incident, store.incident_items(incident.id))
    data["reviews"] = [review_json(r) for r in store.reviews_for_incident(incident.id)]
    return data


@router.post("/incidents/{incident_id}/review")
def post_review(request: Request, incident_id: int, body: ReviewIn,
                token: ApiToken = Depends(API_ANALYST)) -> dict[str, Any]:
    """Confirm, dismiss, relabel or reopen an incident; returns the incident. Dismissed ones stay quiet."""
    ws = workspace(request)
    try:
        incident = actions.review_incident(ws, incident_id, body.action, f"token:{token.name}", labels=body.labels,
                                           companies=body.companies, note=body.note)
    except ReviewError as exc:
        raise HTTPException(400, str(exc)) from None
    if incident is None:
        raise HTTPException(404, f"no incident {incident_id}")
    return _full(ws.store, incident)


@router.get("/subscriptions")
def get_subscriptions(request: Request, _: ApiToken = Depends(API_VIEWER)) -> list[dict[str, Any]]:
    """Every subscription with its filters."""
    return [subscription_mapping(s) for s in workspace(request).store.list_subscriptions()]


@router.post("/subscriptions", status_code=201)
def post_subscription(request: Request, body: SubscriptionIn,
                      _: ApiToken = Depends(API_ANALYST)) -> dict[str, Any]:
    """Create or replace a subscription (the fields of `subscribe`)."""
    from notifiers import channel_specs

    entry = {k: v for k, v in body.model_dump().items() if v not in (None, [], "")}
    channels = channel_specs()
    try:
        sub = subscription_from_mapping(entry, channels)
    except ConfigError as exc:
        raise HTTPException(400, str(exc)) from None
    refused = actions.channel_refusals(workspace(request), sub, channels)
    if refused:
        raise HTTPException(400, "; ".join(refused))
    workspace(request).store.upsert_subscription(sub)
    return subscription_mapping(sub)


@router.delete("/subscriptions/{name}", status_code=204)
def delete_subscription(request: Request, name: str, _: ApiToken = Depends(API_ANALYST)) -> None:
    """Delete a subscription."""
    if not workspace(request).store.delete_subscription(name):
        raise HTTPException(404, f"no subscription {name!r}")


@router.get("/companies")
def get_companies(request: Request, _: ApiToken = Depends(API_VIEWER)) -> list[dict[str, Any]]:
    """Every tracked company with its parent, countries, tickers and ISINs."""
    ws = workspace(request)
    return [{"name": c.name, "category": c.category, "parent": c.parent, "countries": list(c.countries),
             "tickers": list(c.tickers), "isins": list(c.isins)} for c in ws.watchlist]


@router.get("/sources")
def get_sources(request: Request, _: ApiToken = Depends(API_VIEWER)) -> list[dict[str, Any]]:
    """Every source with its health record."""
    store = workspace(request).store
    health = {h.source: h for h in store.list_health()}
    out = []
    for s in store.list_sources():
        h = health.get(s.name)
        out.append({"name": s.name, "kind": s.kind, "url": s.url, "category": s.category, "enabled": s.enabled,
                    "last_success": h.last_success.isoformat() if h and h.last_success else None,
                    "consecutive_failures": h.consecutive_failures if h else 0,
                    "last_error": h.last_error if h else None})
    return out
