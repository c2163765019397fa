"""The BlueDOT thermometer actor against the simulated BlueDOT: updates on the bus, the
connection beep, report rates that follow the DE1, release on sleep, bad and probe-less
reports."""

from __future__ import annotations

import pytest

from actors.ble.actor import BluetoothActor
from actors.devices import SIM_BLUEDOT_ADDRESS, add_simulated_bluedot
from actors.sim.harness import FAST_SETTINGS
from actors.sim.registry import SimRegistry
from actors.supervisor import ActorSpec, Supervisor
from actors.thermometer import BlueDOT
from pyde1 import bluedot
from pyde1.events import (BlueDOTUpdate, DeviceAvailability, DeviceAvailabilityState as A, DeviceRole,
                          StateUpdate, TemperatureUnit)
from pyde1.lifecycle import RestartPolicy

T = 10.0


def state(new: str, previous: str = "Idle") -> StateUpdate:
    return StateUpdate(state=new, substate="NoState", previous_state=previous,
                       previous_substate="NoState", is_error_state=False)


@pytest.fixture
def rig(runtime):
    registry = SimRegistry(speedup=20)
    device = add_simulated_bluedot(registry, SIM_BLUEDOT_ADDRESS, seed=4, steaming=lambda: False)
    specs = [ActorSpec("bluetooth", BluetoothActor, {"settings": FAST_SETTINGS, "sim_registry": registry}),
             ActorSpec("thermometer", BlueDOT, {"settings": FAST_SETTINGS, "address": SIM_BLUEDOT_ADDRESS,
                                                "capture_on_start": True, "idle_interval": 3},
                       depends_on=("bluetooth",))]
    sup = Supervisor.start(runtime, specs, RestartPolicy(initial=0.01, maximum=0.05)).proxy()
    sup.start_all().get(timeout=20)
    rec = runtime.extras["recorder"]
    rec.wait_for(DeviceAvailability, lambda e: e.role is DeviceRole.THERMOMETER and e.state is A.READY, timeout=T)
    yield registry, device, runtime
    sup.stop_all().get(timeout=20)
    sup.actor_ref.stop(block=True, timeout=5)


def writes(registry, device, uuid):
    return registry.call(lambda: [d for _, u, d in device.model.writes if u == uuid])


def test_updates_are_published_with_the_devices_units_and_alarm(rig):
    registry, device, ctx = rig
    rec = ctx.extras["recorder"]
    update = rec.wait_for(BlueDOTUpdate, lambda e: e.high_alarm == 65, timeout=T)
    assert update.sender == "BlueDOT" and update.name == "BlueDOT"
    assert update.units is TemperatureUnit.CELSIUS and update.alarm_byte == "00"
    assert 0 <= update.temperature <= 10                  # the fridge-cold pitcher


def test_connection_beep_and_rates(rig):
    registry, device, ctx = rig
    rec = ctx.extras["recorder"]
    rec.wait_for(BlueDOTUpdate, lambda e: e.high_alarm == 0, timeout=T)          # beeping
    rec.wait_for(BlueDOTUpdate, lambda e: e.high_alarm == 65, timeout=T,
                 start=len(rec.events))                                          # restored
    assert writes(registry, device, bluedot.HIGH_ALARM) == [b"\x00", b"\x41"]
    assert writes(registry, device, bluedot.INTERVAL) == [b"\x01", b"\x03"]     # fast, then idle
    thermo = ctx.roles.get("thermometer").proxy()
    ctx.bus.publish(state("Steam"))
    ctx.bus.publish(state("Idle", previous="Steam"))
    assert thermo.health().get(timeout=T)["interval"] == 3
    assert writes(registry, device, bluedot.INTERVAL)[-2:] == [b"\x01", b"\x03"]
    thermo.set_interval(5).get(timeout=T)
    assert writes(registry, device, bluedot.INTERVAL)[-1] == b"\x05"
    with pytest.raises(ValueError):
        thermo.set_interval(0).get(timeout=T)


def test_released_slowly_when_the_de1_sleeps_and_captured_when_it_wakes(rig):
    registry, device, ctx = rig
    rec = ctx.extras["recorder"]
    mark = len(rec.events)
    ctx.bus.publish(state("Sleep"))
    rec.wait_for(DeviceAvailability, lambda e: e.role is DeviceRole.THERMOMETER and e.state is A.RELEASED,
                 timeout=T, start=mark)
    assert writes(registry, device, bluedot.INTERVAL)[-1] == b"\x3c"            # 60 s before release
    assert not device.connected
    ctx.bus.publish(state("Idle", previous="Sleep"))
    rec.wait_for(DeviceAvailability, lambda e: e.role is DeviceRole.THERMOMETER and e.state is A.READY,
                 timeout=T, start=mark)


def test_reports_without_a_probe_and_bad_reports_are_not_published(rig):
    registry, device, ctx = rig
    rec = ctx.extras["recorder"]
    rec.wait_for(BlueDOTUpdate, timeout=T)
    mark = len(rec.events)
    no_probe = bluedot.encode_update(99, 65, address=SIM_BLUEDOT_ADDRESS, probe_connected=False)
    good = bluedot.encode_update(77, 65, address=SIM_BLUEDOT_ADDRESS)
    registry.call(lambda: [device.inject(bluedot.UPDATES, d) for d in (b"\x00\x01", no_probe, good)])
    rec.wait_for(BlueDOTUpdate, lambda e: e.temperature == 77, timeout=T, start=mark)
    assert not [e for e in rec.events[mark:] if isinstance(e, BlueDOTUpdate) and e.temperature == 99]
    health = ctx.roles.get("thermometer").proxy().health().get(timeout=T)
    assert health["bad_packets"] == {"update": 1} and health["alive"]


def test_high_alarm_can_be_set(rig):
    registry, device, ctx = rig
    rec = ctx.extras["recorder"]
    rec.wait_for(BlueDOTUpdate, lambda e: e.high_alarm == 65, timeout=T)
    thermo = ctx.roles.get("thermometer").proxy()
    thermo.set_high_alarm(58).get(timeout=T)
    rec.wait_for(BlueDOTUpdate, lambda e: e.high_alarm == 58, timeout=T)
    with pytest.raises(ValueError, match="outside 0..255"):
        thermo.set_high_alarm(300).get(timeout=T)
