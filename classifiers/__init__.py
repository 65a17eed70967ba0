"""Incident classifiers: a registry of kinds, each built by `from_config(ClassifierSettings, deps)`.

Kinds: `cascade` (default: the learned head, TF-IDF then multilingual-e5), `rules` (no model)
and `transformers` (any Hugging Face model by name or local path). Heavy parts load lazily.
"""

from __future__ import annotations

from classifiers import cascade, hf  # noqa: F401  (register the built-in kinds)
from classifiers.base import CLASSIFIERS, Classifier, ClassifierKind
from monitor.config import ClassifierSettings
from monitor.registry import Deps, build


def build_classifier(settings: ClassifierSettings, deps: Deps) -> Classifier:
    """Build the classifier of kind `settings.kind` (ConfigError names the known kinds)."""
    return build(CLASSIFIERS, settings.kind, settings, deps)


__all__ = ["CLASSIFIERS", "Classifier", "ClassifierKind", "build_classifier"]
