"""The DE1 actor against the simulated DE1 over the simulator bleak backend: connect and
initialise, state, a shot to the end of its profile, profile upload byte for byte."""

from __future__ import annotations

import json

import pytest

from actors.de1_errors import DE1ModeRefusedError, DE1ProfileError, DE1ValueError
from actors.sim.harness import SimRig
from pyde1.events import (ConnectivityChange, DeviceAvailability, DeviceAvailabilityState as A,
                          ShotSampleWithVolumesUpdate, StateUpdate, WaterLevelUpdate)
from pyde1.profile import plan_source
from pyde1.protocol.enums import MachineState

T = 10.0  # generous deadline for anything that waits on the actors

PROFILE = json.dumps({
    "version": "2", "title": "test two step", "author": "tests", "notes": "", "beverage_type": "espresso",
    "target_volume_count_start": 1, "tank_temperature": 0, "target_weight": 36, "target_volume": 0,
    "steps": [
        {"name": "fill", "pump": "flow", "flow": 6, "transition": "fast", "temperature": 92,
         "sensor": "coffee", "seconds": 10, "volume": 0,
         "exit": {"type": "pressure", "condition": "over", "value": 3}},
        {"name": "pour", "pump": "pressure", "pressure": 8.5, "transition": "smooth",
         "temperature": 91.5, "sensor": "coffee", "seconds": 6, "volume": 0,
         "limiter": {"value": 4, "range": 0.6}},
    ],
}).encode()


@pytest.fixture
def rig(runtime):
    rig = SimRig(runtime, speedup=100)
    rig.start()
    runtime.extras["recorder"].wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    yield rig
    rig.stop()


def test_connects_initialises_and_reports(rig, runtime):
    rec = runtime.extras["recorder"]
    states = [e.state for e in rec.of_type(DeviceAvailability) if e.role.value == "de1"]
    assert states[0] is A.INITIAL and A.CAPTURING in states and states[-1] is A.READY
    assert rec.of_type(ConnectivityChange)[-1].state.value == "ready"
    first = rec.wait_for(StateUpdate, timeout=T)
    assert (first.state, first.substate) == ("Idle", "NoState")
    assert (first.previous_state, first.previous_substate) == ("NoRequest", "NoState")
    assert rig.de1.get_state().get(timeout=T) == ("Idle", "NoState")
    once = rig.de1.read_once_values().get(timeout=T)
    assert once["firmware_build_number"] == 1333 and once["heater_voltage"] == 230
    assert once["firmware_model"] == "DE1PLUS"
    flags = rig.de1.feature_flags().get(timeout=T)
    assert flags["skip_to_next"] is True and flags["ghc_active"] is False
    assert rig.de1.availability().get(timeout=T) == "ready"
    rec.wait_for(WaterLevelUpdate, lambda e: e.level > 0, timeout=T)
    # the app feature flag is written on connect for firmware >= 1320 (and read back)
    assert rig.call(lambda: rig.model.regs.word(0x803858)) == 1


def test_espresso_runs_to_the_end_of_its_profile(rig, runtime):
    rec = runtime.extras["recorder"]
    rig.de1.set_mode("Espresso").get(timeout=T)
    done = rec.wait_for(StateUpdate, lambda e: e.previous_state == "Espresso" and e.state == "Idle", timeout=T)
    subs = [e.substate for e in rec.of_type(StateUpdate) if e.state == "Espresso"]
    assert subs == ["HeatWaterHeater", "StabilizeMixTemp", "PreInfuse", "Pour", "Flush"]
    samples = rec.of_type(ShotSampleWithVolumesUpdate)
    during = [s for s in samples if s.frame_number == 1 and s.group_pressure > 8]
    assert during, "the 9 bar frame of the default profile was never reached"
    last = samples[-1]
    assert last.volume_total > 30 and abs(last.volume_total - last.volume_pour - last.volume_preinfuse) < 1e-6
    assert len(last.volume_by_frames) == 20 and last.volume_by_frames[1] > last.volume_by_frames[0] > 0
    counters = [s.sample_time for s in samples]
    steps = {(b - a) % 65536 for a, b in zip(counters, counters[1:])}
    assert steps == {25}  # one sample every 25 half-cycles, no gaps
    assert done.arrival_time >= samples[0].arrival_time
    assert rig.call(lambda: rig.model.shots_completed) == 1


def test_upload_profile_writes_exactly_the_plan(rig):
    before = rig.call(lambda: len(rig.model.writes))
    result = rig.de1.upload_profile(PROFILE).get(timeout=T)
    plan = plan_source(PROFILE)
    assert result["id"] == plan.id and result["fingerprint"] == plan.fingerprint
    assert result["target_weight"] == 36
    received = rig.call(lambda: list(rig.model.writes[before:]))
    assert received == [(w.uuid, w.payload) for w in plan.writes]
    assert rig.de1.profile().get(timeout=T) == {"id": plan.id, "fingerprint": plan.fingerprint}
    stored = rig.call(lambda: (rig.model.profile.header, dict(rig.model.profile.limiters)))
    assert stored[0].number_of_frames == 2 and stored[1][1].max_flow_or_pressure == 4


def test_uploaded_profile_runs_frame_by_frame(rig, runtime):
    rec = runtime.extras["recorder"]
    rig.de1.upload_profile(PROFILE).get(timeout=T)
    start = len(rec.events)
    rig.de1.set_mode("Espresso").get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.previous_state == "Espresso" and e.state == "Idle",
                 timeout=T, start=start)
    shot = [s for s in rec.events[start:] if isinstance(s, ShotSampleWithVolumesUpdate)]
    frame0 = [s for s in shot if s.frame_number == 0 and s.set_group_flow > 0]
    frame1 = [s for s in shot if s.frame_number == 1 and s.set_group_pressure > 0]
    assert frame0 and all(s.set_group_flow == 6 for s in frame0)
    ramp = [s.set_group_pressure for s in frame1]  # smooth: ramps towards 8.5 bar over the frame
    assert ramp == sorted(ramp) and 8.0 < ramp[-1] <= 8.5
    # the flow limiter of the pour (4 ml/s) holds the flow down once pressure is up
    late = frame1[len(frame1) // 2:]
    assert max(s.group_flow for s in late) < 4.3


def test_bad_commands_raise_typed_errors(rig):
    with pytest.raises(DE1ProfileError, match=r"steps"):
        rig.de1.upload_profile(b'{"version": "2", "steps": 3}').get(timeout=T)
    with pytest.raises(DE1ValueError, match="mode"):
        rig.de1.set_mode("Brew").get(timeout=T)
    with pytest.raises(DE1ModeRefusedError):
        rig.de1.set_mode("SkipToNext").get(timeout=T)
    with pytest.raises(DE1ValueError, match="unknown MMR register"):
        rig.de1.read_mmr("NOT_A_REGISTER").get(timeout=T)
    assert rig.de1.availability().get(timeout=T) == "ready"  # still alive


def test_mmr_write_reads_back_what_the_firmware_kept(rig):
    assert rig.de1.write_mmr("FAN_THRESHOLD", 45).get(timeout=T) == 45
    # the simulated firmware trims the fan threshold to 60 °C, as real ones trim values
    assert rig.de1.write_mmr("FAN_THRESHOLD", 90).get(timeout=T) == 60
    assert rig.de1.read_mmr("FAN_THRESHOLD").get(timeout=T) == {"FAN_THRESHOLD": 60}
    assert rig.de1.write_mmr("CAL_FLOW_EST", 1.05).get(timeout=T) == pytest.approx(1.05)


def test_shot_settings_and_sleep(rig, runtime):
    rec = runtime.extras["recorder"]
    settings = rig.de1.set_shot_settings(target_hot_water_vol=80).get(timeout=T)
    assert settings["target_hot_water_vol"] == 80
    assert rig.call(lambda: rig.model.settings[4]) == 80
    rig.de1.sleep().get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.state == "Sleep", timeout=T)
    rig.de1.set_mode("Wake").get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.previous_state == "Sleep" and e.state == "Idle", timeout=T)
    assert rig.call(lambda: rig.model.state) in (MachineState.Idle,)


def test_stopping_the_service_puts_an_awake_de1_to_sleep(runtime):
    rig = SimRig(runtime, speedup=50)
    rig.start()
    runtime.extras["recorder"].wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    rig.stop()
    assert rig.model.requested == bytes([MachineState.Sleep])  # asked for Sleep before letting go
    assert not rig.device.connected


def test_old_firmware_is_read_without_touching_the_hazardous_registers(runtime):
    from actors.de1_errors import DE1NotSupportedError

    rig = SimRig(runtime, speedup=50, build=1250)
    rig.start()
    runtime.extras["recorder"].wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    assert rig.call(lambda: rig.model.mmr_hung) is False
    flags = rig.de1.feature_flags().get(timeout=T)
    assert flags["fw_version"] == 1250 and flags["last_mmr0x80"] == 0x80383C
    assert flags["app_feature_flag_user_present"] is False
    assert rig.call(lambda: rig.model.regs.word(0x803858)) == 0  # not written before 1320
    with pytest.raises(DE1NotSupportedError, match="never read on its own"):
        rig.de1.read_mmr("PREF_GHC_MCI").get(timeout=T)
    with pytest.raises(DE1NotSupportedError, match="does not exist in firmware 1250"):
        rig.de1.write_mmr("FLUSH_TIMEOUT", 3.0).get(timeout=T)
    rig.stop()
