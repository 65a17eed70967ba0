"""Measure incident matching on real report pairs: one event told twice, and look-alike events.

    .venv/bin/python scripts/evaluate_pairs.py [FILE.jsonl ...] [--json]   # default: classifiers/data/event_pairs.jsonl
    .venv/bin/python scripts/evaluate_pairs.py --fit   # refit monitor.incidents' pair model, print it

`--fit` (needs scikit-learn, the `tools` extra) fits the logistic pair model on the pairs whose
two reports are incidents with something in common (`monitor.incidents.related`), reports it by grouped
5-fold cross-validation (each fold scored by a model and threshold fitted on the others; pairs sharing a
report page stay in one fold) and prints the constants to paste into monitor/incidents.py.

Each pair goes through the real path: both reports are classified by the shipped classifier,
made into candidate incidents dated by their publication, and the later one is matched against
the earlier as the pipeline does (`monitor.incidents.match_incident`, its 7-day window included).
A `same` pair should join, a `different` pair should not. A report the classifier does not take
for an incident cannot join, so it counts as a miss on a `same` pair.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers import build_classifier
from classifiers.encoder import CachedEncoder
from monitor import incidents
from monitor.config import ClassifierSettings
from monitor.incidents import incident_from_report, match_follow_up, match_incident
from monitor.registry import Deps
from monitor.types import ClassifyInput, Incident, Item
from monitor.watchlist import load_watchlist

PAIRS = ROOT / "classifiers" / "data" / "event_pairs.jsonl"


def published(report: dict) -> datetime:
    text = (report.get("published") or "2000-01-01")[:10]
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return datetime(parts[0], parts[1] or 1, parts[2] or 1, 12, tzinfo=UTC)


def as_candidates(report: dict, key: str, classifier: Any) -> tuple[Incident | None, Incident | None]:
    """The report as a candidate incident (None when the classifier does not take it for one) and as a
    candidate follow-up (`incidents.follow_up_from_report`: None unless it is read in full but unlabelled)."""
    cls = classifier.classify_many([ClassifyInput(id=key, title=report["title"], summary=report["summary"],
                                                  lang=report.get("lang"))])[0]
    when = published(report)
    item = Item(id=0, source=report.get("source") or "", guid=key, url=report["url"], canonical_url=report["url"],
                title=report["title"], summary=report["summary"], published=when, fetched_at=when,
                content_hash=key, lang=cls.lang)
    host = report.get("source") or report["url"]
    incident = incident_from_report(item, cls, host, when) if cls.labels else None
    return incident, incidents.follow_up_from_report(item, cls, host, when)


def as_incident(report: dict, key: str, classifier: Any) -> Incident | None:
    return as_candidates(report, key, classifier)[0]


def joined(pair: dict, classifier: Any) -> tuple[bool, str]:
    """Whether the later report joins the earlier one's incident, as the pipeline folds it (a later report
    that is no incident on its own may still join as a follow-up), and why not when it does not."""
    a, b = sorted((pair["a"], pair["b"]), key=published)
    first = as_incident(a, pair["pair_id"] + "a", classifier)
    second, follow_up = as_candidates(b, pair["pair_id"] + "b", classifier)
    if first is None or (second is None and follow_up is None):
        return False, "not an incident"
    first = Incident(**{**first.__dict__, "id": 1})
    if second is None and follow_up is not None:
        return match_follow_up(follow_up, [first], follow_up.first_seen) is not None, "follow-up, no match"
    return match_incident(second, [first], second.first_seen) is not None, "no match"


def pair_groups(pairs: list[dict]) -> list[int]:
    """Connected groups of pairs that share a report page: they go to one CV fold together."""
    parent = list(range(len(pairs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[str, int] = {}
    for i, pair in enumerate(pairs):
        for url in (pair["a"]["url"], pair["b"]["url"]):
            j = first_seen.setdefault(url, i)
            parent[root(i)] = root(j)
    return [root(i) for i in range(len(pairs))]


def fit(pairs: list[dict], classifier: Any, folds: int = 5) -> None:
    """Fit the pair model; print its grouped 5-fold CV figures over all pairs and the constants to ship.

    Each fold is scored by a model and a threshold fitted on the other folds only (pairs that share a
    report page stay in one fold); the threshold joins at most 2% of the look-alike pairs it was fitted on."""
    import hashlib

    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows, same = [], []
    for pair in pairs:
        a, b = sorted((pair["a"], pair["b"]), key=published)
        first, second = as_incident(a, pair["pair_id"] + "a", classifier), as_incident(b, pair["pair_id"] + "b", classifier)
        usable = first is not None and second is not None and incidents.related(first, second)
        gap = (second.first_seen - first.first_seen) if usable else None
        rows.append(incidents.pair_features(first, second, gap) if usable else None)
        same.append(pair["kind"] == "same")
    groups = pair_groups(pairs)
    fold = np.array([int(hashlib.sha256(str(g).encode()).hexdigest(), 16) % folds for g in groups])
    same_a = np.array(same)
    usable_a = np.array([r is not None for r in rows])
    x = np.array([r if r is not None else [0.0] * len(incidents.PAIR_FEATURES) for r in rows])

    def model(mask):
        pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced"))
        return pipeline.fit(x[mask & usable_a], same_a[mask & usable_a])

    def threshold(probabilities, mask):
        # the lowest probability that joins at most 2% of the different-event pairs (all of them counted)
        negatives = np.sort(probabilities[mask & ~same_a & usable_a])[::-1]
        allowed = int(0.02 * (mask & ~same_a).sum())
        return float(negatives[allowed] + 1e-6) if len(negatives) > allowed else 0.5

    joined = np.zeros(len(rows), dtype=bool)
    for k in range(folds):
        m = model(fold != k)
        t = threshold(m.predict_proba(x)[:, 1], fold != k)
        joined |= (fold == k) & usable_a & (m.predict_proba(x)[:, 1] >= t)
    cross = np.array([bool(p["cross_language"]) for p in pairs])
    print(f"grouped {folds}-fold CV over {len(pairs)} pairs ({usable_a.sum()} whose two reports are incidents "
          "sharing a subject):")
    for name, mask in (("all", np.ones(len(pairs), bool)), ("one language", ~cross), ("across languages", cross)):
        s, d = mask & same_a, mask & ~same_a
        print(f"  {name:17} same event joined {joined[s].mean():.1%} ({joined[s].sum()}/{s.sum()}; "
              f"{joined[s & usable_a].mean():.1%} of those both taken for incidents), "
              f"different events joined {joined[d].mean():.1%} ({joined[d].sum()}/{d.sum()})")
    full = model(np.ones(len(rows), dtype=bool))
    t = threshold(full.predict_proba(x)[:, 1], np.ones(len(rows), dtype=bool))
    scaler, linear = full.named_steps["standardscaler"], full.named_steps["logisticregression"]
    weights = linear.coef_[0] / scaler.scale_  # the scaler folded in: w.x + b on raw features
    bias = linear.intercept_[0] - float((linear.coef_[0] * scaler.mean_ / scaler.scale_).sum())
    print("PAIR_WEIGHTS = (" + ", ".join(f"{w:.4f}" for w in weights) + ")")
    print(f"PAIR_BIAS = {bias:.4f}")
    print(f"SAME_EVENT_PROBABILITY = {t:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=[str(PAIRS)], help="pair files (JSONL)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--fit", action="store_true", help="refit the pair model and print its constants")
    args = parser.parse_args()
    pairs = [json.loads(line) for file in args.files
             for line in Path(file).read_text(encoding="utf-8").splitlines() if line.strip()]
    classifier = build_classifier(ClassifierSettings(kind="cascade"), Deps(watchlist=load_watchlist()))
    # the reports' vectors are kept in var/ by text: reruns (after a new head) encode nothing twice
    classifier.encoder = CachedEncoder(classifier.encoder, ROOT / "var" / "e5-pairs-cache.npz")
    if args.fit:
        fit(pairs, classifier)
        return
    counts: dict[str, dict[str, int]] = {}
    misses = []
    for pair in pairs:
        ok, why = joined(pair, classifier)
        key = f"{pair['kind']}{'_cross' if pair['cross_language'] else ''}"
        bucket = counts.setdefault(key, {"pairs": 0, "joined": 0, "not_incident": 0, "follow_ups": 0})
        bucket["pairs"] += 1
        bucket["joined"] += ok
        bucket["not_incident"] += why == "not an incident"
        bucket["follow_ups"] += ok and why.startswith("follow-up")
        if ok != (pair["kind"] == "same"):
            misses.append({"pair": pair["pair_id"], "kind": pair["kind"], "why": why, "event": pair.get("event")})
    same = [counts.get(k, {}) for k in ("same", "same_cross")]
    diff = [counts.get(k, {}) for k in ("different", "different_cross")]
    result = {
        "counts": counts,
        "same_joined": sum(c.get("joined", 0) for c in same) / max(sum(c.get("pairs", 0) for c in same), 1),
        "different_joined": sum(c.get("joined", 0) for c in diff) / max(sum(c.get("pairs", 0) for c in diff), 1),
        "errors": misses,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    for key, c in sorted(counts.items()):
        print(f"{key:16} {c['joined']:4}/{c['pairs']:<4} joined ({c['follow_ups']} as follow-ups; "
              f"{c['not_incident']} not taken for incidents)")
    print(f"same event joined: {result['same_joined']:.1%}; different events joined: {result['different_joined']:.1%}")


if __name__ == "__main__":
    main()
