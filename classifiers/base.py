"""What every classifier offers: classify a batch of items, in order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from monitor.types import Classification, ClassifyInput


@runtime_checkable
class Classifier(Protocol):
    """Label items as incidents (or not); one `Classification` per input, same order."""

    name: str

    def classify_many(self, inputs: Sequence[ClassifyInput]) -> list[Classification]: ...
