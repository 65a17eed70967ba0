"""The learned head: language-neutral features, both stages, the lexicon check, and the training decisions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifiers import features, learned, rules, training
from classifiers.cascade import CascadeClassifier, Linker
from monitor.errors import ClassifierError
from monitor.types import LABELS, ClassifyInput

DATA = Path(__file__).resolve().parents[1] / "classifiers" / "data"


def test_hashed_grams_are_stable_across_processes_and_ignore_digits():
    # CRC-32, not Python's salted hash(): the shipped weights index these buckets.
    assert features._bucket("w:internet") == 74723
    assert features.hashed_grams("Cut on 12 May") == features.hashed_grams("Cut on 30 May")
    assert features.hashed_grams("INTERNET") == features.hashed_grams("internet")


def test_tfidf_rows_are_unit_length_and_skip_unseen_buckets():
    idf = features.fit_idf(["internet cut in tigray", "internet cut in oromia", "quarterly profit rises"], min_df=2)
    indices, values = features.tfidf_row(features.hashed_grams("internet cut in amhara"), idf)
    assert indices and abs(sum(v * v for v in values) - 1.0) < 1e-6
    assert all(idf[i] > 0 for i in indices)
    assert features.tfidf_row(features.hashed_grams("zzzz qqqq"), idf) == ([], [])


def test_text_is_cut_before_hashing_so_a_huge_body_costs_no_more():
    long_text = "internet " * 100_000
    assert sum(features.hashed_grams(long_text).values()) < 3 * features.MAX_CHARS


@pytest.fixture(scope="module")
def head():
    return learned.load_head(lexicon=rules.lexicon_fingerprint())


def test_shipped_head_was_trained_on_the_shipped_lexicon(head):
    assert head.meta["lexicon_fingerprint"] == rules.lexicon_fingerprint()
    assert {*LABELS, "incident", "first_stage"} <= set(head.thresholds) <= {*LABELS, "incident", "first_stage",
                                                                         "incident@en", "incident@other"}


def test_a_head_trained_on_another_lexicon_refuses_to_load(tmp_path):
    for suffix in (".npz", ".json"):
        shutil.copy(learned.HEAD_PATH.with_suffix(suffix), tmp_path / f"head{suffix}")
    with pytest.raises(ClassifierError, match="retrain with `make train`"):
        learned.load_head(tmp_path / "head.npz", lexicon="0000000000000000")


def test_head_round_trips_through_its_files(head, tmp_path):
    learned.save_head(head, tmp_path / "head.npz")
    again = learned.load_head(tmp_path / "head.npz", lexicon=rules.lexicon_fingerprint())
    text = "Authorities shut down mobile internet in the region"
    assert np.allclose(head.sparse_logits(text), again.sparse_logits(text))
    assert again.thresholds == head.thresholds


class _RecordingEncoder:
    """The real multilingual encoder, recording what reaches it."""

    def __init__(self, inner):
        self.inner, self.seen = inner, []

    def encode(self, texts):
        self.seen += list(texts)
        return self.inner.encode(texts)


@pytest.fixture(scope="module")
def e5():
    from classifiers.encoder import E5Encoder

    return E5Encoder()


def test_stage_one_keeps_plain_business_news_from_the_encoder(head, e5):
    encoder = _RecordingEncoder(e5)
    cascade = CascadeClassifier(head=head, encoder=encoder)
    items = [
        ClassifyInput(id="a", title="Authorities cut mobile internet across the province as protests spread",
                      summary="Residents said data services were switched off on government orders."),
        ClassifyInput(id="b", title="Telecom operator reports higher quarterly profit", summary="Revenue rose 8%."),
    ]
    result = cascade.classify_many(items)
    assert len(encoder.seen) == 1 and encoder.seen[0].startswith("Authorities cut mobile internet")
    assert "shutdown" in result[0].labels and not result[1].labels
    assert result[0].vector and not result[1].vector  # the encoder's vector rides along for incident matching


def test_meaning_carries_across_languages(head, e5):
    cascade = CascadeClassifier(head=head, encoder=e5, linker=Linker())
    items = [
        ClassifyInput(id="fr", title="Les autorités coupent l'internet mobile dans tout le pays pendant les manifestations",
                      summary="Les opérateurs ont reçu l'ordre de suspendre les données mobiles jusqu'à nouvel ordre."),
        ClassifyInput(id="es", title="El gobierno ordena cortar internet en todo el país durante las protestas",
                      summary="Las operadoras suspendieron los datos móviles por orden de la autoridad de telecomunicaciones."),
    ]
    for result in cascade.classify_many(items):
        assert "shutdown" in result.labels, result


def test_scores_are_probabilities_and_labels_follow_the_thresholds(head, e5):
    cascade = CascadeClassifier(head=head, encoder=e5)
    rows = [json.loads(line) for line in (DATA / "corpus.jsonl").open(encoding="utf-8")][:40]
    results = cascade.classify_many([ClassifyInput(id=r["id"], title=r["title"], summary=r["summary"]) for r in rows])
    for result in results:
        assert set(result.scores) == set(LABELS) and all(0.0 <= v <= 1.0 for v in result.scores.values())
        for label in result.labels:
            assert result.scores[label] >= head.thresholds[label] or len(result.labels) == 1
        if result.labels:
            assert result.evidence and {e.label for e in result.evidence} == set(result.labels)


def test_evidence_quotes_the_sentence_that_speaks_for_the_label(head):
    from classifiers.cascade import collect_evidence

    item = ClassifyInput(id="x", title="A difficult week in the capital",
                         summary="Prices rose again. Authorities shut down mobile internet in three provinces on Monday. "
                                 "Football fans celebrated.")
    (evidence,) = collect_evidence(("shutdown",), item, head)
    assert evidence.text.startswith("Authorities shut down mobile internet")


# --- training decisions (pure) --------------------------------------------------------------------
def _row(i, labels=("none",), lang="en"):
    return {"id": f"r{i}", "labels": list(labels), "lang": lang, "title": f"t{i}", "summary": "s"}


def test_twins_share_a_fold_and_strata_spread_over_folds():
    rows = [_row(i, ("shutdown",) if i % 2 else ("none",)) for i in range(40)]
    groups = list(range(40))
    groups[7] = groups[3] = 3  # r3 and r7 tell one story
    folds = training.assign_folds(rows, groups)
    assert folds[3] == folds[7]
    assert sorted(set(folds)) == [0, 1, 2, 3, 4]
    for k in range(5):
        assert 2 <= sum(1 for i, f in enumerate(folds) if f == k and i % 2) <= 6


def test_twin_groups_join_near_identical_vectors_only():
    v = np.eye(4, dtype=np.float32)
    v[1] = v[0] * 0.99 + v[2] * 0.01
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    groups = training.twin_groups(v)
    assert groups[0] == groups[1] and len({groups[0], groups[2], groups[3]}) == 3


def test_locked_split_depends_on_ids_only_and_keeps_twins_together():
    rows = [_row(i, ("censorship",) if i < 400 else ("none",)) for i in range(1000)]
    groups = list(range(1000))
    groups[901] = groups[900] = 900
    first = training.locked_split(rows, groups, 0.3, salt="s")
    assert 250 <= len(first) <= 350
    assert 90 <= sum(1 for i in first if int(i[1:]) < 400) <= 150
    assert ("r900" in first) == ("r901" in first)
    # More items never move an item across the split.
    more = rows + [_row(i) for i in range(1000, 1200)]
    assert set(first) <= set(training.locked_split(more, groups + list(range(1000, 1200)), 0.3, salt="s"))


def test_a_grown_split_keeps_every_old_item_on_its_side_and_twins_follow_their_old_twin():
    rows = [_row(i) for i in range(600)]
    old = [str(r["id"]) for r in rows[:400]]
    old_test = training.locked_split(rows[:400], list(range(400)), 0.3, salt="s")
    groups = list(range(600))
    twin_of_test = int(old_test[0][1:])
    twin_of_train = next(i for i in range(400) if f"r{i}" not in old_test)
    groups[400], groups[401] = twin_of_test, twin_of_train  # r400 retells a test story, r401 a training one
    new_ids = [str(r["id"]) for r in rows[400:]]
    grown = training.extend_locked_split(old_test, rows, groups, new_ids, 0.3, salt="s")
    assert set(old_test) <= set(grown)
    assert not (set(grown) - set(old_test)) & set(old)
    assert "r400" in grown and "r401" not in grown
    assert 30 <= len(set(grown) - set(old_test)) <= 90


def test_translations_share_the_fold_of_the_item_they_were_made_from():
    extra = [{"id": "tx-sw-r1", "source": "r1"}, {"id": "auth-1"}, {"id": "tx-fa-r9", "source": "r9"}]
    folds = training.linked_folds([3, 0], ["r1", "r2"], extra)
    assert folds == [3, 0, 3, training.UNFOLDED, training.UNFOLDED]


def test_each_language_group_has_its_own_incident_gate():
    thresholds = {**dict.fromkeys(LABELS, 0.5), "incident": 0.8, "incident@en": 0.8, "incident@other": 0.6}
    probabilities = [0.1, 0.1, 0.9, 0.1, 0.7]
    assert learned.choose_labels(probabilities, thresholds, "en") == ()
    assert learned.choose_labels(probabilities, thresholds, "sw") == ("shutdown",)
    assert learned.choose_labels(probabilities, {**dict.fromkeys(LABELS, 0.5), "incident": 0.6}, "en") == ("shutdown",)


def test_recall_threshold_keeps_the_asked_recall():
    scores = np.linspace(0.01, 1.0, 200)
    truth = np.array([1] * 200)
    threshold = training.recall_threshold(scores, truth, recall=0.99)
    assert (scores >= threshold).mean() >= 0.99


def test_gate_threshold_keeps_false_alarms_under_target():
    rng = np.random.default_rng(1)
    scores, truth = rng.random(500), (rng.random(500) > 0.5).astype(int)
    t = training.gate_threshold(scores, truth, target=0.03)
    assert (scores[truth == 0] >= t).mean() <= 0.03


def test_bootstrap_interval_brackets_the_point_figure():
    rng = np.random.default_rng(2)
    truth = np.zeros((300, 5), dtype=np.int8)
    truth[:150, 2] = truth[:150, 4] = 1
    predicted = np.zeros((300, 4), dtype=bool)
    predicted[:, 2] = truth[:, 2].astype(bool) ^ (rng.random(300) < 0.1)
    point = training.measure(truth, predicted)
    ci = training.bootstrap(truth, predicted, rounds=200)
    assert ci["macro_f1"][0] <= point["macro_f1"] <= ci["macro_f1"][1]
    assert ci["false_alarm_rate"][0] < point["false_alarm_rate"] < ci["false_alarm_rate"][1]


def test_the_locked_split_still_matches_its_committed_hash():
    split = json.loads((DATA / "split.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in map(json.loads, (DATA / "corpus.jsonl").open(encoding="utf-8"))}
    assert training.split_hash(split["test"], rows) == split["sha256"]
    assert len(split["test"]) >= 0.25 * len(rows)


def test_stage_two_averages_its_seeded_networks_in_one_wider_network():
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(160, 6))
    y = np.zeros((160, 5), dtype=bool)
    y[:, 0] = x[:, 0] > 0.3
    y[:, 1] = x[:, 1] + x[:, 2] > 0
    y[:, 4] = y[:, 0] | y[:, 1]
    y[:5, 2] = y[5:10, 3] = True
    bag = training.fit_dense(x, y, hidden=8, seeds=3)
    alone = training.fit_dense(x, y, hidden=8, seeds=1)
    assert bag.hidden_w.shape == (24, 6) and bag.weights.shape == (5, 24)
    # the first block is seed 0's network, its output weights a third of what they are alone
    np.testing.assert_allclose(bag.hidden_w[:8], alone.hidden_w)
    np.testing.assert_allclose(bag.weights[:, :8] * 3, alone.weights)

    def member(k: int) -> np.ndarray:
        rows = slice(8 * k, 8 * k + 8)
        return training.DenseStage(mean=bag.mean, scale=bag.scale, weights=bag.weights[:, rows] * 3,
                                   bias=np.zeros(5), hidden_w=bag.hidden_w[rows], hidden_b=bag.hidden_b[rows]).logits(x)

    mean_of_members = np.mean([member(k) for k in range(3)], axis=0) + bag.bias
    np.testing.assert_allclose(bag.logits(x), mean_of_members, atol=1e-9)


def test_averaged_networks_give_the_mean_of_their_members_logits():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 6))
    members = [(rng.normal(size=(8, 6)), rng.normal(size=8), rng.normal(size=(5, 8)), rng.normal(size=5))
               for _ in range(3)]
    hidden_w, hidden_b, weights, bias = training.average_networks(members)
    assert hidden_w.shape == (24, 6) and weights.shape == (5, 24)
    zero, one = np.zeros(6), np.ones(6)
    averaged = learned.dense_logits(x, zero, one, weights, bias, hidden_w, hidden_b)
    alone = [learned.dense_logits(x, zero, one, w2, b2, w1, b1) for w1, b1, w2, b2 in members]
    np.testing.assert_allclose(averaged, np.mean(alone, axis=0), atol=1e-9)
