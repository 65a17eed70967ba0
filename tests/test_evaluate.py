"""`eval` scores companies as tracked families and ignores gold names outside the watchlist."""

from __future__ import annotations

from classifiers.evaluate import evaluate
from monitor.types import Classification
from monitor.watchlist import load_watchlist


def test_company_scores_ignore_untracked_gold_and_join_families():
    gold = [{"id": "1", "title": "t", "summary": "", "labels": ["shutdown"], "lang": "en",
             "companies": ["MTN Group", "Some Local ISP"]}]
    predicted = [Classification(id="1", labels=("shutdown",), companies=("MTN Nigeria",))]
    result = evaluate(gold, predicted, load_watchlist())
    assert result["companies"]["precision"] == 1.0
    assert result["companies"]["recall"] == 1.0
