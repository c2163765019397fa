"""The scale's report period, estimated from arrival times and persisted per scale.

Reference: devices-and-sequencing.md part D.4. A very slow exponential average
(k = 1/10000, about 17 minutes at 10 Hz) of the arrival intervals shorter than 0.5 s.
Every 1000 accepted intervals the caller should persist :attr:`PeriodEstimator.value`
(a plain float) under header ``scale.period``, key = the scale's address; on connect,
:meth:`restore` it.
"""

from __future__ import annotations

import math

NOMINAL_PERIOD_S = 0.1
SMOOTHING = 1.0 / 10000
MAX_INTERVAL_S = 0.5
PERSIST_EVERY = 1000
PERSIST_HEADER = "scale.period"


class PeriodEstimator:
    def __init__(self, nominal: float = NOMINAL_PERIOD_S, smoothing: float = SMOOTHING,
                 max_interval: float = MAX_INTERVAL_S, persist_every: int = PERSIST_EVERY) -> None:
        if not 0 < smoothing <= 1:
            raise ValueError(f"smoothing must be in (0, 1], got {smoothing}")
        self.smoothing = smoothing
        self.max_interval = max_interval
        self.persist_every = persist_every
        self._last_arrival: float | None = None
        self.set_nominal(nominal)

    def set_nominal(self, nominal: float) -> None:
        """A new nominal period (a scale class change) restarts the estimate from it."""
        _check_period(nominal, "nominal period")
        self.nominal: float = float(nominal)
        self.value: float = float(nominal)
        self.accepted = 0

    def restore(self, value: float) -> None:
        """Continue from a persisted estimate."""
        _check_period(value, "persisted scale period")
        self.value = float(value)
        self.accepted = 0

    def forget_arrival(self) -> None:
        """After a disconnect the next interval means nothing."""
        self._last_arrival = None

    def observe(self, arrival_time: float) -> bool:
        """Count one report. Returns True when the estimate is due to be persisted."""
        last, self._last_arrival = self._last_arrival, arrival_time
        if last is None:
            return False
        delta = arrival_time - last
        if not 0 <= delta < self.max_interval:
            return False
        self.value += self.smoothing * (delta - self.value)
        self.accepted += 1
        return self.accepted % self.persist_every == 0


def _check_period(value: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 < value < MAX_INTERVAL_S:
        raise ValueError(f"{what} must be a number of seconds in (0, {MAX_INTERVAL_S}), got {value!r}")
