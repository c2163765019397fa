"""What the scale processor knows about the cup at one moment: weight, flow, how sure, how old.

Times are wall-clock instants. ``time`` is a *scale time*: the arrival time of the reading
minus the scale's sensor lag, i.e. when the weight was physically on the platform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FlowEstimate:
    """The Kalman filter's state after its newest accepted reading.

    ``flow_latency`` is how far (seconds) the flow estimate runs behind a change of
    flow in steady state: a flow ramping at a g/s² reads about ``a * flow_latency`` low.
    ``period`` is the mean interval between readings with distinct times (bursts of
    readings stamped alike count once): how often a new decision point comes.
    ``sensor_lag`` is arrival time minus scale time of the newest reading, so the
    reading's arrival time is ``time + sensor_lag``. ``started`` is the scale time at
    which the filter last (re)started (first reading, tare, level shift, thaw).
    """

    time: float
    weight: float
    flow: float
    weight_sd: float
    flow_sd: float
    flow_latency: float
    samples: int
    period: float
    sensor_lag: float = 0.0
    frozen: bool = False
    started: float = 0.0

    def weight_at(self, t: float) -> float:
        """Cup weight extrapolated at constant flow to scale time ``t``."""
        return self.weight + self.flow * (t - self.time)

    def age(self, now: float) -> float:
        """Seconds between the moment the newest accepted weight was on the scale and ``now``."""
        return now - self.time

    def arrival_age(self, now: float) -> float:
        """Seconds since the newest accepted reading arrived (0: it just arrived)."""
        return now - self.time - self.sensor_lag

    def is_finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.time, self.weight, self.flow))
