"""The kill-restart harness: a real `rights-monitor poll --once` SIGKILLed at a chosen state, then restarted.

A kill point is either a named crash point inside the process (monitor/failpoints.py: the nth time it
reaches, say, "sent-not-recorded") or an event at one of the loopback servers (the nth feed request, the
nth Slack post before its answer is written, the nth SMTP DATA before or after it is accepted), where
the server SIGKILLs the client. After the restart every delivery is matched against what the servers got:
a Slack message by the key in its metadata, an email by its Message-ID.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import yaml

from monitor.store import Store
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer
from tests.slackserver import SlackServer
from tests.smtpserver import SmtpServer
from tests.test_e2e_delivery import EARNINGS, FOLLOW_UP, SHUTDOWN, SPYWARE

CENSORSHIP = {"title": "Russia's Roskomnadzor orders ISPs to block Signal and Telegram nationwide",
              "summary": "The censor ordered internet providers to block access to Signal and Telegram across Russia, "
                         "rights groups said, the latest step in a crackdown on independent messaging apps.",
              "url": "https://press.example.com/ru-block", "hours_ago": 2}


@dataclass(frozen=True)
class KillPoint:
    """Where to kill: a crash point name (`failpoint`) or a server event (`server`: "slack:posted"), with
    the occurrences to kill at, one per trial in turn; `timed` kills after a random delay instead."""

    name: str
    failpoint: str | None = None
    server: str | None = None
    nths: tuple[int, ...] = (1,)
    timed: bool = False

    def nth(self, trial: int) -> int:
        return self.nths[trial % len(self.nths)]


POINTS = (
    KillPoint("fetching: 1st feed request", server="feed:request", nths=(1, 2)),
    KillPoint("fetching: 3rd feed request", server="feed:request", nths=(3,)),
    KillPoint("items stored, nothing folded", failpoint="items-stored", nths=(1, 2, 3)),
    KillPoint("fold written, not committed", failpoint="before-fold-commit"),
    KillPoint("fold committed, nothing sent", failpoint="after-fold-commit"),
    KillPoint("delivery leased", failpoint="claimed", nths=(1, 2, 4)),
    KillPoint("intent recorded, nothing sent", failpoint="intent-recorded", nths=(1, 3, 5)),
    KillPoint("sent, not recorded", failpoint="sent-not-recorded", nths=(1, 2, 3, 4, 5)),
    KillPoint("send recorded", failpoint="recorded", nths=(1, 3)),
    KillPoint("Slack posted, answer not read", server="slack:posted", nths=(1, 2)),
    KillPoint("Slack answered, not recorded", server="slack:answered", nths=(1, 2)),
    KillPoint("SMTP DATA sent, not accepted", server="smtp:data", nths=(1, 2)),
    KillPoint("SMTP accepted, not recorded", server="smtp:accepted", nths=(1, 3)),
    KillPoint("a random moment", timed=True),
)


@dataclass
class Outcome:
    """What one trial found."""

    point: str
    killed: bool
    deliveries: int = 0
    lost: int = 0  # deliveries never received
    duplicates: int = 0  # a Slack key posted twice, or a delivery the servers got that the store lacks
    wire_repeats: int = 0  # an email sent again with the Message-ID of one already accepted
    incidents_ok: bool = True
    restarts: int = 1
    notes: list[str] = field(default_factory=list)


class World:
    """Loopback feeds, Slack and SMTP, and a fresh SQLite store, for one trial."""

    def __init__(self, root: Path, db_url: str | None = None) -> None:
        self.root = root
        self.now = datetime.now(UTC)
        self.feeds, self.slack, self.smtp = FeedServer(), SlackServer(), SmtpServer()
        self.db_url = db_url or f"sqlite:///{root / 'monitor.db'}"

    def __enter__(self) -> Self:
        self.feeds.__enter__(), self.slack.__enter__(), self.smtp.__enter__()
        self.root.mkdir(parents=True, exist_ok=True)
        sources = write_sources(self.root / "sources.yaml", {
            "outlet-a": self.feeds.route("/a.xml", rss([SHUTDOWN, SPYWARE, EARNINGS], self.now)),
            "outlet-b": self.feeds.route("/b.xml", rss([FOLLOW_UP], self.now)),
            "outlet-c": self.feeds.route("/c.xml", rss([CENSORSHIP], self.now)),
        })
        subs = self.root / "subscriptions.yaml"
        subs.write_text(yaml.safe_dump({"subscriptions": [
            {"name": "stewardship", "slack_channel": "C0STEWARD"},
            {"name": "ngo", "email": ["one@ngo.test", "two@ngo.test"]},
        ]}), encoding="utf-8")
        self.env = {**os.environ, "RIGHTS_MONITOR_DB": self.db_url, "RIGHTS_MONITOR_SOURCES": str(sources),
                    "RIGHTS_MONITOR_SUBSCRIPTIONS": str(subs), "RIGHTS_MONITOR_CLASSIFIER": "rules",
                    "SLACK_BOT_TOKEN": self.slack.token, "SLACK_API_URL": self.slack.api_url,
                    "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp.port), "SMTP_TLS": "none",
                    "SMTP_FROM": "monitor@rights-monitor.test"}
        self.env.pop("RIGHTS_MONITOR_CRASH_AT", None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.smtp.__exit__(), self.slack.__exit__(), self.feeds.__exit__()

    def start(self, crash_at: str | None = None, args: tuple[str, ...] = ("poll", "--once", "--json")):
        env = {**self.env, **({"RIGHTS_MONITOR_CRASH_AT": crash_at} if crash_at else {})}
        return subprocess.Popen([sys.executable, "-m", "monitor", *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def arm(self, point: KillPoint, trial: int, process: subprocess.Popen) -> None:
        """Make the server named by the point kill `process` at the nth event of its kind."""
        if not point.server:
            return
        server, phase = point.server.split(":")
        nth, seen, lock = point.nth(trial), Counter(), threading.Lock()

        def hook(event: str, _request) -> str | None:
            with lock:
                if event != phase:
                    return None
                seen[event] += 1
                if seen[event] != nth:
                    return None
            _kill(process)
            return "451 4.3.0 client gone" if event == "data" else None

        {"feed": self.feeds, "slack": self.slack, "smtp": self.smtp}[server].hook = hook

    def disarm(self) -> None:
        self.feeds.hook = self.slack.hook = self.smtp.hook = None

    # ------------------------------------------------------------------ judging

    def snapshot(self) -> dict:
        """The store's incidents (title, reports) and every delivery."""
        store = Store.open(self.db_url)
        try:
            incidents = sorted((i.title, i.item_count, i.source_count) for i in store.list_incidents(limit=500))
            deliveries = [d for i in store.list_incidents(limit=500) for a in store.alerts_for_incident(i.id)
                          for d in store.deliveries_for_alert(a.id)]
            unprocessed = len(store.unprocessed_items())
        finally:
            store.close()
        return {"incidents": incidents, "deliveries": deliveries, "unprocessed": unprocessed}

    def judge(self, outcome: Outcome, baseline: dict | None) -> Outcome:
        snap = self.snapshot()
        posts = Counter(_slack_key(p) for p in self.slack.posted if p.ok)
        mails = Counter((str(m.message["Message-ID"]), rcpt) for m in self.smtp.received for rcpt in m.rcpt_tos)
        matched_posts, matched_mails = set(), set()
        outcome.deliveries = len(snap["deliveries"])
        for d in snap["deliveries"]:
            if d.channel_kind == "email":
                got = mails.get((d.intent_key, d.target), 0)
                matched_mails.add((d.intent_key, d.target))
                outcome.wire_repeats += max(0, got - 1)
            else:
                got = posts.get(d.intent_key, 0)
                matched_posts.add(d.intent_key)
                outcome.duplicates += max(0, got - 1)
            if got == 0 or d.status != "sent":
                outcome.lost += 1
                outcome.notes.append(f"lost {d.channel_kind} {d.target} ({d.status}: {d.last_error})")
        outcome.duplicates += sum(n for key, n in posts.items() if key not in matched_posts)
        outcome.duplicates += sum(n for key, n in mails.items() if key not in matched_mails)
        if snap["unprocessed"]:
            outcome.notes.append(f"{snap['unprocessed']} items left unprocessed")
        if baseline is not None:
            outcome.incidents_ok = snap["incidents"] == baseline["incidents"] and not snap["unprocessed"]
            missing = len(baseline["deliveries"]) - len(snap["deliveries"])
            if missing > 0:
                outcome.lost += missing
                outcome.notes.append(f"{missing} deliveries never queued")
        return outcome


def _slack_key(post) -> str | None:
    return ((post.body.get("metadata") or {}).get("event_payload") or {}).get("key")


def _kill(process: subprocess.Popen) -> None:
    try:
        os.kill(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def clean_run(root: Path) -> dict:
    """The world polled once with no kill: what every trial must end up with."""
    with World(root) as world:
        process = world.start()
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-3000:]
        snap = world.snapshot()
        assert world.judge(Outcome("clean", killed=False), None).lost == 0
    return snap


def trial(root: Path, point: KillPoint, index: int, baseline: dict, rng: random.Random,
          db_url: str | None = None) -> Outcome:
    """Kill a poll at `point` (its `index`th occurrence choice), restart it until done, judge what arrived."""
    with World(root, db_url) as world:
        crash_at = f"{point.failpoint}:{point.nth(index)}" if point.failpoint else None
        process = world.start(crash_at)
        world.arm(point, index, process)
        if point.timed:
            timer = threading.Timer(rng.uniform(0.5, 4.0), _kill, args=[process])
            timer.start()
        process.communicate(timeout=120)
        if point.timed:
            timer.cancel()
        world.disarm()
        outcome = Outcome(point.name, killed=process.returncode == -signal.SIGKILL)
        restart = world.start()
        _, err = restart.communicate(timeout=120)
        assert restart.returncode == 0, err[-3000:]
        if any(d.status != "sent" for d in world.snapshot()["deliveries"]):
            outcome.restarts += 1  # something was put on backoff: `deliver --all` retries it now
            deliver = world.start(args=("deliver", "--all"))
            deliver.communicate(timeout=120)
        time.sleep(0.05)  # the SMTP server thread records after answering
        return world.judge(outcome, baseline)
