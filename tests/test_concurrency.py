"""Issue 13, item 3: any number of `poll --once` processes on one store process each item once.

Before: two polls at once classified and folded the same items twice, and every incident counted each
report twice ("1 source (2 reports)"). Here four real processes start together on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import yaml

from monitor.store import Store
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer
from tests.pgdb import BACKENDS, database_url
from tests.smtpserver import SmtpServer
from tests.test_e2e_delivery import EARNINGS, FOLLOW_UP, SHUTDOWN, SPYWARE

PROCESSES = 4


def start_poll(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "monitor", "poll", "--once", "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_polls_process_each_item_once_and_send_each_alert_once(backend, tmp_path):
    now = datetime.now(UTC)
    with database_url(backend, tmp_path, migrated=True) as url, FeedServer() as feeds, SmtpServer() as smtp:
        sources = write_sources(tmp_path / "sources.yaml", {
            "outlet-a": feeds.route("/a.xml", rss([SHUTDOWN, SPYWARE, EARNINGS], now)),
            "outlet-b": feeds.route("/b.xml", rss([FOLLOW_UP], now)),
        })
        subs = tmp_path / "subscriptions.yaml"
        subs.write_text(yaml.safe_dump({"subscriptions": [{"name": "ngo", "email": ["desk@ngo.test"]}]}))
        env = {**os.environ, "RIGHTS_MONITOR_DB": url, "RIGHTS_MONITOR_SOURCES": str(sources),
               "RIGHTS_MONITOR_SUBSCRIPTIONS": str(subs), "RIGHTS_MONITOR_CLASSIFIER": "rules",
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none"}
        Store.open(url).close()  # migrated once, so the processes race on the work, not on the schema
        polls = [start_poll(env) for _ in range(PROCESSES)]
        outcomes = [p.communicate(timeout=180) for p in polls]
        assert all(p.returncode == 0 for p in polls), [err[-2000:] for _, err in outcomes]
        store = Store.open(url)
        try:
            incidents = store.list_incidents()
            linked = {i.id: store.incident_items(i.id) for i in incidents}
            unprocessed = store.unprocessed_items()
            alerts = [a for i in incidents for a in store.alerts_for_incident(i.id)]
        finally:
            store.close()
        ids = sorted(m["Message-ID"] for m in smtp.messages)
    assert unprocessed == []
    assert len(incidents) == 2
    for incident in incidents:  # each report counted once
        assert incident.item_count == len(linked[incident.id])
        assert incident.source_count == len({item.source for item in linked[incident.id]})
    amhara = next(i for i in incidents if "Amhara" in i.title or "Amhara" in " ".join(i.urls))
    assert (amhara.source_count, amhara.item_count) == (2, 2)
    assert sorted(a.kind for a in alerts).count("new") == 2
    assert len(ids) == 2 and len(set(ids)) == 2  # one email per incident, none twice
