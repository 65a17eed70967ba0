"""Property tests of the pure poll-delay rule."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from monitor.sources.backoff import next_delay_s

intervals = st.floats(min_value=60, max_value=86400)
failures = st.integers(min_value=0, max_value=10_000)
units = st.floats(min_value=0, max_value=1)
optional_s = st.none() | st.floats(min_value=0, max_value=1e9) | st.just(math.nan) | st.just(-5.0)


@given(intervals, failures, optional_s, optional_s, units)
def test_delay_is_finite_positive_and_capped(interval, fails, retry_after, max_age, u):
    delay = next_delay_s(interval, fails, retry_after, max_age, max_backoff_s=21600, rand=lambda: u)
    assert math.isfinite(delay) and delay > 0
    assert delay <= max(interval, 21600)


@given(intervals, failures, units)
def test_never_faster_than_the_interval(interval, fails, u):
    assert next_delay_s(interval, fails, rand=lambda: u) >= interval


@given(intervals, st.floats(min_value=0, max_value=1e6))
def test_success_waits_the_interval_or_max_age(interval, max_age):
    assert next_delay_s(interval, 0, max_age_s=max_age) == min(max(interval, 21600), max(interval, max_age))


@given(intervals, failures, st.floats(min_value=0, max_value=21600), units)
def test_retry_after_is_honoured_up_to_the_cap(interval, fails, retry_after, u):
    assert next_delay_s(interval, fails, retry_after_s=retry_after, rand=lambda: u) >= min(retry_after, 21600)


@given(failures)
def test_backoff_grows_with_failures_without_jitter(fails):
    low = next_delay_s(900, fails, rand=lambda: 1.0)
    assert next_delay_s(900, fails + 1, rand=lambda: 1.0) >= low


def test_known_values():
    assert next_delay_s(900, 0) == 900
    assert next_delay_s(900, 1, rand=lambda: 1.0) == 1800
    assert next_delay_s(900, 3, rand=lambda: 0.0) == 900
    assert next_delay_s(900, 50, rand=lambda: 1.0) == 21600  # capped, never given up
