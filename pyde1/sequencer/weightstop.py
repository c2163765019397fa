"""Deciding when to stop on weight, and learning the setup's drip from the result.

Two sources, best first:

* the scale processor's Kalman :class:`~pyde1.scale.FlowEstimate` (published next to every
  WeightAndFlowUpdate) through :class:`pyde1.stopat.StopPredictor`: it refuses to decide on
  an estimate it cannot trust (settling, frozen, stale, a bump), and its lead includes the
  drip learned from this setup's earlier shots;
* without estimates (no Kalman filter upstream, or none for 2 s), the reference rule on the
  WeightAndFlowUpdate (:mod:`pyde1.sequencer.weight`: bump resist, spike guard, 0.34 s lead).

Either way the verdict names the ideal send moment; the rules send the stop at once when it
has passed, or schedule it when it falls before the next report is due, so the stop is not
late by up to a report period as it is in pyDE1.

Learning: with it on, the reference's ``STOP_AT_WEIGHT_ADJUST`` (−0.07 s) becomes the starting
drip (+0.07 s) and the predictor's trim is 0, so the first shot stops exactly as pyDE1 would;
every shot stopped on weight then updates the drip (:func:`pyde1.stopat.learn`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyde1.events import ShotSampleWithVolumesUpdate, WeightAndFlowUpdate
from pyde1.scale.estimate import FlowEstimate
from pyde1.sequencer.params import SequencerParams
from pyde1.sequencer.weight import choose_reading, weight_stop_moment
from pyde1.stopat import Decision, LeadState, ShotOutcome, StopPredictor, StopSettings, learn
from pyde1.stopat.learning import DEFAULT_DRIP_S

#: estimates older than this (by arrival) mean the processor no longer sends them
ESTIMATES_LAPSE_S = 2.0


@dataclass(frozen=True, slots=True)
class WeightVerdict:
    stop: bool
    moment: float | None       # the ideal moment to send the stop, when known
    trigger_time: float        # arrival time of the reading behind the verdict
    source: str                # "predictor" or "reference"
    decision: str = ""         # the predictor's decision when it made the call


PYDE1_DEFAULT_ADJUST_S = -0.07


class WeightStop:
    def __init__(self, params: SequencerParams, lead: LeadState | None = None,
                 learning: bool = True) -> None:
        self.params = params
        self.learning = learning
        timing = params.timing
        self.settings = StopSettings(stop_delay_s=timing.stop_lead_time, fall_time_s=timing.fall_time,
                                     adjust_s=0.0 if learning else timing.adjust)
        self.lead = lead if lead is not None else self.prior()
        self.predictor = StopPredictor(self.settings, self.lead)
        self.estimate: FlowEstimate | None = None
        self.estimate_arrival: float | None = None
        self.stop_estimate: FlowEstimate | None = None
        self.stop_time: float | None = None
        self.last_decision = ""

    def prior(self) -> LeadState:
        """What a setup with no history starts from: the predictor's calibrated default.

        ``de1.STOP_AT_WEIGHT_ADJUST`` stays a user trim, measured from pyDE1's default of
        -0.07 s: pyDE1 needed that value to make up for its own constants, which our
        predictor does not share (starting from -adjust made the replayed real shots stop
        about 0.24 g early, 0.42 g mean error instead of 0.32 g)."""
        trim = self.params.timing.adjust - PYDE1_DEFAULT_ADJUST_S
        return LeadState(drip_s=DEFAULT_DRIP_S - trim) if self.learning else LeadState()

    def set_lead(self, lead: LeadState) -> None:
        self.lead = lead
        self.predictor = StopPredictor(self.settings, lead)

    def new_sequence(self) -> None:
        self.stop_estimate = self.stop_time = None

    # -- inputs ---------------------------------------------------------------------------------
    def on_estimate(self, estimate: FlowEstimate) -> None:
        self.estimate = estimate
        self.estimate_arrival = estimate.time + estimate.sensor_lag

    def uses_predictor(self, now: float) -> bool:
        return self.estimate_arrival is not None and now - self.estimate_arrival <= ESTIMATES_LAPSE_S

    def decide_estimate(self, now: float, target: float) -> WeightVerdict | None:
        est = self.estimate
        if est is None:
            return None
        arrival = est.time + est.sensor_lag
        decision = self.predictor.decide(now, est, target)
        self.last_decision = decision.value
        if decision is Decision.STOP and est.weight >= target:
            return WeightVerdict(True, now, arrival, "predictor", decision.value)
        if decision in (Decision.STOP, Decision.WAIT):
            moment = self.predictor.send_time(est, target)
            return WeightVerdict(now >= moment, moment, arrival, "predictor", decision.value)
        return WeightVerdict(False, None, arrival, "predictor", decision.value)

    def decide_update(self, update: WeightAndFlowUpdate, sample: ShotSampleWithVolumesUpdate | None,
                      now: float, target: float) -> WeightVerdict:
        reading = choose_reading(update, self.params.bump, sample.group_flow if sample else None,
                                 sample.arrival_time if sample else None, now)
        moment = weight_stop_moment(reading, target, self.params.timing)
        self.last_decision = reading.source
        return WeightVerdict(moment is not None and now >= moment, moment, update.arrival_time,
                             "reference", reading.source)

    # -- learning -------------------------------------------------------------------------------
    def stopped(self, now: float) -> None:
        """The stop went out now: keep what the filter knew, to learn from the result."""
        if self.stop_time is None:
            self.stop_time, self.stop_estimate = now, self.estimate

    def outcome(self, final_weight: float) -> LeadState | None:
        """The new drip belief after a shot that ended at ``final_weight``; None if this shot
        teaches nothing (learning off, no estimate at the stop)."""
        if not self.learning or self.stop_estimate is None or self.stop_time is None:
            return None
        result = ShotOutcome(self.stop_estimate, self.stop_time, final_weight)
        lead = learn(self.lead, result, self.settings.stop_delay_s, self.settings.fall_time_s)
        if lead is self.lead:
            return None
        self.set_lead(lead)
        return lead
