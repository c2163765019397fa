"""The managed-device lifecycle with real actors: capture/release on request, .btid files,
scanning by role, release on DE1 sleep and capture on wake, a class change through the
supervisor with subscribers still receiving."""

from __future__ import annotations

import pytest

from actors.ble.actor import BluetoothActor
from actors.ble.messages import BleNotification
from actors.managed_device import DeviceNoAddressError, ManagedDeviceActor
from actors.sim.harness import FAST_SETTINGS, SimRig
from actors.sim.registry import SimRegistry
from actors.supervisor import ActorSpec, Supervisor
from pyde1.events import (DeviceAvailability, DeviceAvailabilityState as A, DeviceRole, ScanResults,
                          StateUpdate)
from pyde1.lifecycle import ActorLifecycle, LifecycleKind, RestartPolicy
from pyde1.protocol.enums import MachineState
from pyde1.sim.de1 import DE1Model
from pyde1.sim.peripheral import GattCharacteristicSpec, GattServiceSpec, SimPeripheral

T = 10.0
THING_SERVICE = "0000fff0-0000-1000-8000-00805f9b34fb"
THING_TICKS = "0000fff1-0000-1000-8000-00805f9b34fb"


class ThingModel(SimPeripheral):
    """A peripheral that notifies a counter every 0.1 simulated seconds."""

    def __init__(self, name: str, address: str) -> None:
        super().__init__(name=name, address=address, advertised_services=(THING_SERVICE,))
        self.count = 0
        self._next = 0.1

    def services(self):
        return (GattServiceSpec(THING_SERVICE, (GattCharacteristicSpec(THING_TICKS, ("read", "notify")),)),)

    def read(self, uuid):
        return self.count.to_bytes(4, "big")

    def advance(self, dt):
        super().advance(dt)
        while self.sim_time >= self._next:
            self._next += 0.1
            self.count += 1
            self.notify(THING_TICKS, self.count.to_bytes(4, "big"))


class GenericThing(ManagedDeviceActor):
    device_role = DeviceRole.OTHER
    notify_uuids = (THING_TICKS,)
    subscribes = (StateUpdate,)

    def __init__(self, ctx, role, **kw):
        super().__init__(ctx, role, **kw)
        self.ticks = 0

    def initialise(self, info):
        self.link.read(THING_TICKS)
        if info.name.startswith("ThingPro") and type(self) is GenericThing:
            self.replace_with(ThingPro)

    def on_notification(self, message: BleNotification):
        self.ticks += 1

    def tick_count(self):
        return self.ticks


class ThingPro(GenericThing):
    release_on_sleep = True
    capture_on_wake = True


def _thing_rig(runtime, name="ThingPro-1", cls=GenericThing, capture=True):
    registry = SimRegistry(speedup=20)
    registry.add(ThingModel(name, "AA:BB:CC:DD:EE:01"))
    specs = [ActorSpec("bluetooth", BluetoothActor, {"settings": FAST_SETTINGS, "sim_registry": registry}),
             ActorSpec("thing", cls, {"settings": FAST_SETTINGS, "address": "AA:BB:CC:DD:EE:01",
                                      "capture_on_start": capture}, depends_on=("bluetooth",))]
    sup = Supervisor.start(runtime, specs, RestartPolicy(initial=0.01, maximum=0.05)).proxy()
    sup.start_all().get(timeout=T)
    return sup, registry


def _state(before: str, after: str) -> StateUpdate:
    return StateUpdate(state=after, substate="NoState", previous_state=before,
                       previous_substate="NoState", is_error_state=False)


def test_class_change_restarts_the_role_and_subscribers_keep_receiving(runtime):
    rec = runtime.extras["recorder"]
    sup, _ = _thing_rig(runtime)
    replaced = rec.wait_for(ActorLifecycle, lambda e: e.kind is LifecycleKind.REPLACED, timeout=T)
    assert replaced.role == "thing" and "GenericThing -> ThingPro" in replaced.reason
    ready = rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    assert ready.sender == "ThingPro"  # the generic actor never reported ready
    thing = runtime.roles.get("thing").proxy()
    assert thing.health().get(timeout=T)["class"] == "ThingPro"
    # the role's bus subscription survived the restart: the DE1 going to sleep releases it
    runtime.bus.publish(_state("Idle", "Sleep"))
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.RELEASED and e.sender == "ThingPro", timeout=T)
    start = len(rec.events)
    runtime.bus.publish(_state("Sleep", "Idle"))
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T, start=start)
    sup.stop_all().get(timeout=T)


def test_notifications_reach_the_owner_and_release_stops_them(runtime):
    rec = runtime.extras["recorder"]
    sup, registry = _thing_rig(runtime, name="Thing-7")
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    thing = runtime.roles.get("thing").proxy()
    seen = 0
    while seen < 5:  # ticks arrive as BleNotification tells, looked up by role at send time
        seen = thing.tick_count().get(timeout=T)
    assert thing.request_release().get(timeout=T) in ("releasing", "released")
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.RELEASED, timeout=T)
    states = [e.state for e in rec.of_type(DeviceAvailability)]
    assert states[-3:] == [A.NOT_READY, A.RELEASING, A.RELEASED]
    assert not registry.get("AA:BB:CC:DD:EE:01").connected
    assert thing.request_capture().get(timeout=T) == "capturing"
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T, start=len(rec.events) - 1)
    assert thing.set_address(None).get(timeout=T) == ""
    with pytest.raises(DeviceNoAddressError):
        thing.request_capture().get(timeout=T)
    assert thing.availability().get(timeout=T) == "initial"
    sup.stop_all().get(timeout=T)


def test_btid_file_while_connected(runtime, tmp_path):
    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=20, de1_kwargs={"btid_directory": str(tmp_path)})
    rig.start()
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    btid = tmp_path / "D15E00000001.btid"
    assert btid.read_text() == "D1:5E:00:00:00:01"
    rig.de1.request_release().get(timeout=T)
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.RELEASED, timeout=T)
    assert not btid.exists()
    rig.stop()


def test_scan_by_role_publishes_accumulated_results(runtime):
    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=20, capture_on_start=False)
    rig.registry.add(ThingModel("Skale", "AA:BB:CC:DD:EE:02"))
    rig.registry.add(ThingModel("BlueDOT", "AA:BB:CC:DD:EE:03"))
    rig.start()
    found = rig.ble.scan("de1", 0.3).get(timeout=T).result(timeout=T)
    assert [(d.address, d.name) for d in found] == [("D1:5E:00:00:00:01", "DE1")]
    scans = rec.of_type(ScanResults)
    assert scans[0].scanning and scans[0].devices == () and scans[0].role is DeviceRole.DE1
    assert not scans[-1].scanning and [d.name for d in scans[-1].devices] == ["DE1"]
    everything = rig.ble.scan(None, 0.3).get(timeout=T).result(timeout=T)
    assert {d.name for d in everything} == {"DE1", "Skale", "BlueDOT"}
    first = rig.ble.scan("scale", 5.0, True).get(timeout=T).result(timeout=T)
    assert [d.name for d in first] == ["Skale"]  # first match ends the scan at once
    # a connected device stops advertising
    rig.de1.request_capture().get(timeout=T)
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    assert rig.ble.scan("de1", 0.3).get(timeout=T).result(timeout=T) == []
    rig.stop()


def test_two_simulated_de1s_are_told_apart_by_address(runtime):
    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=20, capture_on_start=False)
    rig.registry.add(DE1Model(address="D1:5E:00:00:00:02", start_state=MachineState.Sleep))
    rig.start()
    rig.de1.set_address("D1:5E:00:00:00:02", "DE1").get(timeout=T)
    rig.de1.request_capture().get(timeout=T)
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY and e.id.endswith("02"), timeout=T)
    assert rig.de1.get_state().get(timeout=T) == ("Sleep", "NoState")
    assert rig.registry.get("D1:5E:00:00:00:02").connected and not rig.device.connected
    rig.stop()


def test_assign_by_scan_takes_the_first_de1_and_captures_it(runtime):
    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=20, capture_on_start=False, address="D1:5E:00:00:00:05")
    rig.start()
    rig.de1.set_address(None).get(timeout=T)
    assert rig.de1.assign_by_scan(1.0).get(timeout=T) == "D1:5E:00:00:00:05"
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    final = [e for e in rec.of_type(ScanResults) if not e.scanning][-1]
    assert [d.address for d in final.devices] == ["D1:5E:00:00:00:05"]
    # connected: a second "scan" keeps the device
    assert rig.de1.assign_by_scan(1.0).get(timeout=T) == "D1:5E:00:00:00:05"
    rig.stop()
