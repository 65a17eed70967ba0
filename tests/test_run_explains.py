"""Issue 11, finding 3: the running monitor explains itself.

`run` as a user starts it (a subprocess, loopback feeds): the classifier's loading, one line per reporting
period, a notice when no source is reachable, `-v` heartbeats in the domain's words, and `sources` with
the next attempt and disabled sources. The wording itself is pure and tested on data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from click.testing import CliRunner

from monitor.activity import Activity, cycle_line, heartbeat, offline_notice
from monitor.cli import cli
from monitor.types import PollResult
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_until(args, env, wanted: str, timeout: float = 60) -> tuple[int, str]:
    """Start `run`, wait until stderr shows `wanted`, stop it with SIGTERM; return (exit code, stderr)."""
    full = {**os.environ, **env, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "monitor", *args, "run", "--report-every", "1"], env=full,
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        for line in process.stderr:
            seen.append(line)
            if wanted in line or time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=30)[1]
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, "".join(seen) + (rest or "")


def base_env(tmp_path, sources: Path) -> dict[str, str]:
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'run.db'}", "RIGHTS_MONITOR_SOURCES": str(sources),
            "RIGHTS_MONITOR_CLASSIFIER": "rules", "SLACK_BOT_TOKEN": "", "SMTP_HOST": ""}


def test_run_says_when_no_source_is_reachable(tmp_path):
    port = closed_port()
    sources = write_sources(tmp_path / "sources.yaml", {"offline-a": f"http://127.0.0.1:{port}/a.xml",
                                                        "offline-b": f"http://127.0.0.1:{port}/b.xml"})
    code, err = run_until([], base_env(tmp_path, sources), "no source reachable")
    assert code == 0, err
    assert f"creating a new store at {tmp_path / 'run.db'}" in err
    assert "loading the classifier (rules)" in err and "classifier ready in" in err
    assert "polled 2 sources (0 ok, 2 failed)" in err
    assert "no source reachable: all 2 polls failed" in err and "rights-monitor sources" in err
    assert "next poll at" in err
    assert "no subscriptions" not in err  # the console subscription is there by default
    assert "Traceback" not in err and "stopped" in err


def test_run_counts_enabled_and_disabled_sources_unambiguously(tmp_path):
    port = closed_port()
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "on-a", "kind": "rss", "url": f"http://127.0.0.1:{port}/a.xml"},
        {"name": "on-b", "kind": "rss", "url": f"http://127.0.0.1:{port}/b.xml"},
        {"name": "off", "kind": "rss", "url": f"http://127.0.0.1:{port}/c.xml", "enabled": False}]}), encoding="utf-8")
    code, err = run_until([], base_env(tmp_path, sources), "rights-monitor: ")
    assert code == 0, err
    assert "rights-monitor: 2 sources enabled, 1 disabled, store " in err


def test_run_reports_each_period_and_heartbeats_at_v(tmp_path):
    with FeedServer() as feeds:
        feeds.route("/a.xml", rss([{"title": "Phone maker opens a shop", "url": "https://e.example.org/1",
                                    "summary": "A new shop.", "hours_ago": 1}], datetime.now(UTC)))
        sources = write_sources(tmp_path / "sources.yaml", {"Access Now": feeds.url("/a.xml")})
        code, err = run_until(["-v"], base_env(tmp_path, sources), "polled 1 source")
    assert code == 0, err
    assert "polled Access Now: 1 new of 1" in err  # the heartbeat, in the domain's words
    assert "polled 1 source (1 ok); 1 new item; 0 incidents; 0 alerts; delivered 0; next poll at" in err
    assert "alembic" not in err and "apscheduler" not in err  # -v is not library internals


def test_sources_shows_next_attempt_and_disabled_sources(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "on", "kind": "rss", "url": "https://on.example.org/f"},
        {"name": "off", "kind": "rss", "url": "https://off.example.org/f", "enabled": False}]}), encoding="utf-8")
    env = {**base_env(tmp_path, sources), "COLUMNS": "250"}
    from monitor.store import Store
    from monitor.types import SourceHealth

    store = Store.open(env["RIGHTS_MONITOR_DB"])
    store.save_health(SourceHealth(source="on", consecutive_failures=3, last_error="connection refused",
                                   next_due=datetime.now(UTC) + timedelta(hours=2)))
    store.close()
    result = CliRunner().invoke(cli, ["sources"], env=env, terminal_width=250)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    on = next(line for line in lines if "│ on " in line)
    off = next(line for line in lines if "│ off " in line)
    assert "(backoff)" in on and "connection refused" in on and "enabled" in on
    assert "disabled" in off and "never (disabled)" in off


def test_cycle_line_and_notices_are_plain_words():
    a = Activity()
    a.add_poll(PollResult("Access Now", "ok", new_items=3, seen_items=10))
    a.add_poll(PollResult("OONI", "failed", error="timed out"))
    a.add_poll(PollResult("IODA", "skipped"))
    a.held, a.to_digest, a.alerts, a.retrying = 1, 1, 3, 1
    line = cycle_line(a, NOW, (NOW + timedelta(minutes=14), "OONI"))
    assert line == ("10:30 UTC polled 2 sources (1 ok, 1 failed); 3 new items; 0 incidents; "
                    "3 alerts (1 held for quiet hours, 1 to the digest); delivered 0, 1 not delivered (see below); "
                    "next poll at 10:44 UTC (OONI)")
    assert offline_notice(a) is None
    taken = a.take()
    assert taken.polled == 2 and a.idle
    a.add_poll(PollResult("OONI", "failed", error="timed out"))
    assert "no source reachable: all 1 poll failed (e.g. OONI: timed out)" in offline_notice(a)
    assert heartbeat(PollResult("Access Now", "ok", new_items=3, seen_items=10)) == "polled Access Now: 3 new of 10"
