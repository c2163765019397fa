"""Event payloads serialise to exactly the JSON of api-contract §2.3–2.4 and decode back."""

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyde1 import events as ev
from pyde1.events import (
    AutoTareNotification, BlueDOTUpdate, ConnectivityChange, DeviceAvailability, EventDecodeError,
    FirmwareUpload, ScaleButtonPress, ScaleChange, ScaleTareSeen, ScaleWeightUpdate, ScanDevice,
    ScanResults, SequencerGateNotification, ShotSampleUpdate, ShotSampleWithVolumesUpdate,
    StateUpdate, StopAtNotification, WaterLevelUpdate, WeightAndFlowUpdate,
)

T = {"arrival_time": 1675628682.25, "create_time": 1675628682.5, "event_time": 1675628682.75}
HEAD = '{"arrival_time": 1675628682.25, "create_time": 1675628682.5, '


def tail(version, sender, cls):
    return (f'"version": "{version}", "event_time": 1675628682.75, '
            f'"sender": "{sender}", "class": "{cls}"}}')


def sample_fields():
    return dict(sample_time=65520, group_pressure=8.5, group_flow=2.25, mix_temp=88.5,
                head_temp=92.0625, set_mix_temp=88.0, set_head_temp=92.0, set_group_pressure=9.0,
                set_group_flow=0.0, frame_number=3, steam_temp=150, de1_time=1675628682.25)


SAMPLE_JSON = ('"sample_time": 65520, "group_pressure": 8.5, "group_flow": 2.25, "mix_temp": 88.5, '
               '"head_temp": 92.0625, "set_mix_temp": 88.0, "set_head_temp": 92.0, '
               '"set_group_pressure": 9.0, "set_group_flow": 0.0, "frame_number": 3, '
               '"steam_temp": 150, "de1_time": 1675628682.25, ')

# (event, JSON written by hand from the field tables of api-contract §2.4)
CASES = [
    (StateUpdate(**T, state="Espresso", substate="PreInfuse", previous_state="Idle",
                 previous_substate="NoState", is_error_state=False),
     HEAD + '"state": "Espresso", "substate": "PreInfuse", "previous_state": "Idle", '
     '"previous_substate": "NoState", "is_error_state": false, ' + tail("1.0.0", "DE1", "StateUpdate")),
    (ShotSampleWithVolumesUpdate(**T, **sample_fields(), volume_preinfuse=4.5, volume_pour=30.25,
                                 volume_total=34.75, volume_by_frames=[0.0, 4.5, 30.25]),
     HEAD + SAMPLE_JSON + '"volume_preinfuse": 4.5, "volume_pour": 30.25, "volume_total": 34.75, '
     '"volume_by_frames": [0.0, 4.5, 30.25], '
     + tail("1.2.0", "DE1", "ShotSampleWithVolumesUpdate")),
    (WaterLevelUpdate(**T, level=32.5, start_fill_level=5.0),
     HEAD + '"level": 32.5, "start_fill_level": 5.0, ' + tail("1.0.0", "DE1", "WaterLevelUpdate")),
    (WeightAndFlowUpdate(**T, scale_time=10.0, current_weight=18.5, current_weight_time=9.75,
                         average_flow=1.5, average_flow_time=9.5, median_weight=18.25,
                         median_weight_time=9.25, median_flow=1.25, median_flow_time=9.0),
     HEAD + '"scale_time": 10.0, "current_weight": 18.5, "current_weight_time": 9.75, '
     '"average_flow": 1.5, "average_flow_time": 9.5, "median_weight": 18.25, '
     '"median_weight_time": 9.25, "median_flow": 1.25, "median_flow_time": 9.0, '
     + tail("1.0.0", "ScaleProcessor", "WeightAndFlowUpdate")),
    (ScaleTareSeen(**T, sender="AtomaxSkaleII"),
     HEAD + tail("1.0.0", "AtomaxSkaleII", "ScaleTareSeen")),
    (ScaleButtonPress(**T, sender="AtomaxSkaleII", button=1),
     HEAD + '"button": 1, ' + tail("1.0.0", "AtomaxSkaleII", "ScaleButtonPress")),
    (ScaleChange(**T, sender="AcaiaLunar", state="ready", role="unknown", id="CF:75:75:AA:BB:CC",
                 name="AcaiaLunar: LUNAR-1234"),
     HEAD + '"state": "ready", "role": "unknown", "id": "CF:75:75:AA:BB:CC", '
     '"name": "AcaiaLunar: LUNAR-1234", ' + tail("1.1.0", "AcaiaLunar", "ScaleChange")),
    (SequencerGateNotification(**T, name="sequence_flow_begin", action="set",
                               sequence_id="0b5d6f5e-3c58-4d47-9a46-2b3f0e7a1c11",
                               active_state="Espresso"),
     HEAD + '"name": "sequence_flow_begin", "action": "set", '
     '"sequence_id": "0b5d6f5e-3c58-4d47-9a46-2b3f0e7a1c11", "active_state": "Espresso", '
     + tail("1.1.0", "FlowSequencerImpl", "SequencerGateNotification")),
    (StopAtNotification(**T, stop_at="move on by weight", action="triggered", target_value=4,
                        current_value=4.25, active_state="Espresso", current_frame=2),
     HEAD + '"stop_at": "move on by weight", "action": "triggered", "target_value": 4, '
     '"current_value": 4.25, "active_state": "Espresso", "current_frame": 2, '
     + tail("1.1.0", "FlowSequencerImpl", "StopAtNotification")),
    (AutoTareNotification(**T, action="enabled"),
     HEAD + '"action": "enabled", ' + tail("1.0.0", "FlowSequencerImpl", "AutoTareNotification")),
    (ScanResults(**T, role="scale", scanning=False,
                 devices=[{"address": "CF:75:75:AA:BB:CC", "name": "Skale", "rssi": -61},
                          ScanDevice(address="D9:B2:48:AA:BB:CC", name=None, rssi=-70)]),
     HEAD + '"role": "scale", "scanning": false, "devices": ['
     '{"address": "CF:75:75:AA:BB:CC", "name": "Skale", "rssi": -61}, '
     '{"address": "D9:B2:48:AA:BB:CC", "name": null, "rssi": -70}], '
     + tail("1.0.0", "BluetoothScanner", "ScanResults")),
    (DeviceAvailability(**T, sender="DE1", state="not ready", role="de1", id="D9:B2:48:AA:BB:CC",
                        name="DE1"),
     HEAD + '"state": "not ready", "role": "de1", "id": "D9:B2:48:AA:BB:CC", "name": "DE1", '
     + tail("1.1.0", "DE1", "DeviceAvailability")),
    (ConnectivityChange(**T, sender="DE1", state="not_ready", id="D9:B2:48:AA:BB:CC", name="DE1"),
     HEAD + '"state": "not_ready", "id": "D9:B2:48:AA:BB:CC", "name": "DE1", '
     + tail("1.1.0", "DE1", "ConnectivityChange")),
    (BlueDOTUpdate(**T, temperature=65.5, high_alarm=65, units="C", alarm_byte="00", name="BlueDOT"),
     HEAD + '"temperature": 65.5, "high_alarm": 65, "units": "C", "alarm_byte": "00", '
     '"name": "BlueDOT", ' + tail("1.0.0", "BlueDOT", "BlueDOTUpdate")),
    (FirmwareUpload(**T, state="uploading", uploaded=1024, total=None),
     HEAD + '"state": "uploading", "uploaded": 1024, "total": null, '
     + tail("1.0.0", "DE1", "FirmwareUpload")),
    (ShotSampleUpdate(**T, **sample_fields()),
     HEAD + SAMPLE_JSON + tail("1.0.0", "DE1", "ShotSampleUpdate")),
    (ScaleWeightUpdate(**T, sender="GenericScale", weight=-0.1, scale_time=1675628682.0),
     HEAD + '"weight": -0.1, "scale_time": 1675628682.0, '
     + tail("1.0.0", "GenericScale", "ScaleWeightUpdate")),
]
CASE_IDS = [type(event).__name__ for event, _ in CASES]


@pytest.mark.parametrize("event, expected", CASES, ids=CASE_IDS)
def test_to_json_matches_the_reference_payload(event, expected):
    assert event.to_json() == expected
    assert list(event.to_dict()) == list(json.loads(expected))


@pytest.mark.parametrize("event, _", CASES, ids=CASE_IDS)
def test_from_dict_round_trips(event, _):
    rebuilt = type(event).from_dict(event.to_dict())
    assert rebuilt == event
    assert ev.decode(json.loads(event.to_json())) == event


@pytest.mark.parametrize("event, _", CASES, ids=CASE_IDS)
def test_events_are_frozen_and_hashable(event, _):
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.sender = "Other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.create_time = 0.0
    assert hash(event) == hash(type(event).from_dict(event.to_dict()))


def test_every_class_is_covered_and_registered():
    published = ["StateUpdate", "ShotSampleWithVolumesUpdate", "WaterLevelUpdate",
                 "WeightAndFlowUpdate", "ScaleTareSeen", "ScaleButtonPress", "ScaleChange",
                 "SequencerGateNotification", "StopAtNotification", "AutoTareNotification",
                 "ScanResults", "FirmwareUpload", "DeviceAvailability", "ConnectivityChange",
                 "BlueDOTUpdate"]
    assert list(ev.PUBLISHED_CLASSES) == published
    assert set(ev.EVENT_CLASSES) == set(published) | {"ShotSampleUpdate", "ScaleWeightUpdate"}
    assert set(CASE_IDS) == set(ev.EVENT_CLASSES)
    for name, cls in ev.EVENT_CLASSES.items():
        assert cls.__name__ == name
        assert cls.PUBLISHED is (name in published)


def test_topic_is_root_slash_class_and_internal_classes_have_none():
    assert StateUpdate.topic("pyDE1") == "pyDE1/StateUpdate"
    assert CASES[0][0].topic("KEpyDE1") == "KEpyDE1/StateUpdate"
    for cls in (ShotSampleUpdate, ScaleWeightUpdate):
        assert cls.PUBLISHED is False
        with pytest.raises(ValueError, match="never published"):
            cls.topic("pyDE1")


def test_nan_and_infinity_are_written_as_json_dumps_does():
    event = WaterLevelUpdate(**T, level=float("nan"), start_fill_level=float("inf"))
    assert event.to_json() == HEAD + '"level": NaN, "start_fill_level": Infinity, ' + tail(
        "1.0.0", "DE1", "WaterLevelUpdate")


def test_non_ascii_names_are_escaped_like_json_dumps():
    event = DeviceAvailability(**T, sender="BlueDOT", state="ready", role="thermometer", id="",
                               name="Café")
    assert '"name": "Caf\\u00e9"' in event.to_json()


def test_enum_fields_hold_enum_members_and_strings_are_coerced():
    gate = CASES[7][0]
    assert gate.name is ev.SequencerGateName.SEQUENCE_FLOW_BEGIN
    assert gate.action is ev.GateAction.SET
    stop = CASES[8][0]
    assert stop.stop_at is ev.StopAtType.MOVE_ON_WEIGHT
    same = StopAtNotification(**T, stop_at=ev.StopAtType.MOVE_ON_WEIGHT,
                              action=ev.StopAtAction.TRIGGERED, target_value=4, current_value=4.25,
                              active_state="Espresso", current_frame=2)
    assert same == stop


def test_enum_values_are_the_reference_strings():
    assert [m.value for m in ev.SequencerGateName] == [
        "sequence_start", "sequence_flow_begin", "sequence_expect_drops",
        "sequence_exit_preinfuse", "sequence_flow_end", "sequence_last_drops",
        "sequence_flow_state_exit", "sequence_complete"]
    assert [m.value for m in ev.GateAction] == ["set", "clear"]
    assert [m.value for m in ev.StopAtType] == [
        "time", "volume", "weight", "move on by weight", "steam to temperature"]
    assert [m.value for m in ev.StopAtAction] == ["enabled", "triggered", "disabled", "de1 controlled"]
    assert [m.value for m in ev.AutoTareAction] == ["enabled", "disabled"]
    assert [m.value for m in ev.DeviceRole] == ["de1", "scale", "thermometer", "other", "unknown"]
    assert [m.value for m in ev.DeviceAvailabilityState] == [
        "initial", "unknown", "capturing", "captured", "ready", "not ready", "releasing", "released"]
    assert [m.value for m in ev.ConnectivityState] == [
        "initial", "unknown", "connecting", "connected", "ready", "not_ready", "disconnecting",
        "disconnected"]
    assert [m.value for m in ev.FirmwareUploadState] == [
        "starting", "uploading", "completed", "failed", "canceled"]
    assert [m.value for m in ev.TemperatureUnit] == ["C", "F"]


def test_common_times_and_sender_default():
    event = AutoTareNotification(action="disabled", create_time=100.0)
    assert (event.arrival_time, event.create_time, event.event_time) == (100.0, 100.0, 100.0)
    assert event.sender == "FlowSequencerImpl"
    stamped = event.with_event_time(101.5)
    assert stamped.event_time == 101.5 and stamped.create_time == 100.0 and event.event_time == 100.0
    assert isinstance(AutoTareNotification(action="disabled").create_time, float)


def test_classes_sent_by_a_device_class_need_a_sender():
    with pytest.raises(EventDecodeError) as info:
        ScaleButtonPress(**T, button=1)
    assert info.value.key == "sender" and info.value.event_class == "ScaleButtonPress"


def test_shot_sample_with_volumes_from_sample_keeps_the_sample():
    sample = CASES[-2][0]
    published = ShotSampleWithVolumesUpdate.from_sample(
        sample, volume_preinfuse=0.0, volume_pour=0.0, volume_total=0.0,
        volume_by_frames=[0.0] * 20, create_time=1675628683.0)
    assert published.arrival_time == sample.arrival_time and published.sender == "DE1"
    assert published.create_time == 1675628683.0
    assert {k: getattr(published, k) for k in ShotSampleUpdate.field_names()} == sample_fields()
    assert published.volume_by_frames == (0.0,) * 20


# -- bad input -------------------------------------------------------------------------------

def good(index):
    return CASES[index][0].to_dict()


@pytest.mark.parametrize("index", range(len(CASES)), ids=CASE_IDS)
def test_each_missing_key_is_named(index):
    payload = good(index)
    cls = type(CASES[index][0])
    for key in cls.wire_keys():
        broken = {k: v for k, v in payload.items() if k != key}
        with pytest.raises(EventDecodeError) as info:
            cls.from_dict(broken)
        assert info.value.key == key
        assert repr(key) in str(info.value) and "missing" in str(info.value)


@pytest.mark.parametrize("index, key, value, reason", [
    (0, "state", 4, "expected a string, got int 4"),
    (0, "is_error_state", "0", "expected true or false"),
    (1, "sample_time", 1.5, "expected an integer"),
    (1, "group_pressure", "8.5", "expected a number"),
    (1, "volume_by_frames", "[0, 0]", "expected a list"),
    (1, "volume_by_frames", [0.0, None], "item 1: expected a number"),
    (2, "level", True, "expected a number"),
    (2, "arrival_time", None, "expected a number, got null"),
    (2, "sender", None, "expected a string, got null"),
    (5, "sender", 7, "expected a string"),
    (5, "sender", "", "must not be empty"),
    (7, "name", "sequence_begin", "expected one of 'sequence_start'"),
    (7, "action", "SET", "expected one of 'set', 'clear'"),
    (8, "current_frame", 2.0, "expected an integer"),
    (10, "devices", [{"address": "x", "name": None}], "item 0: rssi: missing"),
    (10, "devices", ["x"], "item 0: expected an object"),
    (10, "devices", [{"address": "x", "name": None, "rssi": "-5"}], "item 0: rssi: expected an integer"),
    (11, "state", "not_ready", "'not ready'"),
    (12, "state", "not ready", "'not_ready'"),
    (13, "units", "K", "expected one of 'C', 'F'"),
    (14, "state", "cancelled", "'canceled'"),
], ids=lambda v: str(v) if not isinstance(v, (list, dict)) else "value")
def test_bad_values_are_named(index, key, value, reason):
    cls = type(CASES[index][0])
    with pytest.raises(EventDecodeError) as info:
        cls.from_dict({**good(index), key: value})
    assert info.value.key == key
    assert reason in info.value.reason
    assert str(info.value).startswith(f"{cls.__name__}: key {key!r}: ")


def test_strict_decoding_checks_class_version_and_unknown_keys():
    payload = good(0)
    with pytest.raises(EventDecodeError) as info:
        StateUpdate.from_dict({**payload, "version": "0.9.0"})
    assert info.value.key == "version"
    with pytest.raises(EventDecodeError) as info:
        StateUpdate.from_dict({**payload, "shifted": 5.0})
    assert info.value.key == "shifted" and "unknown" in info.value.reason
    with pytest.raises(EventDecodeError) as info:
        WaterLevelUpdate.from_dict(payload)
    assert info.value.key == "class" and "'StateUpdate'" in info.value.reason
    with pytest.raises(EventDecodeError) as info:
        StateUpdate.from_dict(["not", "a", "dict"])
    assert info.value.key is None


def test_lenient_decoding_accepts_database_rows():
    # A state_update row: no class key, a recording's sequence_id, an older version.
    row = {k: v for k, v in good(0).items() if k != "class"}
    row.update(sequence_id="abc", version="0.9.0")
    event = StateUpdate.from_dict(row, strict=False)
    assert event == CASES[0][0]
    with pytest.raises(EventDecodeError) as info:
        StateUpdate.from_dict({**row, "is_error_state": "0"}, strict=False)
    assert info.value.key == "is_error_state"


def test_decode_dispatches_on_class_and_rejects_unknown_classes():
    for event, _ in CASES:
        assert type(ev.decode(event.to_dict())) is type(event)
    for payload, reason in [({"arrival_time": 1.0}, "missing"),
                            ({**good(0), "class": "Bogus"}, "unknown payload class 'Bogus'"),
                            ({**good(0), "class": ["StateUpdate"]}, "unknown payload class")]:
        with pytest.raises(EventDecodeError) as info:
            ev.decode(payload)
        assert info.value.key == "class" and reason in info.value.reason


# -- property tests --------------------------------------------------------------------------

times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2**40, 2**40))
texts = st.text(max_size=20)


def common():
    return dict(arrival_time=times, create_time=times, event_time=times)


state_updates = st.builds(
    StateUpdate, **common(), state=texts, substate=texts, previous_state=texts,
    previous_substate=texts, is_error_state=st.booleans())
volume_samples = st.builds(
    ShotSampleWithVolumesUpdate, **common(), sample_time=st.integers(0, 65535),
    group_pressure=numbers, group_flow=numbers, mix_temp=numbers, head_temp=numbers,
    set_mix_temp=numbers, set_head_temp=numbers, set_group_pressure=numbers,
    set_group_flow=numbers, frame_number=st.integers(0, 19), steam_temp=numbers, de1_time=times,
    volume_preinfuse=numbers, volume_pour=numbers, volume_total=numbers,
    volume_by_frames=st.lists(numbers, max_size=20))
stop_ats = st.builds(
    StopAtNotification, **common(), stop_at=st.sampled_from(ev.StopAtType),
    action=st.sampled_from(ev.StopAtAction), target_value=st.none() | numbers,
    current_value=st.none() | numbers, active_state=texts,
    current_frame=st.none() | st.integers(0, 19))
scans = st.builds(
    ScanResults, **common(), role=st.none() | st.sampled_from(ev.DeviceRole),
    scanning=st.booleans(),
    devices=st.lists(st.builds(ScanDevice, address=texts, name=st.none() | texts,
                               rssi=st.integers(-120, 0)), max_size=5))
availabilities = st.builds(
    DeviceAvailability, **common(), sender=texts.filter(bool),
    state=st.sampled_from(ev.DeviceAvailabilityState), role=st.sampled_from(ev.DeviceRole),
    id=texts, name=texts)


@settings(max_examples=60, deadline=None)
@given(st.one_of(state_updates, volume_samples, stop_ats, scans, availabilities))
def test_json_round_trip_is_exact(event):
    text = event.to_json()
    rebuilt = ev.decode(json.loads(text))
    assert type(rebuilt) is type(event)
    assert rebuilt.to_json() == text
    assert list(json.loads(text)) == list(event.wire_keys())
    if "NaN" not in text:
        assert rebuilt == event
