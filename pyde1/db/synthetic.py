"""A made-up but well-formed espresso sequence as event payloads, in the order pyDE1 sends
them (api-contract §2.5). For tests and benchmarks of the recording path; not a model of
coffee (the device simulator is).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from pyde1.events import (
    AutoTareNotification, DeviceAvailability, SequencerGateNotification, ShotSampleWithVolumesUpdate,
    StateUpdate, StopAtNotification, WaterLevelUpdate, WeightAndFlowUpdate,
)
from pyde1.events.base import Event

GATES = ("sequence_start", "sequence_flow_begin", "sequence_expect_drops", "sequence_exit_preinfuse",
         "sequence_flow_end", "sequence_last_drops", "sequence_flow_state_exit", "sequence_complete")
STOP_TYPES = ("time", "volume", "weight", "move on by weight")


@dataclass
class SyntheticShot:
    """The events of one shot and what a recording of it must contain."""

    sequence_id: str
    events: list[Event]
    start: float
    flow_begin: float
    flow_end: float
    complete: float
    prehistory: list[Event] = field(default_factory=list)   # sent before the start
    sequence_events: list[Event] = field(default_factory=list)  # start gate .. complete gate

    def count(self, cls: type) -> int:
        return sum(isinstance(e, cls) for e in self.sequence_events)


def _t(events: list[Event], t: float, make) -> None:
    events.append(make(t))


def espresso_shot(start: float = 1_700_000_000.0, *, sequence_id: str | None = None,
                  flow_seconds: float = 30.0, sample_period: float = 0.25,
                  weight_period: float = 0.1, idle_before: float = 3.0,
                  with_scale: bool = True, profile_frames: int = 3) -> SyntheticShot:
    """One espresso sequence starting at ``start`` (Unix seconds) with ``idle_before``
    seconds of idle events before it."""
    sid = sequence_id or str(uuid.uuid4())
    pre: list[Event] = []
    seq: list[Event] = []

    def state(t: float, s: str, sub: str, ps: str, psub: str) -> StateUpdate:
        return StateUpdate(state=s, substate=sub, previous_state=ps, previous_substate=psub,
                           is_error_state=False, arrival_time=t, create_time=t, event_time=t)

    def gate(t: float, name: str, action: str) -> SequencerGateNotification:
        return SequencerGateNotification(name=name, action=action, sequence_id=sid, active_state="Espresso",
                                         arrival_time=t, create_time=t, event_time=t)

    t0 = start - idle_before
    pre.append(DeviceAvailability(state="ready", role="de1", id="D9:B2:48:AA:BB:CC", name="DE1",
                                  sender="DE1", arrival_time=t0, create_time=t0, event_time=t0))
    pre.append(state(t0, "Idle", "NoState", "Sleep", "NoState"))
    t = t0
    while t < start - 0.05:
        pre.append(_sample(t, 0.0, 0.0, 0, 0.0))
        pre.append(WaterLevelUpdate(level=30.0, start_fill_level=5.0, arrival_time=t, create_time=t, event_time=t))
        t += 0.5

    # Sequence start: the clears carry the new id, then stop-at and auto-tare, then the gate.
    ts = start
    seq.append(state(ts, "Espresso", "Heating", "Idle", "NoState"))
    for g in GATES:
        seq.append(gate(ts, g, "clear"))
    for kind in STOP_TYPES:
        seq.append(StopAtNotification(stop_at=kind, action="disabled", target_value=None, current_value=None,
                                      active_state="Espresso", current_frame=None,
                                      arrival_time=ts, create_time=ts, event_time=ts))
    if with_scale:
        seq.append(AutoTareNotification(action="enabled", arrival_time=ts, create_time=ts, event_time=ts))
    seq.append(gate(ts, "sequence_start", "set"))

    flow_begin = ts + 2.0
    seq.append(state(flow_begin, "Espresso", "PreInfuse", "Espresso", "Heating"))
    seq.append(gate(flow_begin, "sequence_flow_begin", "set"))
    flow_end = flow_begin + flow_seconds
    pour = flow_begin + flow_seconds / 4
    timeline: list[tuple[float, int, Event]] = []
    n = 0
    t = ts + 0.1
    while t < flow_end + 3.0:
        in_flow = flow_begin <= t <= flow_end
        frame = min(profile_frames - 1, int((t - flow_begin) / flow_seconds * profile_frames)) if in_flow else 0
        pressure = 9.0 if in_flow and t > pour else (2.0 if in_flow else 0.0)
        flow = 2.0 if in_flow else 0.0
        timeline.append((t, n, _sample(t, pressure, flow, frame, max(0.0, t - flow_begin) * 2.0)))
        n += 1
        t += sample_period
    if with_scale:
        t = ts + 0.05
        weight = 0.0
        while t < flow_end + 3.0:
            if flow_begin + 5 <= t <= flow_end + 1:
                weight += 1.8 * weight_period
            timeline.append((t, n, WeightAndFlowUpdate(
                scale_time=t, current_weight=round(weight, 2), current_weight_time=t - 0.3,
                average_flow=1.8 if weight else 0.0, average_flow_time=t - 0.6, median_weight=round(weight, 2),
                median_weight_time=t - 0.4, median_flow=1.8 if weight else 0.0, median_flow_time=t - 0.7,
                arrival_time=t, create_time=t, event_time=t)))
            n += 1
            t += weight_period
    timeline.append((flow_begin + 4.0, n, gate(flow_begin + 4.0, "sequence_expect_drops", "set")))
    timeline.append((pour, n + 1, state(pour, "Espresso", "Pour", "Espresso", "PreInfuse")))
    timeline.append((pour, n + 2, gate(pour, "sequence_exit_preinfuse", "set")))
    timeline.append((flow_end, n + 3, state(flow_end, "Idle", "NoState", "Espresso", "Pour")))
    timeline.append((flow_end, n + 4, gate(flow_end, "sequence_flow_end", "set")))
    timeline.append((flow_end, n + 5, gate(flow_end, "sequence_flow_state_exit", "set")))
    timeline.append((flow_end + 3.0, n + 6, gate(flow_end + 3.0, "sequence_last_drops", "set")))
    complete = flow_end + 3.0
    timeline.append((complete, n + 7, gate(complete, "sequence_complete", "set")))
    timeline.sort(key=lambda item: (item[0], item[1]))
    seq += [e for _, _, e in timeline]
    return SyntheticShot(sid, pre + seq, start, flow_begin, flow_end, complete, pre, seq)


def _sample(t: float, pressure: float, flow: float, frame: int, volume: float) -> ShotSampleWithVolumesUpdate:
    return ShotSampleWithVolumesUpdate(
        sample_time=int(t * 120) % 65536, group_pressure=pressure, group_flow=flow, mix_temp=91.5,
        head_temp=90.8, set_mix_temp=92.0, set_head_temp=91.0, set_group_pressure=pressure,
        set_group_flow=flow, frame_number=frame, steam_temp=140.0, de1_time=t,
        volume_preinfuse=0.0, volume_pour=volume, volume_total=volume,
        volume_by_frames=[round(volume, 1)] + [0.0] * 19, arrival_time=t, create_time=t, event_time=t)
