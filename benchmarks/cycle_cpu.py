"""CPU seconds of one cold monitor cycle, by process: the figure that wall time hides on a busy machine.

    .venv/bin/python -m benchmarks.cycle_cpu [--feeds 1000] [--items 20] [--repeat 3] [--profile FILE.html]

Serves N feeds from `benchmarks.feedfarm`, then, in a fresh process each time, builds the monitor's runtime
as `bench_cycle` does (classifier loaded in its worker, parse workers started), reads the CPU time of that
process and every process under it from /proc, runs one cold `run_cycle` on a new SQLite store and reads
them again. Prints wall time and CPU seconds: main process, parse workers (and their forkserver), the
classifier's worker, and the total. With `--profile` the main process runs under pyinstrument (its CPU
figure then includes the profiler's own cost).
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

from benchmarks.bench_cycle import ROOT, _role, tree

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_pid(root: int) -> dict[int, tuple[str, float]]:
    """{pid: (role, CPU seconds so far)} of `root` and every process under it."""
    out = {}
    for pid in tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        role = "main" if pid == root else _role(pid)
        out[pid] = (role, (int(fields[11]) + int(fields[12])) / TICKS)  # utime + stime
    return out


def by_role(before: dict, after: dict) -> dict[str, float]:
    roles: dict[str, float] = {}
    for pid, (role, seconds) in after.items():
        used = seconds - before.get(pid, (role, 0.0))[1]
        key = {"parse worker or forkserver": "parse", "classifier worker": "classifier"}.get(role, role)
        roles[key] = round(roles.get(key, 0.0) + used, 2)
    roles["total"] = round(sum(v for k, v in roles.items()), 2)
    return roles


def child(urls: list[str], profile: str | None) -> dict:
    import asyncio

    from monitor.config import load_settings
    from monitor.pipeline import run_cycle
    from monitor.wiring import build_runtime, load_sources
    from tests.feeds import write_sources

    with tempfile.TemporaryDirectory() as folder:
        sources = write_sources(Path(folder) / "sources.yaml", {f"feed-{n}": u for n, u in enumerate(urls)})
        env = {"RIGHTS_MONITOR_DB": f"sqlite:///{folder}/monitor.db", "RIGHTS_MONITOR_SOURCES": str(sources)}
        settings = load_settings(env=env)

        async def cycle() -> dict:
            rt = build_runtime(settings, sources=load_sources(settings), stream=io.StringIO())
            rt.load_classifier()
            if rt.parser is not None:
                rt.parser.start()
            before = cpu_by_pid(os.getpid())
            started = time.perf_counter()
            report = await run_cycle(rt)
            wall = time.perf_counter() - started
            after = cpu_by_pid(os.getpid())
            await rt.aclose()
            data = report.to_json()
            return {"wall_s": round(wall, 2), "cpu_s": by_role(before, after), "items": data["new_items"],
                    "failed": data["failed"]}

        if not profile:
            return asyncio.run(cycle())
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
        with profiler:
            out = asyncio.run(cycle())
        Path(profile).write_text(profiler.output_html())
        print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", help="write a pyinstrument profile of the main process here (HTML)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.urls).read_text().split(), args.profile)))
        return
    from benchmarks.feedfarm import FeedFarm

    with FeedFarm(feeds=args.feeds, items=args.items) as farm, tempfile.TemporaryDirectory() as folder:
        urls = Path(folder) / "urls.txt"
        urls.write_text("\n".join(farm.urls))
        for _ in range(args.repeat):
            command = [sys.executable, "-m", "benchmarks.cycle_cpu", "--child", "--urls", str(urls)]
            if args.profile:
                command += ["--profile", args.profile]
            load = os.getloadavg()[0]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                raise SystemExit(done.returncode)
            if args.profile:
                print(done.stderr, file=sys.stderr)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps({**row, "load": round(load, 1)}), flush=True)


if __name__ == "__main__":
    main()
