"""Stage 1's batched gram counting gives the arrays, and so the scores, of the per-text Counter it replaced."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from classifiers.features import _gram_counts, hashed_grams, item_text, linear_scores, linear_scores_many

DATA = Path(__file__).resolve().parents[1] / "classifiers" / "data"


def _reference_counts(texts: list[str]) -> tuple[list[int], list[float], list[int]]:
    """What linear_scores_many built before: a Counter per text, its keys in first-seen order."""
    grams = [hashed_grams(text) for text in texts]
    keys = [key for g in grams for key in g]
    counts = [float(n) for g in grams for n in g.values()]
    rows = [row for row, g in enumerate(grams) for _ in g]
    return keys, counts, rows


def _corpus_texts() -> list[str]:
    rows = [json.loads(line) for line in (DATA / "corpus.jsonl").open(encoding="utf-8")]
    return [item_text(r["title"], r.get("summary", "")) for r in rows]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _corpus_texts() + ["", "   ", "a", "Internet cut, cut, cut in Tigray: 2024 2025", "\u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629"]


def test_batched_gram_counts_equal_a_counter_per_text(texts):
    for start in range(0, len(texts), 256):
        batch = texts[start : start + 256]
        keys, counts, rows = _gram_counts(batch)
        assert (keys.tolist(), counts.tolist(), rows.tolist()) == _reference_counts(batch)
        assert counts.dtype == np.float64
    assert [a.tolist() for a in _gram_counts([])] == [[], [], []]
    assert [a.tolist() for a in _gram_counts(["", ""])] == [[], [], []]


def test_batched_scores_equal_scores_one_by_one(texts):
    from classifiers.learned import load_head

    head = load_head()
    batch = texts[:300]
    together = linear_scores_many(batch, head.idf, head.sparse_w, head.sparse_b)
    alone = np.array([linear_scores(text, head.idf, head.sparse_w, head.sparse_b) for text in batch])
    assert np.allclose(together, alone, rtol=0, atol=1e-12)
    assert Counter(_gram_counts(batch)[2].tolist()) == Counter(
        row for row, text in enumerate(batch) for _ in hashed_grams(text))
