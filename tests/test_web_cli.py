"""The workspace's commands and its hold on the pipeline: user add, token create, export-labels,
sources test, a dismissed incident that stays quiet, and signed unsubscribe links in alert emails."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from fastapi.testclient import TestClient

from monitor.cli import cli
from monitor.clock import FrozenClock
from monitor.config import Settings, load_settings
from monitor.pipeline import poll_sources, process_new_items
from monitor.store import Store
from monitor.types import SourceConfig
from monitor.web.serve import build_app
from monitor.wiring import build_runtime
from tests.feeds import rss
from tests.feedserver import FeedServer
from tests.webapp import Site

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIRST = [{"title": "Authorities order nationwide internet shutdown in Gabon during election count",
          "summary": "Gabon Telecom and Airtel Gabon cut mobile data across the country after an order.",
          "url": "https://news.example.org/gabon", "hours_ago": 1}]
LATER = [{"title": "Gabon internet shutdown enters second day as vote count continues",
          "summary": "Mobile data remains cut across Gabon; Gabon Telecom customers are offline.",
          "url": "https://other.example.net/gabon-day-two", "hours_ago": 0}]


def invoke(args, db, input=None):
    return CliRunner().invoke(cli, ["--db", db, *args], input=input)


def test_user_add_reads_the_password_from_stdin_and_token_create_prints_a_working_token(tmp_path):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    added = invoke(["user", "add", "Ana@Example.org", "--role", "admin"], db, input="long enough password\n")
    assert added.exit_code == 0 and "ana@example.org: admin" in added.output
    assert invoke(["user", "add", "b@example.org"], db, input="short\n").exit_code != 0
    made = invoke(["token", "create", "ci", "--role", "viewer"], db)
    token = made.output.strip()
    assert made.exit_code == 0 and token.startswith("rm_")
    store = Store.open(db)
    try:
        assert token not in json.dumps([str(t) for t in store.list_users()])
        user = store.get_user("ana@example.org")
        assert user.password_hash.startswith("$argon2")
    finally:
        store.close()
    with TestClient(build_app(load_settings(env={"RIGHTS_MONITOR_DB": db}))) as client:
        assert client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_export_labels_writes_reviewed_items_in_the_dev_items_format(tmp_path, clock):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    store = Store.open(db)
    try:
        site = Site.build(store, clock)
        with site.client() as client:
            first, second = site.incidents[0].id, site.incidents[1].id
            client.post(f"/api/v1/incidents/{first}/review", json={"action": "dismiss"}, headers=site.bearer("analyst"))
            client.post(f"/api/v1/incidents/{second}/review", json={"action": "relabel", "labels": ["censorship", "election_interference"]},
                        headers=site.bearer("analyst"))
    finally:
        store.close()
    out = tmp_path / "var" / "reviewed_items.jsonl"
    result = invoke(["export-labels", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [set(line) for line in lines] == [{"id", "lang", "url", "published", "title", "summary", "labels",
                                              "companies", "countries", "notes"}] * 2
    by_title = {line["title"]: line for line in lines}
    assert by_title[site.incidents[0].title]["labels"] == ["none"]
    assert by_title[site.incidents[1].title]["labels"] == ["censorship", "election_interference"]
    assert "token:analyst-token" in by_title[site.incidents[1].title]["notes"]


def test_a_dismissed_incident_stays_quiet_when_its_event_is_reported_again(tmp_path, classifier_factory):
    from monitor.types import SourceHealth
    from monitor.web.actions import review_incident
    from monitor.web.deps import Workspace

    with FeedServer() as server:
        url = server.route("/news.xml", rss(FIRST, NOW))
        settings = load_settings(env={"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'm.db'}"})

        async def scenario():
            rt = build_runtime(settings, clock=FrozenClock(NOW), sources=[SourceConfig("news", "rss", url)])
            rt.classifier_factory = classifier_factory
            rt.store.save_health(SourceHealth("news", first_polled=NOW - timedelta(days=9)))  # not a backfill
            try:
                await poll_sources(rt.sources, rt)
                first = process_new_items(rt)
                [incident] = rt.store.list_incidents()
                ws = Workspace(settings=Settings(), store=rt.store, watchlist=rt.watchlist, clock=rt.clock)
                review_incident(ws, incident.id, "dismiss", "ana@example.org", note="not a shutdown")
                server.route("/news.xml", rss(FIRST + LATER, NOW))
                await poll_sources(rt.sources, rt)
                return first, process_new_items(rt), rt.store.list_incidents()
            finally:
                await rt.aclose()

        first, later, incidents = asyncio.run(scenario())
    assert first.alerts == 1
    assert later.classified == 1 and later.alerts == 0
    [still] = incidents
    assert still.item_count == 2 and still.review == "dismissed"


def test_alert_emails_carry_a_signed_one_click_unsubscribe_url(tmp_path):
    from monitor.delivery import build_message
    from monitor.signing import verify_recipient
    from monitor.types import Alert, Delivery, Severity
    from notifiers.mail import alert_email
    from tests.webapp import incident

    store = Store.open(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        saved = store.save_incident(incident("Safaricom cuts data", NOW))
        alert = Alert(saved.id, "ngo", "new", Severity.HIGH, "why", NOW, id=1)
        delivery = Delivery(1, 1, "email", "ana@example.org", "pending")
        message = build_message(store, saved, alert, delivery, None, "monitor@example.org",
                                public_url="https://monitor.example.org")
        mail = alert_email(message, "monitor@example.org", "ana@example.org")
        links = mail["List-Unsubscribe"]
        assert "https://monitor.example.org/u/" in links and "mailto:" in links
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = links.split("https://monitor.example.org/u/")[1].split(">")[0]
        assert verify_recipient(store.app_secret("unsubscribe"), token) == ("ngo", "ana@example.org")
    finally:
        store.close()


def test_sources_test_fetches_parses_and_classifies_without_storing(tmp_path):
    db = tmp_path / "never.db"
    with FeedServer() as server:
        url = server.route("/feed.xml", rss(FIRST, NOW))
        result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "sources", "test", url, "--json"],
                                    env={"RIGHTS_MONITOR_CLASSIFIER": "rules"})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == 200 and report["count"] == 1
    assert report["items"][0]["labels"] == ["shutdown"]
    assert not db.exists()
