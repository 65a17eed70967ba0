"""Classify batches of items in one worker process that loads the classifier once.

    pool = ClassifyPool(ClassifierRecipe(settings.classifier, watchlist))
    pool.start()                          # the worker loads the model now (seconds)
    done = await pool.classify(inputs)    # (classifier name, one Classification per input); None: no worker
    pool.close()

The classifier is CPU-bound Python and numpy. In the monitor's own process it holds the GIL that the event
loop needs for fetching (tried in a thread, it made loopback sources time out), so a cycle could only
classify after fetching. In a process of its own it classifies what the first sources stored while later
ones are still fetched. There is one worker, so batches are classified in the order they are sent; the
main process alone writes the store and folds the results, in store order.

Where a process cannot be used (it cannot start here, or it died), `classify` answers None from then on and
the caller classifies in its own process: nothing is lost, the batch is classified there instead.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.childprocess import exit_with_parent
from monitor.config import ClassifierSettings
from monitor.registry import Deps
from monitor.types import Classification, ClassifyInput

if TYPE_CHECKING:
    from classifiers.base import Classifier

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ClassifierRecipe:
    """How to build the configured classifier: called in this process, or pickled and called in the worker."""

    settings: ClassifierSettings
    watchlist: Any = None  # the tracked companies the classifier links items to

    def __call__(self) -> Classifier:
        from classifiers import build_classifier

        return build_classifier(self.settings, Deps(watchlist=self.watchlist))


# --------------------------------------------------------------------------- in the worker process

_classifier: Classifier | None = None


def _load(recipe: ClassifierRecipe) -> None:
    """Build the classifier once, when the worker starts."""
    global _classifier
    # Ctrl-C reaches the whole process group: the monitor stops its worker itself, after the step in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()
    _classifier = recipe()


def _classify(inputs: list[ClassifyInput]) -> tuple[str, list[Classification]]:
    assert _classifier is not None, "the worker's initializer builds the classifier"
    return classifier_name(_classifier), _classifier.classify_many(inputs)


def classifier_name(classifier: Classifier) -> str:
    """Return the name classifications are stored under."""
    return getattr(classifier, "name", type(classifier).__name__)


# --------------------------------------------------------------------------- in the monitor


class ClassifyPool:
    """One worker process that builds the classifier from `recipe` and classifies batches in order."""

    def __init__(self, recipe: ClassifierRecipe) -> None:
        self.recipe = recipe
        self.available = True  # False once the worker could not start or died: the caller classifies itself
        self.pid: int | None = None
        self._executor: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        """Whether the worker runs with its classifier loaded."""
        return self.available and self.pid is not None

    def start(self) -> bool:
        """Start the worker and wait until its classifier is loaded; False when no worker can be used."""
        if not self.available or self.started:
            return self.available
        try:
            self.pid = self._pool().submit(os.getpid).result()
        except Exception as exc:  # noqa: BLE001 - no __main__ guard, nothing to pickle, no processes, or it died
            self._give_up(exc)
        return self.available

    async def classify(self, inputs: Sequence[ClassifyInput]) -> tuple[str, list[Classification]] | None:
        """Classify `inputs` in the worker: (classifier name, classifications in order), or None without one.

        An exception the classifier raises comes through as it is; only a lost worker answers None.
        """
        if not self.available:
            return None
        try:
            future = self._pool().submit(_classify, list(inputs))
        except Exception as exc:  # noqa: BLE001 - the worker cannot start here (see `start`)
            self._give_up(exc)
            return None
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:  # the worker died (killed, out of memory) with this batch
            self._give_up(exc)
            return None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not the parse pool's forkserver: a fresh interpreter that holds only the classifier
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(1, mp_context=context, initializer=_load, initargs=(self.recipe,))
        return self._executor

    def _give_up(self, exc: BaseException) -> None:
        log.warning("classifier worker process unavailable (%s); classifying in this process",
                    str(exc) or type(exc).__name__)
        self.available = False
        self.close()

    def close(self) -> None:
        """Stop the worker process (a batch in progress is finished first)."""
        if self._executor is not None:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=True, cancel_futures=True)
