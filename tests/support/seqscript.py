"""Driving the FlowSequencer rules by hand: DE1 states, samples and scale reports on a fake
clock, with every deadline the rules ask for honoured in order."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from pyde1.events import (BlueDOTUpdate, DeviceAvailability, DeviceAvailabilityState, DeviceRole,
                          SequencerGateNotification, ShotSampleWithVolumesUpdate, StateUpdate,
                          StopAtNotification, TemperatureUnit, WeightAndFlowUpdate)
from pyde1.scale.estimate import FlowEstimate
from pyde1.sequencer import FlowSequencer, Publish, SequencerParams
from pyde1.sequencer.actions import Log


def weight_update(t: float, weight: float, flow: float, *, lag: float = 0.0,
                  median_weight: float | None = None, median_flow: float | None = None,
                  average_flow: float | None = None) -> WeightAndFlowUpdate:
    """A processed scale report at ``t`` of a cup at ``weight`` rising at ``flow``."""
    wt = t - lag
    mw = weight - flow * 0.5 if median_weight is None else median_weight
    return WeightAndFlowUpdate(
        arrival_time=t, create_time=t, event_time=t, scale_time=wt, current_weight=weight,
        current_weight_time=wt, average_flow=flow if average_flow is None else average_flow,
        average_flow_time=wt - 0.5, median_weight=mw, median_weight_time=wt - 0.5,
        median_flow=flow if median_flow is None else median_flow, median_flow_time=wt - 0.8)


@dataclass
class Script:
    rules: FlowSequencer = None
    now: float = 1000.0
    state: tuple[str, str] = ("Idle", "NoState")
    actions: list = field(default_factory=list)
    frame: int = 0
    volume_pour: float = 0.0
    volume_total: float = 0.0

    def __post_init__(self) -> None:
        if self.rules is None:
            self.rules = make_rules()

    # -- inputs --------------------------------------------------------------------------------
    def to(self, state: str, substate: str = "NoState") -> Script:
        previous, self.state = self.state, (state, substate)
        ev = StateUpdate(state=state, substate=substate, previous_state=previous[0],
                         previous_substate=previous[1], is_error_state=False,
                         arrival_time=self.now, create_time=self.now)
        self.actions += self.rules.on_state(ev, self.now)
        return self

    def sample(self, pressure: float = 0.0, flow: float = 0.0, frame: int | None = None) -> Script:
        if frame is not None:
            self.frame = frame
        ev = ShotSampleWithVolumesUpdate(
            arrival_time=self.now, create_time=self.now, sample_time=0, group_pressure=pressure,
            group_flow=flow, mix_temp=90.0, head_temp=90.0, set_mix_temp=90.0, set_head_temp=90.0,
            set_group_pressure=9.0, set_group_flow=0.0, frame_number=self.frame, steam_temp=140.0,
            de1_time=self.now, volume_preinfuse=0.0, volume_pour=self.volume_pour,
            volume_total=self.volume_total, volume_by_frames=())
        self.actions += self.rules.on_shot_sample(ev, self.now)
        return self

    def weight(self, weight: float, flow: float, **kw) -> Script:
        self.actions += self.rules.on_weight(weight_update(self.now, weight, flow, **kw), self.now)
        return self

    def estimate(self, weight: float, flow: float, *, lag: float = 0.0, samples: int = 50,
                 started: float | None = None, frozen: bool = False, period: float = 0.1) -> Script:
        """The scale processor's filter estimate for a report arriving now."""
        est = FlowEstimate(time=self.now - lag, weight=weight, flow=flow, weight_sd=0.05,
                           flow_sd=0.05, flow_latency=0.3, samples=samples, period=period,
                           sensor_lag=lag, frozen=frozen,
                           started=self.now - 10.0 if started is None else started)
        self.actions += self.rules.on_estimate(est, self.now)
        return self

    def bluedot(self, temperature: float, high_alarm: float = 65.0) -> Script:
        ev = BlueDOTUpdate(temperature=temperature, high_alarm=high_alarm,
                           units=TemperatureUnit.CELSIUS, alarm_byte="00", name="BlueDOT",
                           arrival_time=self.now, create_time=self.now)
        self.actions += self.rules.on_bluedot(ev, self.now)
        return self

    def scale(self, state: DeviceAvailabilityState, role: DeviceRole = DeviceRole.SCALE) -> Script:
        ev = DeviceAvailability(state=state, role=role, id="AA:BB", name="scale",
                                sender="AtomaxSkaleII", arrival_time=self.now, create_time=self.now)
        self.actions += self.rules.on_availability(ev, self.now)
        return self

    def advance(self, dt: float) -> Script:
        """Let ``dt`` seconds pass, ticking at every deadline on the way (in order)."""
        end = self.now + dt
        for _ in range(10000):
            due = self.rules.next_deadline()
            if due is None or due > end:
                break
            self.now = max(self.now, due)
            self.actions += self.rules.tick(self.now)
        self.now = end
        self.actions += self.rules.tick(self.now)
        return self

    # -- outputs -------------------------------------------------------------------------------
    def events(self, cls: type) -> list:
        return [a.event for a in self.actions if isinstance(a, Publish) and isinstance(a.event, cls)]

    def gates(self, action: str | None = "set") -> list[str]:
        return [e.name.value for e in self.events(SequencerGateNotification)
                if action is None or e.action.value == action]

    def stop_ats(self, kind: str | None = None) -> list[tuple[str, str]]:
        return [(e.stop_at.value, e.action.value) for e in self.events(StopAtNotification)
                if kind is None or e.stop_at.value == kind]

    def commands(self, cls: type | None = None) -> list:
        return [a for a in self.actions if not isinstance(a, (Publish, Log))
                and (cls is None or isinstance(a, cls))]

    def logs(self, level: str | None = None) -> list[str]:
        return [a.message for a in self.actions if isinstance(a, Log)
                and (level is None or a.level == level)]

    def clear(self) -> Script:
        self.actions = []
        return self


def make_rules(**params) -> FlowSequencer:
    ids = (f"seq-{i}" for i in itertools.count())
    return FlowSequencer(SequencerParams(**params), new_id=lambda: next(ids))


def empty_cup(script: Script, seconds: float, period: float = 0.1) -> Script:
    """Let time pass with the scale reporting an empty (tared) cup."""
    for _ in range(round(seconds / period)):
        script.advance(period).weight(0.0, 0.0)
    return script


def espresso_to_pour(script: Script, drops_pressure: float = 0.5) -> Script:
    """Idle → Espresso heating → PreInfuse (drops expected) → Pour, the scale reporting 0 g."""
    script.to("Espresso", "HeatWaterHeater")
    empty_cup(script, 0.5).to("Espresso", "StabilizeMixTemp")
    empty_cup(script, 0.5).to("Espresso", "PreInfuse").sample(pressure=0.0, flow=4.0, frame=0)
    empty_cup(script, 0.3).sample(pressure=drops_pressure, flow=4.0)
    empty_cup(script, 2.0).to("Espresso", "Pour").sample(pressure=9.0, flow=2.0, frame=1)
    return script
