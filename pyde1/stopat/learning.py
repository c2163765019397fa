"""Learning a setup's drip from its finished shots (one number, updated online).

After a shot, the cup's settled weight tells how much more landed than the stop moment's
estimate: ``implied drip_s = (final - estimate.weight_at(stop_time)) / flow - stop_delay
- fall_time``. That observation is noisy (its error is the reading error divided by the
flow, plus the shot-to-shot scatter of the drip itself), so it is merged by precision (a one-dimensional Kalman update), with two guards:

* an observation further than ``outlier_sigmas`` from the current belief is pulled in to
  that distance (a cup knocked, a shot stopped by hand), so one odd shot moves it little;
* the belief's variance grows by ``drift_s**2`` per shot, so a change of grinder, basket
  or scale is followed within a few shots.

:class:`LeadState` is a frozen value; ``to_json()``/``from_json()`` give a plain dict for
the database key-value table (header ``stopat.lead``, key = the setup, e.g. the scale's
address).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pyde1.scale.estimate import FlowEstimate

PERSIST_HEADER = "stopat.lead"
DEFAULT_DRIP_S = 0.0
DEFAULT_DRIP_SD_S = 0.15


class LeadStateError(ValueError):
    """A persisted lead state is malformed: names the key and what was wrong."""


@dataclass(frozen=True)
class LeadState:
    drip_s: float = DEFAULT_DRIP_S
    variance: float = DEFAULT_DRIP_SD_S ** 2
    shots: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"drip_s": self.drip_s, "variance": self.variance, "shots": self.shots}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeadState:
        if not isinstance(data, Mapping):
            raise LeadStateError(f"lead state must be an object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for key, kind in (("drip_s", float), ("variance", float), ("shots", int)):
            if key not in data:
                raise LeadStateError(f"lead state: key {key!r} is missing")
            value = data[key]
            ok = isinstance(value, int) if kind is int else isinstance(value, (int, float))
            if isinstance(value, bool) or not ok or not math.isfinite(value):
                raise LeadStateError(f"lead state: key {key!r} must be a finite {kind.__name__}, "
                                     f"got {value!r}")
            values[key] = kind(value)
        if values["variance"] <= 0:
            raise LeadStateError(f"lead state: key 'variance' must be positive, got {values['variance']}")
        if values["shots"] < 0:
            raise LeadStateError(f"lead state: key 'shots' must not be negative, got {values['shots']}")
        if abs(values["drip_s"]) > 5:
            raise LeadStateError(f"lead state: key 'drip_s' = {values['drip_s']} s is implausible")
        return cls(**values)


@dataclass(frozen=True)
class LearningSettings:
    reading_sd_g: float = 0.25   # error of final minus predicted, in grams, at a known drip
    shot_sd_s: float = 0.10      # how much one shot's drip differs from the setup's
    drift_s: float = 0.03        # how much the setup's drip may move between shots
    outlier_sigmas: float = 2.5
    min_flow: float = 0.5        # g/s: slower stops say little about the drip
    limit_s: float = 1.0         # |drip_s| is kept within this


@dataclass(frozen=True)
class ShotOutcome:
    """What a finished shot tells: the estimate used at the stop, when the stop was sent,
    and the cup's settled weight."""

    estimate: FlowEstimate
    stop_time: float
    final_weight: float


def implied_drip(outcome: ShotOutcome, stop_delay_s: float, fall_time_s: float) -> float | None:
    """The drip (s) that would have predicted this shot's final weight exactly."""
    e = outcome.estimate
    if e.flow <= 0:
        return None
    landed = outcome.final_weight - e.weight_at(outcome.stop_time)
    return landed / e.flow - stop_delay_s - fall_time_s


def learn(state: LeadState, outcome: ShotOutcome, stop_delay_s: float, fall_time_s: float,
          settings: LearningSettings = LearningSettings()) -> LeadState:
    """The state after one more finished shot (unchanged if the shot says too little)."""
    flow = outcome.estimate.flow
    observed = implied_drip(outcome, stop_delay_s, fall_time_s)
    if observed is None or flow < settings.min_flow or not math.isfinite(observed):
        return state
    obs_var = (settings.reading_sd_g / flow) ** 2 + settings.shot_sd_s ** 2
    total_sd = math.sqrt(state.variance + obs_var)
    innovation = observed - state.drip_s
    bound = settings.outlier_sigmas * total_sd
    innovation = max(-bound, min(bound, innovation))
    gain = state.variance / (state.variance + obs_var)
    drip = state.drip_s + gain * innovation
    drip = max(-settings.limit_s, min(settings.limit_s, drip))
    variance = (1 - gain) * state.variance + settings.drift_s ** 2
    return replace(state, drip_s=drip, variance=variance, shots=state.shots + 1)
