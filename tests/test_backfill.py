"""First start never floods: backfill items are stored but never alerted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from monitor.backfill import is_alertable

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_old_items_on_first_poll_are_backfill():
    assert not is_alertable(T0 - timedelta(hours=100), T0, first_poll=True, backfill_hours=72)
    assert is_alertable(T0 - timedelta(hours=10), T0, first_poll=True, backfill_hours=72)


def test_undated_items_alert_only_after_the_first_poll():
    assert not is_alertable(None, T0, first_poll=True, backfill_hours=72)
    assert is_alertable(None, T0, first_poll=False, backfill_hours=72)


@given(st.integers(min_value=0, max_value=600_000), st.integers(min_value=1, max_value=500))
def test_window_edge(minutes_before, window_hours):
    published = T0 - timedelta(minutes=minutes_before)
    expected = minutes_before <= window_hours * 60
    assert is_alertable(published, T0, first_poll=False, backfill_hours=window_hours) == expected
