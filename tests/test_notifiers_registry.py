"""The notifier registry, build_notifiers and the console notifier."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import Settings, SlackSettings, SmtpSettings
from monitor.errors import DeliveryError
from monitor.registry import Deps
from notifiers import NOTIFIERS, Notifier, build_notifiers, channel_specs
from notifiers.base import Pacer, pacing_delay, redact_url
from notifiers.console import ConsoleNotifier
from notifiers.slack import SlackWebhookNotifier
from tests.test_notifiers_render import hostile_message, make_message


def test_built_in_kinds_register_like_plugins():
    specs = channel_specs()  # discovers every module of the package
    assert NOTIFIERS.kinds() == ["console", "email", "json_webhook", "slack_channel", "slack_webhook", "teams_webhook"]
    for kind in NOTIFIERS:
        assert NOTIFIERS.get(kind).kind == kind == specs[kind].kind
        assert NOTIFIERS.get(kind).limits.max_chars > 0  # each declares what it can take
        assert specs[kind].title and specs[kind].help and specs[kind].option == "--" + kind.replace("_", "-")
    assert [k for k, s in specs.items() if s.target == "url"] == ["json_webhook", "slack_webhook", "teams_webhook"]
    assert [k for k, s in specs.items() if s.secret] == ["json_webhook"]
    assert specs["email"].many and specs["slack_channel"].updates == "all" and specs["email"].updates == "material"


def test_build_notifiers_keeps_only_the_configured_ones_and_says_why_the_others_are_off():
    off = build_notifiers(Settings(), Deps())
    assert sorted(off) == ["console", "json_webhook", "slack_webhook", "teams_webhook"]
    assert off.off == {"email": "email is not configured: set SMTP_HOST (settings: smtp.host)",
                       "slack_channel": "Slack is not configured: set SLACK_BOT_TOKEN (bot mode, with threads) "
                                        "or SLACK_WEBHOOK_URL (webhook mode)"}
    assert off.why_off("pager") == "no notifier of kind 'pager' is installed"
    full = Settings(slack=SlackSettings(bot_token="xoxb-1"), smtp=SmtpSettings(host="mail.example.org"))
    built = build_notifiers(full, Deps())
    assert sorted(built) == ["console", "email", "json_webhook", "slack_channel", "slack_webhook", "teams_webhook"]
    assert all(isinstance(n, Notifier) for n in built.values()) and built.off == {}


def test_console_writes_a_readable_block_to_the_given_stream():
    stream = io.StringIO()
    notifier = build_notifiers(Settings(), Deps(stream=stream))["console"]
    receipt = notifier.send(make_message(), "analysts")
    out = stream.getvalue()
    assert out.startswith("--- analysts ---\n[HIGH] NEW shutdown, election interference\n")
    assert "Companies: MTN Nigeria (MTNN)" in out and receipt.external_ref is None


def test_console_defaults_to_stdout(capsys):
    ConsoleNotifier.from_config(Settings(), Deps()).send(hostile_message(), "")
    out = capsys.readouterr().out
    assert "&lt;" not in out and "<!channel>" in out and "\x1b" not in out  # literal, but no terminal escapes


def test_console_closed_stream_is_a_delivery_error():
    stream = io.StringIO()
    stream.close()
    with pytest.raises(DeliveryError) as caught:
        ConsoleNotifier(stream).send(make_message(), "x")
    assert not caught.value.retryable


def test_pacing_delay():
    assert pacing_delay(None, 5.0, 1.0) == 0.0
    assert pacing_delay(5.0, 5.4, 1.0) == pytest.approx(0.6)
    assert pacing_delay(5.0, 7.0, 1.0) == 0.0


def test_pacer_sleeps_only_through_the_injected_function():
    slept: list[float] = []
    pacer = Pacer(interval_s=1.0, sleep=slept.append, monotonic=lambda: 10.0)
    pacer.wait("C1")
    pacer.wait("C1")
    assert slept == [1.0]


def test_redact_url_hides_webhook_secrets():
    assert redact_url("https://hooks.slack.com/services/T1/B2/secret") == "https://hooks.slack.com/\u2026"


def test_importing_notifiers_stays_light():
    code = "import sys, notifiers; print(sorted(m for m in ('slack_sdk', 'jinja2') if m in sys.modules))"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"


def test_slack_channel_subscriptions_fall_back_to_the_webhook_without_a_bot_token():
    settings = Settings(slack=SlackSettings(webhook_url="https://hooks.slack.invalid/services/T/B/X"))
    built = build_notifiers(settings, Deps())
    assert isinstance(built["slack_channel"], SlackWebhookNotifier)  # webhook mode: no threads


def test_a_notifier_switched_off_says_why_at_start(caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="rights_monitor"):
        build_notifiers(Settings(), Deps())
    lines = [r.getMessage() for r in caplog.records]
    assert "notifier email switched off: email is not configured: set SMTP_HOST (settings: smtp.host)" in lines, lines
    assert any(line.startswith("notifier slack_channel switched off: Slack is not configured") for line in lines)
