"""Issue 13, item 1: a real process SIGKILLed at many states of a poll and restarted delivers every alert
exactly once (Slack by its metadata key, email by its Message-ID) and folds every item once.

The default suite kills at three points; `make test-slow` (marker `slow`) at every point of
tests/killrestart.py, RIGHTS_MONITOR_KILL_TRIALS times each (default 3), and prints the figures.
"""

from __future__ import annotations

import json
import os
import random

import pytest

from tests.killrestart import POINTS, Outcome, clean_run, trial
from tests.pgdb import database_url


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return clean_run(tmp_path_factory.mktemp("clean"))


# (point, trial index): the 3rd send of a poll is the first incident's Slack post (emails go first, by name)
QUICK = (("sent, not recorded", 2), ("Slack posted, answer not read", 0), ("fold written, not committed", 0))


@pytest.mark.parametrize("name, index", QUICK)
def test_a_kill_at_a_critical_point_loses_nothing_and_sends_nothing_twice(name, index, baseline, tmp_path):
    point = next(p for p in POINTS if p.name == name)
    outcome = trial(tmp_path, point, index, baseline, random.Random(0))
    assert outcome.killed, "the kill point was never reached"
    assert (outcome.lost, outcome.duplicates, outcome.wire_repeats) == (0, 0, 0), outcome.notes
    assert outcome.incidents_ok, outcome.notes


@pytest.mark.services
@pytest.mark.parametrize("name, index", [("sent, not recorded", 2), ("fold written, not committed", 0)])
def test_the_same_on_postgresql(name, index, baseline, tmp_path):
    point = next(p for p in POINTS if p.name == name)
    with database_url("postgresql", tmp_path, migrated=True) as url:
        outcome = trial(tmp_path, point, index, baseline, random.Random(0), db_url=url)
    assert outcome.killed
    assert (outcome.lost, outcome.duplicates, outcome.wire_repeats) == (0, 0, 0), outcome.notes
    assert outcome.incidents_ok, outcome.notes


@pytest.mark.slow
def test_kills_at_every_point_of_a_poll(baseline, tmp_path):
    trials = int(os.environ.get("RIGHTS_MONITOR_KILL_TRIALS", "3"))
    rng = random.Random(13)
    outcomes: list[Outcome] = []
    for point in POINTS:
        for index in range(trials):
            outcomes.append(trial(tmp_path / f"{len(outcomes)}", point, index, baseline, rng))
    figures = summarise(outcomes, trials)
    print("\nkill-restart figures:\n" + json.dumps(figures, indent=2))
    report = os.environ.get("RIGHTS_MONITOR_KILL_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
    assert figures["lost"] == 0 and figures["duplicates"] == 0, [o.notes for o in outcomes if o.notes]
    # an email accepted by the server just before a kill goes again, with the same Message-ID: only there
    email_points = {"sent, not recorded", "SMTP accepted, not recorded", "a random moment"}
    assert all(row["wire_repeats"] == 0 for name, row in figures["by_point"].items() if name not in email_points)
    assert figures["incidents_wrong"] == 0
    assert figures["points"] >= 12 and figures["killed"] >= 0.9 * figures["trials"]


def summarise(outcomes: list[Outcome], trials: int) -> dict:
    by_point: dict[str, dict] = {}
    for o in outcomes:
        row = by_point.setdefault(o.point, {"trials": 0, "killed": 0, "lost": 0, "duplicates": 0, "wire_repeats": 0})
        row["trials"] += 1
        row["killed"] += o.killed
        row["lost"] += o.lost
        row["duplicates"] += o.duplicates
        row["wire_repeats"] += o.wire_repeats
    return {
        "points": len(by_point), "trials_per_point": trials, "trials": len(outcomes),
        "killed": sum(o.killed for o in outcomes), "deliveries_checked": sum(o.deliveries for o in outcomes),
        "lost": sum(o.lost for o in outcomes), "duplicates": sum(o.duplicates for o in outcomes),
        "email_wire_repeats_same_message_id": sum(o.wire_repeats for o in outcomes),
        "incidents_wrong": sum(not o.incidents_ok for o in outcomes),
        "needed_deliver_all": sum(o.restarts > 1 for o in outcomes), "by_point": by_point,
    }
