"""One simulated setup for ``scripts/bench saw``: a whole pyde1 stack on the simulator.

Real actors, wired as ``pyde1-run --simulate`` wires them: the Bluetooth actor with the
simulator backend (a DE1 model and one scale model in the simulated air), the DE1 actor, the
scale actor (its family's byte protocol), the scale processor (Kalman filter) and the
FlowSequencer. Simulated time runs ``speedup`` times faster than real time, and every actor
reads the *simulated* clock (``ServiceContext.clock``); the sequencer's timers wait the real
equivalent (``timer_speedup``). See docs/stop-at-weight.md, "Simulated benchmark".

The rig watches, from inside the simulator's loop (so nothing is added to the decision
path), the scale's notifications (real and simulated arrival time) and the moment the DE1
model receives the stop request; and it can fire a fault on the scale when the cup reaches
a given weight.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from pyde1.events import (DeviceAvailability, DeviceAvailabilityState, SequencerGateNotification,
                          StateUpdate, StopAtNotification)
from pyde1.protocol.enums import MachineState

SCALE_ADDRESS = "5C:A1:E5:00:00:01"
DRIVER_TICK = 0.01   # simulated s per simulator step (the models' default 0.05 s quantizes the stop)


@dataclass(frozen=True)
class ScaleSetup:
    """One scale on one machine: family, seed, and how it differs from the family default."""

    kind: str
    seed: int
    sensor_lag: float | None = None     # s; None = the family's default
    noise_factor: float = 1.0           # multiplies the family's noise (still and per flow)

    def label(self) -> str:
        lag = "default" if self.sensor_lag is None else f"{self.sensor_lag:.2f}s"
        return f"{self.kind}/seed{self.seed}/lag {lag}/noise x{self.noise_factor:.2f}"


@dataclass(frozen=True)
class Fault:
    kind: str             # spike | bump | freeze
    at_fraction: float    # fired when the cup holds this fraction of the target
    value: float = 0.0    # g (spike, bump)
    duration: float = 0.0  # s (bump, freeze)


@dataclass
class ShotRecord:
    profile: str
    target: float
    scale: str
    fault: str = ""
    final: float | None = None          # g in the cup once the drips settled (the DE1 model's)
    stop_reason: str | None = None      # weight | volume | time | None (the profile ended it)
    scheduled: bool | None = None       # stop sent by the sequencer's timer between reports
    cup_at_stop: float | None = None    # g in the cup when the DE1 received the stop
    flow_at_stop: float | None = None   # g/s into the cup then
    #: real ms to the stop reaching the DE1 model, from the triggering scale notification
    #: (stops decided on a report) or from the simulated clock passing the moment (timer stops)
    latency_real_ms: float | None = None
    latency_sim_ms: float | None = None    # the same in simulated time
    sim_lag_ms: float | None = None     # sim time from the decision (report or timer) to the DE1
    fault_before_stop_s: float | None = None  # sim s from the fault's start to the stop
    drip_s: float | None = None         # the sequencer's learned drip after this shot
    shot_seconds: float = 0.0           # simulated
    error: str = ""

    @property
    def signed_error(self) -> float | None:
        return None if self.final is None else self.final - self.target


class _Watch:
    """Loop-thread hooks on the models. Plain attributes written by the loop, read after."""

    def __init__(self, registry, de1_model, scale_device) -> None:
        self.registry = registry
        self.de1 = de1_model
        self.emissions: deque[tuple[float, float]] = deque(maxlen=64)   # (perf, sim)
        self.cup: deque[tuple[float, float]] = deque(maxlen=64)         # (sim, cup g)
        self.stop: tuple[float, float, float] | None = None             # (perf, sim, cup)
        self.steps: deque[tuple[float, float]] = deque(maxlen=400)      # (perf, sim) per step
        self.stop_steps: list[tuple[float, float]] = []
        self.fault: Fault | None = None
        self.fault_target = 0.0
        self.fault_at: float | None = None
        scale = scale_device.model
        original_emit = scale_device._emit
        original_request = de1_model.request

        def emit(uuid: str, data: bytes, delay: float) -> None:
            now = registry.sim_seconds
            self.emissions.append((time.perf_counter(), now))
            self.cup.append((now, de1_model.cup_ml))
            f = self.fault
            if f is not None and self.fault_at is None and scale.in_cup >= f.at_fraction * self.fault_target:
                self.fault_at = now
                if f.kind == "spike":
                    scale.spike(f.value)
                elif f.kind == "bump":
                    scale.bump(f.value, f.duration)
                else:
                    scale.freeze(f.duration)
            original_emit(uuid, data, delay)

        def request(want) -> None:
            if (want == MachineState.Idle and self.stop is None
                    and de1_model.state == MachineState.Espresso):
                self.stop = (time.perf_counter(), registry.sim_seconds, de1_model.cup_ml)
                self.stop_steps = list(self.steps)
            original_request(want)

        de1_device = next(d for d in registry.devices() if d.model is de1_model)
        original_advance = de1_device.advance

        def advance(dt: float) -> None:
            # when (real time) the simulated clock passed each step: for timer-sent stops
            self.steps.append((time.perf_counter(), registry.sim_seconds))
            original_advance(dt)

        scale_device._emit = emit
        de1_model.request = request
        de1_device.advance = advance

    def arm(self, fault: Fault | None, target: float) -> None:
        self.stop, self.fault, self.fault_target, self.fault_at = None, fault, target, None

    def real_time_at(self, sim_t: float) -> float | None:
        """Real (perf_counter) time at which the simulated clock first reached ``sim_t``."""
        return next((perf for perf, sim in self.stop_steps if sim >= sim_t), None)

    def flow_at(self, sim_t: float) -> float | None:
        pts = [(t, c) for t, c in self.cup if sim_t - 0.6 <= t <= sim_t]
        if len(pts) < 2 or pts[-1][0] - pts[0][0] < 0.2:
            return None
        return (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])


class _Events:
    """The few bus events the rig waits on (a cheap callback in the publisher's thread)."""

    TYPES = (StateUpdate, SequencerGateNotification, StopAtNotification, DeviceAvailability)

    def __init__(self, bus) -> None:
        self._bus = bus
        self._cond = threading.Condition()
        self.events: list[Any] = []
        bus.add_callback(self._on, self.TYPES)

    def _on(self, event: Any) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def close(self) -> None:
        self._bus.remove_callback(self._on)

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def wait(self, cls: type, pred, timeout: float, start: int = 0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events[start:]:
                    if isinstance(e, cls) and pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {cls.__name__} as expected within {timeout:.0f} s")
                self._cond.wait(left)

    def since(self, start: int) -> list[Any]:
        with self._cond:
            return list(self.events[start:])


class MemoryHkv:
    """Plays the ``database`` role's ``persist_hkv`` for the rig (the learned drip and the
    scale period are kept across the rig's shots, as the database keeps them at home)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str | None, str], str] = {}

    def actor_class(self) -> type:
        from actors.base import ServiceActor

        values = self.values

        class _Hkv(ServiceActor):
            def hkv_get(self, header, key, default=None):
                return values.get((header, key), default)

            def hkv_put(self, header, key, value) -> None:
                values[(header, key)] = str(value)

        return _Hkv


class SawRig:
    """A simulated DE1 + scale under the real actors, clocked by the simulator."""

    def __init__(self, setup: ScaleSetup, speedup: float, de1_seed: int = 1,
                 tick: float = DRIVER_TICK) -> None:
        from actors.base import ServiceContext
        from actors.ble import bluetooth_specs
        from actors.bus import EventBus, RoleTable
        from actors.devices import add_simulated_scale, device_specs
        from actors.scale_processor import scale_processor_spec
        from actors.sequencer import sequencer_specs
        from actors.supervisor import Supervisor
        from pyde1.lifecycle import RestartPolicy
        from pyde1.sim.de1 import DE1Model

        self.setup, self.speedup = setup, speedup
        config = {"simulator": {"SPEEDUP": speedup, "SCALE": setup.kind, "START_STATE": "Idle",
                                "SEED": de1_seed, "THERMOMETER": False}}
        specs = bluetooth_specs(config, simulate=True)
        self.registry = registry = specs[0].kwargs["sim_registry"]
        self.de1_model = next(d.model for d in registry.devices() if isinstance(d.model, DE1Model))
        # The scale is added before the scale actor starts (adding is idempotent), so its
        # behaviour can differ from the family default.
        probe = _behaviour(setup)
        self.scale_device = add_simulated_scale(registry, setup.kind, SCALE_ADDRESS, setup.seed,
                                                behaviour=probe)
        for device in registry.devices():
            device.model.tick = tick
        self.base = base = time.time()
        self.roles = RoleTable()
        # Every actor reads the simulated clock: arrival stamps, filter times, the sequencer's
        # "now" and deadlines are all simulated seconds.
        self.ctx = ServiceContext(config=None, bus=EventBus(self.roles), roles=self.roles,
                                  clock=lambda: base + registry.sim_seconds)
        self.events = _Events(self.ctx.bus)
        self.watch = _Watch(registry, self.de1_model, self.scale_device)
        seq_spec = sequencer_specs(config)[0]
        from actors.supervisor import ActorSpec

        self.hkv = MemoryHkv()
        specs += device_specs(config, simulate=True)[:1] + [
            ActorSpec("database", self.hkv.actor_class(), {}, required=False),
            scale_processor_spec(config),
            replace(seq_spec, kwargs={**seq_spec.kwargs, "timer_speedup": speedup})]
        self.supervisor = Supervisor.start(self.ctx, specs, RestartPolicy(initial=0.01, maximum=0.05)).proxy()

    # -- life ------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        states = self.supervisor.start_all().get(timeout=timeout)
        bad = {role: s for role, s in states.items() if s != "running"}
        if bad:
            raise RuntimeError(f"rig did not start: {bad}")
        for role in ("de1", "scale"):
            self.events.wait(DeviceAvailability, lambda e, r=role: e.role.value == r
                             and e.state is DeviceAvailabilityState.READY, timeout)

    def stop(self) -> None:
        try:
            self.supervisor.stop_all().get(timeout=30)
            self.supervisor.actor_ref.stop(block=True, timeout=5)
        finally:
            self.events.close()

    def proxy(self, role: str):
        return self.roles.get(role).proxy()

    def sequencer_health(self) -> dict[str, Any]:
        return self.proxy("sequencer").health().get(timeout=10)

    # -- one shot ----------------------------------------------------------------------------
    def shot(self, name: str, source: bytes, target: float, fault: Fault | None = None,
             max_sim_seconds: float = 240.0) -> ShotRecord:
        rec = ShotRecord(profile=name, target=target, scale=self.setup.label(),
                         fault=_fault_label(fault))
        de1, seq = self.proxy("de1"), self.proxy("sequencer")
        self.registry.call(self.de1_model.refill_tank)
        result = de1.upload_profile(source).get(timeout=20)
        seq.profile_uploaded(result).get(timeout=10)
        # Only the weight stop is measured: the profile's volume limit (taken over with
        # profile overrides) would otherwise race it.
        seq.set_control("espresso", {"stop_at_weight": target, "stop_at_volume": None,
                                     "stop_at_time": None}).get(timeout=10)
        before = self.sequencer_health()
        self.watch.arm(fault, target)
        mark = self.events.mark()
        sim_start = self.registry.sim_seconds
        real_timeout = max_sim_seconds / self.speedup + 30
        de1.set_mode("Espresso").get(timeout=10)
        started = self.events.wait(SequencerGateNotification, lambda e: e.name.value == "sequence_start"
                                   and e.action.value == "set", real_timeout, mark)
        self.events.wait(SequencerGateNotification, lambda e: e.sequence_id == started.sequence_id
                         and e.name.value == "sequence_complete" and e.action.value == "set",
                         real_timeout, mark)
        self.events.wait(StateUpdate, lambda e: e.state == "Idle", real_timeout, mark)
        rec.final = self.registry.call(lambda: self.de1_model.cup_ml)
        rec.shot_seconds = self.registry.sim_seconds - sim_start
        after = self.sequencer_health()
        rec.drip_s = after["weight_stop"]["drip_s"]
        triggered = [e for e in self.events.since(mark) if isinstance(e, StopAtNotification)
                     and e.action.value == "triggered"]
        stops = [e.stop_at.value for e in triggered if e.stop_at.value in ("weight", "volume", "time")]
        if stops:   # "move on by weight" skips a frame; it does not end the shot
            rec.stop_reason = "weight" if "weight" in stops else stops[0]
        weight_trigger = next((e for e in triggered if e.stop_at.value == "weight"), None)
        self._timing(rec, before, after, weight_trigger)
        return rec

    def _timing(self, rec: ShotRecord, before: dict, after: dict, trigger) -> None:
        stop = self.watch.stop
        if stop is None or rec.stop_reason is None:
            return
        perf, sim, cup = stop
        rec.cup_at_stop = cup
        rec.flow_at_stop = self.watch.flow_at(sim)
        if self.watch.fault_at is not None:
            rec.fault_before_stop_s = sim - self.watch.fault_at

        def count(h: dict, key: str) -> int:
            return h[key].get("count", 0)
        rec.scheduled = count(after, "scheduled_stop_lateness") > count(before, "scheduled_stop_lateness")
        earlier = [e for e in self.watch.emissions if e[0] <= perf]
        if earlier and not rec.scheduled:
            rec.latency_real_ms = (perf - earlier[-1][0]) * 1000
            rec.latency_sim_ms = (sim - earlier[-1][1]) * 1000
            rec.sim_lag_ms = rec.latency_sim_ms
        elif rec.scheduled and trigger is not None:
            # the moment the stop was due = the sequencer's clock at the call (the notification's
            # stamp) minus the timer's lateness; the lag runs on to the DE1 model's receipt
            lateness = after["scheduled_stop_lateness"].get("last_ms", 0.0) / 1000
            moment = trigger.arrival_time - self.base - lateness
            rec.sim_lag_ms = (sim - moment) * 1000
            reached = self.watch.real_time_at(moment)
            if reached is not None:
                rec.latency_real_ms = (perf - reached) * 1000


def _behaviour(setup: ScaleSetup):
    from pyde1.sim.scale_models import make_sim_scale

    default = make_sim_scale(setup.kind).default_behaviour()
    changes: dict[str, Any] = {"noise_still": default.noise_still * setup.noise_factor,
                               "noise_per_flow": default.noise_per_flow * setup.noise_factor}
    if setup.sensor_lag is not None:
        changes["sensor_lag"] = setup.sensor_lag
    return replace(default, **changes)


def _fault_label(fault: Fault | None) -> str:
    if fault is None:
        return ""
    if fault.kind == "spike":
        return f"spike {fault.value:+.0f} g at {fault.at_fraction:.0%}"
    if fault.kind == "bump":
        return f"bump {fault.value:+.0f} g {fault.duration:.1f} s at {fault.at_fraction:.0%}"
    return f"freeze {fault.duration:.1f} s at {fault.at_fraction:.0%}"


__all__ = ["Fault", "SawRig", "ScaleSetup", "ShotRecord"]
