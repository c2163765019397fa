"""``scripts/bench saw``: simulated espresso shots stopped on weight by the whole pyde1 stack.

Each shot runs a corpus profile on the simulated DE1 with the real actors (Bluetooth actor +
simulator, DE1, scale, scale processor, sequencer; see ``actors.bench.saw_rig``) and a
simulated scale of varied family, seed, sensor lag and noise. Some shots get a scale fault
(a spike, a bump on the cup, a frozen reading) while the cup fills. One rig is one setup (a
scale on a machine); it runs several shots in a row, so the sequencer learns its drip as it
would at home, starting cold on the first.

Figures (grams unless stated; ``values`` hold one value per shot, so min/median/max are over
shots; the p95 figures hold one value):

* ``saw_abs_error`` |final − target| of the shots stopped on weight; ``*_p95``; the same for
  ``_clean`` (no fault) and ``_fault`` shots and per scale family; ``saw_signed_error``;
* ``saw_premature_stops``: final < target − 1 g, or a stop within 0.6 s of a fault with the
  cup more than 0.5 g short; ``saw_missed_stops``: the profile ended the shot;
* ``saw_decision_latency`` (real ms): the triggering scale notification's arrival at the
  Bluetooth actor to the stop request reaching the DE1 model, for stops decided on a report;
  ``*_p50`` / ``*_p99``; ``saw_sim_lag`` (simulated ms) from the decision's trigger to the DE1
  model, the check that the speed-up did not leak into the physics;
* ``saw_shots``, ``saw_failed_shots``, ``saw_wall_seconds``.

See docs/stop-at-weight.md, "Simulated benchmark", for the clock and what the figures mean.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from actors.bench.figures import Figure, percentile
from actors.bench.saw_rig import Fault, SawRig, ScaleSetup, ShotRecord

ROOT = Path(__file__).resolve().parents[2]
CORPUS_PROFILES = ROOT.parent / "shared" / "corpus" / "profiles-json"
OWN_PROFILES = (ROOT / "conf" / "profiles", ROOT / "tests" / "data" / "profiles")
SHOTS = 216
SHOTS_PER_RIG = 9
SPEEDUP = 10.0          # see the doc: the highest at which the measured sim lag stays ~0
FAMILIES = ("skale", "acaia", "acaia_pyxis", "felicita", "decent", "bookoo")
FAULT_EVERY = 4         # every 4th shot gets a scale fault
TARGET_RANGE = (20.0, 70.0)   # espresso targets; allongés and filter drinks are left out
PREMATURE_G = 1.0
FAULT_WINDOW_S = 0.6

log = logging.getLogger("pyde1.bench.saw")


def load_profiles(directory: Path | None = None) -> list[tuple[str, bytes, float]]:
    """(name, JSON bytes, target weight) of every espresso profile a DE1 can run with a
    target in TARGET_RANGE; the corpus when present, else the project's own profiles."""
    from pyde1.profile import ProfileError, plan_source

    dirs = [directory] if directory else ([CORPUS_PROFILES] if CORPUS_PROFILES.is_dir() else list(OWN_PROFILES))
    out = []
    for d in dirs:
        for path in sorted(Path(d).glob("*.json")):
            source = path.read_bytes()
            try:
                plan = plan_source(source)
                kind = json.loads(source).get("beverage_type", "espresso")
            except (ProfileError, ValueError):
                continue
            target = plan.target_weight or 0.0
            if kind == "espresso" and TARGET_RANGE[0] <= target <= TARGET_RANGE[1]:
                out.append((path.stem, source, float(target)))
    if not out:
        raise FileNotFoundError(f"no runnable espresso profile with a target weight in {dirs}")
    return out


def plan_setups(n: int, seed: int) -> list[ScaleSetup]:
    """n scale setups: the families in turn, each with its own seed, lag and noise."""
    rng = random.Random(seed)
    setups = []
    for i in range(n):
        kind = FAMILIES[i % len(FAMILIES)]
        lag = None if i % 3 == 0 else round(rng.uniform(0.1, 0.45), 3)
        setups.append(ScaleSetup(kind, seed=seed * 1000 + i, sensor_lag=lag,
                                 noise_factor=round(rng.uniform(0.6, 2.0), 2)))
    return setups


def plan_fault(rng: random.Random, index: int, fault_every: int) -> Fault | None:
    if not fault_every or index % fault_every != fault_every - 1:
        return None
    kind = ("spike", "bump", "freeze")[(index // fault_every) % 3]
    at = rng.uniform(0.3, 0.97)
    if kind == "spike":
        return Fault("spike", at, rng.choice((-1, 1)) * rng.uniform(3, 30))
    if kind == "bump":
        return Fault("bump", at, rng.uniform(10, 30), rng.uniform(0.3, 0.6))
    return Fault("freeze", at, 0.0, rng.uniform(0.5, 1.2))


def run_shots(shots: int = SHOTS, speedup: float = SPEEDUP, shots_per_rig: int = SHOTS_PER_RIG,
              seed: int = 1, profiles_dir: Path | None = None, fault_every: int = FAULT_EVERY,
              progress: Callable[[ShotRecord], None] | None = None) -> tuple[list[ShotRecord], dict]:
    """Run the shots; returns the records and a summary of the run (rigs, wall time)."""
    import pykka

    profiles = load_profiles(profiles_dir)
    rng = random.Random(seed)
    order = [profiles[i % len(profiles)] for i in range(shots)]
    rng.shuffle(order)
    setups = plan_setups(math.ceil(shots / shots_per_rig), seed)
    records: list[ShotRecord] = []
    t0 = time.monotonic()
    for r, setup in enumerate(setups):
        batch = order[r * shots_per_rig:(r + 1) * shots_per_rig]
        rig = SawRig(setup, speedup, de1_seed=seed * 100 + r)
        ran = 0
        try:
            rig.start()
            for name, source, target in batch:
                fault = plan_fault(rng, len(records), fault_every)
                try:
                    rec = rig.shot(name, source, target, fault)
                except Exception as exc:  # one broken shot is reported; the rig is not trusted after
                    rec = ShotRecord(name, target, setup.label(), error=f"{type(exc).__name__}: {exc}")
                records.append(rec)
                ran += 1
                if progress:
                    progress(rec)
                if rec.error:
                    break
        except Exception as exc:
            log.warning("rig %s failed: %s", setup.label(), exc)
        finally:
            try:
                rig.stop()
            finally:
                pykka.ActorRegistry.stop_all(block=True, timeout=10)
        for name, _, target in batch[ran:]:
            records.append(ShotRecord(name, target, setup.label(), error="not run: its rig failed"))
    return records, {"wall_seconds": time.monotonic() - t0, "rigs": len(setups), "speedup": speedup,
                     "profiles": len(profiles)}


# -- figures --------------------------------------------------------------------------------

def is_premature(rec: ShotRecord) -> bool:
    if rec.final is None or rec.stop_reason is None:
        return False
    short = rec.target - rec.final
    near_fault = rec.fault_before_stop_s is not None and 0 <= rec.fault_before_stop_s <= FAULT_WINDOW_S
    return short > PREMATURE_G or (near_fault and short > 0.5)


def figures(records: list[ShotRecord], meta: dict) -> list[Figure]:
    done = [r for r in records if not r.error and r.final is not None]
    weight = [r for r in done if r.stop_reason == "weight"]
    out: list[Figure] = []

    def errors(name: str, recs: list[ShotRecord], what: str) -> None:
        vals = [abs(r.signed_error) for r in recs]
        if not vals:
            return
        note = (f"{what}; n={len(vals)}, mean {statistics.fmean(vals):.3f} g, "
                f"p95 {percentile(vals, 95):.3f} g")
        out.append(Figure(name, "g", vals, note=note, better="lower"))
        out.append(Figure(name + "_p95", "g", [percentile(vals, 95)], note=f"{what}; n={len(vals)}",
                          better="lower"))

    errors("saw_abs_error", weight, "|final - target| per shot stopped on weight (target: median <= 0.3, p95 <= 0.8)")
    errors("saw_abs_error_clean", [r for r in weight if not r.fault], "shots without a scale fault")
    errors("saw_abs_error_fault", [r for r in weight if r.fault], "shots with a spike, bump or freeze")
    for fam in FAMILIES:
        recs = [r for r in weight if r.scale.startswith(fam + "/")]
        vals = [abs(r.signed_error) for r in recs]
        if vals:
            out.append(Figure(f"saw_abs_error_{fam}", "g", vals, better="lower",
                              note=f"n={len(vals)}, mean {statistics.fmean(vals):.3f} g"))
    if weight:
        signed = [r.signed_error for r in weight]
        out.append(Figure("saw_signed_error", "g", signed, better="lower",
                          note=f"final - target; bias {statistics.fmean(signed):+.3f} g"))
    premature = [r for r in done if is_premature(r)]
    out.append(Figure("saw_premature_stops", "shots", [len(premature)], better="lower",
                      note="; ".join(f"{r.profile} {r.scale} {r.fault or 'no fault'}: "
                                     f"{r.signed_error:+.2f} g" for r in premature)[:2000]))
    missed = [r for r in done if r.stop_reason != "weight"]
    past = [r for r in missed if r.final >= r.target]
    out.append(Figure("saw_missed_stops_past_target", "shots", [len(past)], better="lower",
                      note="missed stops whose cup reached the target (the sequencer's fault); the "
                           "others are profiles that end before the simulated cup holds the target"))
    out.append(Figure("saw_missed_stops", "shots", [len(missed)], better="lower",
                      note="; ".join(f"{r.profile}: {r.stop_reason or 'profile ended'} at "
                                     f"{r.final:.1f}/{r.target:g} g" for r in missed)[:2000]))
    lat = [r.latency_real_ms for r in weight if r.latency_real_ms is not None]
    if lat:
        n_timer = sum(1 for r in weight if r.scheduled and r.latency_real_ms is not None)
        out.append(Figure("saw_decision_latency", "ms", lat, better="lower",
                          note=f"real time to the stop request reaching the DE1 model, from the triggering scale "
                               f"notification's arrival at the Bluetooth actor ({len(lat) - n_timer} stops) or, for "
                               f"stops the sequencer timed between reports, from the moment it chose ({n_timer})"))
        out.append(Figure("saw_decision_latency_p50", "ms", [percentile(lat, 50)], better="lower"))
        out.append(Figure("saw_decision_latency_p99", "ms", [percentile(lat, 99)], better="lower",
                          note="target <= 5 ms"))
        for name, pick in (("report", False), ("timer", True)):
            part = [r.latency_real_ms for r in weight if r.latency_real_ms is not None and r.scheduled is pick]
            if part:
                out.append(Figure(f"saw_decision_latency_{name}", "ms", part, better="lower",
                                  note=f"n={len(part)}, p99 {percentile(part, 99):.2f} ms"))
    lag = [r.sim_lag_ms for r in weight if r.sim_lag_ms is not None]
    if lag:
        sched = sum(1 for r in weight if r.scheduled)
        out.append(Figure("saw_sim_lag", "ms", lag, better="lower",
                          note=f"simulated time from the trigger (report or timer moment) to the stop at the "
                               f"DE1 model; {sched} of {len(weight)} stops from the timer"))
    grams = [r.sim_lag_ms / 1000 * r.flow_at_stop for r in weight
             if r.sim_lag_ms is not None and r.flow_at_stop is not None]
    if grams:
        out.append(Figure("saw_sim_lag_grams", "g", grams, better="lower",
                          note="the sim lag times the flow at the stop: what the speed-up may add to a "
                               "shot's final weight (live, the same path costs ~1-3 ms)"))
    out.append(Figure("saw_shots", "shots", [len(done)], note=f"{meta['rigs']} rigs, "
                      f"{meta['profiles']} profiles, speed-up {meta['speedup']:g}", better="higher"))
    out.append(Figure("saw_failed_shots", "shots", [len(records) - len(done)], better="lower",
                      note="; ".join(sorted({r.error for r in records if r.error}))[:500]))
    out.append(Figure("saw_wall_seconds", "s", [round(meta["wall_seconds"], 1)], better="lower"))
    return out


def run(shots: int = SHOTS, speedup: float = SPEEDUP, **kw: Any) -> list[Figure]:
    """The runner's entry. With ``PYDE1_BENCH_SAW_RECORDS=FILE`` in the environment every
    shot's record is also written to FILE (JSON), for a closer look."""
    records, meta = run_shots(shots, speedup, **kw)
    path = os.environ.get("PYDE1_BENCH_SAW_RECORDS")
    if path:
        write_records(Path(path), records, meta)
    return figures(records, meta)


def write_records(path: Path, records: list[ShotRecord], meta: dict) -> None:
    path.write_text(json.dumps({"meta": meta, "shots": [asdict(r) for r in records]}, indent=1))


def main(argv: list[str] | None = None) -> int:
    """``python -m actors.bench.saw [SHOTS] [SPEEDUP] [--records FILE]``: run and print."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m actors.bench.saw")
    p.add_argument("shots", nargs="?", type=int, default=SHOTS)
    p.add_argument("speedup", nargs="?", type=float, default=SPEEDUP)
    p.add_argument("--per-rig", type=int, default=SHOTS_PER_RIG)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--records", help="write every shot's record (JSON) to this file")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    records, meta = run_shots(args.shots, args.speedup, args.per_rig, args.seed,
                              progress=lambda r: print(_line(r), file=sys.stderr, flush=True))
    if args.records:
        write_records(Path(args.records), records, meta)
    print(json.dumps([f.summary() for f in figures(records, meta)], indent=1))
    return 0


def _line(r: ShotRecord) -> str:
    if r.error:
        return f"{r.profile:32} {r.scale:40} ERROR {r.error}"
    err = f"{r.signed_error:+.2f}" if r.final is not None else "?"
    lat = f"{r.latency_real_ms:.2f}ms" if r.latency_real_ms is not None else "timer"
    return (f"{r.profile[:32]:32} {r.scale:40} {r.stop_reason or 'profile':7} {err:>6} g "
            f"{lat:>8} lag {r.sim_lag_ms if r.sim_lag_ms is not None else '-'} {r.fault}")


if __name__ == "__main__":
    sys.exit(main())
