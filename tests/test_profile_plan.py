"""Upload plans: the reference's worked examples, a hand-derived fixture, fitting rules."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pyde1.profile import ProfileError, parse_profile, plan_source, plan_upload
from pyde1.profile.compat import pyde1_fingerprint, pyde1_frame_payloads

DATA = Path(__file__).parent / "data" / "profiles"
HEADER = "0000a00f-0000-1000-8000-00805f9b34fb"
FRAME = "0000a010-0000-1000-8000-00805f9b34fb"
MMR = "0000a006-0000-1000-8000-00805f9b34fb"

# de1-ble-protocol.md §10.13: exactly these 840 bytes.
EXAMPLE_1 = (
    b'{"version":"2.1","title":"Reference example","notes":"","author":"de1-ble-protocol.md",'
    b'"beverage_type":"espresso","steps":[{"name":"fill","pump":"flow","flow":8.0,"transition":'
    b'"fast","exit":{"type":"pressure","condition":"over","value":4.0},"volume":100,"seconds":25,'
    b'"temperature":92.0,"sensor":"coffee"},{"name":"infuse","pump":"pressure","pressure":3.0,'
    b'"transition":"fast","volume":0,"seconds":10,"weight":4.0,"temperature":92.0,"sensor":'
    b'"coffee"},{"name":"pour","pump":"flow","flow":2.0,"transition":"smooth","limiter":{"value"'
    b':9.0,"range":0.6},"exit":{"type":"flow","condition":"under","value":1.0},"volume":0,'
    b'"seconds":60,"temperature":90.5,"sensor":"water"}],"target_volume":36,"target_weight":36,'
    b'"target_volume_count_start":2,"tank_temperature":0,"lang":"en","legacy_profile_type":'
    b'"settings_2c","type":"advanced","reference_file":""}'
)
# §10.14: 246 bytes.
EXAMPLE_2 = (
    b'{"version":"2","steps":[{"pump":"pressure","pressure":9,"transition":"smooth","limiter":'
    b'{"value":0,"range":0.6},"volume":0,"seconds":30,"temperature":93.25,"sensor":"coffee"}],'
    b'"target_volume":0,"target_volume_count_start":0,"tank_temperature":85}'
)
# api-contract.md §3.7: 616 bytes.
CONTRACT_VECTOR = (
    b'{"version": "2.1", "title": "Test Vector", "author": "Nobody", "notes": "", '
    b'"beverage_type": "espresso", "steps": [{"name": "preinfuse", "pump": "flow", "flow": 4, '
    b'"transition": "fast", "exit": {"type": "pressure", "condition": "over", "value": 4}, '
    b'"volume": 100, "seconds": 20, "weight": 4.5, "temperature": 92, "sensor": "coffee"}, '
    b'{"name": "pour", "pump": "pressure", "pressure": 9, "transition": "smooth", "limiter": '
    b'{"value": 3.5, "range": 0.6}, "volume": 0, "seconds": 40, "temperature": 90.5, '
    b'"sensor": "water"}], "target_volume": 0, "target_weight": 36, '
    b'"target_volume_count_start": 1, "tank_temperature": 0}'
)


def _writes(plan):
    return [(w.uuid, w.payload.hex()) for w in plan.writes]


def _sha1_of_hex(*parts: str) -> str:
    return hashlib.sha1(bytes.fromhex("".join(parts))).hexdigest()


def test_sources_have_the_reference_lengths():
    assert (len(EXAMPLE_1), len(EXAMPLE_2), len(CONTRACT_VECTOR)) == (840, 246, 616)


def test_example_1_de1app_bytes():
    plan = plan_source(EXAMPLE_1)
    payloads = ["0103020060", "004780b899400464", "014030b864000400", "027b20b5bc100400",
                "22900a0000000000", "0300000000000000"]
    assert _writes(plan) == [(HEADER, payloads[0]), *((FRAME, p) for p in payloads[1:]),
                             (MMR, "0480380c" + "00" * 16)]
    assert plan.id == "9df0d9a941728ff84f94343198c7d49afc8fbb8c"
    assert plan.fingerprint == _sha1_of_hex(*payloads)
    assert plan.number_of_preinfuse_frames == 2
    assert (plan.target_weight, plan.target_volume) == (36.0, 36.0)
    assert plan.move_on_weight == (None, 4.0)
    assert plan.tank_temperature == 0
    assert plan.warnings == ()
    assert [w.payload.hex() for w in plan.frame_writes] == payloads


def test_example_2_single_step_tie_and_zero_limiter():
    plan = plan_source(EXAMPLE_2)
    payloads = ["0101000060", "006090bb9e000400", "0100000000000000"]
    assert _writes(plan) == [(HEADER, payloads[0]), (FRAME, payloads[1]), (FRAME, payloads[2]),
                             (MMR, "0480380c55000000" + "00" * 12)]
    assert plan.extension_frames == ()
    assert plan.id == "01db055d411086c1fab69908becffa6ec402b903"
    assert plan.fingerprint == _sha1_of_hex(*payloads)
    assert plan.move_on_weight == ()
    assert plan.target_weight is None      # absent: the current stop-at-weight stays
    assert plan.target_volume == 0.0       # present and 0: no stop-at-volume


def test_contract_vector():
    plan = plan_source(CONTRACT_VECTOR)
    payloads = ["0102010060", "004740b894400464", "017090b5a8000400", "21380a0000000000",
                "0200000000000000"]
    assert [w.payload.hex() for w in plan.frame_writes] == payloads
    assert plan.id == "efd83ebf8d4c873535a082e4e850be37d8527bb2"
    assert plan.fingerprint == _sha1_of_hex(*payloads)
    assert plan.move_on_weight == (4.5,)


@pytest.mark.parametrize("source, payloads, fingerprint", [
    (EXAMPLE_1, ["01030200a0", "004780b899400064", "014030b864000000", "027b20b5bc100000",
                 "22900a0000000000", "0324800000000000"],
     "183b9f6031008ce10005b1a5ceddea5ff47c5451"),
    (EXAMPLE_2, ["01010000a0", "006090ba9e000000", "0100800000000000"],
     "f3395671d22040fe0c84540f6a378b30fc06273d"),
    (CONTRACT_VECTOR, ["01020100a0", "004740b894400064", "017090b5a8000000", "21380a0000000000",
                       "0200800000000000"],
     "22ad4e7643e5597b41d33c8e3c6f71e309f2e0a1"),
])
def test_pyde1_compatible_fingerprint(source, payloads, fingerprint):
    profile = parse_profile(source)
    assert [p.hex() for p in pyde1_frame_payloads(profile)] == payloads
    assert pyde1_fingerprint(profile) == fingerprint
    assert plan_upload(profile).fingerprint != fingerprint   # ours follows de1app


def test_hand_derived_fixture():
    """Bytes worked out by hand from de1-ble-protocol.md §2, §3.13, §3.14, §6 (de1app rules)."""
    source = (DATA / "hand_derived.json").read_bytes()
    plan = plan_source(source)
    expected = [
        (HEADER, "01 03 01 00 60"),          # HeaderV 1, 3 frames, count start "1", MinP 0, MaxF 6.0
        # flow 6 → 0x60; CtrlF|DoCompare|DC_GT|IgnoreLimit = 0x47; 93.25 °C tie → 187 = BB;
        # 12.75 s → coarse 0x80|13 = 8D; exit 2.03125 bar tie → 33 = 21; 100.5 ml tie → 101|0x400
        (FRAME, "00 47 60 BB 8D 21 04 65"),
        # pressure 9 → 90; IgnoreLimit|Interpolate|TMixTemp|DoCompare|DC_CompF = 0x7A;
        # 88 °C → B0; 0.05 s tie → 01; exit flow under 1.5 → 18; volume 0 → 0x400
        (FRAME, "01 7A 90 B0 01 18 04 00"),
        # flow 0; CtrlF|IgnoreLimit = 0x41; 80 °C → A0; 127 s → 0x80|127 = FF
        (FRAME, "02 41 00 A0 FF 00 04 00"),
        (FRAME, "21 48 10 00 00 00 00 00"),  # step 1 limiter 4.5 → 48, range 1 → 10
        (FRAME, "22 60 08 00 00 00 00 00"),  # step 2 limiter 6 → 60, range 0.5 → 08
        (FRAME, "03 00 00 00 00 00 00 00"),  # tail: N = 3, MaxTotalVolume 00 00
        (MMR, "04 80 38 0C 1F 00 00 00" + " 00" * 12),   # TANK_TEMP 30.5 → 31 (half away)
    ]
    assert _writes(plan) == [(uuid, bytes.fromhex(h).hex()) for uuid, h in expected]
    assert plan.id == hashlib.sha1(source).hexdigest()
    assert plan.fingerprint == hashlib.sha1(
        b"".join(bytes.fromhex(h) for _, h in expected[:-1])).hexdigest()
    assert plan.move_on_weight == (3.5,)
    assert plan.number_of_preinfuse_frames == 1
    assert (plan.target_weight, plan.target_volume, plan.tank_temperature) == (36.0, 0.0, 31)
    assert plan.warnings == ()


def test_whitespace_changes_the_id_but_not_the_fingerprint():
    reformatted = json.dumps(json.loads(EXAMPLE_1), indent=2).encode()
    first, second = plan_source(EXAMPLE_1), plan_source(reformatted)
    assert first.id != second.id
    assert first.fingerprint == second.fingerprint


# --- fitting numbers ---------------------------------------------------------------------------

def _one_step(**step_changes) -> dict:
    step = {"name": "s", "pump": "pressure", "pressure": 9, "transition": "fast",
            "temperature": 92, "sensor": "coffee", "seconds": 10, "volume": 0}
    step.update(step_changes)
    return {"version": "2.1", "steps": [step], "target_volume_count_start": 0,
            "target_volume": 0, "target_weight": 36}


def _plan(document: dict):
    return plan_source(json.dumps(document).encode())


@pytest.mark.parametrize("changes, frame_hex, warning", [
    ({"seconds": 200}, "004090b8ff000400", "steps[0].seconds: 200 s does not fit"),
    ({"volume": 1500}, "004090b8640007ff", "steps[0].volume: 1500 ml does not fit"),
    ({"exit": {"type": "flow", "condition": "over", "value": 20}},
     "004e90b864ff0400", "steps[0].exit.value: 20 ml/s does not fit"),
])
def test_limits_beyond_the_encoding_are_clamped_with_a_warning(changes, frame_hex, warning):
    plan = _plan(_one_step(**changes))
    assert plan.writes[1].payload.hex() == frame_hex
    assert len(plan.warnings) == 1 and plan.warnings[0].startswith(warning)


def test_limiter_clamped_with_a_warning():
    plan = _plan(_one_step(limiter={"value": 30, "range": 0.6}))
    assert plan.writes[2].payload.hex() == "20ff0a0000000000"
    assert plan.warnings == ("steps[0].limiter.value: 30 ml/s does not fit the DE1's field; "
                             "clamped to 15.9375 ml/s",)


@pytest.mark.parametrize("changes, path, reason", [
    ({"pressure": 16}, "steps[0].pressure", "16 bar is more than a DE1 frame can hold"),
    ({"pump": "flow", "flow": 20}, "steps[0].flow", "at most 15.9375 ml/s"),
    ({"temperature": 130}, "steps[0].temperature", "at most 127.5 °C"),
    ({"temperature": -1}, "steps[0].temperature", "must not be negative"),
    ({"seconds": -2}, "steps[0].seconds", "must not be negative"),
    ({"volume": -5}, "steps[0].volume", "must not be negative"),
    ({"limiter": {"value": -1, "range": 1}}, "steps[0].limiter.value", "must not be negative"),
])
def test_targets_that_do_not_fit_are_rejected(changes, path, reason):
    with pytest.raises(ProfileError) as info:
        _plan(_one_step(**changes))
    assert info.value.path == path
    assert reason in info.value.reason


def test_rounding_noise_below_zero_is_zero():
    plan = _plan(_one_step(pressure="-5.717648576819556e-15", seconds=-1e-12))
    assert plan.writes[1].payload.hex() == "004000b800000400"
    assert plan.warnings == ()


@pytest.mark.parametrize("value, accepted", [(0, True), (100, True), (-1, False), (101, False)])
def test_tank_temperature_range(value, accepted):
    document = _one_step()
    document["tank_temperature"] = value
    if accepted:
        assert _plan(document).writes[-1].payload[4] == value
    else:
        with pytest.raises(ProfileError) as info:
            _plan(document)
        assert info.value.path == "tank_temperature"


def test_no_tank_temperature_means_no_register_write():
    plan = _plan(_one_step())
    assert plan.tank_temperature is None
    assert all(w.uuid != MMR for w in plan.writes)


def test_count_start_beyond_the_steps_is_capped_with_a_warning():
    document = _one_step()
    document["target_volume_count_start"] = 4
    plan = _plan(document)
    assert plan.number_of_preinfuse_frames == 1
    assert plan.writes[0].payload.hex() == "0101010060"
    assert any("target_volume_count_start" in w for w in plan.warnings)


def test_twenty_frames_with_twenty_limiters():
    document = _one_step(limiter={"value": 2, "range": 1})
    document["steps"] *= 20
    plan = _plan(document)
    assert len(plan.writes) == 1 + 20 + 20 + 1
    assert [w.payload[0] for w in plan.writes[21:41]] == list(range(32, 52))
    assert plan.writes[-1].payload[0] == 20
