"""Issue 13, item 1: `run` stops cleanly on SIGTERM (what systemd and docker send) and SIGINT: it finishes
the step in flight, exits 0, and a restart delivers the rest: nothing lost, nothing twice."""

from __future__ import annotations

import signal
import threading

import pytest

from tests.killrestart import Outcome, World


def stop_run_when(world: World, server: str, event: str, signum: int) -> tuple[int, str]:
    """Start `run`, send `signum` at the first `event` of `server`, and wait for it to exit."""
    process = world.start(args=("run",))
    sent = threading.Event()

    def hook(seen: str, _request) -> None:
        if seen == event and not sent.is_set():
            sent.set()
            process.send_signal(signum)

    {"feed": world.feeds, "slack": world.slack}[server].hook = hook
    try:
        _, err = process.communicate(timeout=90)
    finally:
        world.disarm()
    assert sent.is_set(), err[-3000:]
    return process.returncode, err


@pytest.mark.parametrize("server, event, signum", [
    ("slack", "posted", signal.SIGTERM),  # mid-delivery: the drain in flight finishes first
    ("feed", "request", signal.SIGTERM),  # mid-fetch: the fetches are cancelled, nothing half-stored
    ("slack", "answered", signal.SIGINT),
])
def test_run_stops_with_exit_0_and_a_restart_finishes_the_rest(tmp_path, server, event, signum):
    with World(tmp_path) as world:
        code, err = stop_run_when(world, server, event, signum)
        assert code == 0, err[-3000:]
        assert "stopped" in err and "Traceback" not in err
        restart = world.start()
        _, err = restart.communicate(timeout=120)
        assert restart.returncode == 0, err[-3000:]
        outcome = world.judge(Outcome("run stopped", killed=False), None)
        snapshot = world.snapshot()
    assert (outcome.lost, outcome.duplicates, outcome.wire_repeats) == (0, 0, 0), outcome.notes
    assert snapshot["unprocessed"] == 0 and len(snapshot["incidents"]) >= 2
