"""The default classifier: cheap cue rules settle clear negatives, the model scores the rest.

Stage 1 (`rules.py`) finds multilingual cue words; an item that fails the false-alarm gate can
get no label, so it is settled as no incident and never reaches the encoder. Stage 2 (`model.py`) scores the candidates with MiniLM
vectors plus cue counts; a label needs its tuned threshold and the false-alarm gate (an ICT
signal and a concrete label cue). Companies, countries and language are added for every item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from classifiers import rules
from classifiers.language import detect_language
from monitor.types import LABELS, Classification, ClassifyInput, Evidence

SHUTDOWN = "shutdown"
INCIDENT = "incident"  # the model head on all labels pooled (model.INCIDENT, without importing numpy)


@dataclass(frozen=True)
class Reading:
    """What the cheap stage learned of one item."""

    item: ClassifyInput
    hits: rules.CueHits
    lang: str


def read_item(item: ClassifyInput) -> Reading:
    """Run the cheap stage on one item: cue counts and language."""
    text = f"{item.title}. {item.summary}" if item.summary else item.title
    return Reading(item=item, hits=rules.find_cues(item.title, item.summary), lang=detect_language(text, item.lang))


def choose_labels(scores: Mapping[str, float], thresholds: Mapping[str, float], hits: rules.CueHits) -> tuple[str, ...]:
    """Keep the labels over their thresholds, behind the rule gate and the model's incident gate."""
    if not rules.passes_gate(hits) or scores.get(INCIDENT, 1.0) < thresholds.get(INCIDENT, 0.0):
        return ()
    return tuple(label for label in LABELS if scores[label] >= thresholds[label])


def decision_scores(
    scores: Mapping[str, float], thresholds: Mapping[str, float], labels: Sequence[str]
) -> dict[str, float]:
    """Rescale each label's score so that its threshold sits at 0.5: a label is given exactly when its score is
    at least 0.5 (a label held back by a gate reads just under 0.5), whatever each head's own threshold."""
    out = {}
    for label in LABELS:
        score, threshold = float(scores[label]), min(max(float(thresholds[label]), 1e-6), 1 - 1e-6)
        scaled = 0.5 * score / threshold if score < threshold else 0.5 + 0.5 * (score - threshold) / (1 - threshold)
        out[label] = scaled if label in labels else min(scaled, 0.499)
    return out


def collect_evidence(labels: Sequence[str], item: ClassifyInput) -> tuple[Evidence, ...]:
    """Quote, for each label, the sentence whose cue matched (the title when none did)."""
    found = (rules.find_evidence(label, item.title, item.summary) for label in labels)
    return tuple(ev or Evidence(label=label, text=item.title[:240]) for label, ev in zip(labels, found))


@dataclass
class Linker:
    """Adds companies, countries and implied operators from the watchlist."""

    watchlist: Any = None

    def describe(self, reading: Reading, labels: tuple[str, ...], scores: Mapping[str, float]) -> Classification:
        item = reading.item
        companies, countries = self._companies(item), self._countries(item)
        inferred = self._implied(countries) if SHUTDOWN in labels and not companies else ()
        return Classification(
            id=item.id, labels=labels, companies=companies, inferred_companies=inferred, countries=countries,
            lang=reading.lang, scores={label: round(float(scores[label]), 4) for label in LABELS},
            evidence=collect_evidence(labels, item),
        )

    def _companies(self, item: ClassifyInput) -> tuple[str, ...]:
        if self.watchlist is None:
            return ()
        from classifiers.companies import link_companies

        return link_companies(item.title, item.summary, self.watchlist).companies

    def _countries(self, item: ClassifyInput) -> tuple[str, ...]:
        from classifiers.countries import detect_countries

        return detect_countries(item.title, item.summary, self.watchlist)

    def _implied(self, countries: tuple[str, ...]) -> tuple[str, ...]:
        if self.watchlist is None:
            return ()
        from classifiers.companies import implied_operators

        return implied_operators(countries, self.watchlist)


@dataclass
class RulesClassifier:
    """Rules only: no model, no torch; for tiny installs and as a transparent baseline."""

    linker: Linker = field(default_factory=Linker)
    threshold: float = 0.5
    name: str = "rules"

    def classify_many(self, inputs: Sequence[ClassifyInput]) -> list[Classification]:
        readings = [read_item(item) for item in inputs]
        thresholds = dict.fromkeys(LABELS, self.threshold)
        out = []
        for reading in readings:
            scores = rules.rule_scores(reading.hits)
            labels = choose_labels(scores, thresholds, reading.hits)
            out.append(self.linker.describe(reading, labels, decision_scores(scores, thresholds, labels)))
        return out


@dataclass
class CascadeClassifier:
    """Rules settle clear negatives; the shipped model head scores the candidates."""

    head: Any  # model.Head
    encoder: Any  # model.Encoder
    linker: Linker = field(default_factory=Linker)
    threshold: float | None = None
    name: str = "cascade"

    def classify_many(self, inputs: Sequence[ClassifyInput]) -> list[Classification]:
        readings = [read_item(item) for item in inputs]
        scores = [_settled_scores(r.hits) for r in readings]
        # Only items past the gate can get a label, so only they are worth the encoder's time.
        candidates = [i for i, r in enumerate(readings) if rules.passes_gate(r.hits)]
        for i, model_scores in zip(candidates, self._model_scores([readings[i] for i in candidates])):
            scores[i] = model_scores
        thresholds = self._thresholds()
        return [self._describe(r, s, thresholds) for r, s in zip(readings, scores)]

    def _describe(self, reading: Reading, scores: Mapping[str, float], thresholds: Mapping[str, float]):
        labels = choose_labels(scores, thresholds, reading.hits)
        return self.linker.describe(reading, labels, decision_scores(scores, thresholds, labels))

    def _model_scores(self, readings: Sequence[Reading]) -> list[dict[str, float]]:
        from classifiers.model import feature_matrix, item_text

        if not readings:
            return []
        vectors = self.encoder.encode([item_text(r.item.title, r.item.summary) for r in readings])
        return self.head.scores(feature_matrix(vectors, [r.hits for r in readings]))

    def _thresholds(self) -> dict[str, float]:
        # A configured threshold replaces the label thresholds; the incident gate stays as trained.
        gate = {INCIDENT: float(self.head.thresholds[INCIDENT])} if INCIDENT in self.head.thresholds else {}
        if self.threshold is not None:
            return dict.fromkeys(LABELS, self.threshold) | gate
        return {label: float(self.head.thresholds[label]) for label in LABELS} | gate


def _settled_scores(hits: rules.CueHits) -> dict[str, float]:
    # Settled by the cheap stage: keep the rule scores (all low) so the output stays informative.
    return {label: min(score, 0.2) for label, score in rules.rule_scores(hits).items()}
