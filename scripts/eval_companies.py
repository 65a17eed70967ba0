"""Company linking P/R on the corpus items outside the locked test split, in two fixed halves.

The items of classifiers/data/corpus.jsonl whose ids are not under "test" in split.json are split by a
hash of the id into a `dev` half (study its errors) and a `check` half (report it, do not study it).
Figures are those of `classifiers.evaluate._company_scores`: on gold incidents, as tracked families,
with the companies `Linker` gives (linking does not depend on the labels, so no encoder runs).

    .venv/bin/python scripts/eval_companies.py                   # both halves, all / en / non-en
    .venv/bin/python scripts/eval_companies.py --errors dev.txt  # also write the dev half's errors

The locked test split is never read beyond its ids.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers.companies import link_companies
from classifiers.evaluate import _family_key, _tracked, gold_labels
from monitor.watchlist import Watchlist, load_watchlist

DATA = ROOT / "classifiers" / "data"
SALT = "companies-dev:"


def half(item_id: str) -> str:
    """The half an item belongs to: fixed by a hash of its id."""
    return "dev" if int(hashlib.sha256((SALT + item_id).encode()).hexdigest(), 16) % 2 == 0 else "check"


def open_items() -> list[dict]:
    """Corpus items outside the locked test split."""
    test = set(json.loads((DATA / "split.json").read_text(encoding="utf-8"))["test"])
    rows = [
        json.loads(line) for line in (DATA / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if line
    ]
    return [row for row in rows if row["id"] not in test]


def item_counts(row: dict, watchlist: Watchlist) -> tuple[int, int, int, set[str], set[str]]:
    found = link_companies(row["title"], row.get("summary") or "", watchlist).companies
    gold = {_family_key(n, watchlist) for n in row.get("companies", []) if _tracked(n, watchlist)}
    pred = {_family_key(n, watchlist) for n in found}
    return len(gold & pred), len(pred - gold), len(gold - pred), gold, pred


def precision_recall(counts: Sequence[tuple[int, int, int]]) -> tuple[float, float]:
    tp, fp, fn = (sum(c[i] for c in counts) for i in range(3))
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def intervals(counts: Sequence[tuple[int, int, int]], rounds: int = 1000) -> tuple[tuple[float, float], ...]:
    """95% percentile bootstrap intervals of precision and recall (items resampled)."""
    rng = random.Random(7)
    draws: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        p, r = precision_recall([counts[rng.randrange(len(counts))] for _ in counts])
        draws[0].append(p)
        draws[1].append(r)
    return tuple(
        (sorted(d)[round(0.025 * (rounds - 1))], sorted(d)[round(0.975 * (rounds - 1))]) for d in draws
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", type=Path, help="write the dev half's linking errors here")
    args = parser.parse_args(argv)
    watchlist = load_watchlist()
    incidents = [row for row in open_items() if gold_labels(row)]
    counts = {row["id"]: item_counts(row, watchlist) for row in incidents}
    groups = {"all": lambda r: True, "en": lambda r: r["lang"] == "en", "non_en": lambda r: r["lang"] != "en"}
    for name in ("dev", "check"):
        for group, keep in groups.items():
            chosen = [counts[r["id"]][:3] for r in incidents if half(r["id"]) == name and keep(r)]
            p, r = precision_recall(chosen)
            (pl, ph), (rl, rh) = intervals(chosen)
            tp, fp, fn = (sum(c[i] for c in chosen) for i in range(3))
            print(
                f"{name:5s} {group:6s} items {len(chosen):3d}  tp/fp/fn {tp}/{fp}/{fn}  "
                f"P {p:.3f} [{pl:.3f}, {ph:.3f}]  R {r:.3f} [{rl:.3f}, {rh:.3f}]"
            )
    if args.errors:
        with args.errors.open("w", encoding="utf-8") as out:
            for row in incidents:
                _, fp, fn, gold, pred = counts[row["id"]]
                if half(row["id"]) == "dev" and (fp or fn):
                    out.write(
                        f"== {row['id']} [{row['lang']}] labels={row['labels']} missed={sorted(gold - pred)} "
                        f"extra={sorted(pred - gold)}\n   {row['title']}\n   {row.get('summary')}\n"
                        f"   note: {row.get('notes')}\n\n"
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
