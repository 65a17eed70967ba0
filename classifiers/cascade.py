"""The default classifier (`cascade`), the rules-only baseline (`rules`) and what both add to a label.

`CascadeClassifier` runs the learned head of `learned.py`: hashed TF-IDF logistic regression
first (it settles clear non-incidents cheaply), then the multilingual-e5 encoder with stage 1's
logits and the lexicon's cue counts for every other item. Companies, countries, implied operators,
language and evidence are added for every item by `Linker`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from classifiers import rules
from classifiers.base import CLASSIFIERS
from classifiers.language import detect_languages
from monitor.config import ClassifierSettings
from monitor.hygiene import truncate
from monitor.registry import Deps
from monitor.types import LABELS, Classification, ClassifyInput, Evidence

SHUTDOWN = "shutdown"
INCIDENT = "incident"  # the head on all labels pooled (learned.INCIDENT, without importing numpy)


@dataclass(frozen=True)
class Reading:
    """What the cheap stage learned of one item."""

    item: ClassifyInput
    hits: rules.CueHits
    lang: str


def read_item(item: ClassifyInput) -> Reading:
    """Run the cheap stage on one item: cue counts and language."""
    return read_items([item])[0]


def _language_text(item: ClassifyInput) -> str:
    return f"{item.title}. {item.summary}" if item.summary else item.title


def read_items(items: Sequence[ClassifyInput], cues: bool = True) -> list[Reading]:
    """`read_item` of many items (languages detected together); without `cues`, no cue counts (`NO_HITS`)."""
    langs = detect_languages([_language_text(item) for item in items], [item.lang for item in items])
    return [Reading(item=item, hits=rules.find_cues(item.title, item.summary) if cues else NO_HITS, lang=lang)
            for item, lang in zip(items, langs, strict=True)]


NO_HITS = rules.CueHits(title={}, body={})  # cues not counted (the cascade counts them for stage 2 only)


def rule_choose_labels(scores: Mapping[str, float], thresholds: Mapping[str, float], hits: rules.CueHits) -> tuple[str, ...]:
    """Rules only: keep the labels over their thresholds, behind the rule gate."""
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


_SENTENCE = re.compile(r"(?<=[.!?؟।።])\s+|\n+")
EVIDENCE_CHARS = 240


def collect_evidence(labels: Sequence[str], item: ClassifyInput, head: Any = None) -> tuple[Evidence, ...]:
    """Quote, for each label, the sentence that speaks for it most: the one the label's stage-1 head
    scores highest (with no head, the first sentence where a cue of the label matched); else the title."""
    return tuple(Evidence(label=label, text=truncate(_evidence_text(label, item, head), EVIDENCE_CHARS)) for label in labels)


def _evidence_text(label: str, item: ClassifyInput, head: Any) -> str:
    sentences = [s.strip() for s in [item.title, *_SENTENCE.split(item.summary or "")] if s.strip()]
    if head is not None and sentences:
        from classifiers.learned import HEADS

        column = HEADS.index(label)
        scores = head.sparse_logits_many(sentences)[:, column].tolist()
        return sentences[max(range(len(sentences)), key=scores.__getitem__)]
    found = rules.find_evidence(label, item.title, item.summary, EVIDENCE_CHARS)
    return found.text if found else item.title


@dataclass
class Linker:
    """Adds companies, countries and implied operators from the watchlist."""

    watchlist: Any = None

    def describe(
        self, reading: Reading, labels: tuple[str, ...], scores: Mapping[str, float], head: Any = None
    ) -> Classification:
        item = reading.item
        links = self._links(item)
        companies = links.companies if links else ()
        countries = self._countries(item, links)
        inferred = self._implied(countries) if SHUTDOWN in labels and not companies else ()
        return Classification(
            id=item.id, labels=labels, companies=companies, inferred_companies=inferred, countries=countries,
            lang=reading.lang, scores={label: round(float(scores[label]), 4) for label in LABELS},
            evidence=collect_evidence(labels, item, head),
        )

    def _links(self, item: ClassifyInput) -> Any:
        if self.watchlist is None:
            return None
        from classifiers.companies import link_companies

        return link_companies(item.title, item.summary, self.watchlist)

    def _companies(self, item: ClassifyInput) -> tuple[str, ...]:
        links = self._links(item)
        return links.companies if links else ()

    def _countries(self, item: ClassifyInput, links: Any = None) -> tuple[str, ...]:
        from classifiers.countries import detect_countries

        return detect_countries(item.title, item.summary, self.watchlist, links=links)

    def _implied(self, countries: tuple[str, ...]) -> tuple[str, ...]:
        if self.watchlist is None:
            return ()
        from classifiers.companies import implied_operators

        return implied_operators(countries, self.watchlist)


@CLASSIFIERS.register("rules")
@dataclass
class RulesClassifier:
    """Rules only: no model, no torch; for tiny installs and as a transparent baseline."""

    linker: Linker = field(default_factory=Linker)
    threshold: float = 0.5
    name: str = "rules"

    @classmethod
    def from_config(cls, config: ClassifierSettings, deps: Deps) -> RulesClassifier:
        """Build the rules-only classifier, linking items to `deps.watchlist`."""
        return cls(linker=Linker(deps.watchlist), threshold=config.threshold or 0.5)

    def classify_many(self, inputs: Sequence[ClassifyInput]) -> list[Classification]:
        readings = read_items(inputs)
        thresholds = dict.fromkeys(LABELS, self.threshold)
        out = []
        for reading in readings:
            scores = rules.rule_scores(reading.hits)
            labels = rule_choose_labels(scores, thresholds, reading.hits)
            out.append(self.linker.describe(reading, labels, decision_scores(scores, thresholds, labels)))
        return out


@CLASSIFIERS.register("cascade")
@dataclass
class CascadeClassifier:
    """The learned two-stage classifier (`learned.py`): TF-IDF first, the multilingual encoder for the rest.

    Stage 1 settles items its incident head is sure are not incidents (they skip the encoder, the
    slow part); every other item is scored by stage 2. No hand-written pattern decides a label:
    cue counts are only features. Scores are calibrated probabilities; a label is given when the
    incident head and the label's head pass their thresholds (`head.thresholds`).
    """

    head: Any  # learned.LearnedHead
    encoder: Any  # encoder.E5Encoder (anything with encode(texts) -> (n, 384))
    linker: Linker = field(default_factory=Linker)
    threshold: float | None = None
    name: str = "cascade"

    @classmethod
    def from_config(cls, config: ClassifierSettings, deps: Deps) -> CascadeClassifier:
        """Build the default classifier: the shipped learned head and the bundled multilingual-e5 encoder."""
        from classifiers.encoder import E5Encoder
        from classifiers.learned import load_head

        head = load_head(lexicon=rules.lexicon_fingerprint())
        encoder = E5Encoder()
        encoder.load()
        classifier = cls(head=head, encoder=encoder, linker=Linker(deps.watchlist), threshold=config.threshold)
        classifier.warm()
        return classifier

    def classify_many(self, inputs: Sequence[ClassifyInput]) -> list[Classification]:
        import numpy as np

        from classifiers.features import item_text
        from classifiers.learned import FIRST_STAGE, HEADS, INCIDENT

        # Cue counts are stage 2's features only: counted for the items stage 1 passes, not for every item.
        readings = read_items(inputs, cues=False)
        texts = [item_text(r.item.title, r.item.summary) for r in readings]
        logits = np.asarray(self.head.sparse_logits_many(texts)).reshape(len(texts), len(HEADS))
        probabilities = self.head.sparse_probabilities(logits)
        first = HEADS.index(INCIDENT)
        candidates = [i for i in range(len(texts)) if probabilities[i, first] >= self.head.thresholds[FIRST_STAGE]]
        vectors: dict[int, tuple[float, ...]] = {}
        if candidates:
            encoded = self.encoder.encode([texts[i] for i in candidates])
            hits = [rules.find_cues(inputs[i].title, inputs[i].summary) for i in candidates]
            probabilities[candidates] = self._dense(encoded, logits[candidates], hits)
            vectors = {i: tuple(round(float(v), 4) for v in row) for i, row in zip(candidates, encoded)}
        thresholds = self._thresholds()
        return [self._describe(r, p, thresholds, vectors.get(i)) for i, (r, p) in enumerate(zip(readings, probabilities))]

    def warm(self) -> None:
        """Load now what the first items would load: langid's model, the gazetteer, the company automaton and
        the cue index (about a second), so that a running monitor's first cycle does not pay for them."""
        from classifiers.language import _identifier, _walker
        from classifiers.placenames import _gazetteer

        _identifier()
        _walker()
        _gazetteer()
        rules.cue_index()
        if self.linker.watchlist is not None:
            from classifiers.companies import _matcher

            _matcher(self.linker.watchlist)

    def _dense(self, vectors: Any, logits: Any, hits: Sequence[rules.CueHits]) -> Any:
        import numpy as np

        from classifiers.learned import neighbour_votes, stack_features

        cues = np.array([h.vector() for h in hits], dtype=np.float64)
        votes = neighbour_votes(vectors, self.head.bank_vectors, self.head.bank_labels)
        return self.head.dense_probabilities(stack_features(vectors, logits, votes, cues))

    def _describe(self, reading: Reading, probabilities: Any, thresholds: Mapping[str, float],
                  vector: tuple[float, ...] | None) -> Classification:
        from dataclasses import replace

        from classifiers.learned import HEADS, choose_labels

        labels = choose_labels(probabilities, thresholds, reading.lang) if vector is not None else ()
        scores = {head: float(p) for head, p in zip(HEADS, probabilities)}
        return replace(self.linker.describe(reading, labels, scores, self.head), vector=vector or ())

    def _thresholds(self) -> dict[str, float]:
        # A configured threshold replaces the label thresholds; the incident gate stays as trained.
        thresholds = {k: float(v) for k, v in self.head.thresholds.items()}
        if self.threshold is not None:
            thresholds |= dict.fromkeys(LABELS, float(self.threshold))
        return thresholds
