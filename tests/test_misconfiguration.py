"""Issue 11, findings 1, 2, 4 and 6: a newcomer sets it up right or is told exactly why.

Through the real command line (click's runner for the messages, subprocesses where a whole poll runs),
a real SQLite store and loopback feeds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from monitor.types import Channel, Subscription
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[1]
SHUTDOWN = {"title": "Ethiopia orders Ethio Telecom to shut down mobile internet across Amhara region",
            "summary": "Authorities ordered state operator Ethio Telecom to cut mobile data and SMS services across "
                       "the Amhara region amid fighting, residents and rights groups said.",
            "url": "https://addis.example.org/amhara-shutdown?utm_source=x", "hours_ago": 1}


@pytest.fixture
def env(tmp_path):
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'm.db'}", "RIGHTS_MONITOR_SOURCES": str(ROOT / "sources.yaml"),
            "RIGHTS_MONITOR_CLASSIFIER": "rules", "COLUMNS": "200", "SLACK_BOT_TOKEN": "", "SLACK_WEBHOOK_URL": "",
            "SMTP_HOST": ""}


def invoke(args, env):
    return CliRunner().invoke(cli, args, env=env, terminal_width=200)


def cli_process(args, env, timeout=120):
    full = {**os.environ, **env, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "monitor", *args], env=full, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, check=False)


# --------------------------------------------------------------------------- finding 1: subscribe


def test_subscribe_refuses_a_slack_channel_without_token_or_webhook(env):
    result = invoke(["subscribe", "fund", "--slack-channel", "C042"], env)
    assert result.exit_code == 2
    assert "--slack-channel: Slack is not configured: set SLACK_BOT_TOKEN" in result.output
    assert "fund" not in invoke(["subscriptions", "list"], env).output
    assert invoke(["subscribe", "fund", "--slack-channel", "C042"], {**env, "SLACK_BOT_TOKEN": "xoxb-1"}).exit_code == 0
    assert invoke(["subscribe", "hook", "--slack-channel", "C042"],
                  {**env, "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"}).exit_code == 0


def test_subscribe_refuses_email_without_smtp(env):
    result = invoke(["subscribe", "ngo", "--email", "a@ngo.test"], env)
    assert result.exit_code == 2 and "--email: email is not configured: set SMTP_HOST" in result.output


def test_subscribe_refuses_a_loopback_webhook_and_says_how_to_allow_it(env):
    result = invoke(["subscribe", "local", "--json-webhook", "http://127.0.0.1:8089/hook"], env)
    assert result.exit_code == 2
    assert ("127.0.0.1 is a loopback address (127.0.0.1); to allow it, add 127.0.0.1:8089 to fetch.allow_hosts in the "
            "settings file or to RIGHTS_MONITOR_ALLOW_HOSTS") in " ".join(result.output.split())
    allowed = invoke(["subscribe", "local", "--json-webhook", "http://127.0.0.1:8089/hook"],
                     {**env, "RIGHTS_MONITOR_ALLOW_HOSTS": "127.0.0.1:8089"})
    assert allowed.exit_code == 0, allowed.output  # the advice works as given


def test_subscribe_names_every_unknown_reference_with_did_you_mean(env):
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-1"}
    result = invoke(["subscribe", "fund", "--slack-channel", "C042", "--company", "Vodafon", "--company", "MTN Group",
                     "--watchlist", "holdings", "--ticker", "ZZZZ9", "--country", "Nigeria", "--country", "XQ"], env)
    assert result.exit_code == 2
    out = result.output
    assert "--company: unknown company 'Vodafon' (did you mean 'Vodafone'?)" in out
    assert "MTN Group" not in out  # a known company is not reported
    assert "--watchlist: unknown watchlist 'holdings'" in out
    assert "--ticker: unknown ticker or ISIN 'ZZZZ9'" in out
    assert "(ISO 3166 alpha-2) (did you mean 'NG' for Nigeria?)" in out
    assert "unknown country code 'XQ'" in out
    assert "fund" not in invoke(["subscriptions", "list"], env).output


def test_unsubscribe_of_a_mistyped_name_suggests_the_real_one(env):
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-1"}
    invoke(["subscribe", "stewardship", "--slack-channel", "C042"], env)
    result = invoke(["unsubscribe", "stewardshp"], env)
    assert result.exit_code == 1 and "did you mean 'stewardship'?" in result.output


# --------------------------------------------------------------------------- finding 4: check-config


def test_check_config_reports_every_error_at_once_one_line_each(tmp_path, env):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: a, kind: rss, url: 'https://a.example.org/f', category: blog, lang: English}\n",
                       encoding="utf-8")
    settings = tmp_path / "settings.yaml"
    settings.write_text("digest:\n  weekday: funday\n  recipients: [not-an-address]\nfetch:\n  global_concurrency: 0\n"
                        "classifier:\n  kind: casade\nslak:\n  bot_token: null\n", encoding="utf-8")
    subs = tmp_path / "subs.yaml"
    subs.write_text(yaml.safe_dump({"subscriptions": [{"name": "x", "email": ["a@b.test"], "companies": ["Huawie"]}]}),
                    encoding="utf-8")
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    store.upsert_subscription(Subscription(name="old-fund", channel=Channel("slack_channel", ("C1",))))
    store.close()
    env = {**env, "RIGHTS_MONITOR_CLASSIFIER": "", "RIGHTS_MONITOR_SUBSCRIPTIONS": str(subs)}
    result = invoke(["--settings", str(settings), "--sources", str(sources), "check-config"], env)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    expected = [
        f"{settings}:digest.weekday: unknown weekday 'funday'",
        f"{settings}:digest.recipients[0]: not an email address",
        f"{settings}:fetch.global_concurrency: must be between 1",
        f"{settings}:classifier.kind: unknown classifier 'casade' (did you mean 'cascade'?)",
        f"{settings}:slak.bot_token: unknown setting (did you mean 'slack'?)",
        f"{sources}:sources[0].category: unknown category 'blog'",
        f"{subs}:subscriptions[0].email: email is not configured",
        f"{subs}:subscriptions[0].companies[0]: unknown company 'Huawie' (did you mean 'Huawei'?)",
        "m.db:subscriptions[old-fund].slack_channel: Slack is not configured",
    ]
    for start in expected:
        assert any(start in line for line in lines), (start, result.output)
    assert not any(line.startswith("ok:") for line in lines)
    assert lines[-1].startswith("error: configuration is not valid")


def test_check_config_reports_every_error_of_one_source_even_with_an_unknown_kind(tmp_path, env):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: a, kind: atom, url: 'ftp://a.example.org/f', interval: 5s, enabled: maybe}\n",
                       encoding="utf-8")
    result = invoke(["--sources", str(sources), "check-config"], env)
    assert result.exit_code == 1
    for start in ("sources[0].kind: unknown", "sources[0].url: not an http(s) URL", "sources[0].interval: at least 60s",
                  "sources[0].enabled: must be true or false"):
        assert f"{sources}:{start}" in result.output, (start, result.output)
    assert "(4 problems)" in result.output


def test_check_config_says_a_number_setting_is_not_a_number_in_its_own_words(tmp_path, env):
    settings = tmp_path / "settings.yaml"
    settings.write_text("smtp:\n  port: abc\nfetch:\n  read_timeout_s: soon\n", encoding="utf-8")
    result = invoke(["--settings", str(settings), "check-config"], {**env, "SMTP_PORT": ""})
    assert result.exit_code == 1
    assert f"{settings}:smtp.port: must be a whole number, not 'abc'" in result.output
    assert f"{settings}:fetch.read_timeout_s: must be a number, not 'soon'" in result.output
    assert "invalid literal" not in result.output and "could not convert" not in result.output
    from_env = invoke(["check-config"], {**env, "SMTP_PORT": "abc"})
    assert "$SMTP_PORT:smtp.port: must be a whole number, not 'abc'" in from_env.output


def test_check_config_counts_in_words(env):
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    store.upsert_subscription(Subscription(name="console", channel=Channel("console", ("stdout",))))
    store.close()
    result = invoke(["check-config"], env)
    assert result.exit_code == 0, result.output
    assert "(1 subscription)" in result.output and "(0 user files)" in result.output


def test_check_config_store_url_scheme(env):
    result = invoke(["--db", "mysql://u:secretpw@h/db", "check-config"], env)
    assert result.exit_code == 1
    assert "--db:db_url: not a store URL" in result.output and "secretpw" not in result.output


def test_check_config_valid_says_what_it_checked(env):
    result = invoke(["check-config"], env)
    assert result.exit_code == 0, result.output
    assert "sources" in result.output and "store" in result.output and result.output.endswith("configuration is valid\n")


# --------------------------------------------------------------------------- finding 1: deliveries say why


def test_poll_and_deliver_name_the_reason_a_delivery_waits(tmp_path, env):
    now = datetime.now(UTC)
    with FeedServer() as feeds:
        feeds.route("/a.xml", rss([SHUTDOWN], now))
        sources = write_sources(tmp_path / "sources.yaml", {"outlet-a": feeds.url("/a.xml")})
        store = Store.open(env["RIGHTS_MONITOR_DB"])
        store.upsert_subscription(Subscription(name="fund", channel=Channel("slack_channel", ("C042",))))
        store.close()
        env = {**env, "RIGHTS_MONITOR_SOURCES": str(sources)}
        polled = cli_process(["poll", "--once"], env)
    assert polled.returncode == 0, polled.stderr
    assert "subscription fund: Slack is not configured" in polled.stderr  # said before the poll
    assert "loading the classifier (rules)..." in polled.stderr and "classifier ready in" in polled.stderr
    assert "not delivered: delivery" in polled.stderr
    assert "to subscription fund, slack_channel C042: retried: Slack is not configured: set SLACK_BOT_TOKEN" \
        in polled.stderr
    again = invoke(["deliver", "--all"], env)
    assert "retrying 1" in again.output and "Slack is not configured" in again.output
    listed = invoke(["deliveries", "--status", "retrying"], env)
    assert "Slack is not" in listed.output


# --------------------------------------------------------------------------- finding 2: one owner


def test_a_seed_file_creates_only_new_subscriptions_and_never_resurrects_a_removed_one(tmp_path, env):
    seed = tmp_path / "subs.yaml"
    seed.write_text(yaml.safe_dump({"subscriptions": [
        {"name": "ngo", "console": "stdout", "labels": ["shutdown"]},
        {"name": "fund", "console": "stdout", "labels": ["surveillance"]}]}), encoding="utf-8")
    empty = write_sources(tmp_path / "sources.yaml", {})
    env = {**env, "RIGHTS_MONITOR_SUBSCRIPTIONS": str(seed), "RIGHTS_MONITOR_SOURCES": str(empty)}
    assert invoke(["poll", "--once"], env).exit_code == 0
    assert invoke(["unsubscribe", "ngo"], env).exit_code == 0
    edited = invoke(["subscribe", "fund", "--email", "x@fund.test", "--label", "censorship"], {**env, "SMTP_HOST": "h"})
    assert edited.exit_code == 0, edited.output
    assert invoke(["poll", "--once"], env).exit_code == 0  # a restart reads the seed again
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        subs = {s.name: s for s in store.list_subscriptions()}
    finally:
        store.close()
    assert "ngo" not in subs  # consent: removed stays removed
    assert subs["fund"].labels == ("censorship",) and subs["fund"].channel.kind == "email"  # the CLI edit stands


# --------------------------------------------------------------------------- finding 6: a mistyped store path


@pytest.mark.parametrize("args", [["incidents", "list"], ["sources"], ["deliveries"], ["subscriptions", "list"],
                                  ["digest"]])
def test_a_store_in_a_missing_folder_is_an_error_for_reading_commands(tmp_path, env, args):
    result = invoke(["--db", f"sqlite:///{tmp_path / 'typo' / 'monitor.db'}", *args], env)
    assert result.exit_code == 2, result.output
    assert "folder" in result.output and "does not exist" in result.output
    assert not (tmp_path / "typo").exists()


def test_poll_says_it_creates_a_new_store(tmp_path, env):
    empty = write_sources(tmp_path / "sources.yaml", {})
    result = invoke(["--db", f"sqlite:///{tmp_path / 'new' / 'monitor.db'}", "--sources", str(empty), "poll", "--once"],
                    env)
    assert result.exit_code == 0, result.output
    assert f"creating a new store at {tmp_path / 'new' / 'monitor.db'}" in result.output


# --------------------------------------------------------------------------- finding 6: a hung SMTP server


class SilentServer:
    """A TCP server that accepts connections and never says a word (a hung SMTP server)."""

    def __enter__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        return self

    def __exit__(self, *exc):
        self.sock.close()


def test_a_hung_smtp_server_costs_one_timeout_per_poll_not_one_per_email(tmp_path, env):
    import json
    import time

    now = datetime.now(UTC)
    with FeedServer() as feeds, SilentServer() as smtp:
        feeds.route("/a.xml", rss([SHUTDOWN], now))
        sources = write_sources(tmp_path / "sources.yaml", {"outlet-a": feeds.url("/a.xml")})
        settings = tmp_path / "settings.yaml"
        settings.write_text(f"smtp:\n  host: 127.0.0.1\n  port: {smtp.port}\n  tls: none\n  timeout_s: 1\n",
                            encoding="utf-8")
        store = Store.open(env["RIGHTS_MONITOR_DB"])
        store.upsert_subscription(Subscription(name="ngo", channel=Channel(
            "email", tuple(f"person{i}@ngo.test" for i in range(4)))))
        store.close()
        started = time.monotonic()
        polled = cli_process(["--settings", str(settings), "--sources", str(sources), "poll", "--once", "--json"], env)
        took = time.monotonic() - started
    assert polled.returncode == 0, polled.stderr
    report = json.loads(polled.stdout)
    assert report["alerts"] == 1 and report["retrying"] == 1, report
    assert any("not tried: email did not answer" in line for line in report["delivery_problems"]), report
    assert took < 30, took  # four timeouts in a row would be at least 4 s more than one; see the count above


def test_eval_on_invalid_json_is_one_line(tmp_path, env):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "ok", "labels": []}\n{not json\n', encoding="utf-8")
    result = invoke(["eval", str(bad)], env)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{bad}:2: invalid JSON" in result.output
