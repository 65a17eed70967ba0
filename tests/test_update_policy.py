"""Updates by policy, decided purely: none, material (new country or company, severity up, still going), all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from monitor.alerts import decide_alerts, update_changes
from monitor.subscriptions import with_channel_defaults
from monitor.types import Channel, Incident, Severity, Subscription
from monitor.watchlist import Watchlist
from notifiers import channel_specs

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
MAIL = Subscription("mail", Channel("email", ("a@ngo.test",)))
SLACK = Subscription("slack", Channel("slack_channel", ("C1",)))
BASE = Incident(5, "Ethiopia cuts internet in Amhara", "https://a.example/1", ("shutdown",), ("Ethio Telecom",), (),
                ("ET",), NOW, NOW, source_count=1, severity=Severity.HIGH)


def first(sub):
    [decision] = decide_alerts(BASE, [], with_channel_defaults([sub], channel_specs()), Watchlist([]), NOW, {})
    return decision.alert


def later(sub, incident, hours=2):
    # the pipeline gives each subscription its channel's default update policy (Slack: all) before deciding
    subs = with_channel_defaults([sub], channel_specs())
    return decide_alerts(incident, [first(sub)], subs, Watchlist([]), NOW + timedelta(hours=hours), {})


def test_the_first_alert_records_what_the_incident_was():
    alert = first(MAIL)
    assert (alert.source_count, alert.countries, alert.companies) == (1, ("ET",), ("Ethio Telecom",))


def test_material_ignores_a_new_source_but_all_hears_it():
    more = replace(BASE, source_count=2, last_seen=NOW + timedelta(hours=2))
    assert later(MAIL, more) == []
    [update] = later(SLACK, more)
    assert update.alert.note.startswith("1 more source")


def test_material_hears_a_new_country_a_new_company_and_a_rise():
    spread = replace(BASE, countries=("ET", "SD"), companies=("Ethio Telecom", "Zain Sudan"),
                     severity=Severity.CRITICAL)
    [update] = later(MAIL, spread)
    assert update.kind == "update" and update.deliveries[0].channel_kind == "email"
    assert "new country: SD" in update.alert.note and "new company: Zain Sudan" in update.alert.note
    assert "severity raised to critical" in update.alert.note
    assert update.alert.countries == ("ET", "SD")


def test_a_shutdown_still_reported_after_a_day_is_news_once():
    going = replace(BASE, last_seen=NOW + timedelta(hours=25))
    [update] = later(MAIL, going, hours=25)
    assert "still reported after 24 h" in update.alert.note
    prior = [first(MAIL), update.alert]
    assert update_changes(replace(going, last_seen=NOW + timedelta(hours=30)), prior, NOW, "material") == []


def test_none_hears_no_update():
    quiet = replace(MAIL, updates="none")
    assert later(quiet, replace(BASE, countries=("ET", "SD"))) == []


@given(st.integers(1, 20), st.sampled_from(list(Severity)))
def test_more_sources_alone_are_never_material(count, severity):
    incident = replace(BASE, source_count=count, severity=min(severity, BASE.severity))
    assert update_changes(incident, [first(MAIL)], NOW + timedelta(hours=1), "material") == []
