"""The weight history and the estimators that fill WeightAndFlowUpdate, as pyDE1 defines them.

Reference: devices-and-sequencing.md part D.2/D.3. The buffer keeps the newest
``HISTORY_LENGTH`` (scale time, weight) pairs; every estimator reports value *and* time
as 0 while it lacks samples. Flows divide by the smoothed scale period ``P`` rather than
the jittery timestamps, as pyDE1 does.

One deliberate difference (a pyDE1 quirk the reference flags): pyDE1's median flow
divides by 10 periods although its two median groups are centred 11 samples apart,
so it reads about 10 % high. We divide by 11 periods.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

#: Largest number of samples any estimator needs (median flow uses 16).
HISTORY_LENGTH = 16
#: A report more than this much newer than the previous one clears the history and is
#: itself discarded (a disconnect/reconnect, not a slow scale). Applied by the processor,
#: which also sees the reports it rejects.
GAP_S = 0.8
AVERAGE_WINDOW = 11
MEDIAN_FLOW_SPAN = 11  # sample positions between the centres of the two median groups


@dataclass(frozen=True, slots=True)
class Estimates:
    """The WeightAndFlowUpdate fields computed from the history (all in scale time)."""

    current_weight: float
    current_weight_time: float
    average_flow: float
    average_flow_time: float
    median_weight: float
    median_weight_time: float
    median_flow: float
    median_flow_time: float


class WeightHistory:
    """Parallel lists of scale times and weights, newest last."""

    def __init__(self, length: int = HISTORY_LENGTH) -> None:
        if length < HISTORY_LENGTH:
            raise ValueError(f"history length must be at least {HISTORY_LENGTH}, got {length}")
        self.length = length
        self.times: list[float] = []
        self.weights: list[float] = []

    def __len__(self) -> int:
        return len(self.times)

    def reset(self) -> None:
        self.times.clear()
        self.weights.clear()

    def add(self, scale_time: float, weight: float) -> None:
        """Append one report, dropping the oldest beyond the buffer length."""
        self.times.append(scale_time)
        self.weights.append(weight)
        if len(self.times) > self.length:
            del self.times[0]
            del self.weights[0]

    def estimates(self, period: float) -> Estimates:
        """All four estimators for the current contents, with the scale period ``period``."""
        if period <= 0:
            raise ValueError(f"scale period must be positive, got {period}")
        t, w, n = self.times, self.weights, len(self.times)
        current = (w[-1], t[-1]) if n >= 1 else (0.0, 0.0)
        if n >= AVERAGE_WINDOW:
            window_t = t[-AVERAGE_WINDOW:]
            window_w = w[-AVERAGE_WINDOW:]
            mean_t = sum(window_t) / AVERAGE_WINDOW
            average = ((window_w[-1] - window_w[0]) / ((AVERAGE_WINDOW - 1) * period), mean_t)
            median_w = (statistics.median(window_w), mean_t)
        else:
            average = median_w = (0.0, 0.0)
        if n >= HISTORY_LENGTH:
            recent = statistics.median(w[-5:-1])
            old = statistics.median(w[-16:-12])
            median_f = ((recent - old) / (MEDIAN_FLOW_SPAN * period), sum(t[-16:-1]) / 15)
        else:
            median_f = (0.0, 0.0)
        return Estimates(
            current_weight=current[0], current_weight_time=current[1],
            average_flow=average[0], average_flow_time=average[1],
            median_weight=median_w[0], median_weight_time=median_w[1],
            median_flow=median_f[0], median_flow_time=median_f[1],
        )
