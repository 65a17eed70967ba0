"""Subscriptions from YAML and the command line: every field, and errors that name the YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.subscriptions import check_subscriptions, load_subscriptions, subscription_from_mapping
from monitor.types import Severity
from notifiers import channel_specs

CHANNELS = channel_specs()
EXAMPLE = Path(__file__).resolve().parents[1] / "subscriptions.example.yaml"


def test_shipped_example_is_valid():
    subs = load_subscriptions(EXAMPLE, CHANNELS)
    first = subs[0]
    assert first.channel.kind == "slack_channel" and first.channel.targets == ("C0123456789",)
    assert first.min_severity == Severity.MEDIUM and first.daily_cap == 10
    assert (first.quiet_hours.start, first.quiet_hours.end) == ("22:00", "07:00")
    assert first.timezone == "Europe/London"
    assert subs[2].mode == "digest"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x"}, "give exactly one of"),
        ({"name": "x", "email": "a@b.org", "slack_channel": "C1"}, "give exactly one of"),
        ({"name": "x", "email": "not-an-address"}, r"\.email: not an email address"),
        ({"name": "x", "email": "a@b.org", "labels": ["outage"]}, r"\.labels: unknown label 'outage'"),
        ({"name": "x", "email": "a@b.org", "min_severity": "urgent"}, "min_severity: unknown severity"),
        ({"name": "x", "email": "a@b.org", "timezone": "Mars/Base"}, "unknown time zone"),
        ({"name": "x", "email": "a@b.org", "quiet_hours": "late"}, "quiet_hours"),
        ({"name": "x", "email": "a@b.org", "daily_cap": 0}, "daily_cap must be at least 1"),
        ({"name": "x", "email": "a@b.org", "colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_bad_entries_are_named(entry, message):
    with pytest.raises(ConfigError, match=message):
        subscription_from_mapping(entry, CHANNELS, "subscriptions[3]")


def test_file_errors_carry_file_and_index(tmp_path):
    path = tmp_path / "subs.yaml"
    path.write_text("subscriptions:\n  - name: a\n    email: a@b.org\n  - name: a\n    email: c@d.org\n"
                    "  - name: b\n    slack_webhook: ftp://nope\n", encoding="utf-8")
    subs, errors = check_subscriptions(path, CHANNELS)
    assert [s.name for s in subs] == ["a"]
    text = [str(e) for e in errors]
    assert any("subscriptions[1].name: duplicate name 'a'" in t for t in text)
    assert any("subscriptions[2].slack_webhook: not an http(s) URL" in t for t in text)
    assert all(str(path) in t for t in text)
