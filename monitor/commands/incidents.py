"""`incidents list|show|dismiss|reopen`: the analyst's review from the terminal."""

from __future__ import annotations

from contextlib import contextmanager

import click

from monitor.cli import _settings, cli
from monitor.hygiene import json_text


@contextmanager
def _store(ctx: click.Context):
    from monitor.wiring import open_store

    store = open_store(_settings(ctx))
    try:
        yield store
    finally:
        store.close()


@cli.group()
def incidents() -> None:
    """Review incidents."""


@incidents.command("list")
@click.option("--status", type=click.Choice(["open", "dismissed"]), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_incidents(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """List the latest incidents."""
    with _store(ctx) as store:
        rows = store.list_incidents(status=status, limit=limit)
    if as_json:
        click.echo(json_text([incident_json(i) for i in rows]))
        return
    from rich.console import Console
    from rich.table import Table

    from monitor.hygiene import terminal_cell as cell

    table = Table()
    for column in ("id", "severity", "labels", "companies", "countries", "sources", "last seen", "title"):
        table.add_column(column)
    for i in rows:
        table.add_row(str(i.id), str(i.severity), cell(",".join(i.labels)), cell(", ".join(i.companies or i.inferred_companies)),
                      cell(",".join(i.countries)), str(i.source_count), i.last_seen.strftime("%Y-%m-%d %H:%M"),
                      cell(i.title[:70]) + (" [dismissed]" if i.status == "dismissed" else ""))
    Console(highlight=False).print(table)


@incidents.command("show")
@click.argument("incident_id", type=int)
@click.pass_context
def show_incident(ctx: click.Context, incident_id: int) -> None:
    """Show one incident with its severity reasons, evidence and reports."""
    with _store(ctx) as store:
        incident = store.get_incident(incident_id)
        if incident is None:
            raise click.ClickException(f"no incident {incident_id}")
        items = store.incident_items(incident_id)
        alerts = store.alerts_for_incident(incident_id)
    data = incident_json(incident)
    data["reports"] = [{"source": i.source, "title": i.title, "url": i.url,
                        "published": i.published.isoformat() if i.published else None} for i in items]
    data["alerts"] = [{"subscription": a.subscription, "kind": a.kind, "at": a.created_at.isoformat(),
                       "why": a.why} for a in alerts]
    click.echo(json_text(data, indent=2))


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
        "sources": i.source_count, "reports": i.item_count, "first_seen": i.first_seen.isoformat(),
        "last_seen": i.last_seen.isoformat(),
        "evidence": [{"label": e.label, "text": e.text} for e in i.evidence], "urls": list(i.urls),
    }
