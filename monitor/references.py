"""What a subscription names, checked against what the monitor knows: companies, lists, tickers, countries, channels.

Pure functions of a subscription, the watchlist and the built notifiers (a `Family`: each switched-off
channel with the reason its module gave); `subscribe` refuses what they find and
`check-config` lists it, so a misspelt company or an unconfigured channel is an error when it is made,
not a silence later.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from monitor.countries import country_names
from monitor.registry import Family


def unconfigured_reason(kind: str, notifiers: Mapping[str, Any]) -> str:
    """Say what a channel kind with no notifier needs: the reason its module gave when it switched off."""
    if isinstance(notifiers, Family):
        return notifiers.why_off(kind)  # e.g. "email is not configured: set SMTP_HOST (settings: smtp.host)"
    return f"no {kind} notifier is configured"


def channel_problem(kind: str, notifiers: Mapping[str, Any]) -> str | None:
    """Return why a channel kind cannot deliver with the notifiers built from the settings, or None when it can."""
    return None if kind in notifiers else unconfigured_reason(kind, notifiers)


def secret_problem(channel: Any, environ: Any) -> str | None:
    """Return why a signed json_webhook cannot sign (its secret's variable is unset), or None."""
    name = getattr(channel, "secret_env", None)
    if name and not environ.get(name):
        return f"json_webhook secret_env {name} is not set in the environment"
    return None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """Return ' (did you mean 'X'?)' for the closest known spelling, or ''."""
    by_fold: dict[str, str] = {}
    for name in known:
        by_fold.setdefault(name.casefold(), name)
    close = difflib.get_close_matches(word.casefold(), list(by_fold), n=1, cutoff=0.6)
    return f" (did you mean {by_fold[close[0]]!r}?)" if close else ""


def reference_problems(sub: Any, watchlist: Any, workspace_lists: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Return (field path, message) for every company, watchlist, ticker or country the monitor does not know.

    `workspace_lists` are the names of watchlists made in the workspace (the store), besides the files' ones.
    """
    problems: list[tuple[str, str]] = []
    names = [n for c in watchlist for n in c.surfaces]
    for i, name in enumerate(sub.companies):
        if name.strip().upper() != "ALL" and watchlist.resolve(name) is None:
            problems.append((f"companies[{i}]", f"unknown company {name!r}{did_you_mean(name, names)}"))
    lists = sorted({*watchlist.named_lists(), *workspace_lists})
    for i, name in enumerate(sub.watchlists):
        if name not in lists:
            known = f"{did_you_mean(name, lists)}" or f" (known: {', '.join(lists) or 'none'})"
            problems.append((f"watchlists[{i}]", f"unknown watchlist {name!r}{known}"))
    tickers = [t for c in watchlist for t in (*c.tickers, *c.isins)]
    for i, ticker in enumerate(sub.tickers):
        if watchlist.resolve(ticker) is None:
            problems.append((f"tickers[{i}]", f"unknown ticker or ISIN {ticker!r}{did_you_mean(ticker, tickers)}"))
    problems += country_problems(sub.countries)
    return problems


def country_problems(codes: Iterable[str]) -> list[tuple[str, str]]:
    """Return (field path, message) for every code that is not an ISO 3166-1 alpha-2 country."""
    known = country_names()
    problems = []
    for i, code in enumerate(codes):
        if code.upper() not in known:
            hint = _country_hint(code, known)
            problems.append((f"countries[{i}]", f"unknown country code {code!r} (ISO 3166 alpha-2){hint}"))
    return problems


def _country_hint(code: str, known: dict[str, str]) -> str:
    by_name = {name.casefold(): c for c, name in known.items()}
    close = [code.casefold()] if code.casefold() in by_name else (  # a name given where a code belongs
        difflib.get_close_matches(code.casefold(), list(by_name), n=1, cutoff=0.75))
    return f" (did you mean {by_name[close[0]]!r} for {known[by_name[close[0]]]}?)" if close else ""


def subscription_problems(sub: Any, watchlist: Any, notifiers: Mapping[str, Any], environ: Mapping[str, str],
                          workspace_lists: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every problem of one subscription: its channel (against the built notifiers), then what it names."""
    problems = []
    for problem in (channel_problem(sub.channel.kind, notifiers), secret_problem(sub.channel, environ)):
        if problem:
            problems.append((sub.channel.kind, problem))
    return problems + reference_problems(sub, watchlist, workspace_lists)
