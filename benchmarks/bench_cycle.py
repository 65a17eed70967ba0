"""One poll cycle of N feeds on 50 loopback hosts, cold and warm, beside lemon24/reader and the bare floor.

    .venv/bin/python -m benchmarks.bench_cycle [--feeds 100,1000] [--full] [--items 20] [--json PATH]

`--full` adds N = 10,000. Every system runs in its own process against the same feed farm, so each
peak memory (max RSS) is its own. Systems:

- floor: aiohttp + feedparser, nothing stored (the same global and per-host limits as the monitor)
- reader: lemon24/reader `update_feeds` (parse + SQLite); needs `pip install -e .[bench]`
- rights-monitor: one `run_cycle` (fetch, parse, store, classify, incidents, alerts, outbox) on a new
  SQLite store, default settings and classifier, runtime built, model loaded and parse workers started
  before the clock starts (as in a running monitor)
- monitor-feedparser: the same on the same feeds carrying `xml:lang`, which the RSS fast path declines:
  what feeds with namespaced extras (most real ones) cost
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYSTEMS = ("floor", "reader", "monitor", "monitor-feedparser")


def peak_mb() -> float:
    """Return this process's peak RSS plus its children's largest, in MB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


# --------------------------------------------------------------------------- the systems, one per process


def run_floor(urls: list[str]) -> dict:
    import asyncio

    import aiohttp
    import feedparser

    etags: dict[str, str] = {}

    async def one(session, url, limit, hosts) -> None:
        host = url.split("/")[2]
        async with limit, hosts.setdefault(host, asyncio.Semaphore(2)):
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            async with session.get(url, headers=headers) as response:
                body = await response.read()
                etags[url] = response.headers.get("ETag", "")
        if response.status == 200:
            feedparser.parse(body, sanitize_html=True, resolve_relative_uris=True)

    async def cycle() -> float:
        started = time.perf_counter()
        async with aiohttp.ClientSession() as session:
            limit, hosts = asyncio.Semaphore(32), {}
            await asyncio.gather(*(one(session, u, limit, hosts) for u in urls))
        return time.perf_counter() - started

    cold = asyncio.run(cycle())
    warm = asyncio.run(cycle())
    return {"cold_s": cold, "warm_s": warm}


def run_reader(urls: list[str], folder: Path) -> dict:
    from reader import make_reader

    reader = make_reader(str(folder / "reader.sqlite"))
    for url in urls:
        reader.add_feed(url)
    started = time.perf_counter()
    reader.update_feeds(workers=16, scheduled=False)
    cold = time.perf_counter() - started
    entries = reader.get_entry_counts().total
    started = time.perf_counter()
    reader.update_feeds(workers=16, scheduled=False)
    warm = time.perf_counter() - started
    reader.close()
    return {"cold_s": cold, "warm_s": warm, "items": entries}


async def staged_cycle(rt) -> tuple:
    """`run_cycle`'s steps one by one, each timed: fetch+parse+store, classify+fold, deliver."""
    import asyncio

    from monitor.delivery import drain_outbox
    from monitor.pipeline import poll_sources, process_new_items
    from monitor.types import CycleReport

    marks = [time.perf_counter()]
    results = await poll_sources(rt.sources, rt)
    marks.append(time.perf_counter())
    report = await asyncio.to_thread(process_new_items, rt)
    marks.append(time.perf_counter())
    drained = await asyncio.to_thread(drain_outbox, rt.store, rt.notifiers, rt.watchlist, rt.clock.now())
    marks.append(time.perf_counter())
    stages = {name: b - a for name, a, b in zip(("poll_s", "process_s", "deliver_s"), marks, marks[1:])}
    return CycleReport(tuple(results), marks[-1] - marks[0], report.incidents, report.alerts, drained.delivered), stages


def run_monitor(urls: list[str], folder: Path, classifier: str | None) -> dict:
    import asyncio

    from monitor.config import load_settings
    from monitor.pipeline import run_cycle
    from monitor.wiring import build_runtime, load_sources
    from tests.feeds import write_sources

    sources = write_sources(folder / "sources.yaml", {f"feed-{n}": u for n, u in enumerate(urls)})
    env = {"RIGHTS_MONITOR_DB": f"sqlite:///{folder / 'monitor.db'}", "RIGHTS_MONITOR_SOURCES": str(sources)}
    if classifier:
        env["RIGHTS_MONITOR_CLASSIFIER"] = classifier
    settings = load_settings(env=env)

    async def cycles() -> dict:
        rt = build_runtime(settings, sources=load_sources(settings), stream=io.StringIO())
        started = time.perf_counter()
        _ = rt.classifier  # a running monitor has its model loaded: loading is measured apart
        if rt.parser is not None:
            rt.parser.start()  # ... and its parse workers started
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        cold, stages = await staged_cycle(rt)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        warm = await run_cycle(rt)
        warm_s = time.perf_counter() - started
        await rt.aclose()
        return {"cold_s": cold_s, "warm_s": warm_s, "load_s": load_s, "items": cold.to_json()["new_items"],
                "failed": cold.to_json()["failed"] + warm.to_json()["failed"],
                "not_modified": warm.to_json()["not_modified"], "stages": stages,
                "torch_imported": "torch" in sys.modules or "transformers" in sys.modules}

    return asyncio.run(cycles())


def child(args: argparse.Namespace) -> None:
    """Run one system in this process and print its figures as JSON."""
    urls = Path(args.urls).read_text().split()
    with tempfile.TemporaryDirectory() as folder:
        if args.child == "floor":
            out = run_floor(urls)
        elif args.child == "reader":
            out = run_reader(urls, Path(folder))
        else:  # monitor, monitor-feedparser: the same code, the feeds differ
            out = run_monitor(urls, Path(folder), args.classifier)
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))


# --------------------------------------------------------------------------- the parent: farm, table, JSON


def measure(system: str, urls_file: Path, classifier: str | None = None) -> dict:
    command = [sys.executable, "-m", "benchmarks.bench_cycle", "--child", system, "--urls", str(urls_file)]
    if classifier:
        command += ["--classifier", classifier]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def reader_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("reader") is not None


def run_all(sizes: list[int], items: int, systems: list[str]) -> list[dict]:
    from benchmarks.feedfarm import FeedFarm

    rows = []
    for n in sizes:
        with FeedFarm(feeds=n, items=items) as farm, tempfile.TemporaryDirectory() as folder:
            urls_file, lang_file = Path(folder) / "urls.txt", Path(folder) / "lang-urls.txt"
            urls_file.write_text("\n".join(farm.urls))
            lang_file.write_text("\n".join(farm.lang_urls))
            for system in systems:
                if system == "reader" and not reader_installed():
                    rows.append({"system": system, "feeds": n, "error": "not installed (pip install -e .[bench])"})
                    continue
                feeds = lang_file if system == "monitor-feedparser" else urls_file
                row = {"system": system, "feeds": n, "items_per_feed": items, **measure(system, feeds)}
                rows.append(row)
                print(format_row(row), flush=True)
    return rows


def format_row(row: dict) -> str:
    if "error" in row:
        return f"{row['system']:<18} {row['feeds']:>6}  error: {row['error']}"
    failed = f"  failed fetches {row['failed']}, items {row['items']}" if "failed" in row else ""
    return (f"{row['system']:<18} {row['feeds']:>6}  cold {row['cold_s']:7.2f} s  warm {row['warm_s']:6.2f} s"
            f"  peak {row['peak_mb']:6.0f} MB{failed}")


def print_table(rows: list[dict]) -> None:
    print("\n| system | feeds | cold cycle | warm cycle (304) | peak memory |")
    print("|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['system']} | {r['feeds']:,} | {r['error']} | | |")
            continue
        print(f"| {r['system']} | {r['feeds']:,} | {r['cold_s']:.2f} s | {r['warm_s']:.2f} s | {r['peak_mb']:.0f} MB |")
    for n in sorted({r["feeds"] for r in rows}):
        by = {r["system"]: r for r in rows if r["feeds"] == n and "error" not in r}
        if "monitor" in by and "reader" in by:
            m, r = by["monitor"], by["reader"]
            print(f"N={n:,}: monitor/reader cold {m['cold_s'] / r['cold_s']:.2f}, warm {m['warm_s'] / r['warm_s']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", default="100,1000", help="comma-separated feed counts (default 100,1000)")
    parser.add_argument("--full", action="store_true", help="also N = 10,000")
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--json", default=str(ROOT / "var" / "bench-cycle.json"))
    parser.add_argument("--child", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--classifier", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sizes = [int(x) for x in args.feeds.split(",") if x] + ([10_000] if args.full else [])
    rows = run_all(sizes, args.items, args.systems.split(","))
    print_table(rows)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"cycle": rows}, indent=2))
    print(f"written {args.json}")


if __name__ == "__main__":
    main()
