"""What the running monitor did since it last said so: counted by the jobs, told as one line.

The counting is plain data and the wording pure functions, so both are tested without a scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass
class Activity:
    """Counts since the last report line; `take()` hands them over and starts again."""

    polled: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    new_items: int = 0
    incidents: int = 0
    alerts: int = 0
    held: int = 0
    to_digest: int = 0
    delivered: int = 0
    retrying: int = 0
    delivery_failed: int = 0
    errors: list[str] = field(default_factory=list)  # "source: error" of failed polls
    problems: list[str] = field(default_factory=list)  # why deliveries did not go out

    def add_poll(self, result: Any) -> None:
        """Count one source's poll (a PollResult); a skipped one (waiting out its backoff) is not a poll."""
        if result.status == "skipped":
            return
        self.polled += 1
        self.new_items += result.new_items
        if result.status == "failed":
            self.failed += 1
            self.errors.append(f"{result.source}: {result.error}")
        elif result.status == "not_modified":
            self.not_modified += 1
        else:
            self.ok += 1

    def add_processing(self, report: Any) -> None:
        """Count what folding new items did (a ProcessReport)."""
        self.incidents += report.incidents
        self.alerts += report.alerts
        self.held += getattr(report, "held", 0)
        self.to_digest += getattr(report, "to_digest", 0)

    def add_drain(self, report: Any) -> None:
        """Count what an outbox drain did (a DrainReport)."""
        self.delivered += report.delivered
        self.retrying += report.retried
        self.delivery_failed += report.failed
        self.problems += [p for p in report.problems if p not in self.problems]

    def take(self) -> Activity:
        """Return the counts so far and reset them."""
        taken = Activity(**{f.name: getattr(self, f.name) for f in fields(self)})
        for f in fields(self):
            setattr(self, f.name, [] if isinstance(getattr(self, f.name), list) else 0)
        return taken

    @property
    def idle(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


def cycle_line(a: Activity, now: datetime, next_poll: tuple[datetime, str] | None) -> str:
    """One line for what happened: sources polled, new items, incidents, alerts and deliveries, next poll."""
    parts = [f"{_hm(now)} polled {_n(a.polled, 'source')}" + _poll_detail(a), _n(a.new_items, "new item"),
             _n(a.incidents, "incident"), _n(a.alerts, "alert") + _alert_detail(a)]
    parts.append(f"delivered {a.delivered}" + (f", {a.retrying + a.delivery_failed} not delivered (see below)"
                                               if a.retrying + a.delivery_failed else ""))
    if next_poll:
        parts.append(f"next poll at {_hm(next_poll[0])} ({next_poll[1]})")
    return "; ".join(parts)


def offline_notice(a: Activity) -> str | None:
    """Say so when every source polled failed: the monitor is most likely offline, not in a quiet week."""
    if not a.polled or a.ok or a.not_modified:
        return None
    first = a.errors[0] if a.errors else "unknown error"
    return (f"no source reachable: all {_n(a.polled, 'poll')} failed (e.g. {first}); is this machine offline or "
            "behind a proxy? `rights-monitor sources` shows each error; sources are retried with backoff")


def heartbeat(result: Any) -> str:
    """Say what one source's poll did, in the domain's words (`polled Access Now: 3 new`)."""
    if result.status == "failed":
        return f"polled {result.source}: failed ({result.error})"
    if result.status == "not_modified":
        return f"polled {result.source}: not modified"
    if result.status == "skipped":
        return f"skipped {result.source}: waiting out its backoff"
    return f"polled {result.source}: {result.new_items} new of {result.seen_items}"


def _poll_detail(a: Activity) -> str:
    shown = [f"{a.ok} ok"] + ([f"{a.not_modified} not modified"] if a.not_modified else [])
    shown += [f"{a.failed} failed"] if a.failed else []
    return f" ({', '.join(shown)})" if a.polled else ""


def _alert_detail(a: Activity) -> str:
    shown = ([f"{a.held} held for quiet hours"] if a.held else []) + (
        [f"{a.to_digest} to the digest"] if a.to_digest else [])
    return f" ({', '.join(shown)})" if shown else ""


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _hm(moment: datetime) -> str:
    return moment.strftime("%H:%M UTC")
