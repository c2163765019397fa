"""The HTTP gateway in front of the real DE1 actor, talking to the simulated DE1 through the
simulator Bluetooth backend."""

from __future__ import annotations

import hashlib
import json

import pytest

sim_harness = pytest.importorskip("actors.sim.harness", reason="the simulator rig is not in this build")

from pyde1.events import DeviceAvailability, DeviceAvailabilityState as A, StateUpdate  # noqa: E402
from test_http_fakes import start_gateway  # noqa: E402

T = 10.0

PROFILE = json.dumps({
    "version": "2", "title": "http two step", "author": "tests", "notes": "", "beverage_type": "espresso",
    "target_volume_count_start": 1, "tank_temperature": 0, "target_weight": 36, "target_volume": 0,
    "steps": [
        {"name": "fill", "pump": "flow", "flow": 6, "transition": "fast", "temperature": 92,
         "sensor": "coffee", "seconds": 10, "volume": 0,
         "exit": {"type": "pressure", "condition": "over", "value": 3}},
        {"name": "pour", "pump": "pressure", "pressure": 8.5, "transition": "smooth",
         "temperature": 91.5, "sensor": "coffee", "seconds": 6, "volume": 0},
    ],
}).encode()


@pytest.fixture
def sim(runtime):
    rig = sim_harness.SimRig(runtime, speedup=100)
    rig.start()
    runtime.extras["recorder"].wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    gateway = start_gateway(runtime, response_timeout=T)
    gateway.sync()
    yield rig, gateway
    gateway.close()
    rig.stop()


def test_reads_from_the_simulated_de1(sim):
    rig, gw = sim
    state = gw.get("/de1/state")
    assert state.status == 200, state.text
    assert state.json["state"]["state"] == "Idle"
    once = gw.get("/de1/read_once_values").json
    assert once["firmware_build_number"] == 1333 and once["firmware_model"] == "DE1PLUS"
    assert gw.get("/de1/feature_flags").json["feature_flags"]["skip_to_next"] is True
    assert gw.get("/de1/firmware/id").json == {"id": 1333}
    settings = gw.get("/de1/setting/before_flow")
    assert settings.status == 200, settings.text
    assert set(settings.json) == {"heater_phase1_flow", "heater_phase2_flow", "heater_phase2_timeout",
                                  "heater_idle_temperature"}
    assert gw.get("/de1/id").json["id"] == "D1:5E:00:00:00:01"
    assert gw.get("/de1/availability").json["mode"] == "ready"


def test_setting_written_and_read_back(sim):
    rig, gw = sim
    assert gw.patch("/de1/setting/fan_threshold", {"temperature": 45}).json == []
    assert gw.get("/de1/setting/fan_threshold").json == {"temperature": 45}
    assert gw.patch("/de1/setting/target_group_temp", {"temperature": 93}).json == []
    assert gw.get("/de1/setting/target_group_temp").json == {"temperature": 93.0}
    assert gw.patch("/de1/control/hot_water", {"temperature": 85, "stop_at_volume": 120}).json == []
    shot = rig.de1.get_shot_settings().get(timeout=T)
    assert (shot["target_hot_water_temp"], shot["target_hot_water_vol"]) == (85, 120)


def test_profile_upload_and_espresso_through_http(sim, runtime):
    rig, gw = sim
    r = gw.put("/de1/profile", PROFILE)
    assert r.status == 200, r.text
    assert r.json[0]["id"] == hashlib.sha1(PROFILE).hexdigest()
    assert gw.get("/de1/profile/id").json == {"id": r.json[0]["id"]}
    rec = runtime.extras["recorder"]
    start = len(rec.events)
    assert gw.patch("/de1/mode", {"mode": "Espresso"}).json == []
    rec.wait_for(StateUpdate, lambda e: e.previous_state == "Espresso" and e.state == "Idle",
                 timeout=T, start=start)
    refused = gw.patch("/de1/mode", {"mode": "SkipToNext"})
    assert refused.status == 409, refused.text


def test_release_makes_de1_requests_409(sim, runtime):
    rig, gw = sim
    assert gw.patch("/de1/availability", {"mode": "R"}).json == []
    runtime.extras["recorder"].wait_for(DeviceAvailability, lambda e: e.state is A.RELEASED, timeout=T)
    gw.sync()
    r = gw.get("/de1/state")
    assert r.status == 409
    assert "DE1 not connected" in r.text and "released" in r.text


@pytest.fixture
def full(runtime, tmp_path):
    """Simulated DE1 + the real sequencer + the real database writer behind the gateway."""
    sequencer = pytest.importorskip("actors.sequencer", reason="the sequencer actor is not in this build")
    db = pytest.importorskip("actors.db", reason="the database writer is not in this build")
    from actors.supervisor import Supervisor
    rig = sim_harness.SimRig(runtime, speedup=100)
    rig.start()
    runtime.extras["recorder"].wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    specs = [db.database_spec(None, filename=str(tmp_path / "pyde1.sqlite3")), *sequencer.sequencer_specs(None)]
    sup = Supervisor.start(runtime, specs).proxy()
    sup.start_all().get(timeout=20)
    gateway = start_gateway(runtime, response_timeout=T)
    gateway.sync()
    yield rig, gateway, runtime
    gateway.close()
    sup.stop_all().get(timeout=20)
    sup.actor_ref.stop(block=True, timeout=5)
    rig.stop()


def test_profile_goes_to_de1_database_and_sequencer(full):
    rig, gw, runtime = full
    r = gw.put("/de1/profile", PROFILE)
    assert r.status == 200, r.text
    profile_id = r.json[0]["id"]
    # the sequencer took the profile's target weight as the espresso stop limit (override on)
    espresso = gw.get("/de1/control/espresso").json
    assert espresso["stop_at_weight"] == 36.0
    stored = runtime.roles.get("database").proxy().get_profile(profile_id).get(timeout=T)
    assert stored["source"] == PROFILE and stored["fingerprint"] == r.json[0]["fingerprint"]
    # stored profiles can be uploaded again by id
    assert gw.put("/de1/profile/id", {"id": profile_id}).json == []


def test_whole_de1_aggregate_and_control_writes(full):
    rig, gw, runtime = full
    body = gw.get("/de1")
    assert body.status == 200, body.text
    control = body.json["control"]
    assert set(control) == {"espresso", "steam", "hot_water", "hot_water_rinse", "tank_water_threshold"}
    assert set(control["hot_water_rinse"]) == {"stop_at_time", "disable_auto_tare", "temperature", "flow"}
    r = gw.patch("/de1/control", {"espresso": {"stop_at_weight": 40, "move_on_weight": [None, 5]},
                                  "steam": {"stop_at_time": 90}})
    assert (r.status, r.json) == (200, [])
    after = gw.get("/de1/control").json
    assert after["espresso"]["stop_at_weight"] == 40.0 and after["espresso"]["move_on_weight"] == [None, 5.0]
    assert after["steam"]["stop_at_time"] == 90
    bad = gw.patch("/de1/control/espresso", {"stop_at_weight": -3})
    assert bad.status == 400


def test_scan_through_the_bluetooth_actor(sim, runtime):
    from pyde1.events import ScanResults
    rig, gw = sim
    rec = runtime.extras["recorder"]
    # a connected DE1 does not advertise: release it first so the scan can see it
    assert gw.patch("/de1/availability", {"mode": "R"}).json == []
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.RELEASED, timeout=T)
    start = len(rec.events)
    assert gw.put("/scan", b"de1").json == []
    done = rec.wait_for(ScanResults, lambda e: not e.scanning, timeout=T, start=start)
    assert [d.address for d in done.devices] == ["D1:5E:00:00:00:01"]
    # captured again: "scan" then changes nothing and answers the current address (pyDE1)
    start = len(rec.events)
    assert gw.patch("/de1/availability", {"mode": "C"}).json == []
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T, start=start)
    gw.sync()
    assert gw.patch("/de1/id", {"id": "scan"}).json == ["D1:5E:00:00:00:01"]


def test_scan_for_id_finds_and_captures(sim, runtime):
    rig, gw = sim
    rec = runtime.extras["recorder"]
    assert gw.patch("/de1/id", {"id": None}).json == [""]
    rec.wait_for(DeviceAvailability, lambda e: e.role.value == "de1" and e.id == "", timeout=T)
    start = len(rec.events)   # before the PATCH: the capture may be ready before it answers
    assert gw.patch("/de1/id", {"id": "scan"}).json == ["D1:5E:00:00:00:01"]
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T, start=start)
    gw.sync()
    assert gw.get("/de1/state").status == 200
