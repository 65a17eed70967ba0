"""Named crash points for the kill-restart tests: the process is SIGKILLed the nth time it reaches one.

    RIGHTS_MONITOR_CRASH_AT=sent-not-recorded:2 rights-monitor poll --once   # dies after the 2nd send

Off unless the variable is set (then one comparison per point). The points sit where a crash hurts most:
between a commit and the next step, and between a send and its record.
"""

from __future__ import annotations

import os
import signal
import threading

POINTS = (
    "items-stored",  # a source's items and health committed, nothing folded yet
    "before-fold-commit",  # classifications, incidents and alerts written but not committed
    "after-fold-commit",  # a batch folded and committed, its alerts not yet sent
    "claimed",  # a delivery leased, no intent recorded
    "intent-recorded",  # the send key stored, nothing sent
    "sent-not-recorded",  # the notifier has sent; the store does not know yet
    "recorded",  # a send recorded as delivered
)
_lock = threading.Lock()
_count = 0


def _spec() -> tuple[str, int] | None:
    raw = os.environ.get("RIGHTS_MONITOR_CRASH_AT", "")
    name, _, nth = raw.partition(":")
    return (name, int(nth) if nth.isdigit() else 1) if name else None


_SPEC = _spec()


def reached(name: str) -> None:
    """Mark that the process reached point `name`; SIGKILL it there when the environment asks."""
    global _count
    if _SPEC is None or _SPEC[0] != name:
        return
    with _lock:
        _count += 1
        if _count == _SPEC[1]:
            os.kill(os.getpid(), signal.SIGKILL)
