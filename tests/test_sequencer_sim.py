"""End to end with the simulated DE1 (simulator bleak backend, Bluetooth actor, DE1 actor):
a simulated espresso produces the gates in the documented order, and a controller stop
(stop at volume) really ends the simulated shot."""

from __future__ import annotations

import pytest
from test_sequencer_actor import WAIT, start

from actors.sequencer import FlowSequencerActor
from pyde1.events import (DeviceAvailability, DeviceAvailabilityState, SequencerGateNotification,
                          ShotSampleWithVolumesUpdate, StateUpdate, StopAtNotification)
from pyde1.sequencer import GATE_ORDER

sim = pytest.importorskip("actors.sim.harness", reason="the simulator is not part of this build")

T = 40.0


@pytest.fixture
def rig(runtime):
    # 8x: fast, yet a 10 ms scheduling hiccup on a loaded CI machine is only 80 ms of
    # simulated pour (about 0.2 g), well inside the 1 g these tests allow.
    rig = sim.SimRig(runtime, speedup=8)
    seq = start(runtime, FlowSequencerActor, "sequencer").proxy()
    seq.set_control("espresso", {"last_drops_minimum_time": 0.2}).get(timeout=WAIT)
    rig.start()
    runtime.extras["recorder"].wait_for(
        DeviceAvailability, lambda e: e.role.value == "de1" and e.state is DeviceAvailabilityState.READY,
        timeout=T)
    yield rig, seq
    rig.stop()


def complete(rec, start=0):
    return rec.wait_for(SequencerGateNotification,
                        lambda e: e.name.value == "sequence_complete" and e.action.value == "set",
                        timeout=T, start=start)


def test_simulated_espresso_sets_every_gate_in_order(rig, runtime):
    de1_rig, seq = rig
    rec = runtime.extras["recorder"]
    de1_rig.de1.set_mode("Espresso").get(timeout=T)
    done = complete(rec)
    gates = [e for e in rec.of_type(SequencerGateNotification) if e.sequence_id == done.sequence_id]
    assert [g.name for g in gates if g.action.value == "clear"] == list(GATE_ORDER)
    assert [g.name for g in gates if g.action.value == "set"] == list(GATE_ORDER)
    assert {g.active_state for g in gates} == {"Espresso"}
    assert not seq.status().get(timeout=WAIT)["running"]
    # what the sequencer learnt from the DE1 in the background (for 'de1 controlled' limits)
    facts = seq.health().get(timeout=WAIT)["de1_facts"]
    assert facts["firmware_build"] == 1333
    assert facts["steam_time"] == de1_rig.de1.get_shot_settings().get(timeout=T)["target_steam_length"]


def test_stop_at_volume_ends_the_simulated_shot_early(rig, runtime):
    de1_rig, seq = rig
    rec = runtime.extras["recorder"]
    seq.set_control("espresso", {"stop_at_volume": 12.0}).get(timeout=WAIT)
    de1_rig.de1.set_mode("Espresso").get(timeout=T)
    triggered = rec.wait_for(StopAtNotification,
                             lambda e: e.stop_at.value == "volume" and e.action.value == "triggered",
                             timeout=T)
    assert triggered.current_value >= 12.0
    rec.wait_for(StateUpdate, lambda e: e.previous_state == "Espresso" and e.state == "Idle", timeout=T)
    complete(rec)
    last = rec.of_type(ShotSampleWithVolumesUpdate)[-1]
    # the default profile runs to well over 30 ml; stopped, the pour ends soon after 12 ml
    assert 12.0 <= last.volume_pour < 25.0
    assert seq.health().get(timeout=WAIT)["commands_sent"]["stop (volume)"] == 1


class FullStack:
    """Simulated DE1, scale and BlueDOT, the scale processor and the sequencer under one
    supervisor, at ``speedup`` with the simulated clock as the service clock."""

    def __init__(self, speedup: float = 10.0, scale: str = "skale") -> None:
        import time
        from dataclasses import replace

        from actors.base import ServiceContext
        from actors.ble import bluetooth_specs
        from actors.bus import EventBus, RoleTable
        from actors.devices import device_specs
        from actors.scale_processor import scale_processor_spec
        from actors.sequencer import sequencer_specs
        from actors.supervisor import Supervisor
        from pyde1.lifecycle import RestartPolicy
        from support.recorder import EventRecorder

        config = {"simulator": {"SPEEDUP": speedup, "SCALE": scale, "START_STATE": "Idle", "SEED": 5}}
        specs = bluetooth_specs(config, simulate=True)
        self.registry = registry = specs[0].kwargs["sim_registry"]
        base = time.time()
        self.roles = RoleTable()
        self.ctx = ServiceContext(config=None, bus=EventBus(self.roles), roles=self.roles,
                                  clock=lambda: base + registry.sim_seconds)
        self.rec = EventRecorder(self.ctx.bus)
        seq_spec = sequencer_specs(config)[0]
        specs += device_specs(config, simulate=True) + [scale_processor_spec(config)] + [
            replace(seq_spec, kwargs={**seq_spec.kwargs, "timer_speedup": speedup})]
        self.sup = Supervisor.start(self.ctx, specs, RestartPolicy(initial=0.01, maximum=0.05)).proxy()

    def __enter__(self) -> "FullStack":
        assert set(self.sup.start_all().get(timeout=30).values()) == {"running"}
        return self

    def __exit__(self, *exc) -> None:
        import pykka
        self.sup.stop_all().get(timeout=30)
        self.sup.actor_ref.stop(block=True, timeout=5)
        self.rec.close()
        pykka.ActorRegistry.stop_all(block=True, timeout=10)

    def ready(self, *roles: str) -> None:
        for role in roles:
            self.rec.wait_for(DeviceAvailability, lambda e: e.role.value == role
                              and e.state is DeviceAvailabilityState.READY, timeout=T)

    def proxy(self, role: str):
        return self.roles.get(role).proxy()


def test_full_stack_shot_stops_on_weight_near_the_target():
    """Simulated DE1 + simulated Skale + scale processor (Kalman) + sequencer, at 10x speed:
    the cup lands within 1 g of 36 g."""
    with FullStack() as stack:
        stack.ready("de1", "scale")
        seq = stack.proxy("sequencer")
        seq.set_control("espresso", {"stop_at_weight": 36.0}).get(timeout=WAIT)
        stack.proxy("de1").set_mode("Espresso").get(timeout=T)
        triggered = stack.rec.wait_for(StopAtNotification, lambda e: e.action.value == "triggered",
                                       timeout=60)
        assert triggered.stop_at.value == "weight"
        complete(stack.rec)
        cup = stack.registry.call(lambda: [d.model.cup_ml for d in stack.registry.devices()
                                           if hasattr(d.model, "cup_ml")][0])
        assert abs(cup - 36.0) < 1.0, f"cup landed at {cup:.2f} g"
        assert seq.health().get(timeout=WAIT)["commands_sent"]["stop (weight)"] == 1


def test_full_stack_steam_ends_at_the_bluedot_target():
    # With the purge deferred the DE1 actor ends steam by asking for Idle (F.1 step 2); the
    # simulated DE1 does not model the other way (a zero steam time written and restored).
    from pyde1.events import BlueDOTUpdate
    with FullStack(scale="none") as stack:
        stack.ready("de1", "thermometer")
        stack.proxy("de1").write_mmr("STEAM_PURGE_MODE", 1).get(timeout=T)
        target = stack.rec.wait_for(BlueDOTUpdate, lambda e: e.high_alarm > 20, timeout=T).high_alarm
        stack.proxy("de1").set_mode("Steam").get(timeout=T)
        triggered = stack.rec.wait_for(StopAtNotification, lambda e: e.action.value == "triggered",
                                       timeout=60)
        assert (triggered.stop_at.value, triggered.target_value) == ("steam to temperature", target)
        assert triggered.current_value < target          # ended ahead of the target
        ended = stack.rec.wait_for(StateUpdate, lambda e: e.substate != "Steaming"
                                   and e.previous_substate == "Steaming", timeout=T)
        assert ended.arrival_time >= triggered.arrival_time
        complete(stack.rec)
        last = stack.rec.of_type(BlueDOTUpdate)[-1]
        assert abs(last.temperature - target) <= 3, f"milk at {last.temperature}, target {target}"
