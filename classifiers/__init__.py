"""Incident classifiers: a registry of kinds built from `ClassifierSettings`.

Kinds: `cascade` (default: the learned head, TF-IDF then multilingual-e5), `rules` (no model)
and `transformers` (any Hugging Face model by name or local path). Heavy parts load lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from classifiers.base import Classifier
from monitor.config import ClassifierSettings
from monitor.registry import Registry

CLASSIFIERS: Registry[Callable[[ClassifierSettings, Any], Classifier]] = Registry("classifier")


@CLASSIFIERS.register("rules")
def build_rules(settings: ClassifierSettings, watchlist: Any = None) -> Classifier:
    """Build the rules-only classifier."""
    from classifiers.cascade import Linker, RulesClassifier

    return RulesClassifier(linker=Linker(watchlist), threshold=settings.threshold or 0.5)


@CLASSIFIERS.register("cascade")
def build_cascade(settings: ClassifierSettings, watchlist: Any = None) -> Classifier:
    """Build the default classifier: the shipped learned head and the bundled multilingual-e5 encoder."""
    from classifiers.cascade import CascadeClassifier, Linker
    from classifiers.encoder import E5Encoder
    from classifiers.learned import load_head
    from classifiers.rules import lexicon_fingerprint

    head = load_head(lexicon=lexicon_fingerprint())
    encoder = E5Encoder()
    encoder.load()
    classifier = CascadeClassifier(head=head, encoder=encoder, linker=Linker(watchlist), threshold=settings.threshold)
    classifier.warm()
    return classifier


@CLASSIFIERS.register("transformers")
def build_transformers(settings: ClassifierSettings, watchlist: Any = None) -> Classifier:
    """Build the Hugging Face backend for `settings.model`."""
    from classifiers.cascade import Linker
    from classifiers.hf import TransformersClassifier

    return TransformersClassifier.from_settings(settings, Linker(watchlist))


def build_classifier(settings: ClassifierSettings, watchlist: Any = None) -> Classifier:
    """Build the classifier of kind `settings.kind` (ConfigError names the known kinds)."""
    return CLASSIFIERS.get(settings.kind)(settings, watchlist)


__all__ = ["CLASSIFIERS", "Classifier", "build_classifier"]
