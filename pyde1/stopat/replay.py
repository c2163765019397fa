"""Replaying recorded shots through the scale processor and the stop-at-weight predictor.

:func:`replay_to_stop` feeds a shot's weight stream, at its recorded timing, into a fresh
:class:`~pyde1.scale.ScaleProcessor` up to the moment the recording's app stopped, as if
live, and keeps both our filter's estimate and pyDE1's WeightAndFlowUpdate estimators at
that moment. The evaluation schemes then predict the final weight from it:

* ``pyde1``: pyDE1's rule (current weight, average flow with bump resist, 0.34 s lead);
* ``cold``: our filter and model with the default constants, nothing learned;
* ``loo``: the drip learned from every *other* shot (leave-one-out);
* ``setup``: per setup, in recorded order, the drip learned online from that setup's
  earlier shots only, starting from what the *other* setups taught (leave-setup-out):
  what a new owner would see, shot after shot.

:func:`replay_decision` runs the predictor as the decision-maker on a shot with a
target: when would it have sent the stop, and what would the cup have weighed then.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pyde1.scale.estimate import FlowEstimate
from pyde1.scale.history import Estimates
from pyde1.scale.processor import ProcessorConfig, ScaleProcessor
from pyde1.stopat.corpus import ReplayShot
from pyde1.stopat.learning import LeadState, LearningSettings, ShotOutcome, learn
from pyde1.stopat.predictor import StopPredictor, StopSettings

# pyDE1's stop-at-weight constants (reference E.7, E.11)
PYDE1_LEAD_S = 0.100 + 0.17 - (-0.07)
PYDE1_BUMP_FLOW = 10.0

SCHEMES = ("pyde1", "cold", "loo", "setup")


@dataclass(frozen=True)
class StopState:
    """What the processor knew when the recording's app stopped the shot."""

    shot: ReplayShot
    estimate: FlowEstimate | None
    pyde1: Estimates | None
    counts: dict

    def outcome(self) -> ShotOutcome | None:
        if self.estimate is None or self.shot.final_weight is None:
            return None
        return ShotOutcome(self.estimate, self.shot.stop_time, self.shot.final_weight)


def replay_to_stop(shot: ReplayShot, config: ProcessorConfig = ProcessorConfig(),
                   until: float | None = None) -> StopState:
    """Feed the stream up to ``until`` (default: the app's stop) into a fresh processor."""
    end = shot.stop_time if until is None else until
    processor = ScaleProcessor(config, period=stream_period(shot))
    pyde1 = None
    for t, w in shot.stream:
        if t > end:
            break
        result = processor.process(t, t - shot.sensor_lag, w)
        if result.estimates is not None:
            pyde1 = result.estimates
        elif result.verdict is None:
            pyde1 = None
    return StopState(shot, processor.estimate(), pyde1, processor.health())


def stream_period(shot: ReplayShot) -> float:
    """The mean report interval of the stream: what pyDE1's period estimator converges to
    (and persists) for this scale; the replay starts from it as a live setup would."""
    gaps = [b[0] - a[0] for a, b in zip(shot.stream, shot.stream[1:]) if 0 <= b[0] - a[0] < 0.5]
    return sum(gaps) / len(gaps) if gaps else 0.1


def pyde1_prediction(state: StopState) -> float | None:
    """pyDE1's implied final weight if the stop goes out at the recorded stop moment."""
    e = state.pyde1
    if e is None:
        return None
    w, t_w, flow = e.current_weight, e.current_weight_time, e.average_flow
    if flow > PYDE1_BUMP_FLOW:  # bump resist without the DE1's flow: median flow and weight
        flow, w, t_w = e.median_flow, e.median_weight, e.median_weight_time
    flow = max(flow, 0.0)
    return w + flow * (state.shot.stop_time - t_w + PYDE1_LEAD_S)


def predict(state: StopState, lead: LeadState, settings: StopSettings = StopSettings()) -> float | None:
    if state.estimate is None:
        return None
    return StopPredictor(settings, lead).predict_final(state.estimate, state.shot.stop_time)


def _pooled(states: Sequence[StopState], settings: StopSettings, learning: LearningSettings) -> LeadState:
    """The drip learned from ``states`` as one pool (no drift between them)."""
    pooled = replace(learning, drift_s=1e-6)
    lead = LeadState()
    for st in sorted(states, key=lambda s: (s.shot.setup, s.shot.order)):
        outcome = st.outcome()
        if outcome is not None:
            lead = learn(lead, outcome, settings.stop_delay_s, settings.fall_time_s, pooled)
    return lead


@dataclass(frozen=True)
class Prediction:
    shot: ReplayShot
    scheme: str
    predicted: float
    error: float  # predicted - final (g)


def evaluate(states: Sequence[StopState], scheme: str, settings: StopSettings = StopSettings(),
             learning: LearningSettings = LearningSettings()) -> list[Prediction]:
    """Predictions of the final weight at the recorded stop, by ``scheme`` (see module doc)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    usable = [s for s in states if s.outcome() is not None]
    out: list[Prediction] = []

    def add(st: StopState, value: float | None) -> None:
        if value is not None and math.isfinite(value):
            out.append(Prediction(st.shot, scheme, value, value - st.shot.final_weight))

    if scheme == "pyde1":
        for st in usable:
            add(st, pyde1_prediction(st))
    elif scheme == "cold":
        for st in usable:
            add(st, predict(st, LeadState(), settings))
    elif scheme == "loo":
        for st in usable:
            others = [o for o in usable if o is not st]
            add(st, predict(st, _pooled(others, settings, learning), settings))
    else:
        by_setup: dict[str, list[StopState]] = defaultdict(list)
        for st in usable:
            by_setup[st.shot.setup].append(st)
        for setup, members in by_setup.items():
            lead = _pooled([o for o in usable if o.shot.setup != setup], settings, learning)
            for st in sorted(members, key=lambda s: s.shot.order):
                add(st, predict(st, lead, settings))
                lead = learn(lead, st.outcome(), settings.stop_delay_s, settings.fall_time_s, learning)
    return out


@dataclass(frozen=True)
class DecisionReplay:
    shot: ReplayShot
    send_time: float        # when our predictor would have sent the stop (s from shot start)
    final_estimate: float   # the cup's weight had it stopped then
    app_error: float        # recorded final - target
    our_error: float        # final_estimate - target


def replay_decision(shot: ReplayShot, lead: LeadState, settings: StopSettings = StopSettings(),
                    config: ProcessorConfig = ProcessorConfig()) -> DecisionReplay | None:
    """Run the predictor as the decision-maker on a shot with a target.

    The stream is only trustworthy as "what would have happened" up to the app's stop
    (after it, the flow falls because the app stopped). If our predictor fires before,
    the cup would have missed what landed in between: the flow at the app's stop times
    the difference; if it has not fired by then, its planned send time is extrapolated
    from the estimate at the app's stop. Either way the drip is the recording's own.
    """
    if shot.target is None or shot.final_weight is None:
        return None
    predictor = StopPredictor(settings, lead)
    processor = ScaleProcessor(config, period=stream_period(shot))
    fired: float | None = None
    for t, w in shot.stream:
        if t > shot.stop_time:
            break
        processor.process(t, t - shot.sensor_lag, w)
        if predictor.should_stop(t, processor.estimate(), shot.target):
            fired = t
            break
    at_stop = replay_to_stop(shot, config).estimate
    if at_stop is None:
        return None
    if fired is None:
        fired = max(shot.stop_time, predictor.send_time(at_stop, shot.target))
        if not math.isfinite(fired):
            return None
    final = shot.final_weight + max(at_stop.flow, 0.0) * (fired - shot.stop_time)
    return DecisionReplay(shot, fired, final, shot.final_weight - shot.target, final - shot.target)


def summary(errors: Sequence[float]) -> dict[str, float | int]:
    """MAE, median, p95 (nearest rank) and max of |error|, and the mean signed error."""
    if not errors:
        return {"n": 0}
    absolute = sorted(abs(e) for e in errors)
    n = len(absolute)
    p95 = absolute[max(0, min(n - 1, math.ceil(0.95 * n) - 1))]
    mid = n // 2
    median = absolute[mid] if n % 2 else (absolute[mid - 1] + absolute[mid]) / 2
    return {"n": n, "mae": sum(absolute) / n, "median": median, "p95": p95, "max": absolute[-1],
            "bias": sum(errors) / n}


def by_source(predictions: Sequence[Prediction],
              key: Callable[[ReplayShot], str] = lambda s: s.source) -> dict[str, dict]:
    groups: dict[str, list[float]] = defaultdict(list)
    for p in predictions:
        groups[key(p.shot)].append(p.error)
    return {k: summary(v) for k, v in sorted(groups.items())}
