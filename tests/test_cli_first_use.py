"""What a new user met trying the command line, each through the real CLI on a real SQLite store:
`-v` after `run` and `poll`, read-only commands on a mistyped store, `eval` on unlabeled items,
`poll --once` when no source is reachable, and `sources test` on a host that cannot be reached."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer

ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def offline_sources(tmp_path) -> Path:
    port = closed_port()
    return write_sources(tmp_path / "sources.yaml", {"offline-a": f"http://127.0.0.1:{port}/a.xml",
                                                     "offline-b": f"http://127.0.0.1:{port}/b.xml"})


@pytest.fixture
def env(tmp_path, offline_sources) -> dict[str, str | None]:
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'm.db'}", "RIGHTS_MONITOR_SOURCES": str(offline_sources),
            "RIGHTS_MONITOR_CLASSIFIER": "rules", "RIGHTS_MONITOR_SETTINGS": None,
            "RIGHTS_MONITOR_SUBSCRIPTIONS": None, "SLACK_BOT_TOKEN": "", "SLACK_WEBHOOK_URL": "", "SMTP_HOST": "",
            "COLUMNS": "200"}


def invoke(args, env, input=None):
    return CliRunner().invoke(cli, args, env=env, input=input, terminal_width=200)


def process(args, env, timeout: float = 120) -> subprocess.CompletedProcess:
    full = {k: v for k, v in {**os.environ, **env, "PYTHONIOENCODING": "utf-8"}.items() if v is not None}
    return subprocess.run([sys.executable, "-m", "monitor", *args], check=False, env=full, cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=timeout)


# 1. `-v` after the subcommand, as the README writes it --------------------------------------------------------

SWITCHED_OFF = "notifier email switched off"  # logged at INFO as a poll starts: what -v shows


def test_poll_once_takes_v_after_the_command_as_the_global_v_before_it(env):
    after = process(["poll", "--once", "-v"], env)
    assert after.returncode == 0, after.stderr
    assert "No such option" not in after.stderr and SWITCHED_OFF in after.stderr
    before = process(["-v", "poll", "--once"], env)
    assert before.returncode == 0 and SWITCHED_OFF in before.stderr
    quiet = process(["poll", "--once"], env)
    assert quiet.returncode == 0 and SWITCHED_OFF not in quiet.stderr


def test_run_takes_v_after_the_command_and_heartbeats(tmp_path, env):
    with FeedServer() as feeds:
        feeds.route("/a.xml", rss([{"title": "Phone maker opens a shop", "url": "https://e.example.org/1",
                                    "summary": "A new shop.", "hours_ago": 1}], datetime.now(UTC)))
        sources = write_sources(tmp_path / "online.yaml", {"Access Now": feeds.url("/a.xml")})
        full = {k: v for k, v in {**os.environ, **env, "RIGHTS_MONITOR_SOURCES": str(sources),
                                  "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}.items() if v is not None}
        running = subprocess.Popen([sys.executable, "-m", "monitor", "run", "-v", "--report-every", "1"], env=full,
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seen: list[str] = []
        deadline = time.monotonic() + 60
        try:
            assert running.stderr is not None
            for line in running.stderr:
                seen.append(line)
                if "polled Access Now" in line or time.monotonic() > deadline:
                    break
            running.send_signal(signal.SIGTERM)
            seen.append(running.communicate(timeout=30)[1] or "")
        finally:
            if running.poll() is None:
                running.kill()
    err = "".join(seen)
    assert running.returncode == 0, err
    assert "polled Access Now: 1 new of 1" in err  # the per-poll line that only -v shows


def test_help_of_run_and_poll_shows_v(env):
    for command in (["run"], ["poll"]):
        shown = invoke([*command, "--help"], env)
        assert shown.exit_code == 0 and "-v, --verbose" in shown.output
