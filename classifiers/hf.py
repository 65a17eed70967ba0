"""Any Hugging Face model as a classifier: zero-shot NLI, or a fine-tuned multi-label head.

A model whose `id2label` uses our label names is read as a sequence classifier (sigmoid per
label); any other model is treated as NLI and asked, per label, whether a hypothesis holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from classifiers.base import CLASSIFIERS
from classifiers.cascade import Linker, read_items
from monitor.config import ClassifierSettings
from monitor.errors import ClassifierError, ConfigError
from monitor.registry import Deps
from monitor.types import LABELS, Classification, ClassifyInput

HYPOTHESES: Mapping[str, str] = {
    "surveillance": "spyware, interception or surveillance of people through phones or internet services",
    "censorship": "a government blocking or removing websites, apps or online content",
    "shutdown": "authorities cutting off internet or mobile service for a region or country",
    "election_interference": "manipulation or disinformation on online platforms around an election",
}
TEMPLATE = "This news report is about {}."
DEFAULT_THRESHOLD = 0.5
MAX_TOKENS = 256


@CLASSIFIERS.register("transformers")
@dataclass
class TransformersClassifier:
    """Scores items with a local or named transformers model; no hub access at run time."""

    scorer: Any  # callable: list[str] -> list[dict[label, score]]
    linker: Linker
    threshold: float = DEFAULT_THRESHOLD
    name: str = "transformers"

    @classmethod
    def from_config(cls, config: ClassifierSettings, deps: Deps) -> TransformersClassifier:
        """Load `config.model` (a name or a local path); a missing model is a ConfigError, never a silence."""
        if not config.model:
            raise ConfigError("the transformers classifier needs `model` (a name or a local path)", path="classifier.model")
        threshold = DEFAULT_THRESHOLD if config.threshold is None else config.threshold
        return cls(scorer=load_scorer(config.model), linker=Linker(deps.watchlist), threshold=threshold)

    def classify_many(self, inputs: Sequence[ClassifyInput]) -> list[Classification]:
        readings = read_items(inputs)
        scores = self.scorer([f"{i.title}. {i.summary}".strip() for i in inputs]) if inputs else []
        return [self._describe(r, s) for r, s in zip(readings, scores)]

    def _describe(self, reading: Any, scores: Mapping[str, float]) -> Classification:
        labels = tuple(label for label in LABELS if scores[label] >= self.threshold)
        return self.linker.describe(reading, labels, scores)


def load_scorer(model: str) -> Any:
    """Load `model` and return a function from texts to per-label scores."""
    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(model)
    except (OSError, ValueError) as exc:
        raise ClassifierError(f"cannot load transformers model {model!r}: {exc}") from exc
    names = {str(v).lower() for v in (config.id2label or {}).values()}
    return _sequence_scorer(model) if set(LABELS) <= names else _zero_shot_scorer(model)


def _sequence_scorer(model: str) -> Any:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    net = AutoModelForSequenceClassification.from_pretrained(model).eval()
    index = {str(name).lower(): int(i) for i, name in net.config.id2label.items()}

    def score(texts: list[str]) -> list[dict[str, float]]:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        with torch.inference_mode():
            probs = torch.sigmoid(net(**batch).logits)
        return [{label: float(row[index[label]]) for label in LABELS} for row in probs]

    return score


def _zero_shot_scorer(model: str) -> Any:
    from transformers import pipeline

    try:
        classify = pipeline("zero-shot-classification", model=model, tokenizer=model)
    except (OSError, ValueError, KeyError) as exc:
        raise ClassifierError(f"{model!r} is neither an NLI model nor labeled with {', '.join(LABELS)}: {exc}") from exc
    hypotheses = [HYPOTHESES[label] for label in LABELS]
    by_hypothesis = dict(zip(hypotheses, LABELS))

    def score(texts: list[str]) -> list[dict[str, float]]:
        results = classify(texts, candidate_labels=hypotheses, hypothesis_template=TEMPLATE, multi_label=True)
        results = [results] if isinstance(results, dict) else results
        return [{by_hypothesis[h]: float(s) for h, s in zip(r["labels"], r["scores"])} for r in results]

    return score
