"""The scale processor: raw weight reports in, WeightAndFlowUpdate fields and a flow estimate out.

Per report (reference part D, plus what pyDE1 lacks):

1. the period estimator sees the arrival time (and says when to persist it);
2. a report more than 0.8 s after the previous one ends everything: history and filter
   are cleared and the report is discarded (pyDE1's gap rule);
3. the Kalman filter judges the reading: spikes and frozen repeats are rejected and
   counted, never reaching the history (so the pyDE1 estimators do not see them either);
   readings a level shift or a thaw turned into believed ones are added late;
4. the pyDE1 estimators run on the history whenever it changed.

Pure and single-threaded: the actor feeds it in arrival order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pyde1.scale.estimate import FlowEstimate
from pyde1.scale.history import GAP_S, Estimates, WeightHistory
from pyde1.scale.kalman import FilterConfig, FlowFilter, Verdict
from pyde1.scale.period import NOMINAL_PERIOD_S, PeriodEstimator

#: A level shift bigger than this (a tare, the cup lifted) also clears the pyDE1 history.
LEVEL_JUMP_G = 5.0


@dataclass(frozen=True)
class ProcessorConfig:
    filter: FilterConfig = field(default_factory=FilterConfig)
    nominal_period: float = NOMINAL_PERIOD_S
    gap_s: float = GAP_S
    level_jump_g: float = LEVEL_JUMP_G


@dataclass(frozen=True, slots=True)
class Processed:
    """The outcome of one report.

    ``verdict`` is None when the report was discarded after a gap. ``estimates`` is set
    when the history changed (publish a WeightAndFlowUpdate). ``flow`` is the filter's
    current estimate (None until it has a reading). ``persist_period`` is the period to
    store now, when one is due.
    """

    verdict: Verdict | None
    estimates: Estimates | None
    flow: FlowEstimate | None
    persist_period: float | None = None


class ScaleProcessor:
    def __init__(self, config: ProcessorConfig = ProcessorConfig(),
                 period: float | None = None) -> None:
        self.config = config
        self.history = WeightHistory()
        self.filter = FlowFilter(config.filter)
        self.period = PeriodEstimator(config.nominal_period)
        if period is not None:
            self.period.restore(period)
        self.counts: Counter[str] = Counter()
        self._last_scale_time: float | None = None
        self._sensor_lag = 0.0

    def reset(self) -> None:
        """Tare seen, or another scale: start over (the period estimate is kept)."""
        self.history.reset()
        self.filter.reset()
        self._last_scale_time = None
        self.counts["resets"] += 1

    def set_nominal_period(self, nominal: float) -> None:
        self.period.set_nominal(nominal)

    def estimate(self) -> FlowEstimate | None:
        return self.filter.estimate(self._sensor_lag)

    def process(self, arrival_time: float, scale_time: float, weight: float) -> Processed:
        persist = self.period.observe(arrival_time)
        persist_value = self.period.value if persist else None
        last, self._last_scale_time = self._last_scale_time, scale_time
        if last is not None and scale_time - last > self.config.gap_s:
            self.history.reset()
            self.filter.reset()
            self.counts["gaps"] += 1
            return Processed(None, None, None, persist_value)
        self._sensor_lag = arrival_time - scale_time
        verdict = self.filter.update(scale_time, weight)
        self.counts[verdict.value] += 1
        changed = True
        if verdict in (Verdict.FIRST, Verdict.ACCEPTED, Verdict.CLIPPED):
            self.history.add(scale_time, weight)
        elif verdict in (Verdict.SHIFT, Verdict.RESUMED):
            if abs(self.filter.last_jump) >= self.config.level_jump_g:
                self.history.reset()
            for t, w in self.filter.believed:
                self.history.add(t, w)
        elif verdict is Verdict.THAWED:
            for t, w in self.filter.believed:
                self.history.add(t, w)
        else:
            changed = False
        estimates = self.history.estimates(self.period.value) if changed else None
        return Processed(verdict, estimates, self.estimate(), persist_value)

    def health(self) -> dict[str, int | float]:
        return {
            "rejected_spikes": self.counts[Verdict.SPIKE.value],
            "frozen_readings": self.counts[Verdict.FROZEN.value],
            "clipped": self.counts[Verdict.CLIPPED.value],
            "level_shifts": self.counts[Verdict.SHIFT.value],
            "bumps_resumed": self.counts[Verdict.RESUMED.value],
            "thawed": self.counts[Verdict.THAWED.value],
            "gaps": self.counts["gaps"],
            "resets": self.counts["resets"],
            "period_s": round(self.period.value, 5),
        }
