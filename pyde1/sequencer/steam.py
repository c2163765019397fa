"""Steam to temperature with a BlueDOT (devices-and-sequencing F.1).

The thermometer reports about once a second: too slow to stop within a degree when 100 g of
milk rises 2.5 °C/s. So the last few reports are fitted with a straight line, the moment the
line reaches the target is predicted, and steam is ended ``stop_lag`` before it (the time the
command takes to act). Unlike pyDE1, a falling or flat temperature never triggers (its
prediction lies in the past or nowhere).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyde1.events import BlueDOTUpdate, TemperatureUnit

_FREEZING = {TemperatureUnit.CELSIUS: 0.0, TemperatureUnit.FAHRENHEIT: 32.0}


@dataclass(frozen=True)
class SteamParams:
    stop_lag: float = 1.0
    skip_initial_seconds: float = 4.0
    max_samples: int = 5
    max_gap: float = 2.1                  # s between reports before the history restarts
    fast_rate: float = 1.0                # s between reports while steaming to temperature
    normal_rate: float = 10.0             # steam.IDLE_SECONDS_PER_SAMPLE

    @classmethod
    def from_config(cls, section: Any) -> SteamParams:
        def get(name: str, default: Any) -> Any:
            if section is None:
                return default
            value = section.get(name) if isinstance(section, Mapping) else getattr(section, name, None)
            return default if value is None else value
        d = cls()
        return cls(stop_lag=float(get("STOP_LAG", d.stop_lag)),
                   skip_initial_seconds=float(get("SKIP_INITIAL_SECONDS", d.skip_initial_seconds)),
                   max_samples=int(get("MAX_SAMPLES_FOR_ESTIMATE", d.max_samples)),
                   normal_rate=float(get("IDLE_SECONDS_PER_SAMPLE", d.normal_rate)))


class TemperatureTrend:
    """Least-squares line through the newest reports: the predicted time at the target."""

    def __init__(self, max_samples: int = 5, max_gap: float = 2.1) -> None:
        self.max_gap = max_gap
        self._samples: deque[tuple[float, float]] = deque(maxlen=max(2, max_samples))

    def reset(self) -> None:
        self._samples.clear()

    def add(self, time: float, temperature: float) -> None:
        if self._samples and time - self._samples[-1][0] > self.max_gap:
            self._samples.clear()
        self._samples.append((time, temperature))

    def fit(self) -> tuple[float, float] | None:
        """(temperature now, degrees per second) at the newest report; None with < 2 reports."""
        if len(self._samples) < 2:
            return None
        t_new = self._samples[-1][0]
        xs = [t - t_new for t, _ in self._samples]
        ys = [y for _, y in self._samples]
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs)
        if sxx == 0:
            return None
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
        return my - slope * mx, slope

    def time_at(self, target: float) -> float | None:
        """When the line reaches ``target`` (only for a rising temperature below it)."""
        fitted = self.fit()
        if fitted is None:
            return None
        now_value, slope = fitted
        if slope <= 0:
            return None
        return self._samples[-1][0] + (target - now_value) / slope


class SteamToTemperature:
    """Target from the thermometer's high alarm; active during a steam sequence."""

    def __init__(self, params: SteamParams) -> None:
        self.params = params
        self.trend = TemperatureTrend(params.max_samples, params.max_gap)
        self.target: float | None = None
        self.temperature: float | None = None
        self.active = False
        self.active_since = 0.0
        self.triggered = False

    def report(self, update: BlueDOTUpdate) -> None:
        freezing = _FREEZING.get(update.units, 0.0)
        if update.high_alarm > freezing:
            self.target = float(update.high_alarm)
        self.temperature = float(update.temperature)
        if self.active:
            self.trend.add(update.arrival_time, float(update.temperature))

    def activate(self, now: float) -> None:
        self.active, self.active_since, self.triggered = True, now, False
        self.trend.reset()

    def deactivate(self) -> None:
        self.active, self.triggered = False, False
        self.trend.reset()

    def trigger_moment(self) -> float | None:
        """When to end steam (never before the initial readings are skipped)."""
        if not self.active or self.triggered or self.target is None:
            return None
        at = self.trend.time_at(self.target)
        if at is None:
            return None
        return max(at - self.params.stop_lag, self.active_since + self.params.skip_initial_seconds)
