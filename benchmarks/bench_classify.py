"""Measure load time and items/s of a classifier kind on the shipped data, and the share of items
that reach the (slow) encoder.

    .venv/bin/python benchmarks/bench_classify.py [cascade|rules] [--mix realistic|corpus] [--size N]

`corpus` classifies the labelled corpus as is (about half incidents, most negatives look-alikes);
`realistic` builds the 9:1 mix of a news stream: nine non-incidents to one incident, drawn from the
corpus (so the non-incidents are look-alikes: harder and slower than a real stream's off-topic news);
`stream` takes its nine non-incidents from the real feeds in tests/fixtures/feeds (The Guardian, heise,
UOL, reddit, ...: what a general news source brings) and its incidents from the corpus.
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
from monitor.registry import Deps
from monitor.types import ClassifyInput
from monitor.watchlist import load_watchlist

DATA = ROOT / "classifiers" / "data"


def load_rows() -> list[dict]:
    """Read the labelled corpus."""
    return [json.loads(line) for line in (DATA / "corpus.jsonl").open(encoding="utf-8")]


def realistic_mix(rows: list[dict], size: int = 600) -> list[dict]:
    """Nine non-incidents to one incident, interleaved as a stream would bring them."""
    negatives = [r for r in rows if r["labels"] in (["none"], [])]
    positives = [r for r in rows if r not in negatives]
    return [positives[i // 10 % len(positives)] if i % 10 == 9 else negatives[i % len(negatives)] for i in range(size)]


def stream_mix(rows: list[dict], size: int = 600) -> list[dict]:
    """Nine real feed entries (off-topic news, as most of a stream is) to one corpus incident."""
    import feedparser

    from monitor.sources.base import plain_text

    entries = []
    for path in sorted((ROOT / "tests" / "fixtures" / "feeds").glob("*.[ar]*")):
        for entry in feedparser.parse(str(path)).entries:
            title, summary = plain_text(entry.get("title"), 300), plain_text(entry.get("summary"), 2000)
            if title or summary:
                entries.append({"title": title, "summary": summary, "labels": ["none"]})
    positives = [r for r in rows if r["labels"] not in (["none"], [])]
    return [positives[i // 10 % len(positives)] if i % 10 == 9 else entries[i % len(entries)] for i in range(size)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", nargs="?", default=None, help="default: rules, then cascade")
    parser.add_argument("--mix", choices=("realistic", "stream", "corpus"), default="realistic")
    parser.add_argument("--size", type=int, default=600)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (the transformers kind only)")
    args = parser.parse_args()
    rows = load_rows()
    mixes = {"realistic": realistic_mix, "stream": stream_mix}
    rows = mixes[args.mix](rows, args.size) if args.mix in mixes else rows[: args.size]
    watchlist = load_watchlist()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    # `rules` needs no model (language, companies, countries, cues); `cascade` adds the learned head: TF-IDF
    # for every item, the multilingual encoder for the items its first stage does not settle.
    for kind in [args.kind] if args.kind else ["rules", "cascade"]:
        measure(kind, rows, watchlist, args.mix)


def measure(kind: str, rows: list[dict], watchlist, mix: str) -> None:
    started = time.perf_counter()
    classifier = build_classifier(ClassifierSettings(kind=kind), Deps(watchlist=watchlist))
    loaded = time.perf_counter() - started
    inputs = [ClassifyInput(id=str(i), title=r["title"], summary=r["summary"]) for i, r in enumerate(rows)]
    started, cpu_started = time.perf_counter(), time.process_time()
    results = classifier.classify_many(inputs)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    encoded = sum(1 for r in results if r.vector)
    # CPU seconds show the work itself; wall time on a shared machine also shows the neighbours.
    print(f"{kind} ({mix}, {len(inputs)} items): load {loaded:.2f} s, {len(inputs) / took:.0f} items/s, "
          f"{cpu:.2f} CPU s ({len(inputs) / cpu:.0f} items per CPU-second); {encoded / len(inputs):.0%} reached "
          f"the encoder", flush=True)


if __name__ == "__main__":
    main()
