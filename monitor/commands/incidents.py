"""`incidents list|show|dismiss|reopen`: the analyst's review from the terminal."""

from __future__ import annotations

from contextlib import contextmanager

import click

from monitor.commands.root import _settings, cli
from monitor.hygiene import json_text
from monitor.readable import IncidentFilter
from monitor.types import LABELS


@contextmanager
def _store(ctx: click.Context, existing: bool = True):
    """The store, which must exist already unless `existing=False` (commands that may come before the first
    poll: `subscribe`, `user add`, `token create`); only `run` and `poll --once` are meant to create it."""
    from monitor.wiring import open_store

    store = open_store(_settings(ctx), existing=existing)
    try:
        yield store
    finally:
        store.close()


@cli.group()
def incidents() -> None:
    """Review incidents."""


@incidents.command("list")
@click.option("--label", multiple=True, type=click.Choice(LABELS), help="Only incidents with this label (repeatable).")
@click.option("--company", multiple=True, help="Only incidents of this company (a group includes its subsidiaries).")
@click.option("--country", multiple=True, help="Only incidents in this country (ISO code, e.g. ET).")
@click.option("--severity", type=click.Choice(["low", "medium", "high", "critical"]), help="At least this severe.")
@click.option("--status", type=click.Choice(["open", "dismissed"]), default=None, help="Default: both.")
@click.option("--week", help="Only incidents seen in this ISO week, e.g. 2026-W47.")
@click.option("--text", default="", help="Only incidents whose title or evidence contains this text.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@click.pass_context
def list_incidents(ctx: click.Context, label, company, country, severity, status, week, text, limit: int,
                   as_json: bool) -> None:
    """List the latest incidents, most recently seen first."""
    from monitor.readable import select_incidents, shown_incident
    from monitor.wiring import load_watchlist

    settings = _settings(ctx)
    watchlist = load_watchlist(settings) if company else None
    if company:
        _refuse_unknown_companies(company, watchlist)
    wanted = incident_filter(label, company, country, severity, status, week, text)
    with _store(ctx) as store:
        # filters other than status are applied here, on the latest incidents (enough for a terminal)
        rows = store.list_incidents(status=status, limit=limit if wanted == IncidentFilter(status=status) else 20_000)
    stored = len(rows)
    rows = [shown_incident(i) for i in select_incidents(rows, wanted, watchlist)[:limit]]
    if as_json:
        click.echo(json_text([incident_json(i) for i in rows]))
        return
    if not rows:
        click.echo("no incidents match these filters" if stored or wanted != IncidentFilter() else
                   f"no incidents in the store {_shown_store(settings)} yet (`rights-monitor poll --once` or `run` "
                   "fill it; --db names another store)", err=True)
        return
    print_incident_table(rows)


def _shown_store(settings) -> str:
    from monitor.hygiene import mask_secrets

    return mask_secrets(settings.db_url)


def incident_filter(label, company, country, severity, status, week, text):
    from monitor.digest import iso_week_bounds
    from monitor.types import Severity

    start = end = None
    if week:
        try:
            start, end = iso_week_bounds(week)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--week") from None
    return IncidentFilter(labels=tuple(label), companies=tuple(company), countries=tuple(c.upper() for c in country),
                          min_severity=Severity.parse(severity) if severity else None, status=status,
                          start=start, end=end, text=text.strip())


def _refuse_unknown_companies(names, watchlist) -> None:
    from monitor.references import did_you_mean

    surfaces = [n for c in watchlist for n in c.surfaces]
    for name in names:
        if watchlist.resolve(name) is None:
            raise click.BadParameter(f"unknown company {name!r}{did_you_mean(name, surfaces)}", param_hint="--company")


def print_incident_table(rows) -> None:
    from monitor.countries import country_list
    from monitor.tables import FREE, WORDS, Col, print_table

    cols = (Col("id"), Col("status"), Col("severity"), Col("labels", WORDS), Col("companies", WORDS),
            Col("countries", WORDS), Col("sources"), Col("last seen", WORDS), Col("title", FREE, cut=80))
    print_table(cols, [(str(i.id), i.status, str(i.severity), ", ".join(i.labels), ", ".join(i.companies or i.inferred_companies),
                        country_list(i.countries), str(i.source_count), i.last_seen.strftime("%Y-%m-%d %H:%M"), i.title)
                       for i in rows])


@incidents.command("show")
@click.argument("incident_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object (for scripts).")
@click.pass_context
def show_incident(ctx: click.Context, incident_id: int, as_json: bool) -> None:
    """Show one incident: severity and why, companies, countries, evidence, reports and alerts."""
    from monitor.readable import shown_incident

    with _store(ctx) as store:
        incident = store.get_incident(incident_id)
        if incident is None:
            raise click.ClickException(f"no incident {incident_id}")
        items = store.incident_items(incident_id)
        alerts = store.alerts_for_incident(incident_id)
    data = incident_json(shown_incident(incident))
    data["reports"] = [{"source": i.source, "title": i.title, "url": i.canonical_url or i.url,
                        "published": i.published.isoformat() if i.published else None} for i in items]
    data["alerts"] = [{"subscription": a.subscription, "kind": a.kind, "at": a.created_at.isoformat(),
                       "why": a.why} for a in alerts]
    if as_json:
        click.echo(json_text(data, indent=2))
        return
    from monitor.hygiene import strip_controls

    click.echo("\n".join(strip_controls(line).replace("\n", " ") for line in incident_page(data)))


def incident_page(d: dict) -> list[str]:
    """The lines of an incident as a page for the terminal."""
    from monitor.countries import country_list

    companies = ", ".join(d["companies"]) or "none named"
    lines = [f"Incident {d['id']} ({d['status']}): {d['title']}", d["url"] or "(no link)", "",
             f"Severity:   {d['severity']}" + (f" ({'; '.join(d['severity_reasons'])})" if d["severity_reasons"] else ""),
             f"Labels:     {', '.join(d['labels']) or 'none'}", f"Companies:  {companies}"]
    if d["inferred_companies"]:
        lines.append(f"Operators in the area: {', '.join(d['inferred_companies'])}")
    seen = (f"{d['first_seen'][:16].replace('T', ' ')} to {d['last_seen'][:16].replace('T', ' ')} UTC, "
            f"{d['sources']} source(s), {d['reports_count']} report(s)")
    lines += [f"Countries:  {country_list(d['countries']) or 'unknown'}", f"Seen:       {seen}", ""]
    if d["evidence"]:
        lines += ["Evidence:", *(f"  [{e['label']}] \"{e['text']}\"" for e in d["evidence"]), ""]
    lines.append("Reports:")
    for r in d["reports"]:
        lines += [f"  {r['published'][:10] if r['published'] else '(undated)'}  {r['source']}: {r['title']}",
                  f"    {r['url']}"]
    if d["alerts"]:
        lines += ["", "Alerts:"] + [f"  {a['at'][:16]} {a['kind']} to {a['subscription']}: {a['why']}" for a in d["alerts"]]
    return lines


@incidents.command("dismiss")
@click.argument("incident_id", type=int)
@click.pass_context
def dismiss(ctx: click.Context, incident_id: int) -> None:
    """Dismiss an incident: it raises no alert and no update from now on."""
    _set_status(ctx, incident_id, "dismissed")


@incidents.command("reopen")
@click.argument("incident_id", type=int)
@click.pass_context
def reopen(ctx: click.Context, incident_id: int) -> None:
    """Undo a dismissal."""
    _set_status(ctx, incident_id, "open")


def _set_status(ctx: click.Context, incident_id: int, status: str) -> None:
    with _store(ctx) as store:
        if not store.set_incident_status(incident_id, status):
            raise click.ClickException(f"no incident {incident_id}")
    click.echo(f"incident {incident_id}: {status}")


def incident_json(i) -> dict:
    """The JSON view of an incident (also the future API's)."""
    return {
        "id": i.id, "title": i.title, "url": i.url, "status": i.status, "severity": str(i.severity),
        "severity_reasons": list(i.severity_reasons), "labels": list(i.labels), "companies": list(i.companies),
        "inferred_companies": list(i.inferred_companies), "countries": list(i.countries),
        "sources": i.source_count, "reports": i.item_count, "reports_count": i.item_count,
        "first_seen": i.first_seen.isoformat(),
        "last_seen": i.last_seen.isoformat(),
        "evidence": [{"label": e.label, "text": e.text} for e in i.evidence], "urls": list(i.urls),
    }
