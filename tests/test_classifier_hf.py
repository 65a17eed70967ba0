"""The transformers backend, loading a tiny model that the test writes itself (no hub)."""

from __future__ import annotations

import pytest

from classifiers import build_classifier
from monitor.config import ClassifierSettings
from monitor.errors import ConfigError
from monitor.registry import Deps
from monitor.types import LABELS, ClassifyInput

WORDS = ["internet", "shut", "down", "blocked", "spyware", "election", "profit", "the", "was", "in"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    where = tmp_path_factory.mktemp("tiny-bert")
    vocab = where / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab))
    config = BertConfig(vocab_size=len(WORDS) + 5, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=len(LABELS),
                        id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)},
                        problem_type="multi_label_classification")
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    with torch.no_grad():  # make "shutdown" fire for every input: a known answer to check against
        model.classifier.bias.copy_(torch.tensor([-9.0, -9.0, 9.0, -9.0]))
    model.save_pretrained(where)
    tokenizer.save_pretrained(where)
    return str(where)


def test_fine_tuned_model_is_loaded_from_a_local_path(tiny_model):
    classifier = build_classifier(ClassifierSettings(kind="transformers", model=tiny_model, threshold=0.5), Deps())
    results = classifier.classify_many([
        ClassifyInput(id="1", title="the internet was shut down", summary=""),
        ClassifyInput(id="2", title="profit", summary="in the internet"),
    ])
    assert [r.id for r in results] == ["1", "2"]
    assert all(r.labels == ("shutdown",) for r in results)
    assert set(results[0].scores) == set(LABELS) and results[0].scores["surveillance"] < 0.01
    assert results[0].evidence and results[0].evidence[0].label == "shutdown"


def test_missing_model_setting_is_a_config_error():
    with pytest.raises(ConfigError, match="model"):
        build_classifier(ClassifierSettings(kind="transformers"), Deps())
