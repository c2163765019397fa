"""Characteristic codecs against the reference's worked test vectors (§10)."""

import pytest

from pyde1.protocol.enums import CalCommand, CalTarget, MachineState, SteamSetting, Substate
from pyde1.protocol.errors import DecodeError, EncodeError, UnknownCharacteristicError
from pyde1.protocol.packets import (
    Calibration, FWMapRequest, RequestedState, SetTime, ShotSample, ShotSettings, StateInfo,
    Temperatures, Versions, WaterLevels,
)
from pyde1.protocol.uuids import CHARACTERISTICS, characteristic, full_uuid


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


SHOT_SAMPLES = [
    ("12 34 90 00 20 00 5C 80 5D 40 00 5C 00 5D 00 90 00 02 96",
     (4660, 9.0, 2.0, 92.5, 93.25, 92.0, 93.0, 9.0, 0.0, 2, 150)),
    ("FF F0 8F 5C 1A 3D 5B CD 5C 8C 00 5C 00 5C C0 8C 28 05 A0",
     (65520, 8.9599609375, 1.639892578125, 91.80078125, 92.546875, 92.0, 92.75, 8.75, 2.5, 5,
      160)),
    ("00 05 00 00 00 00 1A 00 1A 00 00 00 00 00 00 00 00 00 00",
     (5, 0.0, 0.0, 26.0, 26.0, 0.0, 0.0, 0.0, 0.0, 0, 0)),
]


@pytest.mark.parametrize("raw,values", SHOT_SAMPLES)
def test_shot_sample(raw, values):
    sample = ShotSample.decode(h(raw))
    assert sample == ShotSample(*values)
    assert sample.encode() == h(raw)


def test_shot_sample_event_names():
    event = ShotSample.decode(h(SHOT_SAMPLES[0][0])).to_event_dict()
    assert list(event) == ["sample_time", "group_pressure", "group_flow", "mix_temp",
                           "head_temp", "set_mix_temp", "set_head_temp", "set_group_pressure",
                           "set_group_flow", "frame_number", "steam_temp"]
    assert event["group_pressure"] == 9.0 and event["frame_number"] == 2


STATES = [
    ("04 05", "Espresso", "Pour"), ("04 04", "Espresso", "PreInfuse"), ("02 06", "Idle", "Flush"),
    ("02 00", "Idle", "NoState"), ("00 00", "Sleep", "NoState"), ("05 07", "Steam", "Steaming"),
    ("0F 05", "HotWaterRinse", "Pour"), ("11 00", "Refill", "NoState"),
    ("0B CF", "FatalError", "Error_DIP"), ("01 12", "GoingToSleep", "PausedSteam"),
    ("02 14", "Idle", "SteamPuff"), ("02 15", "Idle", "UNKNOWN"),
    ("02 E0", "Idle", "ERROR_UNKNOWN"),
]


@pytest.mark.parametrize("raw,state,substate", STATES)
def test_state_info(raw, state, substate):
    info = StateInfo.decode(h(raw))
    assert info.state.name == state and info.substate.name == substate
    assert info.encode() == h(raw)  # unknown codes are kept for re-encoding
    assert info.to_event_dict() == {"state": state, "substate": substate}


def test_state_info_error_and_unknown_state():
    assert StateInfo.decode(h("0B CF")).is_error
    assert StateInfo.decode(h("02 E0")).is_error
    assert not StateInfo.decode(h("04 05")).is_error
    unknown = StateInfo.decode(h("30 00"))
    assert unknown.state is MachineState.UNKNOWN and unknown.raw_state == 0x30
    with pytest.raises(EncodeError):
        StateInfo(MachineState.UNKNOWN, Substate.NoState).encode()
    assert StateInfo(4, 5) == StateInfo(MachineState.Espresso, Substate.Pour)


def test_state_info_empty_is_a_decode_error():
    with pytest.raises(DecodeError) as info:
        StateInfo.decode(b"")
    assert (info.value.characteristic, info.value.length) == ("StateInfo", 0)


@pytest.mark.parametrize("raw,level,fill", [
    ("0F 80 05 00", 15.5, 5.0), ("11 33 05 00", 17.19921875, 5.0),
    ("2A 1C 0A 80", 42.109375, 10.5), ("00 00 00 00", 0.0, 0.0)])
def test_water_levels_decode(raw, level, fill):
    levels = WaterLevels.decode(h(raw))
    assert (levels.level, levels.start_fill_level) == (level, fill)
    assert levels.to_event_dict() == {"level": level, "start_fill_level": fill}


def test_water_levels_refill_write_multiplies_by_256():
    assert WaterLevels.refill_threshold(5).encode() == h("00 00 05 00")
    assert WaterLevels.refill_threshold(10.5).encode() == h("00 00 0A 80")


SETTINGS = [
    ("00 A0 78 55 32 3C C8 5C 00", (0, 160, 120, 85, 50, 60, 200, 92.0)),
    ("00 00 78 55 32 3C C8 5C 20", (0, 0, 120, 85, 50, 60, 200, 92.125)),
    ("C0 8C 3C 4B 00 00 24 5C 80", (0xC0, 140, 60, 75, 0, 0, 36, 92.5)),
]


@pytest.mark.parametrize("raw,values", SETTINGS)
def test_shot_settings(raw, values):
    settings = ShotSettings.decode(h(raw))
    assert settings == ShotSettings(SteamSetting(values[0]), *values[1:])
    assert settings.encode() == h(raw)


def test_shot_settings_flags_and_steam_off():
    assert ShotSettings.decode(h(SETTINGS[2][0])).steam_settings == \
        SteamSetting.FastStart | SteamSetting.HighPower
    assert ShotSettings.decode(h(SETTINGS[1][0])).steam_heater_off
    assert ShotSettings.decode(h(SETTINGS[0][0])).to_dict()["TargetSteamTemp"] == 160


def test_versions():
    versions = Versions.decode(h("04 0A 01 23 00 12 34 56 70 04 0C 04 E6 02 3B F4 BC 91"))
    assert (versions.ble.api_version, versions.ble.release, versions.ble.commits,
            versions.ble.changes, versions.ble.sha) == (4, 1.0, 291, 0, 0x12345670)
    assert (versions.lv.release, versions.lv.commits, versions.lv.changes) == (1.2, 1254, 2)
    assert versions.lv.sha_text == "3bf4bc9(1)" and versions.ble.sha_text == "1234567(0)"
    assert versions.mmr_available
    coarse = Versions.decode(h("04 84 00 01 00 00 00 00 00 04 88 00 00 00 AB CD EF 01"))
    assert (coarse.ble.release, coarse.lv.release, coarse.lv.sha) == (4, 8, 0xABCDEF01)
    assert versions.to_dict()["LV"]["APIVersion"] == 4
    assert Versions.decode(versions.encode()) == versions


def test_temperatures():
    temps = Temperatures.decode(h("5C 80 96 00 5D 00 14 00 5C 00 A0 00 5D 40 00 00"))
    assert (temps.water_heater, temps.steam_heater, temps.group_heater, temps.cold_water) == \
        (92.5, 150.0, 93.0, 20.0)
    assert (temps.target_water_heater, temps.target_steam_heater, temps.target_group_heater,
            temps.target_cold_water) == (92.0, 160.0, 93.25, 0.0)
    assert temps.to_dict()["Target"]["GroupHeater"] == 93.25


@pytest.mark.parametrize("state,byte", [
    ("Sleep", "00"), ("Idle", "02"), ("Espresso", "04"), ("Steam", "05"), ("HotWater", "06"),
    ("Descale", "0A"), ("NoRequest", "0D"), ("SkipToNext", "0E"), ("HotWaterRinse", "0F"),
    ("Clean", "12"), ("AirPurge", "14")])
def test_requested_state(state, byte):
    packet = RequestedState(MachineState[state])
    assert packet.encode() == h(byte)
    assert RequestedState.decode(h(byte)) == packet


def test_requested_state_rejects_unknown_codes():
    with pytest.raises(DecodeError):
        RequestedState.decode(h("30"))
    with pytest.raises(EncodeError):
        RequestedState(MachineState.UNKNOWN).encode()


def test_set_time():
    assert SetTime(1700000000).encode() == h("00 00 00 00 65 53 F1 00")
    assert SetTime.decode(h("00 00 00 00 65 53 F1 00")).timestamp == 1700000000


FW_MAP = [
    (FWMapRequest.erase(), "00 00 01 01 00 00 00"),
    (FWMapRequest(0, 1, 1, 0xFFFFFF), "00 00 01 01 FF FF FF"),
    (FWMapRequest.report_first_error(), "00 00 00 01 FF FF FF"),
    (FWMapRequest.report_next_error(), "00 00 00 01 FF FF FE"),
    (FWMapRequest(0, 0, 1, 0xFFFFFD), "00 00 00 01 FF FF FD"),
    (FWMapRequest(0, 0, 1, 0x001230), "00 00 00 01 00 12 30"),
]


@pytest.mark.parametrize("packet,raw", FW_MAP)
def test_fw_map_request(packet, raw):
    assert packet.encode() == h(raw)
    assert FWMapRequest.decode(h(raw)) == packet


def test_fw_map_request_interpretation():
    assert FWMapRequest.decode(h("00 00 01 01 00 00 00")).erase_in_progress
    assert FWMapRequest.decode(h("00 00 00 01 FF FF FD")).verified_ok
    bad = FWMapRequest.decode(h("00 00 00 01 00 12 30"))
    assert not bad.verified_ok and bad.first_error == 4656
    assert bad.to_dict()["FirstError"] == "0x001230"


CAL_ENCODES = [
    (Calibration(0, CalCommand.Read, CalTarget.CalFlow, 0, 0), "00000000 00 00 00000000 00000000"),
    (Calibration(0, CalCommand.ReadFactory, CalTarget.CalPressure, 0, 0),
     "00000000 03 01 00000000 00000000"),
    (Calibration.read(CalTarget.CalFlow), "00000001 00 00 00000000 00000000"),
    (Calibration.write(CalTarget.CalFlow, 1.0, 1.05), "CAFEF00D 01 00 00010000 00010CCD"),
    (Calibration.write(CalTarget.CalTemp, 0, -0.5), "CAFEF00D 01 02 00000000 FFFF8000"),
    (Calibration.reset(CalTarget.CalTemp), "CAFEF00D 02 02 00000000 00000000"),
]


@pytest.mark.parametrize("packet,raw", CAL_ENCODES)
def test_calibration_encode(packet, raw):
    assert packet.encode() == h(raw)


def test_calibration_decode():
    flow = Calibration.decode(h("00 00 00 00 00 00 00 01 00 00 00 01 0C CD"))
    assert (flow.command, flow.target, flow.reported, flow.measured) == \
        (CalCommand.Read, CalTarget.CalFlow, 1.0, 1.0500030517578125)
    temp = Calibration.decode(h("00 00 00 00 03 02 00 00 00 00 FF FF 80 00"))
    assert (temp.command, temp.target, temp.measured, temp.calibration) == \
        (CalCommand.ReadFactory, CalTarget.CalTemp, -0.5, -0.5)
    error = Calibration.decode(h("00 00 00 00 00 FF 00 00 00 00 00 00 00 00"))
    assert error.is_error and error.target is CalTarget.CalError
    with pytest.raises(DecodeError) as info:
        Calibration.decode(h("00 00 00 00 09 00 00 00 00 00 00 00 00 00"))
    assert "CalCommand" in info.value.reason


@pytest.mark.parametrize("cls,size", [(ShotSample, 19), (StateInfo, 2), (WaterLevels, 4),
                                      (ShotSettings, 9), (Versions, 18), (Temperatures, 16),
                                      (Calibration, 14), (FWMapRequest, 7), (SetTime, 8),
                                      (RequestedState, 1)])
def test_wrong_length_names_characteristic_length_and_reason(cls, size):
    for length in (0, size - 1, size + 1):
        with pytest.raises(DecodeError) as info:
            cls.decode(bytes(length))
        err = info.value
        assert err.characteristic == cls.NAME and err.length == length
        assert f"expected {size} bytes" in err.reason and cls.NAME in str(err)


def test_non_bytes_input_is_a_decode_error():
    with pytest.raises(DecodeError):
        ShotSample.decode("12 34")


def test_strict_encode_names_the_field():
    with pytest.raises(EncodeError) as info:
        ShotSample(0, 16.0, 0, 0, 0, 0, 0, 0, 0, 0, 0).encode()
    assert info.value.field == "ShotSample.GroupPressure"
    payload, clamps = ShotSample(0, 16.0, 0, 0, 0, 0, 0, 0, 0, 0, 0).encode_clamped()
    assert payload[2:4] == b"\xff\xff" and clamps[0].field == "ShotSample.GroupPressure"


def test_characteristic_lookup():
    assert len(CHARACTERISTICS) == 18
    by_short = characteristic("a00d")
    assert by_short is characteristic("ShotSample") is characteristic("shotsample")
    assert by_short is characteristic(full_uuid("a00d").upper()) is characteristic("0xA00D")
    assert by_short.uuid == "0000a00d-0000-1000-8000-00805f9b34fb"
    assert by_short.notifies and by_short.readable and not by_short.writable
    assert characteristic("Version").short == "a001"  # de1app's spelling
    assert characteristic("a006").writable and not characteristic("a006").readable
    with pytest.raises(UnknownCharacteristicError):
        characteristic("a0ff")
