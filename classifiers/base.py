"""What every classifier offers (classify a batch of items, in order) and the registry of classifier kinds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from monitor.config import ClassifierSettings
from monitor.registry import Deps, Registry
from monitor.types import Classification, ClassifyInput


@runtime_checkable
class Classifier(Protocol):
    """Label items as incidents (or not); one `Classification` per input, same order."""

    name: str

    def classify_many(self, inputs: Sequence[ClassifyInput]) -> list[Classification]: ...


class ClassifierKind(Protocol):
    """A registered classifier class: built from `ClassifierSettings` and the deps (their `watchlist`)."""

    def from_config(self, config: ClassifierSettings, deps: Deps, /) -> Classifier: ...


CLASSIFIERS: Registry[ClassifierKind] = Registry("classifier")
