"""What a new user met trying the command line, each through the real CLI on a real SQLite store:
`-v` after `run` and `poll`, read-only commands on a mistyped store, `eval` on unlabeled items,
`poll --once` when no source is reachable, and `sources test` on a host that cannot be reached."""

from __future__ import annotations

import json
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


# 2. Commands that read the store never create one -------------------------------------------------------------

READERS = [["incidents", "list"], ["incidents", "list", "--json"], ["incidents", "show", "1"],
           ["incidents", "dismiss", "1"], ["sources"], ["subscriptions", "list"], ["unsubscribe", "fund"],
           ["deliveries"], ["deliver"], ["digest", "--week", "2026-W47"], ["export-labels", "--out", "-"],
           ["prune", "--older-than-days", "30"]]


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a))
def test_a_reading_command_on_a_missing_sqlite_file_fails_naming_it_and_creates_nothing(tmp_path, env, args):
    typo = tmp_path / "typo.db"
    result = invoke(["--db", f"sqlite:///{typo}", *args], {**env, "COLUMNS": "400"})
    assert result.exit_code == 2, result.output  # as a usage or configuration error
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [(f"error: no store at {typo}: the file does not exist (a mistyped --db or RIGHTS_MONITOR_DB?); "
                       "`rights-monitor run` or `poll --once` creates a new store")], result.output
    assert "no incidents" not in result.output
    assert not typo.exists() and list(tmp_path.glob("typo.db*")) == []


def test_the_default_store_missing_is_not_called_a_typo(tmp_path, env, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["incidents", "list"], {**env, "RIGHTS_MONITOR_DB": None})
    assert result.exit_code == 2
    assert "error: no store at var/monitor.db: the file does not exist; `rights-monitor run`" in result.stderr
    assert not (tmp_path / "var" / "monitor.db").exists()


def test_poll_once_creates_the_store_then_reading_commands_use_it(tmp_path, env):
    db = tmp_path / "m.db"
    polled = invoke(["poll", "--once"], env)
    assert polled.exit_code == 0, polled.output
    assert f"creating a new store at {db}" in polled.stderr and db.exists()
    listed = invoke(["incidents", "list"], env)
    assert listed.exit_code == 0 and "no incidents" in listed.output
    assert invoke(["sources"], env).exit_code == 0


def test_subscribe_and_user_add_still_start_a_store_before_the_first_poll(tmp_path, env):
    subscribed = invoke(["subscribe", "fund", "--json-webhook", "https://hooks.example.org/rm"], env)
    assert subscribed.exit_code == 0, subscribed.output
    other = tmp_path / "users.db"
    added = invoke(["--db", f"sqlite:///{other}", "user", "add", "ana@example.org"], env, input="long enough pw\n")
    assert added.exit_code == 0, added.output
    assert (tmp_path / "m.db").exists() and other.exists()


# 3. eval refuses unlabeled items ------------------------------------------------------------------------------


def test_eval_refuses_a_file_whose_items_have_no_labels_naming_the_first_such_line(tmp_path, env):
    items = tmp_path / "items.jsonl"
    items.write_text("\n".join(json.dumps(row) for row in [
        {"id": "a", "title": "Internet shutdown in Gabon", "labels": ["shutdown"]},
        {"id": "b", "title": "Phone maker opens a shop", "labels": []},
        {"id": "c", "title": "Mobile data cut in Amhara"},
        {"id": "d", "title": "Spyware found on phones"}]) + "\n", encoding="utf-8")
    result = invoke(["eval", str(items)], env)
    assert result.exit_code != 0
    assert f"{items}:3: item 'c' has no 'labels'" in result.output
    assert "macro" not in result.output.lower() and ":4:" not in result.output
    as_json = invoke(["eval", str(items), "--json"], env)
    assert as_json.exit_code != 0 and "macro_f1" not in as_json.output


# 4. poll --once when no source is reachable -------------------------------------------------------------------


def test_poll_once_says_no_source_is_reachable_and_lists_each_failure(env):
    result = invoke(["poll", "--once", "--json"], env)
    assert result.exit_code == 0, result.output  # interfaces.md: exit 0 when the cycle ran, even if sources failed
    report = json.loads(result.stdout)
    for key in ("sources", "ok", "not_modified", "failed", "new_items", "took_s"):
        assert key in report
    assert report["failed"] == 2
    failed = sorted(report["failed_sources"], key=lambda f: f["source"])
    assert [f["source"] for f in failed] == ["offline-a", "offline-b"]
    assert all("connection refused by 127.0.0.1" in f["error"] for f in failed)
    assert "no source reachable: all 2 polls failed" in result.stderr and "rights-monitor sources" in result.stderr

    plain = invoke(["poll", "--once"], env)
    assert plain.exit_code == 0 and "no source reachable: all 2 polls failed" in plain.stderr

    strict = invoke(["poll", "--once", "--json", "--fail-if-unreachable"], env)
    assert strict.exit_code == 3  # EXIT_UNREACHABLE, as the README and --help say
    assert json.loads(strict.stdout)["failed"] == 2 and "no source reachable" in strict.stderr


def test_poll_once_with_one_source_up_is_not_unreachable(tmp_path, env):
    port = closed_port()
    with FeedServer() as feeds:
        feeds.route("/a.xml", rss([{"title": "Phone maker opens a shop", "url": "https://e.example.org/1",
                                    "summary": "A new shop.", "hours_ago": 1}], datetime.now(UTC)))
        sources = write_sources(tmp_path / "mixed.yaml", {"up": feeds.url("/a.xml"),
                                                          "down": f"http://127.0.0.1:{port}/b.xml"})
        result = invoke(["poll", "--once", "--json", "--fail-if-unreachable"],
                        {**env, "RIGHTS_MONITOR_SOURCES": str(sources)})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] == 1 and [f["source"] for f in report["failed_sources"]] == ["down"]
    assert "no source reachable" not in result.stderr


def test_poll_help_documents_the_exit_status(env):
    shown = invoke(["poll", "--help"], env)
    assert "--fail-if-unreachable" in shown.output and "Exit status" in shown.output and "3" in shown.output


# 5. sources test says why a source could not be reached ------------------------------------------------------


def test_sources_test_says_the_connection_was_refused_not_http_none(env):
    url = f"http://127.0.0.1:{closed_port()}/feed.xml"
    result = invoke(["sources", "test", url], env)
    assert result.exit_code == 1
    assert "HTTP None" not in result.output
    assert f"error: {url}: could not connect: connection refused by 127.0.0.1" in result.stderr
    as_json = json.loads(invoke(["sources", "test", url, "--json"], env).stdout)
    assert as_json["failed"] == "connect" and as_json["error"] == "connection refused by 127.0.0.1"


def test_sources_test_says_the_dns_lookup_failed(env, monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    result = invoke(["sources", "test", "http://feeds.example.invalid/rss"], env)
    assert result.exit_code == 1 and "HTTP None" not in result.output
    assert ("error: http://feeds.example.invalid/rss: could not connect: DNS lookup failed for feeds.example.invalid"
            in result.stderr)


def test_sources_test_names_an_http_error_status(env):
    with FeedServer() as feeds:
        url = feeds.route("/gone.xml", "gone", status=404)
        result = invoke(["sources", "test", url], env)
    assert result.exit_code == 1
    assert f"error: {url}: could not fetch: HTTP 404" in result.stderr and "HTTP None" not in result.output
