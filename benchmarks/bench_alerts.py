"""Alert latency: from the end of the poll that sees a new incident report to the Slack request.

    .venv/bin/python -m benchmarks.bench_alerts [--trials 20] [--classifier cascade]

A loopback feed changes (a new shutdown report, each trial another country), then what `run` does for a
due source: `poll_job` (poll, fold, drain the instant alerts), with the default classifier loaded and a
Slack-compatible API on loopback (bot mode). p50/p95 of (Slack request - poll done) and of the whole job.

Trials start at least 1.1 s after the previous Slack message: the Slack notifier keeps one message per second
per channel (Slack's limit), so back-to-back trials would measure that pacing (about 1 s each), not the
path from feed to Slack. A trial that raises no alert says why (the poll, the item's labels, its incident,
the alert and its delivery), so a lost alert is never just a missing number.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.feedfarm import FeedFarm
from monitor.config import load_settings
from monitor.pipeline import poll_source
from monitor.scheduler import poll_job
from monitor.wiring import build_runtime, load_sources
from tests.feeds import write_sources
from tests.slackserver import SlackServer

COUNTRIES = ["Nigeria", "Ethiopia", "Kenya", "Uganda", "Iraq", "Pakistan", "Senegal", "Tanzania", "Cameroon",
             "Turkey", "India", "Sudan", "Iran", "Myanmar", "Russia", "Venezuela", "Togo", "Gabon", "Chad", "Mali",
             "Zimbabwe", "Algeria", "Syria", "Cuba", "Belarus"]


def report(n: int, country: str) -> tuple[str, str]:
    title = f"{country} orders a nationwide shutdown of mobile internet, trial {n}"
    summary = (f"Authorities in {country} ordered operators to cut mobile data nationwide; NetBlocks measurements "
               "confirm the internet shutdown, rights groups said.")
    return title, summary


async def trials(farm: FeedFarm, slack: SlackServer, folder: Path, count: int, classifier: str | None) -> list:
    sources = write_sources(folder / "sources.yaml", {f"feed-{n}": u for n, u in enumerate(farm.urls)})
    subs = folder / "subscriptions.yaml"
    subs.write_text(yaml.safe_dump({"subscriptions": [{"name": "desk", "slack_channel": "C0DESK"}]}))
    env = {"RIGHTS_MONITOR_DB": f"sqlite:///{folder / 'monitor.db'}", "RIGHTS_MONITOR_SOURCES": str(sources),
           "RIGHTS_MONITOR_SUBSCRIPTIONS": str(subs), "SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.api_url}
    if classifier:
        env["RIGHTS_MONITOR_CLASSIFIER"] = classifier
    rt = build_runtime(load_settings(env=env), sources=load_sources(load_settings(env=env)), stream=io.StringIO())
    rt.load_classifier()  # in its worker process, as `run` does
    for source in rt.sources:  # a first poll stores what is there: the trials see only the new report
        await poll_source(source, rt)
    await poll_job(rt.sources[0], rt)
    out = []
    for n in range(count):
        if slack.arrivals:  # past the pacing of the previous message
            await asyncio.sleep(max(0.0, slack.arrivals[-1] + PACED_S - time.monotonic()))
        source = rt.sources[n % len(rt.sources)]
        farm.change(n % len(rt.sources), incident=report(n, COUNTRIES[n % len(COUNTRIES)]))
        posted = len(slack.arrivals)
        started = time.monotonic()
        polled = await poll_source(source, rt)  # the poll that sees the item; poll_job then folds and delivers
        seen = time.monotonic()
        await poll_job(source, rt)
        arrived = slack.arrivals[posted] if len(slack.arrivals) > posted else None
        out.append((arrived - seen, arrived - started) if arrived else None)
        if arrived is None:
            print(f"trial {n}: no alert: {why_not(rt, polled)}")
    await rt.aclose()
    return out


PACED_S = 1.1


def why_not(rt, polled) -> str:
    """Say where a trial's alert stopped: the poll, the classifier, the incident, the alert or its delivery."""
    if polled.status != "ok" or not polled.new_item_ids:
        return f"poll {polled.status}, {polled.new_items} new items ({polled.error or 'no error'})"
    parts = []
    for item_id in polled.new_item_ids:
        item = rt.store.get_item(item_id)
        if item is None or item.incident_id is None:
            parts.append(f"item {item_id} processed={bool(item and item.processed_at)}, no incident")
            continue
        alerts = rt.store.alerts_for_incident(item.incident_id)
        parts.append(f"item {item_id} -> incident {item.incident_id}, alerts {[(a.id, a.kind) for a in alerts]}")
        for alert in alerts[-1:]:
            parts += [f"delivery {d.id} {d.status} {d.last_error or ''}" for d in rt.store.deliveries_for_alert(alert.id)]
    return "; ".join(parts)


class TimedSlack(SlackServer):
    """The loopback Slack API, noting when each chat.postMessage arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []

    def record(self, request) -> None:
        if request.api_method == "chat.postMessage":
            self.arrivals.append(time.monotonic())
        super().record(request)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--classifier", default=None, help="default: the configured default (cascade)")
    args = parser.parse_args()
    with FeedFarm(feeds=25, items=20) as farm, TimedSlack() as slack, tempfile.TemporaryDirectory() as folder:
        results = asyncio.run(trials(farm, slack, Path(folder), args.trials, args.classifier))
    got = [r for r in results if r]
    if not got:
        print("no alert arrived")
        return
    after_poll = sorted(r[0] for r in got)
    whole = sorted(r[1] for r in got)
    p95 = lambda xs: xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
    print(f"{len(got)}/{len(results)} alerts posted; after the poll: p50 {statistics.median(after_poll) * 1000:.0f} ms, "
          f"p95 {p95(after_poll) * 1000:.0f} ms; poll + fold + send: p50 {statistics.median(whole) * 1000:.0f} ms, "
          f"p95 {p95(whole) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
