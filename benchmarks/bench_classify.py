"""Measure load time and items/s of a classifier kind on the shipped data, and the share of items
that reach the (slow) encoder.

    .venv/bin/python benchmarks/bench_classify.py [cascade|rules] [--mix realistic|corpus] [--size N]

`corpus` classifies the labelled corpus as is (about half incidents, most negatives look-alikes);
`realistic` builds the 9:1 mix of a news stream: nine non-incidents to one incident, drawn from the
corpus (so the non-incidents are look-alikes: harder and slower than a real stream's off-topic news);
`stream` takes its nine non-incidents from the real feeds in tests/fixtures/feeds (The Guardian, heise,
UOL, reddit, ...: what a general news source brings) and its incidents from the corpus;
`news` is the honest stream: nine real off-topic news items that no model trained on
(classifiers/data/news_holdout.jsonl, 13 languages) to one incident of the locked test split;
`feed` the cycle benchmark's feed items (telecom business news, one in 20 a shutdown report).
For `cascade`, each stage is then timed on its own over the same items (items per CPU-second): language,
stage 1 (TF-IDF), companies and countries for every item; cue counts, the encoder and stage 2 for the items
stage 1 passes.
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


def news_mix(rows: list[dict], size: int = 600) -> list[dict]:
    """Nine held-out off-topic news items to one locked-split incident: nothing here trained the model."""
    test = set(json.loads((DATA / "split.json").read_text(encoding="utf-8"))["test"])
    news = [json.loads(line) for line in (DATA / "news_holdout.jsonl").open(encoding="utf-8") if line.strip()]
    positives = [r for r in rows if r["id"] in test and r["labels"] not in (["none"], [])]
    return [positives[i // 10 % len(positives)] if i % 10 == 9 else news[i % len(news)] for i in range(size)]


def feed_rows(size: int) -> list[dict]:
    """The feed farm's items as stored (HTML stripped): business news, every 20th a shutdown report."""
    from benchmarks.feedfarm import INCIDENT, _story
    from monitor.sources.base import plain_text

    out = []
    for k in range(size):
        title, summary = (f"{INCIDENT[0]} ({k})", INCIDENT[1]) if k % 20 == 19 else _story(k // 20, k % 20)
        out.append({"title": title, "summary": plain_text(summary, 2000), "lang": "en"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", nargs="?", default=None, help="default: rules, then cascade")
    parser.add_argument("--mix", choices=("realistic", "stream", "news", "corpus", "feed"), default="realistic")
    parser.add_argument("--size", type=int, default=600)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (the transformers kind only)")
    args = parser.parse_args()
    rows = load_rows()
    if args.mix == "feed":
        rows = feed_rows(args.size)
    else:
        mixes = {"realistic": realistic_mix, "stream": stream_mix, "news": news_mix}
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
    inputs = [ClassifyInput(id=str(i), title=r["title"], summary=r["summary"], lang=r.get("lang"))
              for i, r in enumerate(rows)]
    started, cpu_started = time.perf_counter(), time.process_time()
    results = classifier.classify_many(inputs)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    encoded = sum(1 for r in results if r.vector)
    negatives = [r for r, row in zip(results, rows) if row.get("labels") in (["none"], [])]
    positives = [r for r, row in zip(results, rows) if row.get("labels") not in (["none"], [], None)]
    # CPU seconds show the work itself; wall time on a shared machine also shows the neighbours.
    print(f"{kind} ({mix}, {len(inputs)} items): load {loaded:.2f} s, {len(inputs) / took:.0f} items/s, "
          f"{cpu:.2f} CPU s ({len(inputs) / cpu:.0f} items per CPU-second); {encoded / len(inputs):.0%} reached "
          f"the encoder", flush=True)
    if negatives and positives:
        print(f"  flagged {sum(1 for r in negatives if r.labels)} of {len(negatives)} non-incidents; "
              f"found {sum(1 for r in positives if r.labels)} of {len(positives)} incidents", flush=True)
    if kind == "cascade":
        stages(classifier, inputs)


def stages(classifier, inputs: list[ClassifyInput]) -> None:
    """Time each stage of the cascade on its own (CPU seconds), batches of 256 as the pipeline classifies."""
    from classifiers import rules
    from classifiers.cascade import _language_text
    from classifiers.features import item_text
    from classifiers.language import detect_languages
    from classifiers.learned import FIRST_STAGE, HEADS, INCIDENT

    batches = [inputs[k : k + 256] for k in range(0, len(inputs), 256)]
    texts = [[item_text(i.title, i.summary) for i in b] for b in batches]
    head, linker = classifier.head, classifier.linker
    passed: list[list[int]] = []

    def stage_one() -> None:
        for t in texts:
            p = head.sparse_probabilities(head.sparse_logits_many(t))
            passed.append([k for k in range(len(t)) if p[k, HEADS.index(INCIDENT)] >= head.thresholds[FIRST_STAGE]])

    def linking() -> None:
        for b in batches:
            for item in b:
                links = linker._links(item)
                linker._countries(item, links)

    def stage_two() -> None:
        for b, t, ks in zip(batches, texts, passed, strict=True):
            if ks:
                hits = [rules.find_cues(b[k].title, b[k].summary) for k in ks]
                vectors = classifier.encoder.encode([t[k] for k in ks])
                classifier._dense(vectors, head.sparse_logits_many([t[k] for k in ks]), hits)

    steps = [("language", lambda: [detect_languages([_language_text(i) for i in b], [i.lang for i in b])
                                   for b in batches], len(inputs)),
             ("stage 1 (TF-IDF)", stage_one, len(inputs)), ("companies + countries", linking, len(inputs)),
             ("cues + encoder + stage 2", stage_two, None)]
    for name, run, count in steps:
        cpu_started = time.process_time()
        run()
        cpu = time.process_time() - cpu_started
        count = count if count is not None else sum(len(ks) for ks in passed)
        print(f"  {name}: {count} items, {cpu:.2f} CPU s, {count / cpu if cpu else 0:.0f} items per CPU-second",
              flush=True)


if __name__ == "__main__":
    main()
