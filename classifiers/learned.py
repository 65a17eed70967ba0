"""The learned head: what `scripts/train_classifier.py` fits, as plain arrays run in numpy.

Two stages, both learned, neither hand-written:
- stage 1, `sparse`: logistic regression per head over hashed TF-IDF n-grams (`features.py`);
  cheap, and its `incident` head settles clear non-incidents (its threshold keeps incident recall
  at 0.99 or more in cross-validation) so they skip the encoder;
- stage 2, `dense`: a small neural network (one hidden layer of rectified units, one logistic output
  per head) over the multilingual-e5 vector, stage 1's logits, a vote of the item's nearest training
  items in e5 space (a Swahili report lands near the English reports of the same kind of event) and the
  lexicon's cue counts, then Platt scaling, so a score is a probability. (A head without the hidden
  layer is one logistic regression per head, as the heads before it were.)
Heads are the four labels and `incident` (any label). Shipped as `classifiers/data/head.npz`
(arrays, no pickle) and `head.json` (thresholds and meta, including the lexicon fingerprint that
the features were built with: a changed lexicon refuses to load rather than silently drift).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.errors import ClassifierError
from monitor.types import LABELS

HEAD_PATH = Path(__file__).parent / "data" / "head.npz"
INCIDENT = "incident"
HEADS: tuple[str, ...] = (*LABELS, INCIDENT)
FIRST_STAGE = "first_stage"
OTHER_LANGUAGES = "other"
_ARRAYS = ("idf_index", "idf_value", "sparse_w", "sparse_b", "sparse_platt",
           "dense_mean", "dense_scale", "dense_w", "dense_b", "dense_platt", "bank_vectors", "bank_labels")
_HIDDEN = ("dense_hidden_w", "dense_hidden_b")  # stage 2's hidden layer, absent from linear heads
NEIGHBOURS = 10  # nearest training items that vote (CV: 5 0.814, 10 0.821, 15 0.801, 25 0.801 macro-F1)


@dataclass(frozen=True)
class LearnedHead:
    """Both stages' parameters, thresholds on calibrated probabilities, and training meta."""

    idf: Any  # (DIMENSIONS,) float32, 0 for unseen buckets
    sparse_w: Any  # (5, DIMENSIONS) float32
    sparse_b: Any  # (5,)
    sparse_platt: Any  # (5, 2): p = sigmoid(a * logit + b)
    dense_mean: Any  # (F,)
    dense_scale: Any  # (F,)
    dense_w: Any  # (5, F)
    dense_b: Any  # (5,)
    dense_platt: Any  # (5, 2)
    bank_vectors: Any = None  # (m, 384) float16: the training items' e5 vectors, for the neighbour vote
    bank_labels: Any = None  # (m, 5) int8: their labels (the four, and incident)
    dense_hidden_w: Any = None  # (H, F): stage 2's hidden layer (then dense_w is (5, H)); None: linear
    dense_hidden_b: Any = None  # (H,)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def sparse_logits(self, text: str) -> Any:
        """Stage 1: one logit per head from the TF-IDF row of `text`."""
        from classifiers.features import linear_scores

        return linear_scores(text, self.idf, self.sparse_w, self.sparse_b)

    def sparse_logits_many(self, texts: Sequence[str]) -> Any:
        """Stage 1 of many texts: (n, 5) logits, as `sparse_logits` gives them one by one."""
        from classifiers.features import linear_scores_many

        return linear_scores_many(texts, self.idf, self.sparse_w, self.sparse_b)

    def sparse_probabilities(self, logits: Any) -> Any:
        return _platt(logits, self.sparse_platt)

    def dense_probabilities(self, features: Any) -> Any:
        """Stage 2: calibrated probabilities, (n, 5), from stacked features (n, F)."""
        logits = dense_logits(features, self.dense_mean, self.dense_scale, self.dense_w, self.dense_b,
                              self.dense_hidden_w, self.dense_hidden_b)
        return _platt(logits, self.dense_platt)


def dense_logits(features: Any, mean: Any, scale: Any, w: Any, b: Any, hidden_w: Any = None, hidden_b: Any = None) -> Any:
    """Stage 2's logits (n, 5): standardised features, the hidden layer's rectified units when there is one,
    then one output per head (the trainer's `DenseStage` and the shipped head run this same function)."""
    import numpy as np

    z = (features - mean) / scale
    if hidden_w is not None:
        z = np.maximum(z @ hidden_w.T + hidden_b, 0.0)
    return z @ w.T + b


def neighbour_votes(vectors: Any, bank_vectors: Any, bank_labels: Any, k: int = NEIGHBOURS) -> Any:
    """(n, 5) in [-2, 2]: each head's share among the k most similar bank items, weighted by cosine^4."""
    import numpy as np

    if not len(vectors) or bank_vectors is None or not len(bank_vectors):
        return np.zeros((len(vectors), len(HEADS)))
    similarity = np.asarray(vectors, dtype=np.float32) @ np.asarray(bank_vectors, dtype=np.float32).T
    k = min(k, similarity.shape[1])
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    weight = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0.0) ** 4
    votes = (weight[:, :, None] * np.asarray(bank_labels, dtype=np.float32)[nearest]).sum(axis=1)
    return 4.0 * votes / (weight.sum(axis=1, keepdims=True) + 1e-9) - 2.0


def _platt(z: Any, platt: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.clip(z * platt[..., 0] + platt[..., 1], -50, 50)))


def stack_features(vectors: Any, sparse_logits: Any, votes: Any, cues: Any) -> Any:
    """Stage 2's input: encoder vector, stage 1 logits, neighbour votes, cue counts."""
    import numpy as np

    return np.hstack([vectors, sparse_logits, votes, cues]).astype(np.float64)


def save_head(head: LearnedHead, path: Path = HEAD_PATH) -> None:
    """Write the arrays (.npz, compressed; only the buckets seen in training) and the JSON beside them."""
    import numpy as np

    index = np.flatnonzero(head.idf).astype(np.int32)
    arrays = {
        "idf_index": index, "idf_value": head.idf[index], "sparse_w": head.sparse_w[:, index].astype(np.float32),
        "sparse_b": head.sparse_b, "sparse_platt": head.sparse_platt, "dense_mean": head.dense_mean,
        "dense_scale": head.dense_scale, "dense_w": head.dense_w, "dense_b": head.dense_b,
        "dense_platt": head.dense_platt, "bank_vectors": np.asarray(head.bank_vectors, dtype=np.float16),
        "bank_labels": np.asarray(head.bank_labels, dtype=np.int8),
    }
    if head.dense_hidden_w is not None:
        arrays |= {"dense_hidden_w": head.dense_hidden_w, "dense_hidden_b": head.dense_hidden_b}
    np.savez_compressed(path, **arrays)
    info = {"heads": list(HEADS), "thresholds": dict(head.thresholds), "meta": dict(head.meta)}
    path.with_suffix(".json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_head(path: Path = HEAD_PATH, lexicon: str | None = None) -> LearnedHead:
    """Read the shipped head; refuse one trained on another lexicon than `lexicon` (a fingerprint)."""
    import numpy as np

    from classifiers.features import DIMENSIONS

    try:
        info = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in _ARRAYS}
            hidden = {name: stored[name] for name in _HIDDEN if name in stored.files}
    except (OSError, ValueError, KeyError) as exc:
        raise ClassifierError(f"cannot read the classifier head {path}: {exc}") from exc
    trained_on = info.get("meta", {}).get("lexicon_fingerprint")
    if lexicon is not None and trained_on != lexicon:
        raise ClassifierError(
            f"the classifier head {path.name} was trained with lexicon {trained_on}, but classifiers/data/lexicon "
            f"is now {lexicon}: retrain with `make train` (a changed lexicon changes the features)"
        )
    idf = np.zeros(DIMENSIONS, dtype=np.float32)
    idf[arrays["idf_index"]] = arrays["idf_value"]
    sparse_w = np.zeros((len(HEADS), DIMENSIONS), dtype=np.float32)
    sparse_w[:, arrays["idf_index"]] = arrays["sparse_w"]
    return LearnedHead(
        idf=idf, sparse_w=sparse_w, sparse_b=arrays["sparse_b"], sparse_platt=arrays["sparse_platt"],
        dense_mean=arrays["dense_mean"], dense_scale=arrays["dense_scale"], dense_w=arrays["dense_w"],
        dense_b=arrays["dense_b"], dense_platt=arrays["dense_platt"],
        bank_vectors=arrays["bank_vectors"].astype(np.float32), bank_labels=arrays["bank_labels"],
        dense_hidden_w=hidden.get("dense_hidden_w"), dense_hidden_b=hidden.get("dense_hidden_b"),
        thresholds={k: float(v) for k, v in info["thresholds"].items()}, meta=info.get("meta", {}),
    )


def language_group(lang: str | None) -> str:
    """The operating-point group of a language: English, or every other language together (the model is
    measurably weaker outside English, so its incident gate is set on those items' own false alarms)."""
    return "en" if (lang or "en") == "en" else OTHER_LANGUAGES


def incident_gate(thresholds: Mapping[str, float], lang: str | None = None) -> float:
    """The incident threshold for an item in `lang`: its group's gate where the head has one."""
    return float(thresholds.get(f"{INCIDENT}@{language_group(lang)}", thresholds[INCIDENT]))


def choose_labels(probabilities: Sequence[float], thresholds: Mapping[str, float], lang: str | None = None) -> tuple[str, ...]:
    """Labels of one item: nothing unless the incident head passes its language group's gate; then every
    label over its threshold, or the likeliest label when the incident is clear but no single label is."""
    by_head = dict(zip(HEADS, probabilities))
    if by_head[INCIDENT] < incident_gate(thresholds, lang):
        return ()
    chosen = tuple(label for label in LABELS if by_head[label] >= thresholds[label])
    if chosen:
        return chosen
    return (max(LABELS, key=lambda label: by_head[label] / max(thresholds[label], 1e-6)),)
