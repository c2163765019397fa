"""The FlowSequencer's rules: DE1 states, samples, scale and thermometer reports and the clock
in; gate notifications, stop-at and auto-tare notifications and commands out.

Pure and single-threaded: every input method takes ``now`` and returns the list of
:mod:`~pyde1.sequencer.actions` to carry out, in order. Time-driven rules (last drops, the
watchdog, timed stops, a stop scheduled between two scale reports, steam-to-temperature, a
scale gone silent, auto-off) run from :meth:`FlowSequencer.tick`; :meth:`next_deadline` says
when the next one is due. Facts: devices-and-sequencing.md E.4–E.12, F.1–F.3, C.10;
api-contract §2.4.8–§2.4.10, §2.5. Departures from pyDE1 are listed in docs/sequencer.md.
"""

from __future__ import annotations

from collections.abc import Callable

from pyde1.events import (AutoTareAction, AutoTareNotification, BlueDOTUpdate, DeviceAvailability,
                          DeviceAvailabilityState, DeviceRole, GateAction, SequencerGateName,
                          ShotSampleWithVolumesUpdate, StateUpdate, StopAtAction,
                          StopAtNotification, StopAtType, WeightAndFlowUpdate)
from pyde1.protocol.enums import FlowPhase, MachineState, Substate, flow_phase, is_flow_state
from pyde1.sequencer import actions as A
from pyde1.sequencer.autooff import AutoOff
from pyde1.sequencer.controls import ControlMode, Controls
from pyde1.sequencer.params import SequencerParams
from pyde1.scale.estimate import FlowEstimate
from pyde1.sequencer.steam import SteamToTemperature
from pyde1.sequencer.stoprules import StopRules
from pyde1.sequencer.tracks import GATE_ORDER, Sequence, StopTrack, TrackPhase, new_sequence_id
from pyde1.sequencer.weightstop import WeightStop
from pyde1.stopat import LeadState

G = SequencerGateName
T = StopAtType
S = MachineState
DURING = FlowPhase.during
#: firmware builds from which the DE1 times the flush itself / can skip to the next frame
RINSE_CONTROL_BUILD = 1283


def machine_state(name: str) -> MachineState:
    try:
        return MachineState[name]
    except KeyError:
        return MachineState.UNKNOWN


def substate(name: str) -> Substate:
    try:
        return Substate[name]
    except KeyError:
        return Substate.UNKNOWN


class FlowSequencer(StopRules):
    def __init__(self, params: SequencerParams | None = None, controls: Controls | None = None,
                 new_id: Callable[[], str] = new_sequence_id, lead: LeadState | None = None,
                 learning: bool = True) -> None:
        self.params = params or SequencerParams()
        self.weight_stop = WeightStop(self.params, lead, learning)
        self.controls = controls or Controls(auto_off_time=self.params.default_auto_off_minutes)
        self._new_id = new_id
        self.placeholder_id = new_id()
        self.sequence: Sequence | None = None
        self._out: list[A.Action] = []
        # what the DE1 told us
        self.de1_state, self.de1_substate = MachineState.UNKNOWN, Substate.UNKNOWN
        self.firmware_build: int | None = None
        self.de1_targets: dict[str, float | None] = {}   # steam_time, hot_water_time, hot_water_volume
        self.last_sample: ShotSampleWithVolumesUpdate | None = None
        self.de1_flowing_since: float | None = None
        # the scale
        self.scale_exists = True
        self.scale_ready: bool | None = None
        self.last_weight: WeightAndFlowUpdate | None = None
        self.weight_changed_at: float | None = None
        self.hold_at_tare = False
        self.last_tare_at: float | None = None
        # per sequence
        self.tracks: dict[StopAtType, StopTrack] = {}
        self.fallback: StopTrack | None = None
        self.fallback_target: float | None = None     # mL total volume, or a moment (TIME)
        self.fallback_reason = ""
        self.weight_moment: float | None = None
        self.frame: int | None = None
        self.frame_start_weight = 0.0
        self.advanced_frames: set[int] = set()
        self.stop_requested_at: float | None = None
        self.steam = SteamToTemperature(self.params.steam)
        self.auto_off = AutoOff(retry=self.params.auto_off_retry)

    # -- inputs -----------------------------------------------------------------------------------
    def on_state(self, ev: StateUpdate, now: float) -> list[A.Action]:
        s, ss = machine_state(ev.state), substate(ev.substate)
        ps, pss = machine_state(ev.previous_state), substate(ev.previous_substate)
        self.de1_state, self.de1_substate = s, ss
        self.auto_off.state_changed(s, now)
        if s is S.Sleep and ps is not S.Sleep:
            self._out.append(A.FollowDE1(A.DeviceFollow.RELEASE))
        elif ps is S.Sleep and s is not S.Sleep:
            self._out.append(A.FollowDE1(A.DeviceFollow.CAPTURE))
        if is_flow_state(s) and not is_flow_state(ps):
            self._start_sequence(s, now)
        seq = self.sequence
        if seq is None or not seq.running:
            return self._flush()
        if is_flow_state(s):
            phase, previous_phase = flow_phase(s, ss), flow_phase(s, pss)
            if phase is DURING and previous_phase is not DURING:
                self._set_gate(G.SEQUENCE_FLOW_BEGIN, now)
            if pss is Substate.PreInfuse and ss is not Substate.PreInfuse:
                self._set_gate(G.SEQUENCE_EXIT_PREINFUSE, now)
            if previous_phase is DURING and phase is not DURING:
                self._set_gate(G.SEQUENCE_FLOW_END, now)
        elif is_flow_state(ps):
            if pss is Substate.PreInfuse:
                self._set_gate(G.SEQUENCE_EXIT_PREINFUSE, now)
            if flow_phase(ps, pss) is DURING:
                self._set_gate(G.SEQUENCE_FLOW_END, now)
            self._set_gate(G.SEQUENCE_FLOW_STATE_EXIT, now)
            if seq.running and not seq.has(G.SEQUENCE_FLOW_BEGIN):
                self._out.append(A.Log("info", f"{seq.active_state} ended before flow began"))
                self._end_sequence(now)
        return self._flush()

    def on_shot_sample(self, ev: ShotSampleWithVolumesUpdate, now: float) -> list[A.Action]:
        self.last_sample = ev
        if ev.group_flow > self.params.frozen_min_de1_flow:
            if self.de1_flowing_since is None:
                self.de1_flowing_since = ev.arrival_time
        else:
            self.de1_flowing_since = None
        seq = self.sequence
        if seq is None or not seq.running:
            return self._flush()
        if seq.active_state == S.Espresso.name and ev.frame_number != self.frame:
            self.frame = ev.frame_number
            self.frame_start_weight = self.last_weight.current_weight if self.last_weight else 0.0
        control = self.controls.for_state(self.de1_state)
        threshold = getattr(control, "first_drops_threshold", None)
        if (threshold is not None and not seq.has(G.SEQUENCE_EXPECT_DROPS)
                and flow_phase(self.de1_state, self.de1_substate) is DURING
                and ev.group_pressure > threshold):
            self._set_gate(G.SEQUENCE_EXPECT_DROPS, now)
        volume = self.tracks.get(T.VOLUME)
        target = self.controls.espresso.stop_at_volume
        if volume is not None and volume.armed and target is not None and ev.volume_pour >= target:
            self._trigger_stop(volume, target, ev.volume_pour, ev.arrival_time, now)
        fb = self.fallback
        if (fb is not None and fb.kind is T.VOLUME and fb.armed and self.fallback_target is not None
                and ev.volume_total >= self.fallback_target):
            self._trigger_stop(fb, self.fallback_target, ev.volume_total, ev.arrival_time, now)
        return self._flush()

    def on_weight(self, ev: WeightAndFlowUpdate, now: float) -> list[A.Action]:
        previous = self.last_weight
        self.last_weight = ev
        if previous is None or abs(ev.current_weight - previous.current_weight) > 0.05:
            self.weight_changed_at = ev.arrival_time
        if (self.params.tare_while_holding and self.hold_at_tare
                and abs(ev.current_weight) > self.params.tare_threshold):
            if self.last_tare_at is None or now - self.last_tare_at >= self.params.tare_interval:
                self.last_tare_at = now
                self._out.append(A.Tare())
        seq = self.sequence
        if seq is None or not seq.running:
            return self._flush()
        weight = self.tracks.get(T.WEIGHT)
        stopped = False
        if weight is not None and weight.armed and self.fallback is None:
            if self.weight_stop.uses_predictor(now):
                pass   # the filter's estimate follows this report and decides
            elif self._frozen(weight, ev):
                self._fall_back("the scale's reading is frozen while the DE1 pumps", now)
            else:
                stopped = self._decide_weight(weight, self.weight_stop.decide_update(
                    ev, self.last_sample, now, self._weight_target() or 0.0), now)
        move_on = self.tracks.get(T.MOVE_ON_WEIGHT)
        if move_on is not None and move_on.armed and not stopped:
            self._decide_move_on(ev, now)
        return self._flush()

    def on_estimate(self, est: FlowEstimate, now: float) -> list[A.Action]:
        """The scale processor's filter estimate, published right after each WeightAndFlowUpdate."""
        self.weight_stop.on_estimate(est)
        seq, weight = self.sequence, self.tracks.get(T.WEIGHT)
        if (seq is not None and seq.running and weight is not None and weight.armed
                and self.fallback is None and self._weight_target() is not None):
            self._decide_weight(weight, self.weight_stop.decide_estimate(now, self._weight_target()),
                                now)
        return self._flush()

    def on_bluedot(self, ev: BlueDOTUpdate, now: float) -> list[A.Action]:
        self.steam.report(ev)
        self._check_steam(now)
        return self._flush()

    def on_availability(self, ev: DeviceAvailability, now: float) -> list[A.Action]:
        ready = ev.state is DeviceAvailabilityState.READY
        if ev.role is DeviceRole.DE1:
            self.auto_off.de1_ready = ready
        elif ev.role is DeviceRole.SCALE:
            was, self.scale_ready = self.scale_ready, ready
            weight = self.tracks.get(T.WEIGHT)
            if (was and not ready and weight is not None and weight.open and self.fallback is None
                    and self._weight_target() is not None):
                self._fall_back(f"the scale is {ev.state.value}", now)
        return self._flush()

    def tick(self, now: float) -> list[A.Action]:
        seq = self.sequence
        if seq is not None and seq.running:
            self._tick_sequence(seq, now)
        self._tick_auto_off(now)
        return self._flush()

    def stop_failed(self, now: float) -> list[A.Action]:
        """The DE1 refused or did not answer a stop: allow the next decision to send it again."""
        self.stop_requested_at = None
        return self._flush()

    # -- settings ---------------------------------------------------------------------------------
    def set_controls(self, controls: Controls) -> None:
        """New controls apply at once: weight and volume targets are read on every report."""
        self.controls = controls

    def note_de1(self, firmware_build: int | None = None, **targets: float | None) -> None:
        """Facts only the DE1 actor knows: firmware build; ``steam_time``, ``hot_water_time``,
        ``hot_water_volume`` (the limits the DE1 enforces itself, for 'de1 controlled')."""
        if firmware_build is not None:
            self.firmware_build = firmware_build
        self.de1_targets.update(targets)

    # -- deadlines --------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        due: list[float] = []
        seq = self.sequence
        if seq is not None and seq.running:
            due.append(seq.start_time + self.params.watchdog_timeout)
            if seq.has(G.SEQUENCE_FLOW_END) and not seq.has(G.SEQUENCE_LAST_DROPS):
                due.append(seq.flow_end_time + self._last_drops_time(seq))
            time_track = self.tracks.get(T.TIME)
            if time_track is not None and time_track.armed and not time_track.triggered:
                target = self._time_target(seq)
                if target is not None:
                    due.append(seq.flow_begin_time + target)
            weight = self.tracks.get(T.WEIGHT)
            if weight is not None and weight.armed and not weight.triggered:
                if self.weight_moment is not None:
                    due.append(self.weight_moment)
                if self.fallback is None and self._weight_target() is not None:
                    due.append(self._weight_seen_at(weight) + self.params.scale_stale_seconds)
            fb = self.fallback
            if (fb is not None and fb.armed and not fb.triggered and fb.kind is T.TIME
                    and self.fallback_target is not None):
                due.append(self.fallback_target)
            steam = self.tracks.get(T.STEAM_TEMPERATURE)
            if steam is not None and steam.armed:
                moment = self.steam.trigger_moment()
                if moment is not None:
                    due.append(moment)
        auto_off = self.auto_off.due(self.controls.auto_off_time, self._running())
        if auto_off is not None:
            due.append(auto_off)
        return min(due) if due else None

    # -- sequence start and end -------------------------------------------------------------------
    def _start_sequence(self, state: MachineState, now: float) -> None:
        old = self.sequence
        if old is not None and old.running:
            self._out.append(A.Log("warning", f"sequence {old.id} ({old.active_state}) was still "
                                              "running when a new one started; aborting it"))
            self._end_sequence(now)
        seq = Sequence(id=self._new_id(), active_state=state.name, start_time=now)
        self.sequence = seq
        self.frame, self.frame_start_weight, self.advanced_frames = None, 0.0, set()
        self.fallback, self.fallback_target, self.weight_moment = None, None, None
        self.stop_requested_at = None
        self.weight_stop.new_sequence()
        for gate in GATE_ORDER:
            self._publish(seq.notification(gate, GateAction.CLEAR, now))
        self._open_tracks(state, now)
        if self.scale_exists:
            control = self.controls.for_state(state)
            if state in (S.Espresso, S.HotWater) and not getattr(control, "disable_auto_tare", False):
                self.hold_at_tare = True
                if self.params.tare_while_holding:
                    self.last_tare_at = now
                    self._out.append(A.Tare())
                self._publish(AutoTareNotification(action=AutoTareAction.ENABLED, arrival_time=now,
                                                   create_time=now, event_time=now))
            else:
                self._auto_tare_off(now, force=True)
        self._set_gate(G.SEQUENCE_START, now)

    def _open_tracks(self, state: MachineState, now: float) -> None:
        """The 'disabled' / 'de1 controlled' notification of every stop type at start."""
        espresso, hot_water = state is S.Espresso, state is S.HotWater
        self.tracks = {kind: StopTrack(kind) for kind in T}
        de1 = self.de1_targets
        weight_target = self._weight_target()
        self._start_track(T.WEIGHT, espresso or hot_water, weight_target, self._weight_now(), now)
        if hot_water:
            self._notify(T.VOLUME, StopAtAction.DE1_CONTROLLED, de1.get("hot_water_volume"), None, now)
        else:
            self._start_track(T.VOLUME, espresso, self.controls.espresso.stop_at_volume,
                              self._volume_now(), now)
        rinse = self.controls.hot_water_rinse.stop_at_time
        if state is S.Steam:
            self._notify(T.TIME, StopAtAction.DE1_CONTROLLED, de1.get("steam_time"), None, now)
        elif hot_water:
            self._notify(T.TIME, StopAtAction.DE1_CONTROLLED, de1.get("hot_water_time"), None, now)
        elif state is S.HotWaterRinse and (self.firmware_build or 0) >= RINSE_CONTROL_BUILD:
            self._notify(T.TIME, StopAtAction.DE1_CONTROLLED, rinse, None, now)
        elif state is S.HotWaterRinse:
            self._start_track(T.TIME, rinse is not None, rinse, None, now)
        else:
            self._start_track(T.TIME, espresso, self.controls.espresso.stop_at_time, None, now)
        self._start_track(T.MOVE_ON_WEIGHT, espresso, None, self._weight_now(), now)
        if state is S.Steam:
            self.steam.activate(now)
            self.tracks[T.STEAM_TEMPERATURE].phase = TrackPhase.ARMED
            self._notify(T.STEAM_TEMPERATURE, StopAtAction.ENABLED, self.steam.target,
                         self.steam.temperature, now)
            self._out.append(A.ThermometerRate(self.params.steam.fast_rate))
        else:
            self._notify(T.STEAM_TEMPERATURE, StopAtAction.DISABLED, self.steam.target,
                         self.steam.temperature, now)

    def _start_track(self, kind: StopAtType, applies: bool, target: float | None,
                     current: float | None, now: float) -> None:
        self._notify(kind, StopAtAction.DISABLED, target, current, now)
        if applies:
            self.tracks[kind].phase = TrackPhase.WAITING

    def _end_sequence(self, now: float) -> None:
        """E.4c/E.4d: final notifications of whatever is still open, then sequence_complete."""
        seq = self.sequence
        self._learn_from_sequence(now)
        self._close_tracks(now)
        self._auto_tare_off(now)
        self._set_gate(G.SEQUENCE_COMPLETE, now)
        seq.running = False
        self.weight_moment = None

    def _close_tracks(self, now: float) -> None:
        for track in list(self.tracks.values()) + ([self.fallback] if self.fallback else []):
            if not track.open:
                continue
            track.phase = TrackPhase.DONE
            if track.kind is T.STEAM_TEMPERATURE:
                self.steam.deactivate()
                self._out.append(A.ThermometerRate(self.params.steam.normal_rate))
            self._notify(track.kind, StopAtAction.DISABLED, self._target_of(track),
                         self._current_of(track, now), now)

    # -- gates ------------------------------------------------------------------------------------
    def _set_gate(self, gate: SequencerGateName, now: float) -> None:
        seq = self.sequence
        if seq is None or not seq.running or seq.has(gate):
            return
        seq.gates.add(gate)
        self._publish(seq.notification(gate, GateAction.SET, now))
        if gate is G.SEQUENCE_FLOW_BEGIN:
            seq.flow_begin_time = now
            self._arm(T.TIME, now)
            if seq.active_state == S.HotWater.name:
                # pyDE1 never expected drops for hot water (no pressure threshold), so its
                # stop-at-weight never armed and auto-tare held all pour: drops start with flow.
                self._set_gate(G.SEQUENCE_EXPECT_DROPS, now)
            elif self.de1_substate is Substate.Pour:
                self._arm(T.VOLUME, now)   # a profile without preinfusion frames
        elif gate is G.SEQUENCE_EXPECT_DROPS:
            self._auto_tare_off(now)
            self._arm(T.WEIGHT, now)
            self._arm(T.MOVE_ON_WEIGHT, now)
            if self.scale_ready is False and self._weight_target() is not None:
                self._fall_back("the scale is not ready", now)
        elif gate is G.SEQUENCE_EXIT_PREINFUSE:
            self._arm(T.VOLUME, now)
        elif gate is G.SEQUENCE_FLOW_END:
            seq.flow_end_time = now
            self.weight_moment = None
            self._close_tracks(now)
            self._auto_tare_off(now)
            if self._last_drops_time(seq) <= 0:
                self._set_gate(G.SEQUENCE_LAST_DROPS, now)
        if gate in (G.SEQUENCE_FLOW_STATE_EXIT, G.SEQUENCE_LAST_DROPS):
            if seq.has(G.SEQUENCE_FLOW_STATE_EXIT) and seq.has(G.SEQUENCE_LAST_DROPS) and seq.running:
                self._end_sequence(now)

    def _last_drops_time(self, seq: Sequence) -> float:
        if seq.active_state != S.Espresso.name:
            return 0.0
        return self.controls.espresso.last_drops_minimum_time or 0.0

    # -- arming and triggering --------------------------------------------------------------------
    def _arm(self, kind: StopAtType, now: float) -> None:
        track = self.tracks.get(kind)
        if track is None or track.phase is not TrackPhase.WAITING:
            return
        track.phase, track.armed_at = TrackPhase.ARMED, now
        self._notify(kind, StopAtAction.ENABLED, self._target_of(track), self._current_of(track, now), now)

    # -- time-driven rules ------------------------------------------------------------------------
    def _tick_sequence(self, seq: Sequence, now: float) -> None:
        if now >= seq.start_time + self.params.watchdog_timeout:
            self._out.append(A.Log("warning", f"sequence {seq.id} ({seq.active_state}) still running "
                                   f"after {self.params.watchdog_timeout:g} s; ending it"))
            self._end_sequence(now)
            return
        if seq.has(G.SEQUENCE_FLOW_END) and now >= seq.flow_end_time + self._last_drops_time(seq):
            self._set_gate(G.SEQUENCE_LAST_DROPS, now)
            if not seq.running:
                return
        time_track = self.tracks.get(T.TIME)
        if time_track is not None and time_track.armed:
            target = self._time_target(seq)
            if target is not None and now >= seq.flow_begin_time + target:
                self._trigger_stop(time_track, target, now - seq.flow_begin_time,
                                   seq.flow_begin_time + target, now, scheduled=True)
        self._tick_weight(now)
        self._tick_fallback(now)
        self._check_steam(now)

    def _check_steam(self, now: float) -> None:
        track = self.tracks.get(T.STEAM_TEMPERATURE)
        seq = self.sequence
        if track is None or not track.armed or seq is None or not seq.running:
            return
        if self.de1_state is not S.Steam or flow_phase(self.de1_state, self.de1_substate) is not DURING:
            return
        moment = self.steam.trigger_moment()
        if moment is not None and now >= moment:
            self.steam.triggered = True
            track.triggered = True
            self._out.append(A.EndSteam(moment))
            self._notify(T.STEAM_TEMPERATURE, StopAtAction.TRIGGERED, self.steam.target,
                         self.steam.temperature, now)

    def _tick_auto_off(self, now: float) -> None:
        via_idle = self.auto_off.fire(self.controls.auto_off_time, self._running(), now)
        if via_idle is None:
            return
        self._out.append(A.Log("info", f"no DE1 state change for {self.controls.auto_off_time:g} "
                                       "min: putting it to sleep (auto-off)"))
        self._out.append(A.SleepDE1(via_idle))

    def _running(self) -> bool:
        return self.sequence is not None and self.sequence.running

    # -- helpers ----------------------------------------------------------------------------------
    def _auto_tare_off(self, now: float, force: bool = False) -> None:
        if self.hold_at_tare or force:
            self.hold_at_tare = False
            self._publish(AutoTareNotification(action=AutoTareAction.DISABLED, arrival_time=now,
                                               create_time=now, event_time=now))

    def _weight_target(self) -> float | None:
        seq = self.sequence
        state = machine_state(seq.active_state) if seq and seq.active_state else None
        if state is S.Espresso:
            return self.controls.espresso.stop_at_weight
        if state is S.HotWater:
            return self.controls.hot_water.stop_at_weight
        return None

    def _time_limit(self, seq: Sequence) -> float | None:
        if seq.active_state == S.Espresso.name:
            return self.controls.espresso.stop_at_time
        return self.controls.hot_water_rinse.stop_at_time

    def _time_target(self, seq: Sequence) -> float | None:
        """The time limit once flow has begun (its clock starts at flow begin)."""
        return None if seq.flow_begin_time is None else self._time_limit(seq)

    def _weight_now(self) -> float | None:
        return None if self.last_weight is None else self.last_weight.current_weight

    def _volume_now(self) -> float | None:
        return None if self.last_sample is None else self.last_sample.volume_pour

    def _target_of(self, track: StopTrack) -> float | None:
        seq = self.sequence
        if track is self.fallback:
            if track.kind is T.TIME and seq.flow_begin_time is not None:
                return self.fallback_target - seq.flow_begin_time
            return self.fallback_target
        if track.kind is T.WEIGHT:
            return self._weight_target()
        if track.kind is T.VOLUME:
            return self.controls.espresso.stop_at_volume
        if track.kind is T.TIME:
            return self._time_limit(seq)
        if track.kind is T.STEAM_TEMPERATURE:
            return self.steam.target
        return None

    def _current_of(self, track: StopTrack, now: float) -> float | None:
        if track.kind in (T.WEIGHT, T.MOVE_ON_WEIGHT):
            return self._weight_now()
        if track.kind is T.VOLUME:
            if track is self.fallback:
                return None if self.last_sample is None else self.last_sample.volume_total
            return self._volume_now()
        if track.kind is T.TIME:
            seq = self.sequence
            if seq is None or seq.flow_begin_time is None:
                return None
            end = seq.flow_end_time if seq.flow_end_time is not None else now
            return end - seq.flow_begin_time
        if track.kind is T.STEAM_TEMPERATURE:
            return self.steam.temperature
        return None

    def _current_frame(self) -> int | None:
        seq = self.sequence
        if seq is None or seq.active_state != S.Espresso.name or self.last_sample is None:
            return None
        if flow_phase(self.de1_state, self.de1_substate) is not DURING:
            return None
        return self.last_sample.frame_number

    def _notify(self, kind: StopAtType, action: StopAtAction, target: float | None,
                current: float | None, now: float) -> None:
        seq = self.sequence
        frame = None if kind is T.STEAM_TEMPERATURE else self._current_frame()
        self._publish(StopAtNotification(
            stop_at=kind, action=action, target_value=target, current_value=current,
            active_state=(seq.active_state if seq else None) or self.de1_state.name,
            current_frame=frame, arrival_time=now, create_time=now, event_time=now))

    def _publish(self, event) -> None:
        self._out.append(A.Publish(event))

    def _flush(self) -> list[A.Action]:
        out, self._out = self._out, []
        return out


__all__ = ["FlowSequencer", "ControlMode", "RINSE_CONTROL_BUILD", "machine_state", "substate"]
