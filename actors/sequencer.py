"""The FlowSequencer actor (role ``sequencer``): runs :class:`pyde1.sequencer.FlowSequencer`.

Events in (bus): StateUpdate, ShotSampleWithVolumesUpdate, WeightAndFlowUpdate, the scale
processor's FlowEstimate, BlueDOTUpdate, DeviceAvailability. Out: SequencerGateNotification,
StopAtNotification, AutoTareNotification on the bus (sender ``FlowSequencerImpl``), and
commands down to the devices as proxy calls that are never waited on here:

=================  ================================================================
role ``de1``       ``stop_flow()``, ``skip_to_next()``, ``end_steam()``, ``sleep()``,
                   ``write_mmr("FLUSH_TIMEOUT", s)`` (flush time on firmware ≥ 1283),
                   attribute ``firmware_build``
role ``scale``     ``tare()`` (only with ``tare_while_holding``; the scale holds at tare
                   itself, following AutoTareNotification), ``request_release()`` /
                   ``request_capture()`` (only with ``follow_de1_sleep``)
role thermometer   ``request_release()`` / ``request_capture()`` (``follow_de1_sleep``),
                   ``set_interval(seconds)`` if it has one (the BlueDOT follows the DE1)
role ``database``  ``hkv_get(header, key)``, ``hkv_put(header, key, text)``
=================  ================================================================

A command's future is handed to a small watcher thread that waits for it (bounded) and tells
this actor how it went; a failed stop is logged and may be sent again. Time-driven rules run
from one timer set to the rules' next deadline. ``health()`` reports the decision latency:
from the arrival of the scale report that triggered a stop to the moment the stop call left
this actor (and, for stops scheduled between reports, how late the timer fired).

Public methods for the HTTP gateway: ``get_control(area)``, ``set_control(area, changes)``,
``get_controls()``, ``profile_uploaded(result)``; validation errors are
:class:`pyde1.sequencer.ControlError` (HTTP 400, names the key).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pykka

from actors.base import ServiceActor, ServiceContext, tell_later
from actors.supervisor import ActorSpec
from pyde1.events import (BlueDOTUpdate, DeviceAvailability, DeviceAvailabilityState, DeviceRole,
                          ShotSampleWithVolumesUpdate, StateUpdate, WeightAndFlowUpdate)
from pyde1.scale.estimate import FlowEstimate
from pyde1.sequencer import actions as A
from pyde1.sequencer import (ControlError, ControlMode, Controls, FlowSequencer, ProfileLimits,
                             SequencerParams, apply_profile, auto_off_minutes, control_as_dict,
                             patch_controls)
from pyde1.sequencer.rules import RINSE_CONTROL_BUILD
from pyde1.stopat import PERSIST_HEADER, LeadState, LeadStateError

ROLE = "sequencer"
COMMAND_TIMEOUT = 3.0     # s a device command may take before it counts as failed
LATENCY_WINDOW = 500      # stops kept for the latency figures
DEFAULT_SETUP = "default"


@dataclass(frozen=True)
class _Tick:
    due: float


@dataclass(frozen=True)
class _CommandDone:
    label: str
    ok: bool
    error: str
    elapsed: float


@dataclass(frozen=True)
class _LeadLoaded:
    key: str
    text: str | None


@dataclass(frozen=True)
class _De1Facts:
    firmware_build: int | None = None
    targets: tuple[tuple[str, float | None], ...] = ()


def _firmware_build(value: Any) -> _De1Facts | None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    return _De1Facts(firmware_build=value) if ok else None


def _shot_settings(value: Any) -> _De1Facts | None:
    """The limits the DE1 enforces itself, for 'de1 controlled' notifications."""
    if not isinstance(value, Mapping):
        return None
    names = {"steam_time": "target_steam_length", "hot_water_time": "target_hot_water_length",
             "hot_water_volume": "target_hot_water_vol"}
    return _De1Facts(targets=tuple((key, value.get(field)) for key, field in names.items()))


class CommandWatcher:
    """One thread that waits on command futures in turn and tells the actor each outcome, so
    the actor itself never blocks on a device."""

    def __init__(self, actor_ref: pykka.ActorRef, timeout: float = COMMAND_TIMEOUT) -> None:
        self._ref = actor_ref
        self._timeout = timeout
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sequencer-commands", daemon=True)
        self._thread.start()

    def watch(self, label: str, future: Any, on_result=None) -> None:
        self._queue.put((label, future, time.monotonic(), on_result))

    def close(self, timeout: float = 1.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            label, future, started, on_result = item
            left = max(0.01, started + self._timeout - time.monotonic())
            try:
                value = future.get(timeout=left)
                message = on_result(value) if on_result else _CommandDone(label, True, "", 0.0)
            except Exception as exc:  # a device error, a timeout, a dead actor: all reported
                message = _CommandDone(label, False, f"{type(exc).__name__}: {exc}", 0.0)
            if message is None:
                continue
            if isinstance(message, _CommandDone):
                message = _CommandDone(message.label, message.ok, message.error,
                                       time.monotonic() - started)
            try:
                self._ref.tell(message)
            except pykka.ActorDeadError:
                return


class LatencyStats:
    def __init__(self, window: int = LATENCY_WINDOW) -> None:
        self.values: deque[float] = deque(maxlen=window)
        self.count = 0

    def add(self, seconds: float) -> None:
        self.values.append(seconds)
        self.count += 1

    def summary(self) -> dict[str, Any]:
        if not self.values:
            return {"count": 0}
        ordered = sorted(self.values)

        def pct(p: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 3)
        return {"count": self.count, "last_ms": round(self.values[-1] * 1000, 3),
                "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": round(ordered[-1] * 1000, 3)}


class FlowSequencerActor(ServiceActor):
    subscribes = (StateUpdate, ShotSampleWithVolumesUpdate, WeightAndFlowUpdate, FlowEstimate,
                  BlueDOTUpdate, DeviceAvailability)

    def __init__(self, ctx: ServiceContext, role: str = ROLE, *, params: SequencerParams | None = None,
                 de1_role: str = "de1", scale_role: str = "scale",
                 thermometer_role: str = "thermometer", database_role: str = "database",
                 learning: bool = True, follow_de1_sleep: bool = False,
                 command_timeout: float = COMMAND_TIMEOUT, timer_speedup: float = 1.0,
                 **_: Any) -> None:
        super().__init__(ctx, role)
        self.params = params or SequencerParams.from_config(ctx.config)
        self.rules = FlowSequencer(self.params, learning=learning)
        self.roles = {"de1": de1_role, "scale": scale_role, "thermometer": thermometer_role,
                      "database": database_role}
        self.follow_de1_sleep = follow_de1_sleep
        self.command_timeout = command_timeout
        #: ctx.clock runs this many times faster than real time (a sped-up simulation whose
        #: clock is the simulated one); timers wait the real equivalent
        self.timer_speedup = timer_speedup if timer_speedup > 0 else 1.0
        self.setup_key = DEFAULT_SETUP
        self.decision_latency = LatencyStats()
        self.scheduled_lateness = LatencyStats()
        self.handling_time = LatencyStats()
        self.commands_sent: dict[str, int] = {}
        self.command_failures: dict[str, int] = {}
        self._proxies: dict[str, tuple[str, Any]] = {}
        self._timer: threading.Timer | None = None
        self._timer_due: float | None = None
        self._watcher: CommandWatcher | None = None
        self._received_at = 0.0

    # -- lifecycle ----------------------------------------------------------------------------
    def on_start(self) -> None:
        self._watcher = CommandWatcher(self.actor_ref, self.command_timeout)
        self._load_lead(DEFAULT_SETUP)
        self._reschedule()

    def on_stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._watcher is not None:
            self._watcher.close()

    # -- events -------------------------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        self._received_at = time.perf_counter()
        now = self.ctx.clock()
        rules = self.rules
        if isinstance(event, WeightAndFlowUpdate):
            actions = rules.on_weight(event, now)
        elif isinstance(event, FlowEstimate):
            actions = rules.on_estimate(event, now)
        elif isinstance(event, ShotSampleWithVolumesUpdate):
            actions = rules.on_shot_sample(event, now)
        elif isinstance(event, StateUpdate):
            rules.scale_exists = self.ctx.ref(self.roles["scale"]) is not None
            actions = rules.on_state(event, now)
            if event.state == "Idle" and event.previous_state != "Idle":
                self._ask_de1("get_shot_settings", _shot_settings)
        elif isinstance(event, BlueDOTUpdate):
            actions = rules.on_bluedot(event, now)
        elif isinstance(event, DeviceAvailability):
            actions = rules.on_availability(event, now)
            self._on_availability(event)
        elif isinstance(event, _Tick):
            self._timer, self._timer_due = None, None
            actions = rules.tick(now)
        elif isinstance(event, _CommandDone):
            actions = self._command_done(event, now)
        elif isinstance(event, _LeadLoaded):
            actions = []
            self._lead_loaded(event)
        elif isinstance(event, _De1Facts):
            actions = []
            rules.note_de1(event.firmware_build, **dict(event.targets))
        else:
            return
        self._run(actions)
        self._reschedule()

    def _on_availability(self, ev: DeviceAvailability) -> None:
        if ev.role is DeviceRole.SCALE and ev.state is DeviceAvailabilityState.READY and ev.id:
            if ev.id != self.setup_key:
                self.setup_key = ev.id
                self._load_lead(ev.id)
        elif ev.role is DeviceRole.DE1 and ev.state is DeviceAvailabilityState.READY:
            self._ask_de1("firmware_build", _firmware_build)
            self._ask_de1("get_shot_settings", _shot_settings)

    # -- carrying out actions ----------------------------------------------------------------------
    def _run(self, actions: list[A.Action]) -> None:
        for action in actions:
            if isinstance(action, A.Publish):
                self.ctx.bus.publish(action.event)
            elif isinstance(action, A.StopFlow):
                self._stop_flow(action)
            elif isinstance(action, A.SkipToNext):
                self._command("de1", "skip_to_next")
            elif isinstance(action, A.EndSteam):
                self._command("de1", "end_steam")
            elif isinstance(action, A.SleepDE1):
                self._command("de1", "sleep")
            elif isinstance(action, A.Tare):
                self._command("scale", "tare")
            elif isinstance(action, A.FollowDE1):
                if self.follow_de1_sleep:
                    method = ("request_release" if action.what is A.DeviceFollow.RELEASE
                              else "request_capture")
                    self._command("scale", method, quiet=True)
                    self._command("thermometer", method, quiet=True)
            elif isinstance(action, A.ThermometerRate):
                self._command("thermometer", "set_interval", action.seconds, quiet=True)
            elif isinstance(action, A.LeadLearned):
                self._command("database", "hkv_put", PERSIST_HEADER, self.setup_key,
                              json.dumps(action.lead.to_json()))
            elif isinstance(action, A.Log):
                getattr(self.log, action.level, self.log.info)("%s", action.message)

    def _stop_flow(self, action: A.StopFlow) -> None:
        sent = self._command("de1", "stop_flow", label=f"stop ({action.reason.value})")
        if not sent:
            self.rules.stop_failed(self.ctx.clock())
            return
        now = self.ctx.clock()
        if action.scheduled:
            self.scheduled_lateness.add(max(0.0, now - action.trigger_time))
        else:
            self.decision_latency.add(max(0.0, now - action.trigger_time))
            self.handling_time.add(time.perf_counter() - self._received_at)
        self.log.info("stop at %s: stop sent %.1f ms after its trigger", action.reason.value,
                      (now - action.trigger_time) * 1000)

    def _proxy(self, logical: str):
        role = self.roles[logical]
        ref = self.ctx.ref(role)
        if ref is None:
            return None
        cached = self._proxies.get(role)
        if cached is not None and cached[0] == ref.actor_urn:
            return cached[1]
        proxy = ref.proxy()
        self._proxies[role] = (ref.actor_urn, proxy)
        return proxy

    def _command(self, logical: str, method: str, *args: Any, label: str | None = None,
                 quiet: bool = False, on_result=None) -> bool:
        """Call ``method`` on the role's actor without waiting; True if the call went out."""
        label = label or f"{logical}.{method}"
        try:
            proxy = self._proxy(logical)
            if proxy is None:
                if not quiet:
                    self._failure(label, f"no actor plays the {self.roles[logical]!r} role")
                return False
            future = getattr(proxy, method)(*args)
        except AttributeError:
            if not quiet:
                self._failure(label, f"the {self.roles[logical]!r} actor has no {method}()")
            return False
        except pykka.ActorDeadError:
            self._proxies.pop(self.roles[logical], None)
            self._failure(label, "the actor stopped")
            return False
        self.commands_sent[label] = self.commands_sent.get(label, 0) + 1
        if self._watcher is not None:
            self._watcher.watch(label, future, on_result)
        return True

    def _failure(self, label: str, reason: str) -> None:
        self.command_failures[label] = self.command_failures.get(label, 0) + 1
        n = self.event_errors.record(f"command {label}", self.ctx.clock())
        if n is not None:
            self.log.warning("%s failed: %s (%d such failure(s) since last report)", label, reason, n)

    def _command_done(self, done: _CommandDone, now: float) -> list[A.Action]:
        if done.ok:
            return []
        self._failure(done.label, done.error)
        if done.label.startswith("stop"):
            return self.rules.stop_failed(now)
        return []

    # -- facts from other actors -------------------------------------------------------------------
    def _ask_de1(self, name: str, on_result) -> None:
        """Read a DE1 fact (an attribute, or a method without arguments) in the background."""
        proxy = self._proxy("de1")
        if proxy is None or self._watcher is None:
            return
        try:
            attribute = getattr(proxy, name)
            future = attribute() if callable(attribute) else attribute
        except (AttributeError, pykka.ActorDeadError):
            return
        self._watcher.watch(f"de1.{name}", future, on_result=on_result)

    def _load_lead(self, key: str) -> None:
        proxy = self._proxy("database")
        if proxy is None or self._watcher is None:
            return
        try:
            future = proxy.hkv_get(PERSIST_HEADER, key)
        except AttributeError:
            return
        self._watcher.watch("database.hkv_get", future, on_result=lambda text: _LeadLoaded(key, text))

    def _lead_loaded(self, msg: _LeadLoaded) -> None:
        if msg.key != self.setup_key:
            return   # the scale changed again meanwhile
        if msg.text is None:
            self.rules.weight_stop.set_lead(self.rules.weight_stop.prior())
            return
        try:
            lead = LeadState.from_json(json.loads(msg.text))
        except (ValueError, LeadStateError) as exc:
            self.log.warning("stored stop-at-weight drip for %s ignored: %s", msg.key, exc)
            return
        self.rules.weight_stop.set_lead(lead)
        self.log.info("stop-at-weight drip for %s: %.3f s (%d shots)", msg.key, lead.drip_s, lead.shots)

    def note_de1(self, firmware_build: int | None = None, **targets: float | None) -> None:
        """Facts only the DE1 knows (firmware build; steam_time, hot_water_time,
        hot_water_volume for 'de1 controlled' notifications)."""
        self.rules.note_de1(firmware_build, **targets)

    # -- timer --------------------------------------------------------------------------------
    def _reschedule(self) -> None:
        due = self.rules.next_deadline()
        if due is None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer, self._timer_due = None, None
            return
        if self._timer is not None and self._timer_due is not None and self._timer_due <= due:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = tell_later(self.actor_ref, (due - self.ctx.clock()) / self.timer_speedup, _Tick(due))
        self._timer_due = due

    # -- the gateway's methods -----------------------------------------------------------------------
    def get_control(self, area: str) -> dict[str, Any]:
        """``de1/control/<area>`` values kept here, or ``auto_off_time`` as ``{"time": minutes}``."""
        if area == "auto_off_time":
            return {"time": self.rules.controls.auto_off_time}
        return control_as_dict(self.rules.controls, area)

    def get_controls(self) -> dict[str, Any]:
        out: dict[str, Any] = {mode.value: control_as_dict(self.rules.controls, mode) for mode in ControlMode}
        out["auto_off_time"] = {"time": self.rules.controls.auto_off_time}
        return out

    def set_control(self, area: str, changes: Mapping[str, Any]) -> list:
        """Apply ``changes`` to ``area`` (all or nothing); ControlError names a bad key."""
        if area == "auto_off_time":
            if not isinstance(changes, Mapping) or set(changes) - {"time"}:
                raise ControlError("auto_off_time", "expected {\"time\": minutes or null}")
            if "time" in changes:
                minutes = auto_off_minutes(changes["time"])
                self._set_controls(replace(self.rules.controls, auto_off_time=minutes))
            return []
        controls = patch_controls(self.rules.controls, area, changes)
        self._set_controls(controls)
        if area == ControlMode.HOT_WATER_RINSE.value and "stop_at_time" in changes:
            self._push_flush_time(controls.hot_water_rinse.stop_at_time)
        return []

    def profile_uploaded(self, result: Mapping[str, Any]) -> dict[str, Any]:
        """A profile went to the DE1: take its stop limits (if allowed) and move-on weights."""
        limits = ProfileLimits.of_profile(_Attrs(result))
        self._set_controls(apply_profile(self.rules.controls, limits))
        return control_as_dict(self.rules.controls, ControlMode.ESPRESSO)

    def _set_controls(self, controls: Controls) -> None:
        self.rules.set_controls(controls)
        self._reschedule()

    def _push_flush_time(self, seconds: float | None) -> None:
        build = self.rules.firmware_build
        if build is not None and build >= RINSE_CONTROL_BUILD:
            self._command("de1", "write_mmr", "FLUSH_TIMEOUT", seconds or 0.0)

    # -- reporting ------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        seq = self.rules.sequence
        return {"sequence_id": seq.id if seq else self.rules.placeholder_id,
                "active_state": seq.active_state if seq else None,
                "running": bool(seq and seq.running),
                "gates": sorted(g.value for g in seq.gates) if seq else []}

    def health(self) -> dict[str, Any]:
        out = super().health()
        lead = self.rules.weight_stop.lead
        out.update({
            "sequence": self.status(),
            "stop_decision_latency": self.decision_latency.summary(),
            "stop_handling_time": self.handling_time.summary(),
            "scheduled_stop_lateness": self.scheduled_lateness.summary(),
            "commands_sent": dict(self.commands_sent),
            "command_failures": dict(self.command_failures),
            "weight_stop": {"setup": self.setup_key, "drip_s": round(lead.drip_s, 4),
                            "shots_learned": lead.shots,
                            "last_decision": self.rules.weight_stop.last_decision},
            "next_deadline": self.rules.next_deadline(),
            "de1_facts": {"firmware_build": self.rules.firmware_build, **self.rules.de1_targets},
        })
        return out


class _Attrs:
    """A mapping read through attributes (the DE1's upload answer as a ProfileLimits source)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        return self._data.get(name)


def sequencer_specs(config: Any = None, simulate: bool = False) -> list[ActorSpec]:
    """The supervisor's entry for the sequencer (the same with the simulator: it talks to
    whatever plays the device roles)."""
    return [ActorSpec(role=ROLE, actor_class=FlowSequencerActor,
                      kwargs={"params": SequencerParams.from_config(config)})]
