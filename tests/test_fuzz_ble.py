"""BLE fuzzing through the real Bluetooth actor and DE1 actor over the simulator: random
notifications (random characteristic, length and bytes) and real packets from the
simulated DE1's own stream that are then corrupted, truncated or extended. No actor dies,
and every packet that does not decode is counted in the DE1 actor's ``health()``.

The expected count comes from the shared codecs themselves: a packet is bad exactly when
its characteristic's decoder raises ``ProtocolError``. Any other exception escaping a
handler shows up in ``event_errors`` and fails the test (it would be a bug, not bad input).
"""

from __future__ import annotations

import os

import pykka
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.de1 import NOTIFY, U
from actors.sim.harness import SimRig
from pyde1.events import DeviceAvailability, DeviceAvailabilityState as A, ShotSampleWithVolumesUpdate, StateUpdate
from pyde1.protocol.errors import ProtocolError
from pyde1.protocol.mmr_packets import MMRReadResponse
from pyde1.protocol.packets import Calibration, FWMapRequest, ShotSample, ShotSettings, StateInfo, WaterLevels

LONG = bool(os.environ.get("PYDE1_LONG_TESTS"))  # many more examples
T = 10.0
DECODERS = {"StateInfo": StateInfo.decode, "ShotSample": ShotSample.decode, "WaterLevels": WaterLevels.decode,
            "ReadFromMMR": MMRReadResponse.decode, "ShotSettings": ShotSettings.decode,
            "FWMapRequest": FWMapRequest.decode, "Calibration": Calibration.decode}
NAME_OF = {uuid: name for name, uuid in U.items()}
# StateInfo and FWMapRequest change what the actor does next (a random "Espresso", a
# firmware map request); they are fuzzed with bad packets only, decodable ones are dropped.
STATEFUL = {"StateInfo", "FWMapRequest", "ReadFromMMR", "Calibration"}


def _bad(name: str, data: bytes) -> bool:
    decoder = DECODERS.get(name)
    if decoder is None:
        return False
    try:
        decoder(data)
    except ProtocolError:
        return True
    return False


@pytest.fixture(scope="module")
def rig():
    from actors.base import ServiceContext
    from actors.bus import EventBus, RoleTable
    from support.recorder import EventRecorder

    roles = RoleTable()
    ctx = ServiceContext(config=None, bus=EventBus(roles), roles=roles)
    rec = EventRecorder(ctx.bus)
    rig = SimRig(ctx, speedup=20)
    rig.start()
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    # real packets of the simulated DE1, to corrupt
    rig.device.record_emissions = True
    rig.de1.set_mode("Espresso").get(timeout=T)
    rec.wait_count(ShotSampleWithVolumesUpdate, 10, timeout=T)
    seeds: dict[str, list[bytes]] = {}
    for _, uuid, data in rig.call(lambda: list(rig.device.emitted)):
        seeds.setdefault(NAME_OF.get(uuid, uuid), []).append(data)
    rig.call(lambda: setattr(rig.device, "record_emissions", False))
    rig.seeds = {k: sorted(set(v))[:20] for k, v in seeds.items() if k in DECODERS}
    rig.rec = rec
    yield rig
    rec.close()
    rig.stop()
    pykka.ActorRegistry.stop_all(block=True, timeout=10)


notify_names = st.sampled_from(sorted(NAME_OF[u] for u in NOTIFY))


def _corrupt(draw, data: bytes) -> bytes:
    how = draw(st.sampled_from(["flip", "truncate", "extend", "replace"]))
    if how == "flip" and data:
        pos = draw(st.integers(0, len(data) - 1))
        return data[:pos] + bytes([data[pos] ^ draw(st.integers(1, 255))]) + data[pos + 1:]
    if how == "truncate":
        return data[:draw(st.integers(0, max(0, len(data) - 1)))]
    if how == "extend":
        return data + draw(st.binary(min_size=1, max_size=8))
    return draw(st.binary(min_size=len(data), max_size=len(data)))


def _packets(rig):
    @st.composite
    def packet(draw):
        if draw(st.booleans()) and rig.seeds:
            name = draw(st.sampled_from(sorted(rig.seeds)))
            data = _corrupt(draw, draw(st.sampled_from(rig.seeds[name])))
        else:
            name = draw(notify_names)
            data = draw(st.binary(max_size=40))
        return name, data
    return st.lists(packet(), min_size=1, max_size=8)


@pytest.mark.timeout(3600 if LONG else 120)
def test_random_and_corrupted_notifications_are_counted_and_survived(rig):
    de1 = rig.de1
    start = de1.health().get(timeout=T)
    expected: dict[str, int] = dict(start["bad_packets"])
    injected = [0]

    @settings(max_examples=2000 if LONG else 150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=_packets(rig))
    def run(batch):
        for name, data in batch:
            bad = _bad(name, data)
            if name in STATEFUL and not bad:
                continue
            rig.device.inject_threadsafe(U[name], data)
            injected[0] += 1
            if bad:
                expected[name] = expected.get(name, 0) + 1
        health = de1.health().get(timeout=T)  # queued after the injected notifications
        assert health["alive"]
        assert health["bad_packets"] == expected
        others = {k: v for k, v in health["event_errors"].items() if not k.startswith("bad packet")
                  and k not in start["event_errors"]}
        assert not others, f"a notification raised something other than ProtocolError: {others}"

    run()
    assert injected[0] > 100 and sum(expected.values()) > 50
    assert de1.availability().get(timeout=T) == "ready"
    assert rig.ble.health().get(timeout=T)["alive"]
    assert rig.registry.loop is not None and rig.device.connected


def test_the_simulator_corrupt_and_truncate_faults_are_counted(rig):
    """The radio's own faults (flipped byte, lost tail) on the live stream of a shot:
    survived, and damaged ShotSamples are counted."""
    rec = rig.rec
    before = rig.de1.health().get(timeout=T)
    link_before = rig.call(lambda: (rig.device.stats.corrupted, rig.device.stats.truncated))
    idx = len(rec.events)
    if rig.de1.get_state().get(timeout=T)[0] != "Idle":
        rec.wait_for(StateUpdate, lambda e: e.state == "Idle", timeout=T * 3, start=idx)
    mark = len(rec.of_type(ShotSampleWithVolumesUpdate))
    rig.de1.set_mode("Espresso").get(timeout=T)
    rec.wait_count(ShotSampleWithVolumesUpdate, mark + 5, timeout=T)
    mark = len(rec.of_type(ShotSampleWithVolumesUpdate))

    def damage(p: float) -> None:
        rig.device.faults.truncate_probability = p
        rig.device.faults.corrupt_probability = p
    rig.call(lambda: damage(0.3))
    try:
        rec.wait_count(ShotSampleWithVolumesUpdate, mark + 40, timeout=T)
    finally:
        rig.call(lambda: damage(0.0))
    after = rig.de1.health().get(timeout=T)
    link_after = rig.call(lambda: (rig.device.stats.corrupted, rig.device.stats.truncated))
    damaged = (link_after[0] - link_before[0]) + (link_after[1] - link_before[1])
    counted = sum(after["bad_packets"].values()) - sum(before["bad_packets"].values())
    assert link_after[1] > link_before[1] and counted > 0
    assert counted <= damaged, "more bad packets counted than the radio damaged"
    assert after["alive"] and after["samples"] > before["samples"]


# -- scales ------------------------------------------------------------------------------------

SCALE_FAMILIES = ["skale", "acaia", "felicita", "decent", "bookoo"]


@pytest.mark.timeout(3600 if LONG else 120)
@pytest.mark.parametrize("kind", SCALE_FAMILIES)
def test_random_scale_notifications_are_survived_and_counted(kind):
    """Random bytes on every characteristic the simulated scale notifies, through the
    Bluetooth actor and the scale actor of that family: the actor keeps weighing, counts
    what its codec refuses, and nothing else raises. For stateless codecs the count is
    exact (a fresh codec of the same class refuses exactly those); Acaia reassembles frames
    across notifications, so there only "counted, never more than injected" holds."""
    from actors.base import ServiceContext
    from actors.bus import EventBus, RoleTable
    from support.recorder import EventRecorder
    from test_scales_actors import EXPECTED_CLASS, Rig
    from pyde1.scales.base import ScaleDecodeError

    roles = RoleTable()
    ctx = ServiceContext(config=None, bus=EventBus(roles), roles=roles)
    ctx.extras["recorder"] = rec = EventRecorder(ctx.bus)
    rig = Rig(ctx, kind=kind)
    try:
        rig.ready(sender=EXPECTED_CLASS[kind])
        scale = rig.scale
        codec = scale.codec.get(timeout=T)
        uuids = sorted({c.uuid for s in rig.model.services() for c in s.characteristics
                        if "notify" in c.properties})
        assert uuids
        stateless = kind != "acaia"
        before = scale.health().get(timeout=T)
        counted_before = sum(before["bad_packets"].values())
        expected = [0]
        injected = [0]

        @settings(max_examples=400 if LONG else 40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(batch=st.lists(st.tuples(st.sampled_from(uuids), st.binary(max_size=30)), min_size=1, max_size=6))
        def run(batch):
            for uuid, data in batch:
                if stateless:
                    try:
                        type(codec)().decode(uuid, data)
                    except ScaleDecodeError:
                        expected[0] += 1
                rig.call(lambda u=uuid, d=data: rig.device.inject(u, d))
                injected[0] += 1
            health = scale.health().get(timeout=T)
            assert health["alive"]
            counted = sum(health["bad_packets"].values()) - counted_before
            if stateless:
                assert counted == expected[0]
            else:
                assert counted <= injected[0]
            odd = {k: v for k, v in health["event_errors"].items()
                   if not k.startswith(("bad packet", "info:")) and k not in before["event_errors"]}
            assert not odd, f"a notification raised something other than ScaleDecodeError: {odd}"

        run()
        # still weighing right after all that junk (junk may have parsed as weights: wait
        # for the real one)
        mark = rig.mark()
        rig.call(lambda: rig.model.place(7.0))
        rig.weight_near(7.0, tol=0.5, start=mark)
        assert scale.health().get(timeout=T)["alive"] and scale.availability().get(timeout=T) == "ready"
    finally:
        rec.close()
        rig.stop()  # not ActorRegistry.stop_all: the module's DE1 rig is still alive
