"""The command line as a user drives it: check-config, subscriptions, incidents, classify, digest, demo."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from monitor.types import Evidence, Incident, Severity

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path):
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'cli.db'}", "RIGHTS_MONITOR_SOURCES": str(ROOT / "sources.yaml"),
            "COLUMNS": "220"}


def invoke(args, env, input=None):
    result = CliRunner().invoke(cli, args, env=env, input=input, terminal_width=200)
    return result


def test_check_config_passes_on_the_shipped_files(env):
    result = invoke(["check-config"], {**env, "RIGHTS_MONITOR_SUBSCRIPTIONS": str(ROOT / "subscriptions.example.yaml"),
                                       "RIGHTS_MONITOR_SETTINGS": str(ROOT / "settings.example.yaml"),
                                       "SLACK_BOT_TOKEN": "xoxb-test", "SMTP_HOST": "127.0.0.1"})
    assert result.exit_code == 0, result.output
    assert "configuration is valid" in result.output


def test_check_config_names_the_yaml_path(tmp_path, env):
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - name: a\n    kind: rss\n    url: ftp://example.org/feed\n", encoding="utf-8")
    result = invoke(["--sources", str(bad), "check-config"], env)
    assert result.exit_code == 1
    assert "sources[0].url" in result.output


def test_subscribe_list_unsubscribe(env):
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-test"}
    result = invoke(["subscribe", "fund-a", "--slack-channel", "C042", "--company", "MTN Group", "--label", "shutdown",
                     "--min-severity", "high", "--quiet-hours", "22:00-07:00", "--timezone", "Africa/Lagos",
                     "--daily-cap", "5"], env)
    assert result.exit_code == 0, result.output
    listing = invoke(["subscriptions", "list"], env)
    assert "fund-a" in listing.output and "MTN Group" in listing.output and "22:00-07:00" in listing.output
    assert invoke(["unsubscribe", "fund-a"], env).exit_code == 0
    assert "fund-a" not in invoke(["subscriptions", "list"], env).output
    assert invoke(["unsubscribe", "fund-a"], env).exit_code != 0


def test_subscribe_rejects_bad_quiet_hours(env):
    result = invoke(["subscribe", "x", "--email", "a@b.org", "--quiet-hours", "whenever"], env)
    assert result.exit_code == 2


def stored_incident(env) -> int:
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        now = datetime(2026, 11, 18, 10, tzinfo=UTC)
        incident = store.save_incident(Incident(
            id=0, title="Internet cut across <b>Amhara</b>", url="https://example.org/a", labels=("shutdown",),
            companies=("Ethio Telecom",), inferred_companies=(), countries=("ET",), first_seen=now, last_seen=now,
            severity=Severity.HIGH, severity_reasons=("regional shutdown",),
            evidence=(Evidence("shutdown", "mobile data cut across the region"),)))
        return incident.id
    finally:
        store.close()


def test_incidents_list_show_dismiss(env):
    incident_id = stored_incident(env)
    listing = invoke(["incidents", "list"], env)
    assert listing.exit_code == 0 and "Amhara" in listing.output
    shown = json.loads(invoke(["incidents", "show", str(incident_id), "--json"], env).output)
    assert shown["severity"] == "high" and shown["companies"] == ["Ethio Telecom"]
    assert invoke(["incidents", "dismiss", str(incident_id)], env).exit_code == 0
    assert json.loads(invoke(["incidents", "list", "--json"], env).output)[0]["status"] == "dismissed"
    assert invoke(["incidents", "show", "999"], env).exit_code != 0


def test_classify_keeps_order_and_reports_bad_lines(env):
    lines = "\n".join([
        json.dumps({"id": "a", "title": "Government orders nationwide internet shutdown during exams",
                    "summary": "Operators were told to cut mobile data across the country."}),
        "{not json",
        json.dumps({"id": "c", "title": "Apple launches a new iPhone", "summary": "The phone has a faster chip."}),
    ]) + "\n"
    result = invoke(["classify", "-"], {**env, "RIGHTS_MONITOR_CLASSIFIER": "rules"}, input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, "c"]
    assert "error" in rows[1]
    for row in (rows[0], rows[2]):
        assert set(row) >= {"id", "labels", "companies", "inferred_companies", "countries", "lang", "scores",
                            "evidence"}
        assert set(row["scores"]) == {"surveillance", "censorship", "shutdown", "election_interference"}


def test_digest_writes_four_files(tmp_path, env):
    stored_incident(env)
    out = tmp_path / "digests"
    result = invoke(["digest", "--week", "2026-W47", "--out", str(out)], env)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["chart-2026-W47.png", "digest-2026-W47.csv", "digest-2026-W47.html", "digest-2026-W47.md"]
    html = (out / "digest-2026-W47.html").read_text(encoding="utf-8")
    assert "Amhara" in html and "<b>Amhara</b>" not in html
    assert (out / "chart-2026-W47.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_digest_rejects_a_bad_week(env):
    result = invoke(["digest", "--week", "2026-47"], env)
    assert result.exit_code != 0 and "week" in result.output.lower()


def test_digest_send_emails_analysts_with_the_chart_inline(tmp_path, env):
    from tests.smtpserver import SmtpServer

    stored_incident(env)
    with SmtpServer() as smtp:
        mail_env = {**env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none",
                    "RIGHTS_MONITOR_DIGEST_TO": "analysts@example.org"}
        result = invoke(["digest", "--week", "2026-W47", "--out", str(tmp_path / "d"), "--send"], mail_env)
        assert result.exit_code == 0, result.output
        assert "queued 1 digest deliveries; delivered 1" in result.output
        [received] = smtp.received
    assert received.rcpt_tos == ("analysts@example.org",)
    message = received.message
    assert "2026-W47" in message["Subject"]
    parts = {part.get_content_type(): part for part in message.walk()}
    assert parts["image/png"]["Content-ID"].strip("<>").startswith("chart")
    assert "cid:chart" in parts["text/html"].get_content()
