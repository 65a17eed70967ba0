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
from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import chain
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


# The buckets of one word (its unigram, then its character 3-5 grams), kept for the words seen most: words
# repeat across items far more than texts do, so most of an item's grams are looked up, not hashed.
# Arrays of 32-bit ints, cleared when full: about 10 MB at most.
_WORD_CACHE: dict[str, tuple[int, array]] = {}
WORD_CACHE_SIZE = 50_000


def _word_buckets(word: str) -> tuple[int, array]:
    cached = _WORD_CACHE.get(word)
    if cached is None:
        padded = f" {word} "
        chars = array("i", [
            _bucket("c:" + padded[start : start + size])
            for size in CHAR_SIZES for start in range(max(len(padded) - size + 1, 1))
        ])
        cached = (_bucket("w:" + word), chars)
        if len(_WORD_CACHE) >= WORD_CACHE_SIZE:
            _WORD_CACHE.clear()
        _WORD_CACHE[word] = cached
    return cached


def gram_sequence(text: str) -> list[int]:
    """Every hashed gram of `text` in reading order: per word, its unigram, the bigram it closes, its
    character grams (the order in which `hashed_grams` first meets them)."""
    sequence: list[int] = []
    append, extend = sequence.append, sequence.extend
    previous = None
    for word in _WORD.findall(normalise(text)):
        unigram, chars = _word_buckets(word)
        append(unigram)
        if previous is not None:
            append(_bucket("b:" + previous + " " + word))
        extend(chars)
        previous = word
    return sequence


def hashed_grams(text: str) -> Counter[int]:
    """Count the hashed word uni/bigrams and in-word character 3-5 grams of `text`."""
    return Counter(gram_sequence(text))


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


def linear_scores_many(texts: Sequence[str], idf: Any, weights: Any, bias: Any) -> Any:
    """`linear_scores` of many texts at once, (n, K): the same TF-IDF rows, computed together with numpy.

    Equal to `linear_scores` text by text up to float rounding (1e-12; `tests/test_classifier_golden.py`).
    """
    import numpy as np

    bias = np.asarray(bias, dtype=np.float64)
    keys, counts, rows = _gram_counts(texts)
    weight = idf[keys].astype(np.float64)
    seen = weight > 0
    keys, counts, rows, weight = keys[seen], counts[seen], rows[seen], weight[seen]
    values = (1.0 + np.log(counts)) * weight
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts)))
    norms[norms == 0] = 1.0
    values /= norms[rows]
    contributions = weights[:, keys].astype(np.float64) * values
    out = np.empty((len(texts), len(bias)), dtype=np.float64)
    for head in range(len(bias)):
        out[:, head] = np.bincount(rows, weights=contributions[head], minlength=len(texts))
    return out + bias


def _gram_counts(texts: Sequence[str]) -> tuple[Any, Any, Any]:
    """Each text's distinct grams with their counts, as `hashed_grams` gives them (the order in which it first
    meets them), for all texts at once: (keys, counts as float64, row of each). One numpy count over the
    batch instead of a Counter per text; the same arrays, so the same scores to the bit
    (`tests/test_classifier_features.py`)."""
    import numpy as np

    sequences = [gram_sequence(text) for text in texts]
    lengths = np.fromiter(map(len, sequences), dtype=np.intp, count=len(sequences))
    grams = np.fromiter(chain.from_iterable(sequences), dtype=np.int64, count=int(lengths.sum()))
    cells = np.repeat(np.arange(len(texts), dtype=np.int64), lengths) * DIMENSIONS + grams
    distinct, first, counts = np.unique(cells, return_index=True, return_counts=True)
    order = np.argsort(first)  # by first appearance: rows in turn, and in each row the order it met them
    distinct = distinct[order]
    return (distinct % DIMENSIONS).astype(np.intp), counts[order].astype(np.float64), distinct // DIMENSIONS
