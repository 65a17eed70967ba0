"""Language-neutral text features: hashed word and character n-grams, TF-IDF weighted.

No vocabulary to ship and no tokenizer per language: words are Unicode `\\w+` runs, characters
are taken inside word boundaries (3-5 grams), and every n-gram is hashed with CRC-32 into
`DIMENSIONS` buckets. The same code builds the training matrix and scores one item at run time,
so training and serving cannot drift apart. IDF weights are learned at training time and ship
with the head (`classifiers/data/head.npz`).

    >>> grams = hashed_grams("Internet cut in Tigray")
    >>> all(0 <= index < DIMENSIONS for index in grams)
    True
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

DIMENSIONS = 1 << 18
CHAR_SIZES = (3, 4, 5)
MAX_CHARS = 1200  # title and lead carry the event; the rest of a long body adds noise and time
_WORD = re.compile(r"\w+", re.UNICODE)
_DIGITS = re.compile(r"\d")


def item_text(title: str, summary: str) -> str:
    """Join title and summary the way every model stage reads them."""
    title, summary = (title or "").strip(), (summary or "").strip()
    return f"{title}. {summary}" if summary else title


def normalise(text: str) -> str:
    """Case-fold, compose Unicode and map every digit to 0 (dates and counts are not cues)."""
    return _DIGITS.sub("0", unicodedata.normalize("NFKC", text[:MAX_CHARS]).casefold())


def _bucket(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8")) & (DIMENSIONS - 1)


def hashed_grams(text: str) -> Counter[int]:
    """Count the hashed word uni/bigrams and in-word character 3-5 grams of `text`."""
    words = _WORD.findall(normalise(text))
    grams: Counter[int] = Counter()
    for i, word in enumerate(words):
        grams[_bucket("w:" + word)] += 1
        if i:
            grams[_bucket("b:" + words[i - 1] + " " + word)] += 1
        padded = f" {word} "
        for size in CHAR_SIZES:
            for start in range(max(len(padded) - size + 1, 1)):
                grams[_bucket("c:" + padded[start : start + size])] += 1
    return grams


def tfidf_row(grams: Mapping[int, int], idf: Any) -> tuple[list[int], list[float]]:
    """Sublinear TF times IDF, L2-normalised; returns (indices, values) of the non-zero cells."""
    indices = [i for i in grams if idf[i] > 0]
    values = [(1.0 + math.log(grams[i])) * float(idf[i]) for i in indices]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return indices, [v / norm for v in values]


def fit_idf(texts: Sequence[str], min_df: int = 2, grams: Callable[[str], Counter[int]] = hashed_grams) -> Any:
    """Smoothed IDF over `texts`; buckets seen in fewer than `min_df` texts get 0 (ignored)."""
    import numpy as np

    df = np.zeros(DIMENSIONS, dtype=np.int32)
    for text in texts:
        df[list(grams(text))] += 1
    n = len(texts)
    idf = np.log((1 + n) / (1 + df)) + 1.0
    idf[df < min_df] = 0.0
    return idf.astype(np.float32)


def tfidf_matrix(texts: Sequence[str], idf: Any, grams: Callable[[str], Counter[int]] = hashed_grams) -> Any:
    """A scipy CSR matrix of `texts` (training only: scipy is in the `tools` extra)."""
    from scipy.sparse import csr_matrix

    data, cols, ptr = [], [], [0]
    for text in texts:
        indices, values = tfidf_row(grams(text), idf)
        cols.extend(indices)
        data.extend(values)
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(texts), DIMENSIONS), dtype="float32")


def linear_scores(text: str, idf: Any, weights: Any, bias: Any) -> Any:
    """Score one text with K linear heads over its TF-IDF row: weights (K, DIMENSIONS), bias (K,)."""
    import numpy as np

    indices, values = tfidf_row(hashed_grams(text), idf)
    if not indices:
        return np.asarray(bias, dtype=np.float64).copy()
    return weights[:, indices].astype(np.float64) @ np.asarray(values) + bias
