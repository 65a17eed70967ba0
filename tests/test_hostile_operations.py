"""Issue 13, items 5 and 6, as an attacker and an unlucky operator see them: escapes from a feed or a feed
server never reach the terminal, a log line or a digest file; webhook URLs are never printed in full; every
bad configuration is one line, no traceback; a never-ending body is cut at the source's deadline; a
malformed feed is salvaged only as far as its entries have a title or link, and says so in `sources`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from monitor.types import Alert, Incident, Severity
from tests.feeds import write_sources
from tests.feedserver import FeedServer
from tests.slackserver import SlackServer

NOW = datetime.now(UTC)
RAW = ("\x1b", "\x07", "\u202e", "\x9b", "\x00")
HOSTILE_FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>t\x1b]0;pwned\x07</title>'
    "<item><title>Government orders nationwide internet shutdown in Gabon \x1b[2J\x1b[31mRED\x07 \u202eevil"
    "</title><link>https://news.example.org/gabon</link>"
    "<description>Gabon Telecom and Airtel Gabon cut mobile data across the country after an order; \x9b6n"
    "\u202e the shutdown lasted two days.</description>"
    f"<pubDate>{NOW.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
    "</channel></rss>"
)


def no_raw_escape(text: str) -> bool:
    return not any(c in text for c in RAW)


@pytest.fixture
def env(tmp_path):
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'm.db'}", "RIGHTS_MONITOR_CLASSIFIER": "rules",
            "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}


def invoke(args, env, input=None):
    return CliRunner().invoke(cli, args, env=env, input=input, terminal_width=200)


def rights_monitor(args, env, timeout=120):
    """A real process, so its log lines are what an operator's terminal shows."""
    return subprocess.run([sys.executable, "-m", "monitor", *args], check=False, env={**os.environ, **env},
                          capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=timeout)


def test_no_escape_from_feed_text_or_a_reason_phrase_reaches_terminal_logs_or_digest(tmp_path, env):
    with FeedServer() as srv:
        srv.route("/feed.xml", HOSTILE_FEED)
        srv.route("/busy.xml", "busy", status=503, reason="Busy\x1b[2J\x07\x9b now")
        sources = write_sources(tmp_path / "sources.yaml", {"hostile": srv.url("/feed.xml"),
                                                            "busy\x1b[5m": srv.url("/busy.xml")})
        env = {**env, "RIGHTS_MONITOR_SOURCES": str(sources)}
        polled = rights_monitor(["-v", "poll", "--once"], env)
    assert polled.returncode == 0, polled.stderr
    assert "Gabon" in polled.stdout and "503" in polled.stdout + polled.stderr
    outputs = [polled.stdout, polled.stderr]
    for args in (["incidents", "list"], ["sources"], ["incidents", "list", "--json"]):
        result = invoke(args, env)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert "Gabon" in outputs[2] and "503" in outputs[3]
    out = tmp_path / "digests"
    week = NOW.strftime("%G-W%V")
    assert invoke(["digest", "--week", week, "--out", str(out)], env).exit_code == 0
    files = [p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix in (".md", ".csv", ".html")]
    assert len(files) == 3 and all("Gabon" in f for f in files)
    for text in outputs + files:
        assert no_raw_escape(text), repr([c for c in RAW if c in text])


def test_webhook_urls_are_never_printed_in_full(env):
    secret = "https://hooks.slack.com/services/T0SECRET/B0SECRET/xyzSECRETxyz"
    subscribed = invoke(["subscribe", "fund", "--slack-webhook", secret], env)
    assert subscribed.exit_code == 0, subscribed.output
    listed = invoke(["subscriptions", "list"], env)
    assert "hooks.slack.com" in listed.output
    assert "SECRET" not in subscribed.output + listed.output


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/services/x", "http://169.254.169.254/", "file:///etc/passwd"])
def test_a_webhook_pointing_inside_is_refused_at_subscribe(env, url):
    result = invoke(["subscribe", "inside", "--slack-webhook", url], env)
    assert result.exit_code == 2 and "subscribed" not in result.output


def test_slack_sdk_debug_log_does_not_show_the_webhook_url(env):
    with SlackServer() as slack:
        store = Store.open(env["RIGHTS_MONITOR_DB"])
        try:
            incident = store.save_incident(Incident(0, "Shutdown in Gabon", "https://e.org/g", ("shutdown",), (), (),
                                                    ("GA",), NOW, NOW))
            store.add_alert(Alert(incident.id, "fund", "new", Severity.HIGH, "why", NOW),
                            [("slack_webhook", slack.webhook_url, NOW, "pending")])
        finally:
            store.close()
        run = rights_monitor(["-vv", "deliver"], {**env, "RIGHTS_MONITOR_ALLOW_HOSTS": "127.0.0.1"})
        posts = list(slack.webhook_posts)
    assert run.returncode == 0, run.stderr
    assert len(posts) == 1 and "delivered 1" in run.stdout
    assert "slack_sdk" in run.stderr  # the debug log is on...
    assert "B000/XXXX" not in run.stderr + run.stdout  # ...and shows no webhook path


def write(path: Path, data: bytes | str) -> str:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


BAD_SETTINGS = {
    "zero-global": "fetch:\n  global_concurrency: 0\n",
    "zero-per-host": "fetch:\n  per_host_concurrency: 0\n",
    "negative-body": "fetch:\n  max_body_bytes: -1\n",
    "zero-deadline": "fetch:\n  source_deadline_s: 0\n",
    "zero-smtp-timeout": "smtp:\n  timeout_s: 0\n",
    "bad-weekday": "digest:\n  weekday: funday\n",
    "bad-hour": "digest:\n  hour: 25\n",
    "not-utf8": b"db: \xff\xfe\n",
}


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
@pytest.mark.parametrize("command", [["poll", "--once"], ["run"], ["check-config"]])
def test_a_bad_setting_is_one_line_and_never_a_traceback_or_a_hang(tmp_path, env, case, command):
    settings = write(tmp_path / "settings.yaml", BAD_SETTINGS[case])
    result = invoke(["--settings", settings, *command], env)
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error") and "Traceback" not in result.output


@pytest.mark.parametrize("args", [["--db", "sqlite://", "poll", "--once"], ["--db", "sqlite:///:memory:", "sources"],
                                  ["--sources", "NOTUTF8", "poll", "--once"], ["--db", "nonsense", "sources"]])
def test_bad_store_urls_and_files_are_one_line(tmp_path, env, args):
    args = [write(tmp_path / "s.yaml", b"sources:\n  - name: \xff\n") if a == "NOTUTF8" else a for a in args]
    result = invoke(args, env)
    assert result.exit_code in (1, 2) and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert [line for line in result.output.splitlines() if line.startswith("error")]


def test_classify_answers_every_line_even_one_that_is_not_utf8(tmp_path, env):
    lines = (json.dumps({"id": "a", "title": "Internet shutdown ordered"}).encode() + b"\n"
             + b'{"id": "b", "title": "\xff\xfe"}\n'
             + json.dumps({"id": "c", "title": "Phone launch"}).encode() + b"\n")
    result = invoke(["classify", write(tmp_path / "items.jsonl", lines)], env)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, "c"] and "UTF-8" in rows[1]["error"]


def test_a_never_ending_body_is_cut_at_the_source_deadline(tmp_path, env):
    settings = write(tmp_path / "settings.yaml", "fetch:\n  source_deadline_s: 1.5\n  read_timeout_s: 20\n")
    with FeedServer() as srv:
        srv.route("/slow.xml", "<rss>" + "x" * 100_000, drip_s=0.05, chunk_size=10, content_length=-1)
        srv.route("/ok.xml", HOSTILE_FEED)
        sources = write_sources(tmp_path / "sources.yaml", {"slow": srv.url("/slow.xml"), "ok": srv.url("/ok.xml")})
        started = time.monotonic()
        result = invoke(["--settings", settings, "--sources", str(sources), "poll", "--once", "--json"], env)
        took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failed"] == 1 and report["ok"] == 1
    assert took < 15  # the classifier load included; the slow source alone would take 500 s


def test_sources_queued_behind_the_limits_are_not_failed_by_the_deadline(tmp_path, env):
    # One fetch at a time, each 0.3 s: the eighth starts 2.1 s after the first, past the 1 s deadline; only
    # the time a source's own request takes counts (10,000 sources due at once used to fail a fifth).
    settings = write(tmp_path / "settings.yaml",
                     "fetch:\n  source_deadline_s: 1.0\n  global_concurrency: 1\n  per_host_concurrency: 1\n")
    with FeedServer() as srv:
        urls = {f"s{n}": srv.route(f"/{n}.xml", HOSTILE_FEED, delay_s=0.3) for n in range(8)}
        srv.route("/slow.xml", HOSTILE_FEED, delay_s=1.5)
        sources = write_sources(tmp_path / "sources.yaml", {**urls, "slow": srv.url("/slow.xml")})
        result = invoke(["--settings", settings, "--sources", str(sources), "poll", "--once", "--json"], env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] == 8 and report["failed"] == 1  # the one slow source still is


MALFORMED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
             b"<item><title>Mobile internet cut in Gabon</title><link>https://e.org/1</link></item>"
             b"<item><description>no title, no link</description></item>"
             b"<item><title>Truncated &amp broken")


def test_a_malformed_feed_keeps_only_entries_with_a_title_or_link_and_says_so(tmp_path, env):
    with FeedServer() as srv:
        srv.route("/bad.xml", MALFORMED)
        srv.route("/garbage.xml", b"<rss><channel><item>\x00\xff\xfe<description>\x01")
        sources = write_sources(tmp_path / "sources.yaml", {"bad": srv.url("/bad.xml"),
                                                            "garbage": srv.url("/garbage.xml")})
        env = {**env, "RIGHTS_MONITOR_SOURCES": str(sources)}
        assert invoke(["poll", "--once"], env).exit_code == 0
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        titles = sorted(i.title for i in store.unprocessed_items() + _processed(store))
        health = {h.source: h for h in store.list_health()}
    finally:
        store.close()
    assert "(untitled)" not in titles and "Mobile internet cut in Gabon" in titles
    assert all(t for t in titles)
    assert "malformed feed" in (health["bad"].last_warning or "")
    assert "warning: malformed feed" in invoke(["sources"], env).output


def _processed(store) -> list:
    return [item for incident in store.list_incidents() for item in store.incident_items(incident.id)] + [
        store.get_item(i) for i in range(1, 50) if store.get_item(i) and store.get_item(i).incident_id is None
        and store.get_item(i).processed_at is not None]


def test_store_passwords_and_tokens_are_masked_in_banners_and_log_records():
    import logging

    from monitor.cli import secrets_of
    from monitor.commands.polling import shown_db
    from monitor.config import load_settings
    from monitor.hygiene import LogHygiene, register_secrets

    settings = load_settings(env={"RIGHTS_MONITOR_DB": "postgresql+psycopg://monitor:hunter2xyz@db/rm",
                                  "SLACK_BOT_TOKEN": "xoxb-123-secret-token", "SMTP_PASSWORD": "smtp-pass-987"})
    assert "hunter2xyz" not in shown_db(settings.db_url)
    register_secrets(secrets_of(settings))
    record = logging.LogRecord("slack_sdk", logging.DEBUG, __file__, 1, "token=%s pw=%s url=%s",
                               ("xoxb-123-secret-token", "smtp-pass-987", settings.db_url), None)
    LogHygiene().filter(record)
    line = record.getMessage()
    assert not any(s in line for s in ("secret-token", "smtp-pass-987", "hunter2xyz")), line
