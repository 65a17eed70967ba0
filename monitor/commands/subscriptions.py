"""`subscribe`, `subscriptions list`, `unsubscribe`."""

from __future__ import annotations

import click

from monitor.commands.incidents import _store
from monitor.commands.root import _settings, cli
from monitor.errors import ConfigError
from monitor.hygiene import clean_line, mask_target, terminal_cell
from monitor.types import LABELS, ChannelSpec


class ChannelOptions(click.Command):
    """A command with one option per installed channel (`--email`, `--teams-webhook`, a plugin's own...).

    Each channel module describes its option (`ChannelSpec`); they are added when the command is first
    parsed or shown, so `import monitor.cli` loads no notifier module.
    """

    channels_added = False

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not self.channels_added:
            from notifiers import channel_specs

            self.params[1:1] = [channel_option(spec) for spec in channel_specs().values()]
            self.channels_added = True
        return super().get_params(ctx)


def channel_option(spec: ChannelSpec) -> click.Option:
    """The `subscribe` option of one channel: `--teams-webhook URL`; repeatable where it takes several targets."""
    metavar = {"url": "URL", "email": "ADDR"}.get(spec.target, "TARGET")
    return click.Option([spec.option, spec.kind], multiple=spec.many, metavar=metavar, help=spec.help)


@cli.command(cls=ChannelOptions)
@click.argument("name")
@click.option("--secret-env", help="Environment variable holding the channel's signing key (--json-webhook: HMAC-SHA256).")
@click.option("--company", multiple=True, help="Company name, alias or brand; ALL for every company.")
@click.option("--watchlist", multiple=True, help="Named watchlist.")
@click.option("--ticker", multiple=True, help="Ticker or ISIN.")
@click.option("--label", multiple=True, type=click.Choice(LABELS))
@click.option("--country", multiple=True, help="ISO 3166 alpha-2 code.")
@click.option("--min-severity", default="low", type=click.Choice(["low", "medium", "high", "critical"]))
@click.option("--mode", default="instant", type=click.Choice(["instant", "digest"]))
@click.option("--quiet-hours", help="e.g. 22:00-07:00, in --timezone.")
@click.option("--timezone", "tz", default="UTC", help="Area/City.")
@click.option("--daily-cap", type=int, help="At most N instant alerts a day; the rest go to the digest.")
@click.option("--digest-every", type=click.Choice(["week", "day"]),
              help="With --mode digest: the weekly digest (default) or a daily one.")
@click.option("--updates", type=click.Choice(["none", "material", "all"]),
              help="Which updates to send: default material (email, webhooks), all (Slack).")
@click.pass_context
def subscribe(ctx: click.Context, name: str, secret_env, company, watchlist, ticker, label, country, min_severity,
              mode, quiet_hours, tz, daily_cap, digest_every, updates, **targets) -> None:
    """Create or replace the subscription NAME (give exactly one channel option)."""
    from monitor.subscriptions import subscription_from_mapping
    from notifiers import channel_specs

    specs = channel_specs()
    entry = {"name": name, **{kind: list(value) if specs[kind].many else value for kind, value in targets.items()},
             "secret_env": secret_env, "companies": list(company), "watchlists": list(watchlist),
             "tickers": list(ticker), "labels": list(label), "countries": list(country), "min_severity": min_severity,
             "mode": mode, "quiet_hours": quiet_hours, "timezone": tz, "daily_cap": daily_cap, "updates": updates,
             "digest_every": digest_every}
    try:
        sub = subscription_from_mapping({k: v for k, v in entry.items() if v not in (None, [], "")}, specs)
    except ConfigError as exc:
        message = str(exc).split(": ", 1)[-1]
        if "give exactly one of" in message:
            message = f"give exactly one of {', '.join(s.option for s in specs.values())}"
        raise click.UsageError(message) from None
    settings = _settings(ctx)
    spec = specs[sub.channel.kind]
    if spec.target == "url":
        refuse_internal(sub.channel.targets, settings.fetch.allow_hosts, spec.option)
    with _store(ctx, existing=False) as store:
        refuse_problems(sub, settings, specs, [w.name for w in store.list_watchlists()])
        store.upsert_subscription(sub)
    click.echo(clean_line(f"subscribed {name}: {sub.channel.kind} {', '.join(map(mask_target, sub.channel.targets))}"))


OPTION_OF = {"companies": "--company", "watchlists": "--watchlist", "tickers": "--ticker", "countries": "--country",
             "updates": "--updates", "secret_env": "--secret-env"}


def refuse_problems(sub, settings, specs, workspace_lists=()) -> None:
    """Refuse an unconfigured channel or an unknown company, watchlist, ticker or country, naming each."""
    from monitor.references import subscription_problems
    from monitor.wiring import build_notifiers, load_watchlist, make_deps

    deps = make_deps()
    problems = subscription_problems(sub, load_watchlist(settings), build_notifiers(settings, deps), deps.environ,
                                     workspace_lists)
    if problems:
        options = {**OPTION_OF, **{kind: spec.option for kind, spec in specs.items()}}
        lines = [f"{options.get(field.split('[')[0], field)}: {message}" for field, message in problems]
        raise click.UsageError("\n".join(clean_line(line) for line in lines))


def refuse_internal(urls, allow_hosts, option: str = "--slack-webhook") -> None:
    """Refuse a webhook URL that points inside (loopback, private...); one that does not resolve now is checked at send."""
    from monitor.netguard import UrlGuard

    for url in urls:
        reason = UrlGuard(allow_hosts).refusal(url)
        if reason:
            raise click.UsageError(f"{option} {mask_target(url)}: {reason}")


@cli.group()
def subscriptions() -> None:
    """List subscriptions."""


@subscriptions.command("list")
@click.pass_context
def list_subscriptions(ctx: click.Context) -> None:
    """Show every subscription and its filters."""
    from rich.console import Console
    from rich.table import Table

    with _store(ctx) as store:
        subs = store.list_subscriptions()
    table = Table()
    for column in ("name", "channel", "filters", "severity", "mode", "quiet hours", "cap"):
        table.add_column(column)
    for s in subs:
        table.add_row(terminal_cell(s.name), terminal_cell(f"{s.channel.kind}: {', '.join(map(mask_target, s.channel.targets))}"),
                      terminal_cell(describe_filters(s)), str(s.min_severity), s.mode,
                      f"{s.quiet_hours.start}-{s.quiet_hours.end} {s.timezone}" if s.quiet_hours else "-",
                      str(s.daily_cap or "-"))
    Console(highlight=False).print(table)


def describe_filters(s) -> str:
    parts = [("companies", s.companies), ("watchlists", s.watchlists), ("tickers", s.tickers),
             ("labels", s.labels), ("countries", s.countries)]
    text = "; ".join(f"{key}: {', '.join(values)}" for key, values in parts if values)
    return text or "everything"


@cli.command()
@click.argument("name")
@click.pass_context
def unsubscribe(ctx: click.Context, name: str) -> None:
    """Delete the subscription NAME."""
    from monitor.clock import SystemClock

    with _store(ctx) as store:
        if not store.delete_subscription(name, SystemClock().now()):
            known = [s.name for s in store.list_subscriptions()]
            from monitor.references import did_you_mean

            raise click.ClickException(f"no subscription {clean_line(name)!r}{clean_line(did_you_mean(name, known))}")
    click.echo(f"unsubscribed {clean_line(name)} (a subscriptions seed file will not re-create it)")
