"""Measure load time and items/s of a classifier kind on the shipped data.

    .venv/bin/python benchmarks/bench_classify.py [cascade|rules] [--mix realistic|dev]

`dev` classifies dev_items.jsonl as is (half incidents); `realistic` builds a feed-like mix
in which about 85% of items are non-incidents (the dev and authored negatives, repeated).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers import build_classifier
from monitor.config import ClassifierSettings
from monitor.types import ClassifyInput
from monitor.watchlist import load_watchlist

DATA = ROOT / "classifiers" / "data"


def load_rows() -> list[dict]:
    """Read dev and authored items."""
    files = (DATA / "dev_items.jsonl", DATA / "authored_items.jsonl")
    return [json.loads(line) for f in files for line in f.open(encoding="utf-8")]


def realistic_mix(rows: list[dict], size: int = 600) -> list[dict]:
    """Repeat items so that about 85% are non-incidents, as in a real feed."""
    negatives = [r for r in rows if r["labels"] in (["none"], [])]
    positives = [r for r in rows if r not in negatives]
    mix = [negatives[i % len(negatives)] for i in range(int(size * 0.85))]
    return mix + [positives[i % len(positives)] for i in range(size - len(mix))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", nargs="?", default=None, help="default: rules, then cascade (stage by stage)")
    parser.add_argument("--mix", choices=("realistic", "dev"), default="realistic")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the encoder's 2)")
    args = parser.parse_args()
    rows = load_rows()
    rows = realistic_mix(rows) if args.mix == "realistic" else rows[:377]
    watchlist = load_watchlist()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    # `rules` is the cascade's first stage (language, companies, countries, cues); what cascade adds on top
    # is the encoder and head, run on the rule candidates only.
    for kind in [args.kind] if args.kind else ["rules", "cascade"]:
        measure(kind, rows, watchlist, args.mix)


def measure(kind: str, rows: list[dict], watchlist, mix: str) -> None:
    started = time.perf_counter()
    classifier = build_classifier(ClassifierSettings(kind=kind), watchlist)
    loaded = time.perf_counter() - started
    inputs = [ClassifyInput(id=str(i), title=r["title"], summary=r["summary"]) for i, r in enumerate(rows)]
    started, cpu_started = time.perf_counter(), time.process_time()
    classifier.classify_many(inputs)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    # CPU seconds show the work itself; wall time on a shared machine also shows the neighbours.
    print(f"{kind} ({mix}, {len(inputs)} items): load {loaded:.2f} s, {len(inputs) / took:.0f} items/s, "
          f"{cpu:.2f} CPU s ({len(inputs) / cpu:.0f} items per CPU-second)", flush=True)


if __name__ == "__main__":
    main()
