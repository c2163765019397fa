"""``scripts/bench saw``: a small run of simulated shots through the whole stack produces the
figures with sane values (finite errors, no premature stop, latency measured)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

saw = pytest.importorskip("actors.bench.saw", reason="the simulated benchmark is not part of this build")
from actors.bench.saw_rig import ShotRecord  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_profiles_fall_back_to_the_projects_own_when_shared_is_absent():
    own = [p for d in saw.OWN_PROFILES for p in saw.load_profiles(d)]
    assert {name for name, _, _ in own} >= {"demo"}
    assert all(saw.TARGET_RANGE[0] <= target <= saw.TARGET_RANGE[1] for _, _, target in own)


def test_the_plan_varies_families_lag_noise_and_faults():
    setups = saw.plan_setups(12, seed=3)
    assert {s.kind for s in setups} == set(saw.FAMILIES)
    assert len({s.sensor_lag for s in setups}) > 3 and len({s.noise_factor for s in setups}) > 3
    rng = random.Random(1)
    faults = [saw.plan_fault(rng, i, 4) for i in range(24)]
    assert sum(f is not None for f in faults) == 6
    assert {f.kind for f in faults if f} == {"spike", "bump", "freeze"}


def test_premature_means_short_by_a_gram_or_stopped_on_a_fault():
    def rec(final, fault_before=None):
        return ShotRecord("p", 36.0, "skale/x", final=final, stop_reason="weight",
                          fault_before_stop_s=fault_before)
    assert saw.is_premature(rec(34.9))
    assert not saw.is_premature(rec(35.2))
    assert saw.is_premature(rec(35.4, fault_before=0.3))
    assert not saw.is_premature(rec(35.4, fault_before=2.0))
    assert not saw.is_premature(ShotRecord("p", 36.0, "s", final=20.0, stop_reason=None))  # missed


def test_a_small_run_produces_sane_figures():
    """6 shots on two setups (one with a fault) at the benchmark's speed-up."""
    records, meta = saw.run_shots(shots=6, shots_per_rig=3, seed=7, fault_every=3,
                                  profiles_dir=ROOT / "conf" / "profiles")
    assert len(records) == 6 and not [r.error for r in records if r.error]
    assert sum(1 for r in records if r.fault) == 2
    # the faults really fired on the simulated scale before the stop
    assert all(r.fault_before_stop_s is not None and r.fault_before_stop_s > 0 for r in records if r.fault)
    weight = [r for r in records if r.stop_reason == "weight"]
    assert len(weight) == 6, [(r.profile, r.stop_reason, r.final) for r in records]
    for r in weight:
        assert math.isfinite(r.signed_error) and abs(r.signed_error) < 1.5, r
        assert not saw.is_premature(r), r
    figs = {f.name: f.summary() for f in saw.figures(records, meta)}
    assert figs["saw_premature_stops"]["max"] == 0
    assert figs["saw_missed_stops"]["max"] == 0
    assert figs["saw_shots"]["max"] == 6 and figs["saw_failed_shots"]["max"] == 0
    assert figs["saw_abs_error"]["runs"] == 6 and 0 <= figs["saw_abs_error"]["median"] < 1.0
    assert figs["saw_abs_error_p95"]["runs"] == 1
    lat = figs.get("saw_decision_latency_p99") or figs["saw_sim_lag"]
    assert lat["max"] is not None and 0 <= lat["max"] < 1000


def test_the_runner_knows_saw():
    from actors.bench.__main__ import BENCHMARKS
    assert BENCHMARKS["saw"][:2] == ("actors.bench.saw", "run")

