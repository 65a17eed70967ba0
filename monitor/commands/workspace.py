"""`serve`, `user add`, `token create`, `export-labels`, `sources test URL`: the workspace's commands."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from monitor.commands.incidents import _store
from monitor.commands.polling import sources_cmd
from monitor.commands.root import _settings, cli
from monitor.types import ROLES

DEFAULT_LABELS_OUT = "var/reviewed_items.jsonl"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Run the workspace web app (pages, /api/v1, /docs, feeds) on the same store and settings."""
    import uvicorn

    from monitor.web.serve import build_app

    app = build_app(_settings(ctx))
    click.echo(f"workspace on http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


@cli.group()
def user() -> None:
    """Manage workspace accounts."""


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="analyst", show_default=True)
@click.pass_context
def user_add(ctx: click.Context, email: str, role: str) -> None:
    """Create an account (or reset its password and role); the password is read from stdin."""
    from monitor.clock import SystemClock
    from monitor.web.auth import hash_password

    if "@" not in email:
        raise click.UsageError("EMAIL must be an email address")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise click.UsageError("the password needs at least 8 characters")
    with _store(ctx, existing=False) as store:
        made = store.add_user(email, role, hash_password(password), SystemClock().now())
    click.echo(f"user {made.email}: {made.role}")


@cli.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["analyst", "viewer"]), default="viewer", show_default=True)
@click.pass_context
def token_create(ctx: click.Context, name: str, role: str) -> None:
    """Print a new API token once (only its hash is stored)."""
    from monitor.clock import SystemClock
    from monitor.web.auth import new_token, token_hash

    secret = new_token()
    with _store(ctx, existing=False) as store:
        store.add_token(name, role, token_hash(secret), SystemClock().now())
    click.echo(secret)


@cli.command("export-labels")
@click.option("--out", default=DEFAULT_LABELS_OUT, show_default=True, help="JSONL file; - for stdout.")
@click.pass_context
def export_labels(ctx: click.Context, out: str) -> None:
    """Write reviewed incidents' items as labeled JSONL (dev_items format) for eval and training."""
    from monitor.review import labeled_jsonl

    with _store(ctx) as store:
        pairs = store.reviewed_items()
        latest = {}
        for incident_id in {i.id for i, _ in pairs}:
            reviews = store.reviews_for_incident(incident_id)
            if reviews:
                latest[incident_id] = reviews[-1]
    text = labeled_jsonl(pairs, latest)
    if out == "-":
        click.echo(text, nl=False)
        return
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {len(pairs)} reviewed items to {out}", err=True)


def source_kind(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Accept a registered source kind (checked before the classifier loads)."""
    from monitor.sources import SOURCES

    if value not in SOURCES:
        raise click.BadParameter(f"{value!r} is not a source kind (known: {', '.join(SOURCES.kinds())})")
    return value


@sources_cmd.command("test")
@click.argument("url")
@click.option("--kind", default="rss", show_default=True, callback=source_kind,
              help="A registered source kind: rss, html, json.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def sources_test(ctx: click.Context, url: str, kind: str, as_json: bool) -> None:
    """Fetch, parse and classify one source, storing nothing."""
    from monitor.hygiene import clean_line
    from monitor.sourcetest import summary_line, test_source
    from monitor.wiring import classifier_factory, load_watchlist, make_deps

    settings = _settings(ctx)
    deps = make_deps(watchlist=load_watchlist(settings))
    classifier = classifier_factory(settings, deps)()
    report = asyncio.run(test_source(url, kind, settings, classifier, trusted=True, deps=deps))  # the operator's shell
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    elif report["error"]:  # a failure is the message, not "HTTP None, 0 items"
        click.echo(f"error: {clean_line(summary_line(report))}", err=True)
    else:
        click.echo(summary_line(report))
        for item in report["items"]:
            click.echo(f"  [{','.join(item['labels']) or 'none'}] {item['title']}"
                       + (f" — {', '.join(item['companies'])}" if item["companies"] else ""))
    if report["error"]:
        if as_json:
            click.echo(f"error: {clean_line(report['error'])}", err=True)
        ctx.exit(1)
