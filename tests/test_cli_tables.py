"""Tables on an 80-column terminal keep every word whole; piped, they print full rows; `sources --json`."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from monitor.types import Incident, Severity, SourceHealth
from tests.feeds import write_sources
from tests.test_cli_first_use import closed_port

TITLE = ("Mobile internet shut down across Amhara and Tigray regions as authorities order operators to cut "
         "data services ahead of the disputed regional election count")
ERROR = ("could not connect: connection refused by feeds.internet-shutdown-observatory.example.org "
         "(port 443) after three attempts with exponential backoff")


@pytest.fixture
def env(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "Internet Shutdown Observatory", "kind": "rss", "url": "https://feeds.example.org/f?key=abc"},
        {"name": "Quiet Source", "kind": "rss", "url": "https://quiet.example.org/", "enabled": False}]}),
        encoding="utf-8")
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'tables.db'}", "RIGHTS_MONITOR_SOURCES": str(sources),
            "RIGHTS_MONITOR_CLASSIFIER": "rules", "SLACK_BOT_TOKEN": "", "SMTP_HOST": "", "COLUMNS": None}


def invoke(args, env, columns=None):
    return CliRunner().invoke(cli, args, env={**env, "COLUMNS": str(columns) if columns else None})


def store_incident(env) -> None:
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        now = datetime(2026, 11, 18, 10, tzinfo=UTC)
        store.save_incident(Incident(
            id=0, title=TITLE, url="https://example.org/a", labels=("shutdown", "election_interference"),
            companies=("Ethio Telecom", "Safaricom Ethiopia"), inferred_companies=(), countries=("ET",),
            first_seen=now, last_seen=now, severity=Severity.CRITICAL, source_count=12))
    finally:
        store.close()


def store_health(env) -> None:
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        store.save_health(SourceHealth(source="Internet Shutdown Observatory", consecutive_failures=4,
                                       last_attempt=datetime.now(UTC) - timedelta(minutes=5), last_error=ERROR,
                                       last_success=datetime(2026, 11, 17, 9, 30, tzinfo=UTC),
                                       next_due=datetime.now(UTC) + timedelta(hours=2)))
    finally:
        store.close()


def words(output: str) -> set[str]:
    return set(re.split(r"(?:[\s│┃┏┓┗┛━┡┩└┘─┼╇╈┳┻·,]|:(?=\s|$))+", output))


def assert_narrow(output: str, *whole: str) -> None:
    lines = output.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, output
    found = words(output)
    for phrase in whole:
        for word in phrase.split():
            assert word.strip(",") in found, (word, output)


def test_incidents_list_on_an_80_column_terminal_splits_no_word(env):
    store_incident(env)
    result = invoke(["incidents", "list"], env, columns=80)
    assert result.exit_code == 0, result.output
    assert_narrow(result.output, "id status severity labels companies countries sources last seen title",
                  "1 open critical shutdown election_interference Ethio Telecom Safaricom Ethiopia 12 2026-11-18 10:00",
                  "Mobile internet shut down")


def test_incidents_list_piped_prints_full_rows(env):
    store_incident(env)
    result = invoke(["incidents", "list"], env)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "critical" in line)
    assert TITLE in row and "election_interference" in row and "Safaricom Ethiopia" in row


def test_sources_on_an_80_column_terminal_keeps_hosts_and_headers_whole(env):
    store_health(env)
    result = invoke(["sources"], env, columns=80)
    assert result.exit_code == 0, result.output
    assert_narrow(result.output, "Internet Shutdown Observatory Quiet Source rss enabled disabled failures 4",
                  "feeds.internet-shutdown-observatory.example.org (backoff) (disabled)")
    assert "2026-11-17 09:30" in result.output


def test_sources_piped_prints_full_rows(env):
    store_health(env)
    result = invoke(["sources"], env)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "Internet Shutdown Observatory" in line)
    assert ERROR in row and "(backoff)" in row and "2026-11-17 09:30 UTC" in row


def test_sources_json_lists_each_source_with_its_health(env):
    store_health(env)
    result = invoke(["sources", "--json"], env, columns=80)
    assert result.exit_code == 0, result.output
    failing, quiet = json.loads(result.output)
    assert failing["name"] == "Internet Shutdown Observatory" and failing["kind"] == "rss"
    assert failing["url"].startswith("https://feeds.example.org/") and failing["enabled"] is True
    assert failing["consecutive_failures"] == 4 and failing["last_error"] == ERROR
    assert failing["last_success"] == "2026-11-17T09:30:00+00:00"
    assert failing["last_failure"] and failing["backoff"] is True
    assert datetime.fromisoformat(failing["next_poll"]) > datetime.now(UTC) + timedelta(hours=1)
    assert quiet["name"] == "Quiet Source" and quiet["enabled"] is False and quiet["next_poll"] is None
    assert quiet["last_success"] is None and quiet["consecutive_failures"] == 0 and quiet["last_error"] is None


def test_poll_once_on_an_80_column_terminal_keeps_the_error_readable(tmp_path, env):
    port = closed_port()
    sources = write_sources(tmp_path / "offline.yaml", {"Offline Shutdown Tracker": f"http://127.0.0.1:{port}/feed.xml"})
    result = invoke(["poll", "--once"], {**env, "RIGHTS_MONITOR_SOURCES": str(sources)}, columns=80)
    assert result.exit_code == 0, result.output
    table = result.output[result.output.index("poll"):result.output.index("no source reachable")]
    assert_narrow(table, "source status new seen took error failed Offline Shutdown Tracker 127.0.0.1")


def test_poll_once_piped_prints_full_rows(tmp_path, env):
    port = closed_port()
    name = "Offline Internet Shutdown Observatory for the Horn of Africa region"
    sources = write_sources(tmp_path / "offline.yaml", {name: f"http://127.0.0.1:{port}/feed.xml"})
    result = invoke(["poll", "--once"], {**env, "RIGHTS_MONITOR_SOURCES": str(sources)})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "│" in line and "failed" in line)
    assert name in row and "connection refused by 127.0.0.1" in row
