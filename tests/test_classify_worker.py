"""The classifier's worker process: a cycle that classifies in it stores what classifying in the monitor's own
process stores (classifications, incidents, alerts, deliveries), also when the worker dies mid-cycle or
cannot start; with too few sources or `classifier.process: false` there is none; and none outlives a
monitor killed outright, whose restart finishes what it left.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.classifying import ClassifierRecipe, ClassifyPool
from monitor.clock import FrozenClock
from monitor.config import load_settings
from monitor.pipeline import run_cycle
from monitor.scheduler import poll_job
from monitor.wiring import build_runtime, load_sources
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer
from tests.killrestart import CENSORSHIP
from tests.test_e2e_delivery import EARNINGS, FOLLOW_UP, SHUTDOWN, SPYWARE

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEEDS = 20  # at least fetch.parallel_from (16): enough sources for a worker process
TOPICS = ("broadband coverage", "spectrum auction", "quarterly earnings", "fibre rollout", "tower sale")
REPORTS = {2: [SHUTDOWN], 7: [SPYWARE, EARNINGS], 11: [FOLLOW_UP], 16: [CENSORSHIP]}
TABLES = {"items": "*", "classifications": "*", "incidents": "*", "alerts": "*",  # a delivery's lease holder and
          "deliveries": "id, alert_id, channel_kind, target, status, attempts, last_error, sent_at"}  # key: per process


def ordinary(n: int, k: int) -> dict:
    topic = TOPICS[(n + k) % len(TOPICS)]
    return {"title": f"Operator {n} reports {topic} progress, story {k}",
            "summary": f"The company said its {topic} plan for region {k} is on schedule; analysts expect more.",
            "url": f"https://outlet{n}.example.org/{k}", "hours_ago": k + 1}


@pytest.fixture(scope="module")
def feeds():
    """FEEDS loopback feeds of 16 ordinary stories each (320 items: two batches), incident reports in four."""
    with FeedServer() as server:
        yield {f"outlet-{n:02d}": server.route(f"/{n}.xml", rss(REPORTS.get(n, []) + [ordinary(n, k) for k in range(16)], NOW))
               for n in range(FEEDS)}


def settings_file(folder: Path, parallel_from: int | None = None) -> Path:
    """One fetch at a time, parsed inline: the sources store in catalog order, so every run gives the same ids
    (and the same batches) and the stores of two runs compare row by row."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.yaml"
    extra = f", parallel_from: {parallel_from}" if parallel_from is not None else ""
    path.write_text(f"fetch: {{global_concurrency: 1, parse_workers: 0{extra}}}\n", encoding="utf-8")
    return path


def runtime(folder: Path, feeds: dict[str, str], *, process: bool = True, parallel_from: int | None = None):
    settings = load_settings(env={
        "RIGHTS_MONITOR_DB": f"sqlite:///{folder / 'm.db'}",
        "RIGHTS_MONITOR_SETTINGS": str(settings_file(folder, parallel_from)),
        "RIGHTS_MONITOR_SOURCES": str(write_sources(folder / "sources.yaml", feeds)),
        "RIGHTS_MONITOR_CLASSIFIER_PROCESS": str(process).lower(),  # the default classifier, `cascade`
        "RIGHTS_MONITOR_SUBSCRIPTIONS": "",  # the console subscription: alerts printed to `stream`
    })
    return build_runtime(settings, clock=FrozenClock(NOW), sources=load_sources(settings), stream=io.StringIO())


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of the tables a cycle writes (items, classifications, incidents, alerts, deliveries)."""
    with sqlite3.connect(db) as conn:
        return {table: conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()
                for table, columns in TABLES.items()}


def cycle(folder: Path, feeds: dict[str, str], prepare=None, **options) -> tuple[dict, dict, object]:
    """One cycle on a new store: (the tables, the report, the runtime); `prepare(rt)` may return a progress hook."""

    async def scenario():
        rt = runtime(folder, feeds, **options)
        try:
            hook = prepare(rt) if prepare else None
            report = await run_cycle(rt, progress=hook)
            return report.to_json(), rt
        finally:
            await rt.aclose()

    report, rt = asyncio.run(scenario())
    return dump(folder / "m.db"), report, rt


@pytest.fixture(scope="module")
def reference(feeds, tmp_path_factory):
    """What classifying in the monitor's own process stores."""
    tables, report, rt = cycle(tmp_path_factory.mktemp("inline"), feeds, process=False)
    assert rt.classify_pool is None and report["failed"] == 0
    assert report["alerts"] >= 3 and len(tables["items"]) == 20 * 16 + 5
    return tables


def test_the_worker_stores_what_this_process_stores(feeds, reference, tmp_path):
    tables, report, rt = cycle(tmp_path, feeds)
    assert rt.classify_pool is not None and rt.classify_pool.pid not in (None, os.getpid())
    assert rt._classifier is None, "the monitor's own process never loaded the model"
    assert report["failed"] == 0
    assert tables == reference


def test_a_worker_killed_mid_cycle_loses_nothing(feeds, reference, tmp_path, caplog):
    polled = []

    def kill_the_worker_after_18_sources(rt):
        rt.load_classifier()  # the worker runs: the kill below always finds it

        def progress(result):
            polled.append(result)
            if len(polled) == 18:  # the first batch (256 items) is in the worker or waiting for it
                os.kill(rt.classify_pool.pid, signal.SIGKILL)

        return progress

    with caplog.at_level(logging.WARNING, logger="monitor.classifying"):
        tables, _, rt = cycle(tmp_path, feeds, prepare=kill_the_worker_after_18_sources)
    assert "classifier worker process unavailable" in caplog.text
    assert not rt.classify_pool.available and rt._classifier is not None  # the rest was classified here
    assert tables == reference


def test_a_worker_that_cannot_start_leaves_classifying_to_this_process(feeds, reference, tmp_path, caplog):
    def unpicklable_recipe(rt):
        recipe = type("Unpicklable", (ClassifierRecipe,), {})(rt.settings.classifier, rt.watchlist)  # no module path
        rt.classifier_factory, rt.classify_pool = recipe, ClassifyPool(recipe)

    with caplog.at_level(logging.WARNING, logger="monitor.classifying"):
        tables, _, rt = cycle(tmp_path, feeds, prepare=unpicklable_recipe)
    assert "classifier worker process unavailable" in caplog.text
    assert rt.classify_pool.pid is None and rt._classifier is not None
    assert tables == reference


def test_no_worker_when_switched_off_or_too_few_sources(feeds, tmp_path):
    few = dict(list(feeds.items())[:3])

    async def pools():
        made = []
        for name, options in {"on": {}, "off": {"process": False}, "few": {"feeds": few}}.items():
            rt = runtime(tmp_path / name, options.pop("feeds", feeds), **options)
            made.append(rt.classify_pool)
            await rt.aclose()
        return made

    on, off, few_sources = asyncio.run(pools())
    assert isinstance(on, ClassifyPool) and off is None and few_sources is None


def test_a_runtime_given_another_classifier_classifies_it_here(feeds, tmp_path, classifier_factory):
    # tests (and embedders) swap the factory: the worker would build the configured one, so it is not used
    async def scenario():
        rt = runtime(tmp_path, feeds)
        rt.classifier_factory = classifier_factory
        try:
            return rt.classify_worker(), rt.classify_pool
        finally:
            await rt.aclose()

    worker, pool = asyncio.run(scenario())
    assert worker is None and pool is not None and pool.pid is None


def test_poll_job_classifies_in_the_worker(feeds, tmp_path):
    # `run`: a due source's poll, then what it stored folded (parallel_from 1: a worker for any catalog)
    async def scenario():
        rt = runtime(tmp_path, {"outlet-02": feeds["outlet-02"]}, parallel_from=1)
        try:
            await poll_job(rt.sources[0], rt)
            return rt, rt.store.unprocessed_items(), rt.store.list_incidents()
        finally:
            await rt.aclose()

    rt, unprocessed, incidents = asyncio.run(scenario())
    assert rt.classify_pool.pid is not None and rt._classifier is None
    assert unprocessed == [] and len(incidents) == 1 and "shutdown" in incidents[0].labels


# --------------------------------------------------------------------------- a real process, killed outright


def workers_of(marker: str) -> list[int]:
    """The live classifier worker processes whose environment carries `marker` (the store URL of one test)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if b"multiprocessing.spawn" in cmdline and marker.encode() in environ and state != "Z":
            found.append(int(pid))
    return found


def poll_once(folder: Path, feeds: dict[str, str], env: dict[str, str]) -> subprocess.CompletedProcess:
    sources = write_sources(folder / "sources.yaml", feeds)
    return subprocess.run([sys.executable, "-m", "monitor", "--sources", str(sources), "poll", "--once", "--json"],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the worker through /proc")
def test_a_killed_monitor_leaves_no_worker_and_its_restart_finishes(feeds, tmp_path):
    env = {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'killed.db'}", "RIGHTS_MONITOR_CLASSIFIER": "rules",
           "RIGHTS_MONITOR_SETTINGS": str(settings_file(tmp_path)), "RIGHTS_MONITOR_SUBSCRIPTIONS": ""}
    killed = poll_once(tmp_path, feeds, {**env, "RIGHTS_MONITOR_CRASH_AT": "after-fold-commit:1"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    deadline = time.monotonic() + 30  # the orphaned worker sees its parent gone and exits (it never waits for work)
    while workers_of(env["RIGHTS_MONITOR_DB"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers_of(env["RIGHTS_MONITOR_DB"]) == []
    first = dump(tmp_path / "killed.db")
    assert 0 < sum(1 for row in first["items"] if row[-1] is not None) < len(first["items"])  # folded in part

    assert poll_once(tmp_path, feeds, env).returncode == 0  # the restart
    clean = {**env, "RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'clean.db'}"}
    assert poll_once(tmp_path, feeds, clean).returncode == 0
    after, expected = dump(tmp_path / "killed.db"), dump(tmp_path / "clean.db")
    assert [row[:7] for row in after["items"]] == [row[:7] for row in expected["items"]]  # id, source, guid, ... text
    assert all(row[-1] is not None for row in after["items"])  # every item processed
    # the same labels, companies and countries per item, and the same incidents (title, url, labels, companies)
    assert [(r[0], r[1], json.loads(r[3])["labels"]) for r in after["classifications"]] == \
        [(r[0], r[1], json.loads(r[3])["labels"]) for r in expected["classifications"]]
    assert [row[1:5] for row in after["incidents"]] == [row[1:5] for row in expected["incidents"]]
    assert len(after["incidents"]) >= 3
