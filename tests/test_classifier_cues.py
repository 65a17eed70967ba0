"""The lexicon (data files, one per language) and its fast cue search: same counts as one big
alternation per group, other senses blanked out. Cues are only features of the learned head."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers import rules
from classifiers.language import detect_language

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
    files = (DATA / "corpus.jsonl", DATA / "authored_items.jsonl")
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


def test_language_is_read_from_the_opening_only():
    french = "Les autorités ont coupé l'internet mobile dans tout le pays pendant les examens nationaux. " * 4
    assert detect_language(french + "and then a very long English tail follows here " * 40) == "fr"


def test_lexicon_is_data_one_file_per_language():
    files = sorted(p.stem for p in rules.LEXICON_DIR.glob("*.yaml"))
    assert {"en", "fr", "es", "pt", "ru", "ar", "fa", "ur", "hi", "tr", "id", "sw", "am", "de"} <= set(files)
    assert set(rules.GROUPS) == set(rules.GROUP_NAMES)


def test_lexicon_fingerprint_changes_with_any_file(tmp_path, monkeypatch):
    before = rules.lexicon_fingerprint()
    for path in rules.LEXICON_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(rules, "LEXICON_DIR", tmp_path)
    assert rules.lexicon_fingerprint() == before
    (tmp_path / "en.yaml").write_text((tmp_path / "en.yaml").read_text() + "\ncrime:\n- \\bheist\\b\n")
    assert rules.lexicon_fingerprint() != before
    assert "\\bheist\\b" in rules.load_lexicon()["crime"]


def test_an_unknown_cue_group_is_an_error_naming_the_file(tmp_path, monkeypatch):
    (tmp_path / "xx.yaml").write_text("weather:\n- \\brain\\b\n")
    monkeypatch.setattr(rules, "LEXICON_DIR", tmp_path)
    with pytest.raises(ValueError, match="xx.yaml: unknown cue group 'weather'"):
        rules.load_lexicon()


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
