"""What every worker process of the monitor does when it starts (parse workers, the classifier's worker)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading


def exit_with_parent() -> None:
    """End this worker process when the process that started it dies.

    A monitor killed outright (SIGKILL, the OOM killer) never stops its pools, and a pool's worker waits for
    work for ever: without this it would hold its memory (a model, the parsers) until the machine restarts.
    """
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_exit_when_ready, args=(parent.sentinel,), daemon=True).start()


def _exit_when_ready(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)
