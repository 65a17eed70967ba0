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


def evaluate(
    gold_rows: Sequence[Mapping[str, Any]], predictions: Sequence[Classification], watchlist: Any, rounds: int = 1000
) -> dict[str, Any]:
    """Compare predictions with gold rows (same order) and return every figure as plain data,
    with 95% bootstrap intervals (`rounds` resamples of the items; 0 for none)."""
    if len(gold_rows) != len(predictions):
        raise ValueError(f"{len(gold_rows)} gold rows but {len(predictions)} predictions")
    pairs = [(gold_labels(row), frozenset(p.labels)) for row, p in zip(gold_rows, predictions)]
    result = {
        "items": len(pairs),
        "labels": {label: _prf(_counts(pairs, label)) for label in LABELS},
        "macro_f1": _macro(pairs),
        "false_alarm_rate": _false_alarm_rate(pairs),
        "incident": _prf(_incident_counts(pairs)),
        "companies": _company_scores(gold_rows, predictions, watchlist),
        "languages": _per_language(gold_rows, predictions, pairs),
    }
    if rounds and pairs:
        result["intervals"] = bootstrap_intervals(gold_rows, predictions, pairs, rounds)
    return result


def bootstrap_intervals(
    gold_rows: Sequence[Mapping[str, Any]], predictions: Sequence[Classification], pairs: Sequence[Any], rounds: int
) -> dict[str, list[float]]:
    """95% percentile intervals of macro-F1, false alarms, each label's F1 and each language's macro-F1."""
    import random

    rng = random.Random(7)
    langs = [str(row.get("lang") or p.lang or "und") for row, p in zip(gold_rows, predictions)]
    draws: dict[str, list[float]] = defaultdict(list)
    n = len(pairs)
    for _ in range(rounds):
        pick = [rng.randrange(n) for _ in range(n)]
        sample = [pairs[i] for i in pick]
        draws["macro_f1"].append(_macro(sample))
        draws["false_alarm_rate"].append(_false_alarm_rate(sample))
        for label in LABELS:
            draws[f"f1_{label}"].append(float(_prf(_counts(sample, label))["f1"]))
        by_lang: dict[str, list[Any]] = defaultdict(list)
        for i in pick:
            by_lang[langs[i]].append(pairs[i])
            if langs[i] != "en":
                by_lang["non_en"].append(pairs[i])
        for lang, group in by_lang.items():
            draws[f"macro_f1_{lang}"].append(_macro(group, present_only=True))
    return {key: [_percentile(values, 2.5), _percentile(values, 97.5)] for key, values in draws.items()
            if len(values) >= rounds // 2}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))], 4)


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
    ci = result.get("intervals", {})

    def band(key: str) -> str:
        return f"  [{ci[key][0]:.3f}, {ci[key][1]:.3f}]" if key in ci else ""

    lines = [f"items: {result['items']}", "", f"{'label':24s} {'P':>6s} {'R':>6s} {'F1':>6s} {'n':>5s}  F1 95% interval"]
    for label, s in result["labels"].items():
        lines.append(f"{label:24s} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:5d}{band('f1_' + label)}")
    inc, comp = result["incident"], result["companies"]
    lines += [
        "",
        f"macro-F1            {result['macro_f1']:.3f}{band('macro_f1')}",
        f"false-alarm rate    {result['false_alarm_rate']:.3f}{band('false_alarm_rate')}  (non-incidents given a label)",
        f"incident P/R        {inc['precision']:.3f} / {inc['recall']:.3f}",
        f"company P/R         {comp['precision']:.3f} / {comp['recall']:.3f}  (on incidents, as tracked families)",
        "",
        f"{'language':10s} {'items':>6s} {'macro-F1':>9s}",
    ]
    lines += [f"{lang:10s} {s['items']:6d} {s['macro_f1']:9.3f}{band('macro_f1_' + lang)}"
              for lang, s in result["languages"].items()]
    return "\n".join(lines)
