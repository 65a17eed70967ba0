"""Who hears of an incident and when: matching, new/update alerts, caps, quiet hours, throttling."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.alerts import (
    AlertDecision,
    count_instant,
    day_start,
    decide_alerts,
    in_quiet_hours,
    match_subscription,
    parse_quiet_hours,
    parse_timezone,
    recorded_sources,
    release_time,
    throttle_update,
)
from monitor.subscriptions import with_channel_defaults
from monitor.types import Alert, Channel, Incident, QuietHours, Severity, Subscription
from monitor.watchlist import Company, Watchlist
from notifiers import channel_specs

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
WATCHLIST = Watchlist(
    companies=(
        Company(id="mtn", name="MTN Group", category="telecom", tickers=("MTN:JSE",), isins=("ZAE000042164",)),
        Company(id="mtn-ng", name="MTN Nigeria", category="telecom", parent="MTN Group", tickers=("MTNN:NGX",)),
        Company(id="meta", name="Meta", category="platform", tickers=("META",)),
    ),
    lists={"africa-telecoms": ("MTN Group",)},
)
SLACK = Channel("slack_channel", ("C123",))


def incident(**changes) -> Incident:
    base = Incident(id=5, title="Nigeria cuts internet", url="https://a.example/1", labels=("shutdown",),
                    companies=("MTN Nigeria",), inferred_companies=(), countries=("NG",), first_seen=NOW,
                    last_seen=NOW, source_count=2, severity=Severity.HIGH)
    return replace(base, **changes)


def sub(name="s", **changes) -> Subscription:
    return replace(Subscription(name=name, channel=SLACK), **changes)


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize("subscription", [
    sub(companies=("MTN Group",)),
    sub(companies=("mtn nigeria",)),
    sub(companies=("ALL",)),
    sub(),
    sub(watchlists=("africa-telecoms",)),
    sub(tickers=("MTN:JSE",)),
    sub(tickers=("ZAE000042164",)),
    sub(labels=("shutdown", "censorship"), countries=("ng",), min_severity=Severity.HIGH),
])
def test_subscriptions_that_match(subscription):
    assert match_subscription(subscription, incident(), WATCHLIST)


@pytest.mark.parametrize("subscription", [
    sub(companies=("Meta",)),
    sub(tickers=("META",)),
    sub(tickers=("NOPE",)),
    sub(watchlists=("unknown-list",)),
    sub(labels=("surveillance",)),
    sub(countries=("KE",)),
    sub(min_severity=Severity.CRITICAL),
])
def test_subscriptions_that_do_not_match(subscription):
    assert match_subscription(subscription, incident(), WATCHLIST) is None


def test_parent_subscription_hears_of_subsidiary_and_says_why():
    why = match_subscription(sub(companies=("MTN Group",), labels=("shutdown",)), incident(), WATCHLIST)
    assert why == "company MTN Group (via MTN Nigeria); label shutdown"


def test_inferred_operators_route_alerts_too():
    inferred = incident(companies=(), inferred_companies=("MTN Nigeria",))
    why = match_subscription(sub(watchlists=("africa-telecoms",)), inferred, WATCHLIST)
    assert why == "watchlist africa-telecoms: MTN Group (via MTN Nigeria, inferred operator)"


def test_all_companies_still_needs_a_tracked_company():
    assert match_subscription(sub(companies=("ALL",)), incident(companies=()), WATCHLIST) is None


@pytest.mark.parametrize("changes", [{"status": "dismissed"}, {"alertable": False}])
def test_dismissed_and_backfilled_incidents_never_match(changes):
    assert match_subscription(sub(), incident(**changes), WATCHLIST) is None


# --------------------------------------------------------------------------- new and update alerts


def decide(inc, prior=(), subs=None, now=NOW, sent=None):
    # as the pipeline does: each subscription gets its channel's default update policy (Slack: all)
    subs = with_channel_defaults(subs or [sub()], channel_specs())
    return decide_alerts(inc, list(prior), subs, WATCHLIST, now, sent or {})


def test_first_match_raises_one_new_alert():
    [decision] = decide(incident())
    assert (decision.alert.kind, decision.alert.incident_id, decision.alert.subscription) == ("new", 5, "s")
    assert (decision.route, decision.release_at, decision.delivery_status) == ("instant", NOW, "pending")
    assert recorded_sources(decision.alert) == 2


def test_more_sources_raise_one_update_and_never_a_second_new():
    [first] = decide(incident())
    later = NOW + timedelta(hours=2)
    [update] = decide(incident(source_count=5), [first.alert], now=later)
    assert (update.alert.kind, update.alert.note) == ("update", "3 more sources (5 sources in all)")
    assert decide(incident(source_count=5), [first.alert, update.alert], now=later + timedelta(hours=2)) == []


def test_no_news_no_update():
    [first] = decide(incident())
    assert decide(incident(item_count=4), [first.alert], now=NOW + timedelta(hours=3)) == []


def test_severity_rise_is_an_update():
    [first] = decide(incident())
    [update] = decide(incident(severity=Severity.CRITICAL), [first.alert], now=NOW + timedelta(hours=2))
    assert update.alert.note == "severity raised to critical (2 sources in all)"


def test_prior_alerts_of_other_subscriptions_do_not_count():
    other = Alert(5, "other", "new", Severity.HIGH, "why", NOW, note="2 sources")
    assert [d.alert.kind for d in decide(incident(), [other])] == ["new"]


def test_digest_mode_gets_no_instant_alert():
    assert decide(incident(), subs=[sub(mode="digest")]) == []


def test_webhook_update_waits_an_hour():
    hook = sub(channel=Channel("slack_webhook", ("https://hooks.example/x",)))
    [first] = decide(incident(), subs=[hook])
    assert decide(incident(source_count=4), [first.alert], [hook], now=NOW + timedelta(minutes=30)) == []
    [update] = decide(incident(source_count=4), [first.alert], [hook], now=NOW + timedelta(minutes=61))
    assert update.alert.note == "2 more sources (4 sources in all)"


def test_throttle_update():
    alert = Alert(5, "s", "new", Severity.HIGH, "why", NOW)
    assert throttle_update([alert], NOW + timedelta(minutes=59))
    assert not throttle_update([alert], NOW + timedelta(hours=1))
    assert not throttle_update([], NOW)


# --------------------------------------------------------------------------- caps


def test_past_the_daily_cap_the_alert_is_recorded_for_the_digest():
    [decision] = decide(incident(), subs=[sub(daily_cap=3)], sent={"s": 3})
    assert (decision.alert.kind, decision.route, decision.delivery_status) == ("new", "digest", "digest")


@settings(max_examples=80, deadline=None)
@given(cap=st.integers(0, 5), incidents=st.integers(1, 12))
def test_no_more_instant_alerts_a_day_than_the_cap(cap, incidents):
    subscription = sub(daily_cap=cap)
    sent: dict[str, int] = {}
    routes = []
    for n in range(incidents):
        decisions = decide(incident(id=n + 1), subs=[subscription], sent=sent)
        routes += [d.route for d in decisions]
        sent = count_instant(decisions, sent)
    assert len(routes) == incidents  # every alert is recorded
    assert routes.count("instant") == min(cap, incidents)


def test_day_start_is_local_midnight():
    lagos = sub(timezone="Africa/Lagos")  # UTC+1
    assert day_start(lagos, datetime(2026, 11, 20, 23, 30, tzinfo=UTC)) == datetime(
        2026, 11, 20, 23, tzinfo=UTC)


# --------------------------------------------------------------------------- quiet hours


def test_alert_in_quiet_hours_is_held_until_they_end():
    night = sub(quiet_hours=QuietHours("22:00", "07:00"), timezone="Africa/Lagos")
    [decision] = decide(incident(), subs=[night], now=datetime(2026, 11, 20, 22, 30, tzinfo=UTC))
    assert decision.release_at == datetime(2026, 11, 21, 6, tzinfo=UTC)  # 07:00 in Lagos
    assert decision.delivery_status == "held"


def test_outside_quiet_hours_release_is_now():
    night = sub(quiet_hours=QuietHours("22:00", "07:00"))
    assert release_time(night, NOW) == NOW


def test_quiet_hours_within_one_day():
    lunch = sub(quiet_hours=QuietHours("11:00", "13:30"))
    assert release_time(lunch, NOW) == NOW.replace(hour=13, minute=30)


def test_parse_quiet_hours():
    assert parse_quiet_hours(" 22:00-7:00 ") == QuietHours("22:00", "07:00")
    for bad, says in [("22-07", "HH:MM-HH:MM"), ("24:00-07:00", "not a time of day"),
                      ("07:00-07:00", "the same time"), ("", "HH:MM-HH:MM")]:
        with pytest.raises(ValueError, match=says):
            parse_quiet_hours(bad)


def test_unknown_timezone_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Base'"):
        parse_timezone("Mars/Base")


ZONES = ["UTC", "Africa/Lagos", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
         "Pacific/Chatham", "America/Santiago"]
clock_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(
    start=clock_times, end=clock_times, zone=st.sampled_from(ZONES),
    now=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
)
def test_release_is_never_before_now_nor_inside_quiet_hours(start, end, zone, now):
    quiet = QuietHours(start.strftime("%H:%M"), end.strftime("%H:%M"))
    released = release_time(sub(quiet_hours=quiet, timezone=zone), now)
    assert released >= now
    assert not in_quiet_hours(released.astimezone(ZoneInfo(zone)).time(), start, end)
    assert released - now <= timedelta(hours=25)


def test_in_quiet_hours_across_midnight():
    start, end = time(22), time(7)
    assert in_quiet_hours(time(23), start, end) and in_quiet_hours(time(3), start, end)
    assert not in_quiet_hours(time(7), start, end) and not in_quiet_hours(time(12), start, end)


def test_decision_type_is_frozen():
    decision = AlertDecision(Alert(1, "s", "new", Severity.LOW, "w", NOW), "instant", NOW)
    with pytest.raises(AttributeError):
        decision.route = "digest"  # type: ignore[misc]
