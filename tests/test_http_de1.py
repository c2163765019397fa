"""DE1, scale, sequencer, profile and firmware resources through the real server, with small
real actors playing the roles (tests/test_http_fakes.py)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import pytest

from pyde1.events import StateUpdate
from pyde1.protocol.firmware import BOARD_MARKER_DE1, FirmwareHeader
from test_http_fakes import (FakeBluetooth, FakeDatabase, FakeDE1, FakeMqtt, FakeScale, FakeSequencer,
                             start_gateway, wait_for_update)

ROOT = Path(__file__).resolve().parent.parent
DEMO_PROFILE = ROOT / "conf" / "profiles" / "demo.json"


@pytest.fixture
def gw(runtime):
    gateway = start_gateway(runtime)
    gateway.start("de1", FakeDE1)
    gateway.start("sequencer", FakeSequencer)
    gateway.sync()
    yield gateway
    gateway.close()


def calls(gw, role):
    return gw.actors[role].proxy().recorded().get(timeout=5)


# -- state, readiness, timeouts ------------------------------------------------------------------

def test_state(gw, runtime):
    r = gw.get("/de1/state")
    assert r.status == 200
    assert r.json == {"state": {"state": "Idle", "substate": "NoState", "last_updated": 1234.5}}
    event = StateUpdate(state="Idle", substate="NoState", previous_state="Sleep",
                        previous_substate="NoState", is_error_state=False, arrival_time=1.0)
    runtime.bus.publish(event)
    gw.sync()
    assert gw.get("/de1/state").json["mqtt"] == event.to_json()


def test_state_comes_from_the_last_state_update_until_the_de1_is_lost(gw, runtime):
    """No ask in the DE1 actor's mailbox while its StateUpdates say where it is; after a loss
    (availability not ready) the DE1 is asked again until it publishes a new state."""
    event = StateUpdate(state="Espresso", substate="Pour", previous_state="Espresso",
                        previous_substate="PreInfuse", is_error_state=False, arrival_time=77.25)
    runtime.bus.publish(event)
    gw.sync()
    before = calls(gw, "de1").count(("state_info",))
    r = gw.get("/de1/state")
    assert r.json["state"] == {"state": "Espresso", "substate": "Pour", "last_updated": 77.25}
    assert r.json["mqtt"] == event.to_json()
    assert calls(gw, "de1").count(("state_info",)) == before
    de1 = gw.actors["de1"].proxy()
    de1.set_availability("not ready").get(timeout=5)
    de1.set_availability("ready").get(timeout=5)
    gw.sync()
    r = gw.get("/de1/state")
    assert r.json["state"] == {"state": "Idle", "substate": "NoState", "last_updated": 1234.5}  # asked
    assert calls(gw, "de1").count(("state_info",)) == before + 1


@pytest.mark.parametrize("availability,reason", [
    ("released", "DE1 not connected"), ("capturing", "DE1 not connected"),
    ("captured", "DE1 not ready"), ("not ready", "DE1 not ready"),
])
def test_de1_not_ready_is_409_at_once_naming_device_and_state(gw, availability, reason):
    gw.actors["de1"].proxy().set_availability(availability).get(timeout=5)
    gw.sync()
    t0 = time.monotonic()
    r = gw.get("/de1/state")
    assert r.status == 409
    assert r.text == f"DE1NotConnectedError('{reason} (availability: {availability})')"
    assert time.monotonic() - t0 < 1.0
    assert ("state_info",) not in calls(gw, "de1")
    # a request that needs no DE1 still works
    assert gw.get("/de1/control/espresso").status == 200


def test_no_de1_actor_is_503(runtime):
    gateway = start_gateway(runtime)
    try:
        r = gateway.get("/de1/setting")
        assert r.status == 503
        assert r.text.startswith("DeviceUnavailableError('DE1 is unavailable")
    finally:
        gateway.close()


def test_slow_device_times_out_and_its_late_answer_goes_nowhere(runtime):
    gateway = start_gateway(runtime, response_timeout=0.5)
    try:
        gate = threading.Event()
        gateway.start("de1", FakeDE1, gate=gate)
        de1 = gateway.actors["de1"].proxy()
        slow = de1.slow_state_info()          # occupies the DE1 actor until the gate opens
        t0 = time.monotonic()
        r = gateway.get("/de1/state")
        elapsed = time.monotonic() - t0
        assert r.status == 504, r.text
        assert "Timeout waiting for response from DE1" in r.text
        assert 0.4 < elapsed < 2.0
        gate.set()
        slow.get(timeout=5)
        # the next request on the same connection gets its own answer, not the late one
        assert gateway.get("/version").json["resource_version"] == "5.0.0"
        assert gateway.get("/de1/state").json["state"]["state"] == "Idle"
    finally:
        gateway.close()


# -- mode ----------------------------------------------------------------------------------------------

def test_mode(gw):
    r = gw.patch("/de1/mode", {"mode": "Espresso"})
    assert (r.status, r.json) == (200, [])
    assert ("set_mode", "Espresso") in calls(gw, "de1")


def test_mode_bad_value(gw):
    r = gw.patch("/de1/mode", {"mode": "espresso"})
    assert (r.status, r.text) == (400, "DE1APIValueError(\"'espresso' is not a valid DE1ModeEnum\")")


def test_mode_refused_with_the_actor_status(gw):
    gw.actors["de1"].proxy().mmr.get(timeout=5)["GHC"] = 1
    r = gw.patch("/de1/mode", {"mode": "Espresso"})
    assert r.status == 418
    assert "group head controller" in r.text


# -- control, setting, calibration -------------------------------------------------------------------

def test_control_aggregate_shape(gw):
    r = gw.get("/de1/control")
    assert r.status == 200
    body = r.json
    assert set(body) == {"espresso", "steam", "hot_water", "hot_water_rinse", "tank_water_threshold"}
    assert body["steam"] == {"disable_auto_tare": False, "stop_at_time": 120}
    assert body["hot_water"] == {"disable_auto_tare": False, "stop_at_time": 60, "stop_at_volume": 100,
                                 "stop_at_weight": None, "temperature": 80}
    assert body["hot_water_rinse"] == {"disable_auto_tare": False, "flow": 6.0, "stop_at_time": 3.0,
                                       "temperature": 92.0}
    assert body["tank_water_threshold"] == {"temperature": 0}
    assert set(body["espresso"]) == {"stop_at_time", "stop_at_volume", "stop_at_weight", "move_on_weight",
                                     "disable_auto_tare", "profile_can_override_stop_limits",
                                     "profile_can_override_tank_temperature", "first_drops_threshold",
                                     "last_drops_minimum_time"}


def test_patch_espresso_goes_to_the_sequencer(gw):
    r = gw.patch("/de1/control/espresso", {"stop_at_weight": 36, "stop_at_volume": 0,
                                           "move_on_weight": [None, 4.5]})
    assert (r.status, r.json) == (200, [])
    assert ("set_control", "espresso", {"stop_at_weight": 36.0, "stop_at_volume": None,
                                        "move_on_weight": [None, 4.5]}) in calls(gw, "sequencer")
    assert gw.get("/de1/control/espresso").json["stop_at_weight"] == 36.0


def test_patch_splits_between_de1_and_sequencer_and_writes_shot_settings_once(gw):
    r = gw.patch("/de1", {"control": {"steam": {"stop_at_time": 30, "disable_auto_tare": True},
                                      "hot_water": {"temperature": 85, "stop_at_weight": 100}},
                          "setting": {"target_group_temp": {"temperature": 93},
                                      "fan_threshold": {"temperature": 45}}})
    assert (r.status, r.json) == (200, [])
    de1 = calls(gw, "de1")
    shot_writes = [c for c in de1 if c[0] == "set_shot_settings"]
    assert shot_writes == [("set_shot_settings", {"target_steam_length": 30, "target_hot_water_temp": 85,
                                                  "target_group_temp": 93})]
    assert ("write_mmr", "FAN_THRESHOLD", 45) in de1
    seq = calls(gw, "sequencer")
    assert ("set_control", "steam", {"disable_auto_tare": True}) in seq
    assert ("set_control", "hot_water", {"stop_at_weight": 100.0}) in seq


def test_nothing_is_applied_when_any_part_is_invalid(gw):
    r = gw.patch("/de1", {"control": {"espresso": {"stop_at_weight": 3}},
                          "setting": {"fan_threshold": {"temperature": "hot"}}})
    assert r.status == 400
    assert "setting:fan_threshold:temperature" in r.text
    assert calls(gw, "sequencer") == []
    assert not [c for c in calls(gw, "de1") if c[0] in ("write_mmr", "set_shot_settings")]


def test_setting_aggregate(gw):
    body = gw.get("/de1/setting").json
    assert set(body) == {"auto_off_time", "before_flow", "fan_threshold", "refill_kit", "start_fill_level",
                         "steam", "target_group_temp", "time", "usb_outlet"}
    assert body["steam"] == {"temperature": 160, "flow": 0.8, "high_flow_time": 0.5,
                             "purge_deferred": None}  # register beyond the firmware reads as null
    assert body["usb_outlet"] == {"enabled": True}
    assert body["refill_kit"] == {"present": False}
    assert body["start_fill_level"] == {"start_fill_level": 5.0}
    assert body["auto_off_time"] == {"time": None}
    assert body["time"] == {"timestamp": 1_700_000_000}


def test_setting_writes(gw):
    assert gw.patch("/de1/setting/steam", {"temperature": None, "flow": 1.2}).status == 200
    assert gw.patch("/de1/setting/start_fill_level", {"start_fill_level": 7}).status == 200
    assert gw.patch("/de1/setting/time", {"timestamp": 1_800_000_000}).status == 200
    assert gw.patch("/de1/presence", {"user": True}).status == 200
    de1 = calls(gw, "de1")
    assert ("set_shot_settings", {"target_steam_temp": 0}) in de1
    assert ("write_mmr", "TARGET_STEAM_FLOW", 1.2) in de1
    assert ("set_refill_level", 7) in de1
    assert ("set_time", 1_800_000_000) in de1
    assert ("write_mmr", "USER_PRESENT", True) in de1


def test_calibration(gw):
    assert gw.get("/de1/calibration").json == {"flow_multiplier": {"multiplier": 1.0},
                                               "line_frequency": {"hz": 60}}
    bad = gw.patch("/de1/calibration/line_frequency", {"hz": 55})
    assert (bad.status, bad.text) == (400, "DE1APIValueError('hz must be 50 or 60, not 55')")
    assert gw.patch("/de1/calibration", {"line_frequency": {"hz": 50}}).status == 200
    assert ("set_line_frequency", 50) in calls(gw, "de1")


def test_read_once_and_feature_flags_and_firmware_id(gw):
    assert gw.get("/de1/read_once_values").json["firmware_build_number"] == 1333
    assert gw.get("/de1/feature_flags").json["feature_flags"]["fw_version"] == 1333
    assert gw.get("/de1/firmware/id").json == {"id": 1333}
    r = gw.patch("/de1/feature_flags", {"feature_flags": {"fw_version": 1}})
    assert (r.status, r.text) == (400, "DE1APIAttributeError('Unable to write feature_flags:fw_version: "
                                       "it is read-only')")


def test_de1_aggregate(gw):
    body = gw.get("/de1").json
    assert set(body) == {"id", "state", "availability", "connectivity", "control", "setting",
                         "calibration", "read_once"}
    assert body["availability"]["mode"] == "ready"
    assert body["connectivity"] == {"mode": "ready"}


def test_side_effect_update_is_published_after_a_patch(gw, runtime):
    gw.start("mqtt", FakeMqtt)
    assert gw.patch("/de1/control/espresso", {"stop_at_weight": 40}).status == 200
    payload = wait_for_update(runtime, "de1/control")
    assert payload["espresso"]["stop_at_weight"] == 40.0


# -- id and availability ------------------------------------------------------------------------------

def test_id_and_scan_and_forget(gw):
    gw.start("bluetooth", FakeBluetooth)
    assert gw.get("/de1/id").json == {"id": "AA:BB:CC:DD:EE:FF", "name": "DE1"}
    gw.actors["de1"].proxy().set_availability("released").get(timeout=5)
    gw.sync()
    r = gw.patch("/de1/id", {"id": "scan"})
    assert (r.status, r.json) == (200, ["11:22:33:44:55:66"])
    assert calls(gw, "bluetooth") == [("de1", True)]
    de1 = calls(gw, "de1")
    assert ("set_address", "11:22:33:44:55:66", "DE1") in de1 and ("request_capture",) in de1
    assert gw.patch("/de1/id", {"id": None}).json == [""]
    assert gw.patch("/de1", {"id": {"id": "AA:AA:AA:AA:AA:AA"}}).json == ["AA:AA:AA:AA:AA:AA"]  # A7 fixed


def test_availability(gw):
    assert gw.patch("/de1/availability", {"mode": "R"}).json == []
    assert gw.patch("/de1/connectivity", {"mode": "connected"}).json == []
    assert calls(gw, "de1")[-2:] == [("request_release",), ("request_capture",)]
    x = gw.patch("/de1/availability", {"mode": "X"})
    assert (x.status, x.text) == (400, "DE1APIValueError('Only CAPTURE and RELEASE can be set')")
    assert gw.patch("/de1/connectivity", {"mode": "ready"}).status == 400
    body = gw.get("/de1/availability").json
    assert body["mode"] == "ready" and '"class": "DeviceAvailability"' in body["mqtt"]


# -- scale, scan -----------------------------------------------------------------------------------------

def test_scale_without_a_scale_actor(gw):
    assert gw.get("/scale").json == {"id": {"id": None, "name": None}, "availability": {"mode": "unknown"},
                                     "connectivity": {"mode": "not_connected"}}
    r = gw.patch("/scale/tare", {"tare": True})
    assert (r.status, r.text) == (409, "DE1NotConnectedError('No scale present (no scale actor is running)')")


def test_scale_tare_and_display(gw):
    gw.start("scale", FakeScale)
    gw.sync()
    assert gw.patch("/scale/tare", {"tare": True}).json == []
    assert gw.patch("/scale/display", {"display_on": None}).json == []
    assert calls(gw, "scale")[-2:] == [("tare",), ("display", False)]
    gw.actors["scale"].proxy().set_availability("captured").get(timeout=5)
    gw.sync()
    r = gw.patch("/scale/tare", {"tare": True})
    assert (r.status, r.text) == (409, "DE1NotConnectedError('Scale not ready (availability: captured)')")


def test_scan(gw):
    gw.start("bluetooth", FakeBluetooth)
    assert gw.put("/scan", b"scale").json == []
    assert calls(gw, "bluetooth") == [("scale", False)]
    r = gw.put("/scan", b"Scale")
    assert (r.status, r.text) == (400, "DE1APIValueError(\"'Scale' is not a valid DeviceRole\")")


# -- profiles ------------------------------------------------------------------------------------------

def test_profile_upload(gw):
    gw.start("database", FakeDatabase)
    source = DEMO_PROFILE.read_bytes()
    r = gw.put("/de1/profile", source)
    assert r.status == 200, r.text
    [result] = r.json
    assert result["id"] == hashlib.sha1(source).hexdigest()
    assert len(result["fingerprint"]) == 40
    # the sequencer's espresso controls forbid the tank override in this fake
    assert ("upload_profile", result["id"], False) in calls(gw, "de1")
    assert ("profile_uploaded", result["id"]) in calls(gw, "sequencer")
    assert gw.get("/de1/profile/id").json == {"id": result["id"]}
    assert gw.actors["database"].proxy().profiles.get(timeout=5)[result["id"]] == source
    assert gw.actors["database"].proxy().last_profile.get(timeout=5) == result["id"]


def test_bad_profile_never_reaches_the_de1(gw):
    r = gw.put("/de1/profile", b'{"version": "2", "title": "x", "steps": [{"name": 1}]}')
    assert r.status == 400
    assert "steps[0]" in r.text
    assert not [c for c in calls(gw, "de1") if c[0] == "upload_profile"]


def test_profile_store_needs_no_de1_and_upload_by_id(gw):
    gw.start("database", FakeDatabase)
    gw.actors["de1"].proxy().set_availability("released").get(timeout=5)
    gw.sync()
    source = DEMO_PROFILE.read_bytes()
    stored = gw.put("/de1/profile/store", source)
    assert stored.status == 200, stored.text
    profile_id = stored.json[0]["id"]
    assert gw.put("/de1/profile/id", {"id": profile_id}).status == 409  # DE1 not ready
    gw.actors["de1"].proxy().set_availability("ready").get(timeout=5)
    gw.sync()
    assert gw.put("/de1/profile/id", {"id": profile_id}).json == []
    assert ("upload_profile", profile_id, False) in calls(gw, "de1")
    missing = gw.put("/de1/profile/id", {"id": "0" * 40})
    assert (missing.status, missing.text) == (404, f"DE1DBNoMatchingRecord('No profile record for {'0' * 40}')")
    bad = gw.put("/de1/profile/id", {"id": "not-a-sha1"})
    assert bad.status == 400 and "id must match" in bad.text
    gw.actors["de1"].proxy().set_availability("released").get(timeout=5)
    gw.sync()
    no_id = gw.put("/de1/profile/id", {})  # a 400 for the body comes before the 409 for the DE1
    assert (no_id.status, no_id.text) == (400, "DE1APIValueError('PUT de1/profile/id needs "
                                               "{\"id\": \"<sha1 hex>\"}; id is missing')")


# -- firmware ------------------------------------------------------------------------------------------

def _image(size: int = 256) -> bytes:
    header = FirmwareHeader(checksum=1, board_marker=BOARD_MARKER_DE1, version=1340,
                            byte_count=size - 64, cpu_bytes=size - 64, unused=0, dc_sum=2,
                            iv=b"\x01" * 32, h_sum=3)
    return header.encode() + b"\xaa" * (size - 64)


def test_firmware_upload_and_cancel(gw):
    assert gw.put("/de1/firmware", _image()).json == []
    again = gw.put("/de1/firmware", _image())
    assert again.status == 409
    assert gw.put("/de1/firmware/cancel", b"any body").json == []
    assert gw.put("/de1/firmware", _image()).json == []
    assert gw.patch("/de1/firmware/cancel", b"{}").status == 400    # PATCH takes a JSON string
    assert gw.patch("/de1/firmware/cancel", b'"please"').json == []
    cancelled = gw.put("/de1/firmware/cancel", b"")                 # nothing running any more
    assert cancelled.status == 409 and "No 'upload_firmware' task to cancel" in cancelled.text


def test_bad_firmware_image_never_reaches_the_de1(gw):
    image = bytearray(_image())
    image[4:8] = (0x12345678).to_bytes(4, "little")
    r = gw.put("/de1/firmware", bytes(image))
    assert r.status == 400 and "BoardMarker" in r.text
    assert not [c for c in calls(gw, "de1") if c[0] == "upload_firmware"]


def test_firmware_accepts_bodies_over_the_patch_limit(gw):
    r = gw.put("/de1/firmware", _image(64 * 1024))
    assert r.status == 200, r.text


def test_a_replaced_device_actor_is_used_and_a_dead_one_is_503(gw, runtime):
    assert gw.get("/de1/state").status == 200
    old = gw.actors["de1"]
    old.stop(block=True, timeout=5)
    r = gw.get("/de1/id")
    assert r.status == 503 and "DE1 is unavailable" in r.text
    gw.start("de1", FakeDE1, address="00:00:00:00:00:01")
    assert gw.get("/de1/id").json["id"] == "00:00:00:00:00:01"


def test_a_method_the_actor_lacks_is_501_alone_and_left_out_of_aggregates(runtime):
    from test_http_fakes import FakeDE1Core
    gateway = start_gateway(runtime)
    try:
        gateway.start("de1", FakeDE1Core)
        gateway.sync()
        r = gateway.get("/de1/setting/time")
        assert (r.status, r.text) == (501, "NotImplementedError('the de1 actor (FakeDE1Core) has no "
                                           "get_time: not available in this build')")
        setting = gateway.get("/de1/setting")
        assert setting.status == 503  # auto_off_time needs the (absent) sequencer: a real failure
        gateway.start("sequencer", FakeSequencer)
        setting = gateway.get("/de1/setting")
        assert setting.status == 200 and "time" not in setting.json and "fan_threshold" in setting.json
        assert gateway.patch("/de1/setting/time", {"timestamp": 5}).status == 501
    finally:
        gateway.close()


def test_patch_on_connect_is_applied_when_the_de1_becomes_ready(runtime):
    gateway = start_gateway(runtime, patch_on_connect='{"setting": {"fan_threshold": {"temperature": 41}}, '
                                                      '"control": {"espresso": {"stop_at_weight": 33}}}')
    try:
        gateway.start("sequencer", FakeSequencer)
        gateway.start("de1", FakeDE1, ready=False)
        gateway.sync()
        assert gateway.ref.proxy().patches_on_connect.get(timeout=5) == 0
        gateway.actors["de1"].proxy().set_availability("ready").get(timeout=5)
        gateway.sync()   # the availability event, then the PatchOnConnect it queued
        gateway.sync()
        assert ("write_mmr", "FAN_THRESHOLD", 41) in calls(gateway, "de1")
        assert ("set_control", "espresso", {"stop_at_weight": 33.0}) in calls(gateway, "sequencer")
        assert gateway.ref.proxy().patches_on_connect.get(timeout=5) == 1
    finally:
        gateway.close()


def test_settings_carry_patch_on_connect_from_the_config():
    from pyde1.api.settings import HttpSettings
    from pyde1.config import Config, override_config
    config = override_config(Config(), {"de1.PATCH_ON_CONNECT": {"setting": {"fan_threshold": {"temperature": 40}}}})
    assert json.loads(HttpSettings.from_config(config).patch_on_connect) == {
        "setting": {"fan_threshold": {"temperature": 40}}}
    assert HttpSettings.from_config(Config()).patch_on_connect is None


def test_bad_profile_is_400_even_when_the_de1_is_not_ready(gw):
    gw.actors["de1"].proxy().set_availability("released").get(timeout=5)
    gw.sync()
    assert gw.put("/de1/profile", b'{"version": "2", "steps": 3}').status == 400
    assert gw.put("/de1/firmware", b"short").status == 400
    assert gw.put("/de1/profile", DEMO_PROFILE.read_bytes()).status == 409
