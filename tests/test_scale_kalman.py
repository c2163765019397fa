"""The robust Kalman flow filter on synthetic traces with known flow, spikes, shifts and freezes."""

from __future__ import annotations

import random

import pytest

from pyde1.scale import FilterConfig, FlowFilter, Verdict


def feed(flt: FlowFilter, readings) -> list[Verdict]:
    return [flt.update(t, w) for t, w in readings]


def trace(flow: float, seconds: float, period: float = 0.1, noise: float = 0.08, seed: int = 1,
          t0: float = 0.0, w0: float = 0.0, resolution: float = 0.1):
    rng = random.Random(seed)
    out = []
    for i in range(int(seconds / period)):
        t = t0 + i * period + rng.uniform(0, 0.02)
        w = w0 + flow * (t - t0) + rng.gauss(0, noise)
        out.append((t, round(w / resolution) * resolution))
    return out


@pytest.mark.parametrize("flow", [0.5, 1.5, 2.5, 4.0])
def test_flow_estimate_converges_to_the_true_flow(flow):
    flt = FlowFilter()
    readings = trace(flow, 8.0)
    verdicts = feed(flt, readings)
    e = flt.estimate()
    assert e.flow == pytest.approx(flow, abs=0.15)
    t_last = readings[-1][0]
    assert e.weight_at(t_last) == pytest.approx(flow * t_last, abs=0.12)
    assert verdicts.count(Verdict.SPIKE) == 0
    assert e.samples == len(readings)
    assert 0.1 < e.flow_latency < 3.0   # a finite, positive lag behind flow changes
    assert e.flow_sd < 0.5


def test_flow_ramp_is_followed_with_the_reported_latency():
    # The flow rises at 0.5 g/s^2: in steady state the estimate runs latency * 0.5 g/s low.
    flt = FlowFilter()
    rng = random.Random(3)
    a = 0.5
    for i in range(100):
        t = i * 0.1
        flt.update(t, 0.5 * a * t * t + rng.gauss(0, 0.02))
    e = flt.estimate(period=0.1)
    true_flow = a * e.time
    lag = (true_flow - e.flow) / a
    assert lag == pytest.approx(e.flow_latency, abs=0.25)


def test_a_spike_is_rejected_and_leaves_the_estimate_unchanged():
    flt = FlowFilter()
    readings = trace(2.0, 5.0)
    feed(flt, readings)
    before = flt.estimate()
    t = readings[-1][0] + 0.1
    assert flt.update(t, 2.0 * t + 8.0) is Verdict.SPIKE
    after = flt.estimate()
    assert (after.weight, after.flow, after.time) == (before.weight, before.flow, before.time)
    # the next good reading is accepted normally
    assert flt.update(t + 0.1, 2.0 * (t + 0.1)) in (Verdict.ACCEPTED, Verdict.CLIPPED)


def test_a_moderate_outlier_moves_the_estimate_by_a_bounded_amount():
    flt = FlowFilter()
    readings = trace(2.0, 5.0, noise=0.02)
    feed(flt, readings)
    before = flt.estimate()
    t = readings[-1][0] + 0.1
    verdict = flt.update(t, before.weight_at(t) + 0.9)  # inside the 1 g gate, beyond the clip
    after = flt.estimate()
    assert verdict is Verdict.CLIPPED
    assert after.weight - before.weight_at(t) < 0.5
    assert after.flow - before.flow < 1.0


def test_consistent_outliers_are_a_level_shift():
    flt = FlowFilter()
    feed(flt, trace(0.0, 2.0, noise=0.02, w0=250.0))   # a cup on the scale
    verdicts = feed(flt, [(2.0 + 0.1 * i, 0.0) for i in range(3)])  # tare
    assert verdicts == [Verdict.SPIKE, Verdict.SPIKE, Verdict.SHIFT]
    assert [w for _, w in flt.believed] == [0.0, 0.0, 0.0]   # the rejected ones, now believed
    assert flt.last_jump == pytest.approx(-250.0, abs=1.0)
    assert flt.estimate().weight == pytest.approx(0.0, abs=0.05)
    assert flt.update(2.3, 0.0) is Verdict.ACCEPTED


def test_a_bump_that_ends_resumes_the_trajectory_from_before_it():
    flt = FlowFilter()
    readings = trace(2.0, 6.0, noise=0.02)
    feed(flt, readings)
    before = flt.estimate()
    t0 = readings[-1][0]
    bump = [(t0 + 0.1 * i, 2.0 * (t0 + 0.1 * i) + 15.0) for i in range(1, 6)]   # +15 g for 0.5 s
    verdicts = feed(flt, bump)
    assert verdicts[:3] == [Verdict.SPIKE, Verdict.SPIKE, Verdict.SHIFT]
    after_bump = [(t0 + 0.1 * i, 2.0 * (t0 + 0.1 * i)) for i in range(6, 9)]
    verdicts = feed(flt, after_bump)
    assert verdicts == [Verdict.SPIKE, Verdict.SPIKE, Verdict.RESUMED]
    e = flt.estimate()
    assert e.started == before.started and e.samples == before.samples + 3
    assert e.flow == pytest.approx(2.0, abs=0.2)
    assert e.weight == pytest.approx(2.0 * after_bump[-1][0], abs=0.1)


def test_scattered_outliers_are_not_a_shift():
    flt = FlowFilter()
    feed(flt, trace(0.0, 2.0, noise=0.02, w0=20.0))
    verdicts = feed(flt, [(2.0, 30.0), (2.1, 45.0), (2.2, 26.0), (2.3, 60.0)])  # a cup being bumped
    assert verdicts == [Verdict.SPIKE] * 4
    assert flt.estimate().weight == pytest.approx(20.0, abs=0.1)


def test_a_frozen_scale_is_detected_and_the_filter_goes_back_to_before_it():
    flt = FlowFilter()
    readings = trace(2.5, 6.0, noise=0.02)
    feed(flt, readings)
    t, w = readings[-1]
    good = flt.estimate()
    verdicts = feed(flt, [(t + 0.1 * i, w) for i in range(1, 10)])
    assert Verdict.FROZEN in verdicts
    e = flt.estimate()
    assert e.frozen
    assert e.time == pytest.approx(good.time)      # back at the first reading of the value
    assert e.flow == pytest.approx(good.flow)
    # the scale recovers: the next reading continues the trend and is accepted
    t2 = t + 1.1
    assert flt.update(t2, good.weight_at(t2)) in (Verdict.ACCEPTED, Verdict.CLIPPED)
    assert not flt.estimate().frozen


def test_a_value_repeated_long_enough_is_believed():
    flt = FlowFilter()
    readings = trace(2.5, 6.0, noise=0.02)
    feed(flt, readings)
    t, w = readings[-1]
    verdicts = feed(flt, [(t + 0.1 * i, w) for i in range(1, 25)])
    assert Verdict.THAWED in verdicts
    e = flt.estimate()
    assert not e.frozen
    assert e.flow == 0.0 and e.weight == w


def test_a_steady_weight_without_flow_is_never_frozen():
    flt = FlowFilter()
    verdicts = feed(flt, [(0.1 * i, 12.3) for i in range(100)])
    assert Verdict.FROZEN not in verdicts and Verdict.SPIKE not in verdicts
    assert flt.estimate().flow == pytest.approx(0.0, abs=1e-6)


def test_bursts_with_equal_timestamps_are_accepted():
    # Skale-like: three readings per 0.15 s burst, all stamped with the burst's arrival.
    flt = FlowFilter()
    readings = []
    for k in range(60):
        t = 0.15 * k
        for j in range(3):
            readings.append((t, round((2.0 * (t - 0.1 + 0.05 * j)) / 0.1) * 0.1))
    verdicts = feed(flt, readings)
    assert verdicts.count(Verdict.SPIKE) == 0
    assert flt.estimate().flow == pytest.approx(2.0, abs=0.2)


def test_reset_forgets_everything():
    flt = FlowFilter()
    feed(flt, trace(2.0, 3.0))
    flt.reset()
    assert flt.estimate() is None
    assert flt.update(10.0, 5.0) is Verdict.FIRST


def test_bad_readings_and_bad_config_are_rejected_with_the_field_named():
    with pytest.raises(ValueError, match="finite"):
        FlowFilter().update(1.0, float("nan"))
    with pytest.raises(ValueError, match="weight_sd_g"):
        FilterConfig(weight_sd_g=0)
    with pytest.raises(ValueError, match="shift_samples"):
        FilterConfig(shift_samples=1)
    with pytest.raises(ValueError, match="frozen_believe_s"):
        FilterConfig(frozen_min_s=2.0, frozen_believe_s=1.0)
