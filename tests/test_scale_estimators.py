"""pyDE1's history estimators, the period estimator and tare-seen detection (reference part D)."""

from __future__ import annotations

import pytest

from pyde1.scale import (
    HISTORY_LENGTH,
    PeriodEstimator,
    TareOutcome,
    TareTracker,
    WeightHistory,
)


def linear_history(n: int, flow: float = 2.0, period: float = 0.1, w0: float = 5.0) -> WeightHistory:
    h = WeightHistory()
    for i in range(n):
        h.add(100.0 + i * period, w0 + flow * i * period)
    return h


def test_estimators_report_zero_until_they_have_enough_samples():
    assert WeightHistory().estimates(0.1).current_weight_time == 0.0
    e = linear_history(10).estimates(0.1)
    assert e.current_weight == pytest.approx(5.0 + 2.0 * 0.9)
    assert e.current_weight_time == pytest.approx(100.9)
    assert (e.average_flow, e.average_flow_time, e.median_weight, e.median_weight_time) == (0, 0, 0, 0)
    e = linear_history(15).estimates(0.1)
    assert e.average_flow == pytest.approx(2.0)
    assert (e.median_flow, e.median_flow_time) == (0.0, 0.0)


def test_estimators_on_a_linear_trace_with_known_flow():
    h = linear_history(30, flow=2.0)  # buffer keeps the newest 16
    assert len(h) == HISTORY_LENGTH
    e = h.estimates(0.1)
    newest = 100.0 + 29 * 0.1
    assert e.average_flow == pytest.approx(2.0)
    assert e.average_flow_time == pytest.approx(newest - 0.5)          # mean of the last 11 times
    assert e.median_weight == pytest.approx(5.0 + 2.0 * (2.9 - 0.5))   # the middle of 11
    assert e.median_weight_time == pytest.approx(newest - 0.5)
    # Centres 11 samples apart divided by 11 periods: exact (pyDE1 divides by 10 and reads 10 % high).
    assert e.median_flow == pytest.approx(2.0)
    assert e.median_flow_time == pytest.approx(newest - 0.8)


def test_average_flow_uses_the_smoothed_period_not_the_timestamps():
    e = linear_history(11, flow=2.0, period=0.1).estimates(0.2)
    assert e.average_flow == pytest.approx(1.0)


def test_median_weight_ignores_one_spike():
    h = linear_history(16, flow=0.0)
    h.add(102.0, 500.0)
    e = h.estimates(0.1)
    assert e.current_weight == 500.0
    assert e.median_weight == pytest.approx(5.0)


def test_bad_period_and_bad_length_are_rejected():
    with pytest.raises(ValueError, match="period"):
        WeightHistory().estimates(0.0)
    with pytest.raises(ValueError, match="at least 16"):
        WeightHistory(length=4)


def test_period_estimator_follows_intervals_slowly_and_ignores_gaps():
    p = PeriodEstimator(nominal=0.1, smoothing=0.5)
    assert p.observe(0.0) is False
    p.observe(0.2)
    assert p.value == pytest.approx(0.15)
    p.observe(5.0)  # 4.8 s: a gap, ignored
    assert p.value == pytest.approx(0.15)
    p.observe(4.9)  # time going backwards: ignored
    assert p.value == pytest.approx(0.15)


def test_period_estimator_asks_for_persistence_every_1000_intervals():
    p = PeriodEstimator()
    due = [i for i in range(2101) if p.observe(i * 0.05)]
    assert due == [1000, 2000]
    assert 0.05 < p.value < 0.1  # k = 1/10000: still far from 0.05 after 2000 samples


def test_period_restore_and_nominal_validate_their_value():
    p = PeriodEstimator()
    p.restore(0.15)
    assert p.value == 0.15
    for bad in (0, -0.1, 0.7, float("nan"), "0.1", True):
        with pytest.raises(ValueError, match="period"):
            p.restore(bad)
    p.set_nominal(0.2)
    assert p.value == 0.2


def test_tare_requests_are_rate_limited():
    tare = TareTracker()
    assert tare.request(10.0) is True
    assert tare.request(10.2) is False   # within 0.25 s
    assert tare.request(10.26) is True


def test_tare_is_seen_when_the_weight_comes_near_zero():
    tare = TareTracker()
    assert tare.observe(1.0, 20.0) is TareOutcome.NONE  # nothing requested
    tare.request(1.0)
    assert tare.observe(1.1, 20.0) is TareOutcome.NONE
    assert tare.observe(1.2, 0.04) is TareOutcome.SEEN
    assert tare.requested is False
    assert tare.observe(1.3, 0.0) is TareOutcome.NONE  # seen only once


def test_tare_times_out_after_a_second():
    tare = TareTracker()
    tare.request(1.0)
    assert tare.observe(2.01, 0.0) is TareOutcome.TIMED_OUT
    assert tare.requested is False


def test_hold_at_tare_wants_a_tare_away_from_zero():
    tare = TareTracker()
    assert tare.wants_tare(3.0) is False
    tare.hold_at_tare = True
    assert tare.wants_tare(3.0) is True
    assert tare.wants_tare(0.01) is False
