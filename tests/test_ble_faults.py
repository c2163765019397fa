"""Faults injected by the simulator: a link lost mid-shot, refused connections, garbage
packets, a read that never answers. The actors must survive each and say what happened."""

from __future__ import annotations

import logging
import time

import pytest

from actors.ble.messages import BleConnectError, BleTimeoutError
from actors.de1 import U
from actors.sim.harness import SimRig, with_settings
from pyde1.events import DeviceAvailability, DeviceAvailabilityState as A, StateUpdate
from pyde1.protocol.enums import MachineState as S, Substate as Sub

T = 10.0


def _ready(rec, start: int = 0):
    return rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T, start=start)


def test_link_lost_mid_shot_reconnects_and_the_shot_finishes(runtime):
    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=40)
    rig.start()
    _ready(rec)
    rig.device.faults.drop_when = lambda m: m.state == S.Espresso and m.substate == Sub.Pour
    rig.de1.set_mode("Espresso").get(timeout=T)
    lost = rec.wait_for(DeviceAvailability, lambda e: e.state is A.NOT_READY, timeout=T)
    mark = rec.events.index(lost)
    _ready(rec, start=mark)
    after = [e.state for e in rec.events[mark:] if isinstance(e, DeviceAvailability)]
    assert after[:4] == [A.NOT_READY, A.CAPTURING, A.CAPTURED, A.READY]
    # the machine kept pouring while the link was down; after the reconnect its state is
    # re-read, and the end of the shot is still seen
    rec.wait_for(StateUpdate, lambda e: e.state == "Idle", timeout=T, start=mark)
    health = rig.de1.health().get(timeout=T)
    assert health["link_losses"] == 1 and health["connects"] == 2 and health["ready"]
    assert rig.device.stats.drops == 1
    assert rig.ble.health().get(timeout=T)["stats"]["link_losses"] == 1
    rig.stop()


def test_refused_connections_back_off_then_connect(runtime):
    rec = runtime.extras["recorder"]
    settings = with_settings(connect_attempts=3, backoff_initial=0.05, backoff_max=0.2)
    rig = SimRig(runtime, speedup=40, settings=settings)
    rig.device.faults.refuse_connections = 4
    began = time.monotonic()
    rig.start()
    _ready(rec)
    elapsed = time.monotonic() - began
    # attempts 1-3 (waits 0.05, 0.1), a failed task, a 0.05 s pause, attempt 4 fails
    # (wait 0.05), attempt 5 connects: at least 0.25 s of backoff
    assert elapsed >= 0.25
    assert rig.device.stats.refused == 4 and rig.device.stats.connects == 1
    stats = rig.ble.health().get(timeout=T)["stats"]
    assert stats["connect_attempts"] == 5 and stats["connect_failures"] == 4
    health = rig.de1.health().get(timeout=T)
    assert health["event_errors"].get("connect:BleConnectError") == 1
    rig.stop()


def test_connect_error_is_typed_and_says_what_to_check(runtime):
    rig = SimRig(runtime, speedup=40, capture_on_start=False,
                 settings=with_settings(connect_attempts=2, backoff_initial=0.01))
    rig.start()
    future = rig.ble.connect("D1:5E:00:00:00:99", "nobody").get(timeout=T)
    with pytest.raises(BleConnectError) as info:
        future.result(timeout=T)
    err = info.value
    assert err.attempts == 2 and "BleakDeviceNotFoundError" in str(err)
    assert "powered on" in str(err)
    rig.stop()


def test_garbage_packets_are_counted_and_logged_once_per_kind(runtime, caplog):
    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=20)
    rig.start()
    _ready(rec)
    caplog.set_level(logging.WARNING, logger="pyde1.de1")
    for junk in (b"\x01\x02", b"", b"\xff" * 30, b"\x00" * 18, b"\x00"):
        rig.device.inject_threadsafe(U["ShotSample"], junk)
    rig.device.inject_threadsafe(U["WaterLevels"], b"\x01\x02\x03")
    rig.device.inject_threadsafe(U["StateInfo"], b"\x02")
    rig.device.inject_threadsafe(U["ReadFromMMR"], b"\x20" + b"\x00" * 19)  # Len 32 > 16
    start = len(rec.events)
    rig.device.inject_threadsafe(U["StateInfo"], bytes([S.Idle, Sub.Flush]))  # a good one after
    rec.wait_for(StateUpdate, lambda e: e.substate == "Flush", timeout=T, start=start)
    health = rig.de1.health().get(timeout=T)
    assert health["bad_packets"] == {"ShotSample": 5, "WaterLevels": 1, "StateInfo": 1, "ReadFromMMR": 1}
    assert health["alive"] and health["ready"]
    lines = [r for r in caplog.records if "dropped a bad ShotSample" in r.getMessage()]
    assert len(lines) == 1  # five drops, one line (the next comes at most a minute later)
    # corrupted and truncated packets from the radio are survived the same way
    rig.device.faults.truncate_probability = 1.0
    deadline = time.monotonic() + T
    while rig.de1.health().get(timeout=T)["bad_packets"].get("ShotSample", 0) < 10:
        assert time.monotonic() < deadline, "truncated samples were not counted"
    rig.device.faults.truncate_probability = 0.0
    assert rig.de1.availability().get(timeout=T) == "ready"
    rig.stop()


def test_a_read_that_never_answers_times_out_with_a_typed_error(runtime):
    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=20, settings=with_settings(op_timeout=0.2))
    rig.start()
    _ready(rec)
    rig.device.faults.stalled_reads = frozenset({U["ShotSettings"]})
    address = rig.model.address
    future = rig.ble.read(address, U["ShotSettings"], 0.2).get(timeout=T)
    with pytest.raises(BleTimeoutError, match="no answer within 0.2 s"):
        future.result(timeout=T)
    rig.device.faults.stalled_reads = None
    assert len(rig.ble.read(address, U["ShotSettings"]).get(timeout=T).result(timeout=T)) == 9
    rig.stop()


def test_delayed_and_reordered_notifications_are_survived(runtime):
    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=40)
    rig.start()
    _ready(rec)
    rig.device.faults.reorder_probability = 1.0
    rig.device.faults.notification_delay = 0.002
    deadline = time.monotonic() + T
    while rig.de1.health().get(timeout=T)["samples"] < 40:
        assert time.monotonic() < deadline
    rig.de1.set_mode("Espresso").get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.previous_state == "Espresso" and e.state == "Idle", timeout=T)
    health = rig.de1.health().get(timeout=T)
    # swapped samples arrive with a negative step: their volume is not counted, never doubled
    assert health["volume_gaps_dropped"] > 0 and health["bad_packets"] == {}
    assert health["ready"]
    rig.stop()


def test_devices_reconnect_after_the_bluetooth_actor_restarts(runtime):
    from actors.base import ActorFailed

    rec = runtime.extras["recorder"]
    rig = SimRig(runtime, speedup=20)
    rig.start()
    _ready(rec)
    old = runtime.roles.get("bluetooth")
    urn = old.actor_urn
    old.stop(block=True, timeout=T)  # as if it had crashed: its links are gone
    lost = rec.wait_for(DeviceAvailability, lambda e: e.state is A.NOT_READY, timeout=T)
    runtime.roles.get("supervisor").tell(ActorFailed("bluetooth", urn, "test: simulated crash"))
    _ready(rec, start=rec.events.index(lost))
    assert runtime.roles.get("bluetooth") is not old
    assert rig.de1.get_state().get(timeout=T)[0] == "Idle"
    rig.stop()
