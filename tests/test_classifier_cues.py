"""The fast cue search: same counts as one big alternation per group, other senses blanked out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers import rules
from classifiers.cascade import CascadeClassifier
from classifiers.language import detect_language
from monitor.types import LABELS, ClassifyInput

DATA = Path(__file__).resolve().parents[1] / "classifiers" / "data"


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\bblock(s|ed)?\b", ("block",)),
        (r"\b(shut|cut)(s|ting)? off", ("shut", "cut")),
        (r"قطع\w* (ال)?(إنترنت)", ("قطع",)),
        (r"\b(smart )?cameras?\b", None),
        (r"\w+ing\b", None),
    ],
)
def test_required_literals_are_what_every_match_contains(pattern, literals):
    assert rules.required_literals(pattern) == literals


def test_every_pattern_is_lower_case_because_texts_are_folded():
    assert all(p == p.lower() for patterns in rules.GROUPS.values() for p in patterns)


def _full_alternation_counts(text: str) -> dict[str, int]:
    masked, other = rules.COMPILED["other_sense"].subn(" ", text)
    return {g: len(p.findall(masked)) for g, p in rules.COMPILED.items()} | {"other_sense": other}


def test_index_counts_equal_the_full_alternation_on_every_shipped_text():
    files = (DATA / "dev_items.jsonl", DATA / "authored_items.jsonl")
    rows = [json.loads(line) for f in files for line in f.open(encoding="utf-8")]
    texts = [rules.fold(r[part]) for r in rows for part in ("title", "summary")]
    index = rules.cue_index()
    assert [index.counts(t) for t in texts] == [_full_alternation_counts(t) for t in texts]


def test_disjoint_count_takes_leftmost_then_earlier_pattern_without_overlap():
    assert rules.count_disjoint([(0, 0, 5), (0, 1, 3), (3, 2, 8), (5, 3, 9), (9, 0, 9)]) == 3
    assert rules.count_disjoint([]) == 0


@pytest.mark.parametrize(
    ("title", "group"),
    [
        ("Pegasus Hava Yolları yolcu sayısını artırdı", "surveillance"),
        ("CDC expands wastewater surveillance to new states", "surveillance"),
        ("Orange County fair draws record crowds", "ict"),
    ],
)
def test_other_senses_never_count_as_label_cues(title, group):
    hits = rules.find_cues(title, "")
    assert hits.count("other_sense") >= 1 and hits.count(group) == 0


class _RecordingEncoder:
    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts):
        import numpy as np

        self.seen += list(texts)
        return np.zeros((len(texts), 384), dtype=np.float32)


class _FlatHead:
    thresholds = dict.fromkeys(LABELS, 0.5)

    def scores(self, features):
        return [dict.fromkeys(LABELS, 0.9) for _ in range(features.shape[0])]


def test_only_items_past_the_gate_reach_the_encoder():
    encoder = _RecordingEncoder()
    cascade = CascadeClassifier(head=_FlatHead(), encoder=encoder)
    items = [
        ClassifyInput(id="a", title="Authorities cut mobile internet in the province", summary=""),
        ClassifyInput(id="b", title="Ban on street vendors in the old town", summary="The council banned stalls."),
        ClassifyInput(id="c", title="Telecom operator reports higher quarterly profit", summary=""),
    ]
    result = cascade.classify_many(items)
    assert encoder.seen == ["Authorities cut mobile internet in the province"]
    assert result[0].labels and not result[1].labels and not result[2].labels


def test_language_is_read_from_the_opening_only():
    french = "Les autorités ont coupé l'internet mobile dans tout le pays pendant les examens nationaux. " * 4
    assert detect_language(french + "and then a very long English tail follows here " * 40) == "fr"


def test_loading_the_encoder_silences_transformers_progress_and_warnings():
    from transformers.utils import logging

    from classifiers.model import _quiet_transformers

    _quiet_transformers()
    assert logging.get_verbosity() == logging.ERROR and not logging.is_progress_bar_enabled()


def test_decision_scores_put_every_threshold_at_one_half():
    from classifiers.cascade import decision_scores
    from monitor.types import LABELS

    thresholds = dict(zip(LABELS, (0.2, 0.6, 0.35, 0.9)))
    raw = dict(zip(LABELS, (0.2, 0.3, 0.8, 0.95)))
    out = decision_scores(raw, thresholds, labels=("surveillance", "shutdown"))
    assert out["surveillance"] == 0.5 and out["censorship"] == 0.25
    assert 0.5 < out["shutdown"] <= 1.0
    assert out["election_interference"] == 0.499  # over its threshold but held back by a gate
    assert all(0.0 <= v <= 1.0 for v in out.values())


@pytest.mark.parametrize(
    ("title", "group"),
    [
        ("Store drops news app from Google Play after ministry demand", "censorship"),
        ("Regulator throttles Telegram nationwide", "censorship"),
        ("الحكومة تفرض تقييد الوصول إلى منصة للتواصل", "censorship"),
        ("السلطات تأمر بإبطاء الإنترنت في الإقليم", "shutdown"),
    ],
)
def test_app_store_removals_single_platform_throttling_and_arabic_restrictions_are_label_cues(title, group):
    assert rules.find_cues(title, "").count(group) > 0
