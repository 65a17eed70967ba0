"""Score predictions against labeled rows: the numbers of `rights-monitor eval`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitor.types import LABELS, Classification
from monitor.watchlist import fold

_MIN_LANGUAGE_ITEMS = 1


def gold_labels(row: Mapping[str, Any]) -> frozenset[str]:
    """Read a row's labels; `["none"]` and `[]` both mean no incident."""
    return frozenset(label for label in row.get("labels", []) if label in LABELS)


def evaluate(gold_rows: Sequence[Mapping[str, Any]], predictions: Sequence[Classification], watchlist: Any) -> dict[str, Any]:
    """Compare predictions with gold rows (same order) and return every figure as plain data."""
    if len(gold_rows) != len(predictions):
        raise ValueError(f"{len(gold_rows)} gold rows but {len(predictions)} predictions")
    pairs = [(gold_labels(row), frozenset(p.labels)) for row, p in zip(gold_rows, predictions)]
    return {
        "items": len(pairs),
        "labels": {label: _prf(_counts(pairs, label)) for label in LABELS},
        "macro_f1": _macro(pairs),
        "false_alarm_rate": _false_alarm_rate(pairs),
        "incident": _prf(_incident_counts(pairs)),
        "companies": _company_scores(gold_rows, predictions, watchlist),
        "languages": _per_language(gold_rows, predictions, pairs),
    }


def _counts(pairs: Iterable[tuple[frozenset[str], frozenset[str]]], label: str) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for gold, pred in pairs:
        tp += label in gold and label in pred
        fp += label in pred and label not in gold
        fn += label in gold and label not in pred
    return tp, fp, fn


def _prf(counts: tuple[int, int, int]) -> dict[str, float | int]:
    tp, fp, fn = counts
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": tp + fn}


def _macro(pairs: Sequence[tuple[frozenset[str], frozenset[str]]], present_only: bool = False) -> float:
    counts = [_counts(pairs, label) for label in LABELS]
    # In a small language group a label may never occur; counting it as F1 0 would say nothing.
    scored = [c for c in counts if sum(c) or not present_only]
    return round(sum(_prf(c)["f1"] for c in scored) / len(scored), 4) if scored else 1.0


def _false_alarm_rate(pairs: Sequence[tuple[frozenset[str], frozenset[str]]]) -> float:
    negatives = [pred for gold, pred in pairs if not gold]
    return round(sum(bool(pred) for pred in negatives) / len(negatives), 4) if negatives else 0.0


def _incident_counts(pairs: Iterable[tuple[frozenset[str], frozenset[str]]]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for gold, pred in pairs:
        tp += bool(gold) and bool(pred)
        fp += bool(pred) and not gold
        fn += bool(gold) and not pred
    return tp, fp, fn


def _company_scores(gold_rows: Sequence[Mapping[str, Any]], predictions: Sequence[Classification], watchlist: Any) -> dict[str, Any]:
    """Precision and recall of companies on gold incidents, compared as tracked families."""
    tp = fp = fn = 0
    for row, pred in zip(gold_rows, predictions):
        if not gold_labels(row):
            continue
        # judged on tracked companies only: a gold name outside the watchlist is no miss
        gold = {_family_key(name, watchlist) for name in row.get("companies", []) if _tracked(name, watchlist)}
        found = {_family_key(name, watchlist) for name in pred.companies}
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
    return _prf((tp, fp, fn))


def _tracked(name: str, watchlist: Any) -> bool:
    return watchlist is None or watchlist.resolve(name) is not None


def _family_key(name: str, watchlist: Any) -> str:
    # A subsidiary and its group are one family: MTN Nigeria for MTN Group is not a miss.
    company = watchlist.resolve(name) if watchlist is not None else None
    family = watchlist.family(company.name) if company is not None else ()
    return fold(family[-1]) if family else fold(name)


def _per_language(gold_rows: Sequence[Mapping[str, Any]], predictions: Sequence[Classification], pairs: Sequence[Any]) -> dict[str, Any]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for row, pred, pair in zip(gold_rows, predictions, pairs):
        groups[str(row.get("lang") or pred.lang or "und")].append(pair)
    non_english = [pair for lang, group in groups.items() if lang != "en" for pair in group]
    table = {lang: {"items": len(group), "macro_f1": _macro(group, present_only=True)} for lang, group in sorted(groups.items())}
    if non_english:
        table["non_en"] = {"items": len(non_english), "macro_f1": _macro(non_english, present_only=True)}
    return table


def format_report(result: Mapping[str, Any]) -> str:
    """Render an evaluation as a readable plain-text table."""
    lines = [f"items: {result['items']}", "", f"{'label':24s} {'P':>6s} {'R':>6s} {'F1':>6s} {'n':>5s}"]
    for label, s in result["labels"].items():
        lines.append(f"{label:24s} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:5d}")
    inc, comp = result["incident"], result["companies"]
    lines += [
        "",
        f"macro-F1            {result['macro_f1']:.3f}",
        f"false-alarm rate    {result['false_alarm_rate']:.3f}  (non-incidents given a label)",
        f"incident P/R        {inc['precision']:.3f} / {inc['recall']:.3f}",
        f"company P/R         {comp['precision']:.3f} / {comp['recall']:.3f}  (on incidents, as tracked families)",
        "",
        f"{'language':10s} {'items':>6s} {'macro-F1':>9s}",
    ]
    lines += [f"{lang:10s} {s['items']:6d} {s['macro_f1']:9.3f}" for lang, s in result["languages"].items()]
    return "\n".join(lines)
