"""The workspace's reading pages: dashboard, incidents, companies, countries, digests, sources."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.review import ReviewError, agreement
from monitor.types import User
from monitor.web import actions
from monitor.web.api import run_query
from monitor.web.deps import ADMIN, ANALYST, VIEWER, check_csrf, workspace
from monitor.web.render import show
from monitor.web.views import (
    FilterError,
    Filters,
    chart_bars,
    daily_series,
    labels_by_week,
    timeline,
)

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: User = Depends(VIEWER)):
    ws = workspace(request)
    now = ws.clock.now()
    agreed, judged = agreement(ws.store.reviews_since(now - timedelta(days=30)))
    from monitor.types import IncidentQuery

    latest = ws.store.query_incidents(IncidentQuery(limit=10, review="new"))
    return show(request, "dashboard.html", user=user, agreed=agreed, judged=judged, latest=latest)


def _filters(request: Request) -> Filters:
    q = request.query_params
    keys = ("label", "company", "watchlist", "country", "severity", "review", "since", "until", "q", "cursor")
    values: dict[str, Any] = {k: q.get(k, "").strip() for k in keys}
    return Filters(**values)


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, user: User = Depends(VIEWER)):
    filters = _filters(request)
    error, next_cursor = None, None
    rows: list[Any] = []
    try:
        rows, next_cursor = run_query(request, filters)
    except FilterError as exc:
        error = str(exc)
    ws = workspace(request)
    return show(request, "incidents.html", status_code=400 if error else 200, user=user, filters=filters,
                rows=rows, next_cursor=next_cursor, error=error, watchlists=sorted(actions.all_watchlists(ws)))


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: int, user: User = Depends(VIEWER)):
    ws = workspace(request)
    incident = ws.store.get_incident(incident_id)
    if incident is None:
        raise HTTPException(404, f"no incident {incident_id}")
    items = ws.store.incident_items(incident_id)
    reviews = ws.store.reviews_for_incident(incident_id)
    alerts = ws.store.alerts_with_deliveries(incident_id)
    return show(request, "incident.html", user=user, i=incident, items=items, reviews=reviews, alerts=alerts,
                events=timeline(incident, items, reviews, alerts), message=request.query_params.get("m"))


@router.post("/incidents/{incident_id}/review", dependencies=[Depends(check_csrf)])
async def review_form(request: Request, incident_id: int, user: User = Depends(ANALYST)):
    form = await request.form()
    action = str(form.get("action", ""))
    labels = [str(v) for v in form.getlist("labels")] if action == "relabel" else None
    companies = None
    if "companies" in form and action == "relabel":
        companies = [c for c in str(form.get("companies", "")).replace("\n", ",").split(",") if c.strip()]
    try:
        incident = actions.review_incident(workspace(request), incident_id, action, user.email, labels=labels or None,
                                           companies=companies, note=str(form.get("note", "")))
    except ReviewError as exc:
        return RedirectResponse(f"/incidents/{incident_id}?m={exc}", status_code=303)
    if incident is None:
        raise HTTPException(404, f"no incident {incident_id}")
    return RedirectResponse(f"/incidents/{incident_id}?m=saved: {action}", status_code=303)


@router.get("/companies", response_class=HTMLResponse)
def companies_page(request: Request, user: User = Depends(VIEWER)):
    ws = workspace(request)
    return show(request, "companies.html", user=user, companies=sorted(ws.watchlist, key=lambda c: c.name.lower()))


@router.get("/companies/{name}", response_class=HTMLResponse)
def company_page(request: Request, name: str, user: User = Depends(VIEWER)):
    ws = workspace(request)
    company = ws.watchlist.resolve(name)
    if company is None:
        raise HTTPException(404, f"{name!r} is not a tracked company")
    now = ws.clock.now()
    family = actions.company_family(ws, company.name)
    rows = [r for member in family for r in ws.store.count_incidents_by(member, "company", now - timedelta(weeks=12))]
    series = labels_by_week(rows, 12, now.date())
    tracked_children = [c for c in ws.watchlist if c.parent == company.name]
    return show(request, "company.html", user=user, c=company, bars=chart_bars(series), series=series,
                children=tracked_children, sources=ws.store.sources_mentioning(company.name), total=len(rows))


@router.get("/countries/{code}", response_class=HTMLResponse)
def country_page(request: Request, code: str, user: User = Depends(VIEWER)):
    ws = workspace(request)
    code = code.upper()[:2]
    now = ws.clock.now()
    rows = ws.store.count_incidents_by(code, "country", now - timedelta(weeks=12))
    series = labels_by_week(rows, 12, now.date())
    operators = ws.watchlist.operators_in(code) if ws.watchlist else ()
    return show(request, "country.html", user=user, code=code, bars=chart_bars(series), series=series,
                operators=operators, total=len(rows))


@router.get("/digests", response_class=HTMLResponse)
def digests_page(request: Request, user: User = Depends(VIEWER)):
    from monitor.digest import iso_week_of
    from monitor.weekly import make_digest

    ws = workspace(request)
    now = ws.clock.now()
    weeks = [iso_week_of(now - timedelta(weeks=k)) for k in range(8)]
    week = request.query_params.get("week") or weeks[0]
    if week not in weeks:
        week = weeks[0]
    digest = make_digest(ws.store, ws.sources or ws.store.list_sources(), week, now)
    return show(request, "digests.html", user=user, weeks=weeks, week=week, d=digest)


@router.get("/digests/{week}/view")
def digest_view(request: Request, week: str, user: User = Depends(VIEWER)):
    """The digest's own HTML, framed by the digests page: its inline styles allowed, no script at all."""
    from monitor.digest import iso_week_bounds, render_html
    from monitor.weekly import make_digest

    ws = workspace(request)
    try:
        iso_week_bounds(week)
    except ValueError:
        raise HTTPException(404, f"not an ISO week: {week!r}") from None
    digest = make_digest(ws.store, ws.sources or ws.store.list_sources(), week, ws.clock.now())
    headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "frame-ancestors 'self'", "X-Frame-Options": "SAMEORIGIN"}
    import base64

    from monitor.digest import render_chart

    chart = "data:image/png;base64," + base64.b64encode(render_chart(digest)).decode("ascii")
    return HTMLResponse(render_html(digest, chart_src=chart), headers=headers)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, user: User = Depends(VIEWER)):
    ws = workspace(request)
    now = ws.clock.now()
    health = {h.source: h for h in ws.store.list_health()}
    per_day = ws.store.items_per_day(now - timedelta(days=14))
    rows = [(s, health.get(s.name), daily_series(per_day.get(s.name, {}), 14, now.date()))
            for s in ws.store.list_sources()]
    return show(request, "sources.html", user=user, rows=rows, message=request.query_params.get("m"))


@router.post("/sources", dependencies=[Depends(check_csrf)])
async def add_source(request: Request, user: User = Depends(ADMIN)):
    """Add a source (polled by `run` from its next start), validated as sources.yaml entries are."""
    from urllib.parse import urlencode

    from monitor.errors import ConfigError
    from monitor.sources.catalog import source_from_mapping

    ws = workspace(request)
    form = await request.form()
    entry = {k: str(form.get(k, "")).strip() for k in ("name", "kind", "url", "category", "interval")}
    entry = {k: v for k, v in entry.items() if v}
    try:
        config = source_from_mapping(entry, "source")
    except ConfigError as exc:
        return RedirectResponse("/sources?" + urlencode({"m": str(exc)}), 303)
    actions.record_source_change(ws, config.name, user.email, config=config)
    return RedirectResponse("/sources?" + urlencode({"m": f"added {config.name}; `run` polls it from its next start"}), 303)


@router.post("/sources/{name}/{verb}", dependencies=[Depends(check_csrf)])
def pause_source(request: Request, name: str, verb: str, user: User = Depends(ADMIN)):
    from urllib.parse import urlencode

    if verb not in ("pause", "resume"):
        raise HTTPException(404, "unknown action")
    if not actions.record_source_change(workspace(request), name, user.email, paused=verb == "pause"):
        raise HTTPException(404, f"no source {name!r}")
    return RedirectResponse("/sources?" + urlencode({"m": f"{verb}d {name}; `run` applies it from its next start"}), 303)


@router.post("/sources/test", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def source_test_form(request: Request, user: User = Depends(ADMIN)):
    from monitor.sourcetest import test_source

    ws = workspace(request)
    form = await request.form()
    result = await test_source(str(form.get("url", "")).strip(), str(form.get("kind", "rss")), ws.settings,
                               ws.classifier_factory() if ws.classifier_factory else None)
    return show(request, "source_test.html", user=user, r=result)


def sparkline(values: list[int]) -> str:
    """Return the points of a small SVG polyline for a 14-day series."""
    top = max(values + [1])
    return " ".join(f"{k * 8},{20 - 18 * v / top:.1f}" for k, v in enumerate(values))


def register_filters(env: Any) -> None:
    env.filters["sparkline"] = sparkline
