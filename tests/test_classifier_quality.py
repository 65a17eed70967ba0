"""Quality floors on the locked test split (a little below what was measured there), and the contract."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from classifiers import build_classifier
from classifiers.evaluate import evaluate, format_report
from classifiers.jsonl import classify_stream, read_labeled
from monitor.config import ClassifierSettings
from monitor.errors import ConfigError
from monitor.registry import Deps
from monitor.types import LABELS, ClassifyInput
from monitor.watchlist import load_watchlist

DATA = Path(__file__).resolve().parents[1] / "classifiers" / "data"
KEYS = {"id", "labels", "companies", "inferred_companies", "countries", "lang", "scores", "evidence"}


@pytest.fixture(scope="session")
def watchlist():
    return load_watchlist()


@pytest.fixture(scope="session")
def cascade(watchlist):
    return build_classifier(ClassifierSettings(kind="cascade"), Deps(watchlist=watchlist))


@pytest.fixture(scope="session")
def heldout_rows():
    held = set(json.loads((DATA / "split.json").read_text())["test"])
    return [row for row in read_labeled(DATA / "corpus.jsonl") if row["id"] in held]


def _inputs(rows):
    return [ClassifyInput(id=r["id"], title=r["title"], summary=r["summary"], lang=r.get("lang")) for r in rows]


@pytest.fixture(scope="session")
def cascade_predictions(watchlist, heldout_rows):
    # The encoder's vectors for these texts as recorded with the shipped head (tests/test_classifier_golden.py
    # checks the recording against the real encoder, a `slow` test); every other step runs for real. This
    # keeps 800 encoder passes (a CPU-minute and a half) out of the default suite.
    from dataclasses import replace

    from tests import classifier_golden as golden

    header, _ = golden.read_golden()
    assert header["head"] == golden.head_fingerprint(), "record the golden again: python -m tests.classifier_golden"
    cascade = build_classifier(ClassifierSettings(kind="cascade"), Deps(watchlist=watchlist))
    return replace(cascade, encoder=golden.ReplayEncoder()).classify_many(_inputs(heldout_rows))


@pytest.fixture(scope="session")
def cascade_result(cascade_predictions, heldout_rows, watchlist):
    return evaluate(heldout_rows, cascade_predictions, watchlist, rounds=0)


def test_cascade_holds_its_quality_floors(cascade_result):
    # Measured on the 1,452 locked items: macro-F1 0.901, false alarms 3.6% (English 1.5%, other languages
    # 4.5%), non-English 0.878, lowest label F1 0.877 (CV on 3,283 items: 0.888, 4.3%).
    assert cascade_result["macro_f1"] >= 0.88
    assert cascade_result["false_alarm_rate"] <= 0.05
    assert cascade_result["languages"]["non_en"]["macro_f1"] >= 0.85
    assert all(cascade_result["labels"][label]["f1"] >= 0.86 for label in LABELS)


def test_rules_kind_holds_its_floors(heldout_rows, watchlist):
    rules_only = build_classifier(ClassifierSettings(kind="rules"), Deps(watchlist=watchlist))
    result = evaluate(heldout_rows, rules_only.classify_many(_inputs(heldout_rows)), watchlist, rounds=0)
    # Measured on the 1,452 locked items: macro-F1 0.598 (English 0.80, other languages 0.47: the cue lexicon
    # is thin outside English), false alarms 4.9%. It is the fallback without the model, not the default.
    assert result["macro_f1"] >= 0.57
    assert result["false_alarm_rate"] <= 0.10


def test_report_names_every_label(cascade_result):
    report = format_report(cascade_result)
    assert all(label in report for label in LABELS) and "false-alarm rate" in report


def test_stream_keeps_order_and_reports_malformed_lines(cascade):
    lines = [
        json.dumps({"id": "a", "title": "Authorities cut mobile internet across the region during protests",
                    "summary": "Operators said they received a government order to suspend data services."}),
        "{not json",
        json.dumps({"id": 7, "title": ["wrong"]}),
        json.dumps({"id": "b", "title": "Telecom operator reports higher quarterly profit"}),
    ]
    rows = list(classify_stream(cascade, io.StringIO("\n".join(lines)), batch_size=3))
    assert [r["id"] for r in rows] == ["a", None, "7", "b"]
    assert all(KEYS <= set(r) for r in rows)
    assert "error" in rows[1] and "error" in rows[2] and "error" not in rows[0]
    assert rows[0]["labels"] == ["shutdown"] and rows[3]["labels"] == []
    assert set(rows[0]["scores"]) == set(LABELS) and all(0 <= v <= 1 for v in rows[0]["scores"].values())
    assert rows[0]["evidence"][0]["label"] == "shutdown" and "cut mobile internet" in rows[0]["evidence"][0]["text"]


def test_shutdown_without_named_operator_infers_operators(cascade, watchlist):
    item = ClassifyInput(id="x", title="Government shuts down the internet in Nigeria ahead of protests",
                         summary="Rights groups said the authorities ordered a nationwide mobile data blackout.")
    result = cascade.classify_many([item])[0]
    assert "shutdown" in result.labels and "NG" in result.countries
    assert result.inferred_companies and not result.companies


def test_unknown_kind_is_a_config_error():
    with pytest.raises(ConfigError, match="cascade"):
        build_classifier(ClassifierSettings(kind="nope"), Deps())


def test_company_families_count_a_subsidiary_as_its_group(watchlist):
    from monitor.types import Classification

    gold = [{"id": "1", "labels": ["shutdown"], "companies": ["MTN Group"], "lang": "en"}]
    found = [Classification(id="1", labels=("shutdown",), companies=("mtn nigeria",))]
    assert evaluate(gold, found, watchlist)["companies"]["precision"] == 1.0


def test_scores_are_calibrated_probabilities(cascade_predictions, heldout_rows):
    # Calibration in the large: over the locked split, each label's mean score is near its observed rate.
    results = cascade_predictions
    for label in LABELS:
        predicted = sum(r.scores[label] for r in results) / len(results)
        observed = sum(label in row["labels"] for row in heldout_rows) / len(heldout_rows)
        assert abs(predicted - observed) <= 0.08, (label, predicted, observed)
