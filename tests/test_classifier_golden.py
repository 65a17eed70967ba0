"""The default classifier gives exactly what it gave before its speed-ups, on the whole corpus.

`tests/fixtures/cascade_golden_e5.jsonl.gz` was recorded by `tests/classifier_golden.py` with the code before
the batched stage 1, language detection and linking (commit 8495b43): same labels, companies, countries,
language, evidence and sentence vectors, and the same scores to 1e-9, for the 2,146 corpus items and 200
feed-like ones.
"""

from __future__ import annotations

import pytest

from tests import classifier_golden as golden


def _compare(rows: list[dict]) -> None:
    header, expected = golden.read_golden()
    assert header["head"] == golden.head_fingerprint(), (
        "the shipped head or lexicon changed since the recording: record again with "
        "`.venv/bin/python -m tests.classifier_golden` (from the code before any change to classification)"
    )
    assert len(rows) == len(expected) == header["items"]
    for want, got in zip(expected, rows, strict=True):
        assert got["id"] == want["id"]
        for key in ("labels", "companies", "inferred_companies", "countries", "lang", "evidence", "vector_sha"):
            assert got[key] == want[key], (want["id"], key)
        for label, score in want["raw_scores"].items():
            assert abs(got["raw_scores"][label] - score) <= 1e-9, (want["id"], label)
        for label, score in want["scores"].items():  # rounded to 4 digits: equal unless at a rounding edge
            assert abs(got["scores"][label] - score) <= 1e-4 + 1e-9, (want["id"], label)


def test_the_classifier_gives_the_recorded_results_on_the_corpus():
    # The encoder's recorded vectors replayed: every other step runs for real on all 2,346 items.
    _compare(list(golden.classify_all(golden.ReplayEncoder())))


@pytest.mark.slow
def test_the_classifier_gives_the_recorded_results_with_the_real_encoder():
    _compare(list(golden.classify_all()))
