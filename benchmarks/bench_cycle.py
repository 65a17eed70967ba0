"""One poll cycle of N feeds on 50 loopback hosts, cold and warm, beside lemon24/reader and the bare floor.

    .venv/bin/python -m benchmarks.bench_cycle [--feeds 100,1000] [--full] [--items 20] [--json PATH]

`--full` adds N = 10,000. Every system runs in its own process against the same feed farm. Peak memory
counts the system's process and every process it starts (parse workers, the classifier's worker), sampled
from /proc: the sum of each process's own peak RSS (an upper bound of what they held at once; the JSON also
has the highest sum of RSS and of PSS seen at one moment). Systems:

- floor: aiohttp + feedparser, nothing stored (the same global and per-host limits as the monitor)
- reader: lemon24/reader `update_feeds` (parse + SQLite); needs `pip install -e .[bench]`
- monitor: one `run_cycle` (fetch, parse, store, classify, incidents, alerts, outbox) on a new SQLite store,
  default settings and classifier (classifying in its worker process while later sources are fetched);
  runtime built, model loaded and parse workers started before the clock starts (as in a running monitor)
- monitor-inline: the same with `classifier.process: false`: classification in the monitor's own process,
  after the fetching
- monitor-feedparser: the same as monitor on the same feeds carrying `xml:lang`, which the RSS fast path
  declines: what feeds with namespaced extras (most real ones) cost

Every failed poll is printed with its error under its system's row.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYSTEMS = ("floor", "reader", "monitor", "monitor-inline", "monitor-feedparser")


class TreeMemory:
    """Sample the memory of a process and all its descendants (parse and classifier workers) until stopped.

    `peak_rss_mb`: the highest sum of their RSS at one moment (pages shared between them counted in each);
    `peak_sum_mb`: the sum of each process's own peak (VmHWM): an upper bound of what they held at once;
    `peak_pss_mb`: the highest sum of their PSS (shared pages split between the processes sharing them).
    """

    def __init__(self, pid: int, every_s: float = 0.25) -> None:
        import threading

        self.pid, self.every_s = pid, every_s
        self.peak_rss_mb = self.peak_pss_mb = 0.0
        self.hwm_mb: dict[int, float] = {}  # each process's last seen own peak
        self.roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_sum_mb(self) -> float:
        return sum(self.hwm_mb.values())

    def peaks(self) -> list[tuple[str, float]]:
        """Each process's own peak (MB) with its role, largest first."""
        return sorted(((self.roles.get(pid, "?"), round(mb, 1)) for pid, mb in self.hwm_mb.items()),
                      key=lambda p: -p[1])


    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            rss = pss = 0.0
            for pid in tree(self.pid):
                status = _proc_kb(f"/proc/{pid}/status", ("VmRSS:", "VmHWM:"))
                if "VmRSS:" not in status:
                    continue  # gone meanwhile
                rss += status["VmRSS:"] / 1024
                self.hwm_mb[pid] = status.get("VmHWM:", 0) / 1024
                self.roles.setdefault(pid, "main" if pid == self.pid else _role(pid))
                pss += _proc_kb(f"/proc/{pid}/smaps_rollup", ("Pss:",)).get("Pss:", 0) / 1024
            self.peak_rss_mb, self.peak_pss_mb = max(self.peak_rss_mb, rss), max(self.peak_pss_mb, pss)


def _role(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    for marker, role in ((b"spawn_main", "classifier worker"), (b"forkserver", "parse worker or forkserver"),
                         (b"resource_tracker", "resource tracker")):
        if marker in cmdline:
            return role
    return "other"

def tree(root: int) -> list[int]:
    """Return `root` and every live descendant of it (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def _proc_kb(path: str, keys: tuple[str, ...]) -> dict[str, float]:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    return {line.split()[0]: float(line.split()[1]) for line in lines if line.startswith(keys)}


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


def run_monitor(urls: list[str], folder: Path, classifier: str | None, process: bool = True) -> dict:
    import asyncio

    from monitor.config import load_settings
    from monitor.pipeline import run_cycle
    from monitor.wiring import build_runtime, load_sources
    from tests.feeds import write_sources

    sources = write_sources(folder / "sources.yaml", {f"feed-{n}": u for n, u in enumerate(urls)})
    env = {"RIGHTS_MONITOR_DB": f"sqlite:///{folder / 'monitor.db'}", "RIGHTS_MONITOR_SOURCES": str(sources)}
    if classifier:
        env["RIGHTS_MONITOR_CLASSIFIER"] = classifier
    if not process:
        env["RIGHTS_MONITOR_CLASSIFIER_PROCESS"] = "false"
    settings = load_settings(env=env)

    async def cycles() -> dict:
        rt = build_runtime(settings, sources=load_sources(settings), stream=io.StringIO())
        started = time.perf_counter()
        rt.load_classifier()  # a running monitor has its model loaded (in its worker): loading is measured apart
        if rt.parser is not None:
            rt.parser.start()  # ... and its parse workers started
        load_s = time.perf_counter() - started
        polled: list[float] = []
        started = time.perf_counter()
        cold = await run_cycle(rt, progress=lambda _: polled.append(time.perf_counter()))
        cold_s = time.perf_counter() - started
        # the last poll's end splits the cycle: fetch+parse+store (classification overlapping it in the worker),
        # then what classification, folding and the outbox still needed after it
        stages = {"poll_s": polled[-1] - started, "after_poll_s": started + cold_s - polled[-1]} if polled else {}
        started = time.perf_counter()
        warm = await run_cycle(rt)
        warm_s = time.perf_counter() - started
        worker = rt.classify_worker() is not None
        await rt.aclose()
        return {"cold_s": cold_s, "warm_s": warm_s, "load_s": load_s, "items": cold.to_json()["new_items"],
                "failed": cold.to_json()["failed"] + warm.to_json()["failed"],
                "failures": failures(cold) + failures(warm), "classify_process": worker,
                "not_modified": warm.to_json()["not_modified"], "stages": stages,
                "torch_imported": "torch" in sys.modules or "transformers" in sys.modules}

    return asyncio.run(cycles())


def failures(report) -> list[str]:
    """Each failed poll as 'source: error'."""
    return [f"{r.source}: {r.error}" for r in report.results if r.status == "failed"]


def child(args: argparse.Namespace) -> None:
    """Run one system in this process and print its figures as JSON."""
    urls = Path(args.urls).read_text().split()
    with tempfile.TemporaryDirectory() as folder:
        if args.child == "floor":
            out = run_floor(urls)
        elif args.child == "reader":
            out = run_reader(urls, Path(folder))
        else:  # monitor, monitor-inline, monitor-feedparser: the same code, the settings or the feeds differ
            out = run_monitor(urls, Path(folder), args.classifier, process=args.child != "monitor-inline")
    print(json.dumps(out))


# --------------------------------------------------------------------------- the parent: farm, table, JSON


def measure(system: str, urls_file: Path, classifier: str | None = None, env: dict | None = None) -> dict:
    command = [sys.executable, "-m", "benchmarks.bench_cycle", "--child", system, "--urls", str(urls_file)]
    if classifier:
        command += ["--classifier", classifier]
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=child_env)
    with TreeMemory(process.pid) as memory:
        stdout, stderr = process.communicate()
    if process.returncode != 0:
        return {"error": stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {process.returncode}"}
    return {**json.loads(stdout.strip().splitlines()[-1]), "peak_mb": memory.peak_sum_mb,
            "peak_rss_mb": memory.peak_rss_mb, "peak_pss_mb": memory.peak_pss_mb,
            "processes": memory.peaks()}


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
                for line in format_failures(row):
                    print(line, flush=True)
    return rows


def format_row(row: dict) -> str:
    if "error" in row:
        return f"{row['system']:<18} {row['feeds']:>6}  error: {row['error']}"
    failed = f"  failed fetches {row['failed']}, items {row['items']}" if "failed" in row else ""
    return (f"{row['system']:<18} {row['feeds']:>6}  cold {row['cold_s']:7.2f} s  warm {row['warm_s']:6.2f} s"
            f"  peak {row['peak_mb']:6.0f} MB{failed}")


def format_failures(row: dict, shown: int = 20) -> list[str]:
    """The failed polls of a row, the first `shown` of them with their errors."""
    failed = row.get("failures", [])
    lines = [f"    {line}" for line in failed[:shown]]
    return lines + ([f"    ... and {len(failed) - shown} more"] if len(failed) > shown else [])


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
