"""Synthetic shots with known flow, lag and drip, for tests of the filter and the predictor.

The cup gains ``flow(t)`` g/s. A scale reports every ``period`` seconds (with arrival
jitter), the weight the cup had ``true_lag`` seconds before arrival, plus Gaussian noise,
rounded to ``resolution``. Faults can be injected: a one-reading spike, or a frozen
scale that repeats one value for a while. When the stop is sent at ``t``, water keeps
landing until ``t + stop_delay + fall + drip`` (drip expressed as seconds of flow), so
the final weight is exactly known.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pyde1.scale.processor import ScaleProcessor
from pyde1.stopat.learning import ShotOutcome
from pyde1.stopat.predictor import StopPredictor


def ramp_flow(start: float = 4.0, ramp: float = 3.0, level: float = 2.5,
              decline: float = 0.0) -> Callable[[float], float]:
    """0 before ``start``, a linear ramp to ``level`` g/s over ``ramp`` s, then a slow
    change of ``decline`` g/s per second (never below 0)."""
    def flow(t: float) -> float:
        if t < start:
            return 0.0
        if t < start + ramp:
            return level * (t - start) / ramp
        return max(0.0, level - decline * (t - start - ramp))
    return flow


@dataclass(frozen=True)
class Spike:
    at: float        # arrival time of the spiked reading
    grams: float


@dataclass(frozen=True)
class Freeze:
    start: float     # arrival time from which the scale repeats its last value
    duration: float


@dataclass(frozen=True)
class SyntheticShot:
    flow: Callable[[float], float] = field(default_factory=ramp_flow)
    period: float = 0.1
    jitter: float = 0.02
    noise_g: float = 0.08
    resolution: float = 0.1
    true_lag: float = 0.38
    assumed_lag: float = 0.38
    stop_delay: float = 0.10
    fall: float = 0.17
    drip_s: float = 0.0
    spikes: tuple[Spike, ...] = ()
    freezes: tuple[Freeze, ...] = ()
    duration: float = 90.0
    step: float = 0.005  # integration step of the cup weight

    def cup(self) -> Callable[[float], float]:
        """Cup weight at time t (integrated flow, cached on a fine grid)."""
        n = int(self.duration / self.step) + 2
        weights = [0.0] * n
        for i in range(1, n):
            t = i * self.step
            weights[i] = weights[i - 1] + self.step * 0.5 * (self.flow(t - self.step) + self.flow(t))

        def at(t: float) -> float:
            if t <= 0:
                return 0.0
            x = t / self.step
            i = min(int(x), n - 2)
            return weights[i] + (weights[i + 1] - weights[i]) * (x - i)
        return at

    def readings(self, seed: int = 0) -> Iterator[tuple[float, float, float]]:
        """(arrival time, scale time as the scale class computes it, reported weight)."""
        rng = random.Random(seed)
        cup = self.cup()
        frozen_value: float | None = None
        last = 0.0
        k = 0
        while True:
            k += 1
            arrival = k * self.period + rng.uniform(0, self.jitter)
            if arrival > self.duration:
                return
            value = cup(arrival - self.true_lag) + rng.gauss(0, self.noise_g)
            value = round(value / self.resolution) * self.resolution
            if any(f.start <= arrival < f.start + f.duration for f in self.freezes):
                frozen_value = last if frozen_value is None else frozen_value
                value = frozen_value
            else:
                frozen_value = None
            last = value
            spike = sum(s.grams for s in self.spikes if abs(arrival - s.at) < self.period / 2)
            yield arrival, arrival - self.assumed_lag, value + spike

    def final_weight(self, stop_time: float) -> float:
        """The settled cup weight if the stop is sent at ``stop_time``."""
        return self.cup()(stop_time + self.stop_delay + self.fall + self.drip_s)


@dataclass(frozen=True)
class ShotRun:
    stop_time: float | None
    final_weight: float | None
    outcome: ShotOutcome | None


def run_shot(shot: SyntheticShot, predictor: StopPredictor, target: float, seed: int = 0,
             processor_factory: Callable[[], ScaleProcessor] | None = None) -> ShotRun:
    """Play the shot reading by reading; the predictor decides when to stop."""
    processor = processor_factory() if processor_factory else ScaleProcessor()
    for arrival, scale_time, value in shot.readings(seed):
        processor.process(arrival, scale_time, value)
        estimate = processor.estimate()
        if predictor.should_stop(arrival, estimate, target):
            final = shot.final_weight(arrival)
            return ShotRun(arrival, final, ShotOutcome(estimate, arrival, final))
    return ShotRun(None, None, None)

