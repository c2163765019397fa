"""Final-weight prediction and the stop decision for stop-at-weight.

Model (times are wall-clock instants; the estimate's time is a scale time, i.e. when its
weight was on the platform, which already accounts for the scale's sensor lag): if the stop is sent at time ``t``, the valve closes ``stop_delay_s`` later, the water in
the air lands within ``fall_time_s``, and the puck and spout keep dripping for what
amounts to ``drip_s`` more seconds of the flow at the stop. So the cup ends at

    final(t) = w + f * (t - t_w + stop_delay_s + fall_time_s + drip_s)

where (w, f, t_w) is the filter's estimate. ``drip_s`` is learned per setup
(:mod:`pyde1.stopat.learning`); the rest are the reference's constants. The stop is
sent at the moment final(t) = target, or at the decision point nearest to it.

:meth:`StopPredictor.should_stop` never stops on an estimate it cannot trust: too few
readings since the filter (re)started, a frozen scale, a stale estimate, or a flow
beyond the bump threshold. The filter has already rejected spikes and clipped moderate
outliers, so a single reading can move the prediction by a bounded amount only.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields

from pyde1.scale.estimate import FlowEstimate
from pyde1.stopat.learning import LeadState

STOP_DELAY_S = 0.10  # stop command to valve closed (reference E.7 stop_lead_time)
FALL_TIME_S = 0.17   # about 14 cm of free fall into the cup (reference E.7)


@dataclass(frozen=True)
class StopSettings:
    stop_delay_s: float = STOP_DELAY_S
    fall_time_s: float = FALL_TIME_S
    #: user trim added to the send time; larger leaves more in the cup
    adjust_s: float = 0.0
    #: the newest accepted reading must have arrived at most this long ago
    max_arrival_age_s: float = 0.6
    #: readings and seconds of data since the filter (re)started before any decision
    min_samples: int = 5
    settle_s: float = 0.8
    #: flows outside [min_flow, max_flow] g/s are not extrapolated (max: a bump)
    min_flow: float = 0.3
    max_flow: float = 10.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"StopSettings.{f.name} must be a finite number, got {value!r}")
            if f.name != "adjust_s" and value < 0:
                raise ValueError(f"StopSettings.{f.name} must not be negative, got {value!r}")
        if self.max_flow <= self.min_flow:
            raise ValueError(f"StopSettings.max_flow ({self.max_flow}) must exceed min_flow ({self.min_flow})")


class Decision(enum.Enum):
    STOP = "stop"
    WAIT = "wait"                  # trusted estimate, target not reached yet
    NO_ESTIMATE = "no estimate"
    SETTLING = "settling"          # too few readings since the filter (re)started
    FROZEN = "frozen"
    STALE = "stale"
    FLOW_UNTRUSTED = "flow untrusted"  # flow below min_flow or above max_flow (a bump)

    @property
    def stop(self) -> bool:
        return self is Decision.STOP


class StopPredictor:
    def __init__(self, settings: StopSettings = StopSettings(), lead: LeadState = LeadState()) -> None:
        self.settings = settings
        self.lead = lead

    def lead_s(self) -> float:
        """Seconds of flow that still reach the cup after the stop is sent."""
        s = self.settings
        return s.stop_delay_s + s.fall_time_s + self.lead.drip_s - s.adjust_s

    def predict_final(self, estimate: FlowEstimate, stop_time: float) -> float:
        """Final cup weight if the stop is sent at (wall-clock) ``stop_time``."""
        return estimate.weight_at(stop_time + self.lead_s())

    def send_time(self, estimate: FlowEstimate, target: float) -> float:
        """When to send the stop for the cup to land on ``target`` (inf: never, no flow)."""
        if estimate.flow <= 0:
            return math.inf
        return estimate.time + (target - estimate.weight) / estimate.flow - self.lead_s()

    def decide(self, now: float, estimate: FlowEstimate | None, target: float) -> Decision:
        s = self.settings
        if estimate is None or not estimate.is_finite():
            return Decision.NO_ESTIMATE
        if estimate.frozen:
            return Decision.FROZEN
        if estimate.samples < s.min_samples or estimate.time - estimate.started < s.settle_s:
            return Decision.SETTLING
        if estimate.arrival_age(now) > s.max_arrival_age_s:
            return Decision.STALE
        if estimate.weight >= target:
            return Decision.STOP  # a filtered, accepted reading is already there
        if not s.min_flow <= estimate.flow <= s.max_flow:
            return Decision.FLOW_UNTRUSTED
        # Decisions come once per reading: stop now if the ideal moment is nearer to now
        # than to the next reading.
        if now >= self.send_time(estimate, target) - estimate.period / 2:
            return Decision.STOP
        return Decision.WAIT

    def should_stop(self, now: float, estimate: FlowEstimate | None, target: float) -> bool:
        """True when the stop should be sent now (``now``: the clock of the arrival times)."""
        return self.decide(now, estimate, target).stop


def should_stop(now: float, estimate: FlowEstimate | None, target: float,
                predictor: StopPredictor | None = None) -> bool:
    """:meth:`StopPredictor.should_stop` with the given predictor (default constants if None)."""
    return (predictor or StopPredictor()).should_stop(now, estimate, target)
