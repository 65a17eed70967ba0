"""Issue 13, item 7: properties that hold for any input (Hypothesis), for the pure parts that stand
between hostile input and the store, the terminal, the network and the subscribers."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import string
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from monitor.alerts import decide_alerts
from monitor.dedup import canonical_url, content_hash
from monitor.digest import escape_markdown, guard_cell
from monitor.errors import SourceError
from monitor.hygiene import (
    clean_line,
    json_text,
    mask_secrets,
    register_secrets,
    strip_controls,
    terminal_cell,
)
from monitor.netguard import UrlGuard, blocked_reason, split_url
from monitor.sources.base import item_guid, plain_text, safe_link
from monitor.types import Alert, Channel, Incident, QuietHours, Severity, Subscription
from monitor.watchlist import Company, Watchlist
from notifiers.render import escape_mrkdwn

CONTROLS = [chr(c) for c in [*range(9), *range(11, 32), *range(127, 160)]] + [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"]
hostile_text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(CONTROLS)), max_size=300)
TRACKING = ["utm_source", "utm_medium", "utm_campaign", "fbclid", "gclid"]


# --------------------------------------------------------------------------- URL canonicalisation, dedup keys


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(urls())
def test_canonical_url_is_idempotent(url):
    once = canonical_url(url)
    assert canonical_url(once) == once


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(urls(), st.sampled_from(TRACKING), st.text(alphabet="abc123", min_size=1, max_size=8))
def test_tracking_parameters_never_change_the_canonical_url(url, key, value):
    assume("?" not in url and "#" not in url)
    assert canonical_url(f"{url}?{key}={value}") == canonical_url(url)


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(st.text(max_size=200))
def test_canonical_url_never_raises_on_junk(text):
    assert isinstance(canonical_url(text), str)


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(st.text(alphabet=string.printable, max_size=120), st.text(alphabet=string.printable, max_size=300))
def test_content_hash_ignores_case_and_spacing(title, summary):  # (Unicode case maps do not all round-trip)
    spaced = "  " + title.upper().replace(" ", "\n \t") + " "
    assert content_hash(spaced, summary.upper()) == content_hash(title, summary)


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(st.text(max_size=80), st.text(max_size=80), st.text(max_size=80))
def test_item_guid_is_deterministic_and_never_empty(guid, link, text):
    first = item_guid(guid, link, text=text)
    assert first == item_guid(guid, link, text=text) and first.strip()


# --------------------------------------------------------------------------- escaping


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(hostile_text)
def test_clean_line_leaves_no_control_or_bidi_and_is_idempotent(text):
    cleaned = clean_line(text)
    assert not any(c in cleaned for c in CONTROLS) and "\n" not in cleaned
    assert clean_line(cleaned) == cleaned


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(hostile_text)
def test_stored_display_text_has_no_control_or_bidi(text):
    stored = plain_text(text, 300)
    assert not any(c in stored for c in CONTROLS) and len(stored) <= 300


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(hostile_text)
def test_terminal_cells_render_without_escapes(text):
    from rich.console import Console

    console = Console(record=True, width=400, color_system=None, force_terminal=False)
    console.print(terminal_cell(text))
    rendered = console.export_text()
    assert "\x1b" not in rendered and "\x07" not in rendered and "\u202e" not in rendered


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(st.dictionaries(hostile_text, hostile_text | st.integers(), max_size=4))
def test_json_for_the_terminal_is_the_same_value_without_raw_controls(value):
    dumped = json_text(value)
    assert json.loads(dumped) == value and not any(c in dumped for c in CONTROLS)


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(hostile_text)
def test_strip_controls_keeps_lines_and_tabs_only(text):
    kept = strip_controls(text)
    assert all(c in "\n\t" or c not in CONTROLS for c in kept) and "\r" not in kept


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(hostile_text)
def test_markdown_and_csv_cells_are_inert(text):
    md = escape_markdown(text)
    assert "\n" not in md and not any(c in md for c in CONTROLS)
    cell = guard_cell(clean_line(text))
    assert not cell.startswith(("=", "+", "-", "@"))


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(hostile_text)
def test_slack_mrkdwn_escape_defuses_everything(text):
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped and not any(c in escaped for c in CONTROLS)


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=40), hostile_text)
def test_a_registered_secret_never_survives_masking(secret, text):
    register_secrets([secret])
    assert secret not in mask_secrets(f"{text}{secret}{text}")


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=24))
def test_webhook_paths_are_masked_even_unregistered(tail):
    url = f"https://hooks.slack.com/services/T0/B0/{tail}"
    assert tail not in mask_secrets(f"posting to {url} now")


# --------------------------------------------------------------------------- the SSRF guard


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(st.ip_addresses(v=4, network="10.0.0.0/8") | st.ip_addresses(v=4, network="127.0.0.0/8")
       | st.ip_addresses(v=4, network="169.254.0.0/16") | st.ip_addresses(v=4, network="192.168.0.0/16")
       | st.ip_addresses(v=6, network="fe80::/10") | st.ip_addresses(v=6, network="fc00::/7"))
def test_internal_addresses_are_always_refused(ip):
    assert blocked_reason(ip) is not None
    mapped = ipaddress.IPv6Address(f"::ffff:{ip}") if ip.version == 4 else ip
    assert blocked_reason(mapped) is not None


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.ip_addresses(v=4))
def test_a_literal_address_url_is_refused_exactly_when_the_address_is_internal(ip):
    try:
        asyncio.run(UrlGuard().check(f"http://{ip}/x"))
        refused = False
    except SourceError:
        refused = True
    assert refused == (blocked_reason(ip) is not None)


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(st.text(max_size=120))
def test_url_checks_fail_only_with_source_errors(text):
    try:
        scheme, host, port = split_url(text)
    except SourceError:
        return
    assert scheme in ("http", "https") and host and 0 <= port <= 65535


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(hostile_text)
def test_safe_links_are_http_and_clean(text):
    link = safe_link(text)
    assert link == "" or (link.lower().startswith(("http://", "https://")) and clean_line(link) == link)


# --------------------------------------------------------------------------- the routing decision

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
WATCHLIST = Watchlist(companies=(Company(id="mtn", name="MTN Group", category="telecom"),
                                 Company(id="mtn-ng", name="MTN Nigeria", category="telecom", parent="MTN Group")),
                      lists={})
subscriptions = st.lists(st.builds(
    lambda name, kind, mode, cap, quiet, sev, companies: Subscription(
        name=name, channel=Channel(kind, ("https://hooks.example/x" if kind == "slack_webhook" else "t",)),
        mode=mode, daily_cap=cap, quiet_hours=QuietHours(*quiet) if quiet else None, min_severity=sev,
        companies=companies),
    st.text(alphabet="abcdef", min_size=1, max_size=4), st.sampled_from(["slack_channel", "slack_webhook", "email"]),
    st.sampled_from(["instant", "digest"]), st.none() | st.integers(0, 3),
    st.none() | st.sampled_from([("22:00", "07:00"), ("09:00", "17:00")]), st.sampled_from(list(Severity)),
    st.sampled_from([(), ("MTN Group",), ("Meta",)])), max_size=6, unique_by=lambda s: s.name)


@settings(deadline=None)  # the machine is shared: time is not what these check
@given(subscriptions, st.sampled_from(list(Severity)), st.integers(0, 5), st.integers(1, 5),
       st.lists(st.integers(0, 120), max_size=4))
def test_routing_decisions_hold_their_invariants(subs, severity, sent, sources, prior_minutes):
    incident = Incident(id=7, title="Nigeria cuts internet", url="https://a.example/1", labels=("shutdown",),
                        companies=("MTN Nigeria",), inferred_companies=(), countries=("NG",), first_seen=NOW,
                        last_seen=NOW, source_count=sources, severity=severity)
    prior = [Alert(7, s.name, "new" if i == 0 else "update", Severity.LOW, "why", NOW - timedelta(minutes=m))
             for s in subs[:1] for i, m in enumerate(prior_minutes)]
    sent_today = {s.name: sent for s in subs}
    decisions = decide_alerts(incident, prior, subs, WATCHLIST, NOW, sent_today)
    by_name = {s.name: s for s in subs}
    assert len({d.alert.subscription for d in decisions}) == len(decisions)  # at most one each
    for d in decisions:
        sub = by_name[d.alert.subscription]
        had = [a for a in prior if a.subscription == sub.name]
        assert sub.mode == "instant" and sub.min_severity <= severity
        assert d.alert.kind == ("update" if had else "new")
        capped = sub.daily_cap is not None and sent >= sub.daily_cap
        assert d.route == ("digest" if capped else "instant")
        assert d.release_at >= NOW and (sub.quiet_hours is not None or d.release_at == NOW)
    dismissed = decide_alerts(replace(incident, status="dismissed"), prior, subs, WATCHLIST, NOW, sent_today)
    assert len(dismissed) <= len(decisions)
