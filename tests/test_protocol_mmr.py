"""MMR register table, ReadFromMMR/WriteToMMR packets, multi-word reads, feature flags."""

import pytest

from pyde1.protocol.enums import GHCInfo, RefillKit, V13Model
from pyde1.protocol.errors import DecodeError, EncodeError, UnknownRegisterError
from pyde1.protocol.mmr import (
    REGISTERS, FeatureFlags, Kind, ghc_active, ghc_required, heater_voltage_explicit,
    heater_voltage_nominal, last_mmr0x80, register, register_exists,
)
from pyde1.protocol.mmr_packets import (
    MMRReadCollector, MMRReadRequest, MMRReadResponse, MMRWrite, firmware_build_request,
    standard_read_requests,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


Z16 = "00" * 16


@pytest.mark.parametrize("request_,raw", [
    (firmware_build_request(), "00 80 00 10" + Z16),
    (MMRReadRequest.for_registers("CPU_BOARD_MODEL", "CPU_FIRMWARE_BUILD"), "02 80 00 08" + Z16),
    (MMRReadRequest.for_registers("HW_CONFIG", "V13_MODEL"), "03 80 00 00" + Z16),
    (MMRReadRequest.for_registers("FAN_THRESHOLD", "USER_PRESENT"), "16 80 38 08" + Z16),
    (MMRReadRequest.for_registers("HEATER_VOLTAGE", "HEATER_UP2_TIMEOUT"), "01 80 38 34" + Z16),
])
def test_read_requests(request_, raw):
    assert request_.encode() == h(raw)
    assert MMRReadRequest.decode(h(raw)) == request_


RESPONSES = [
    ("0C 80 00 08 4C 04 00 00 04 00 00 00 3A 05 00 00 00 00 00 00",
     {"CPU_BOARD_MODEL": 1.1, "V13_MODEL": "DE1XL", "CPU_FIRMWARE_BUILD": 1338}),
    ("04 80 00 10 48 05 00 00" + "00" * 12, {"CPU_FIRMWARE_BUILD": 1352}),
    ("04 80 38 08 32 00 00 00" + "00" * 12, {"FAN_THRESHOLD": 50}),
    ("10 80 38 0C 00 00 00 00 14 00 00 00 28 00 00 00 DE 03 00 00",
     {"TANK_TEMP": 0, "HEATER_UP1_FLOW": 2.0, "HEATER_UP2_FLOW": 4.0,
      "WATER_HEATER_IDLE_TEMP": 99.0}),
    ("10 80 38 28 96 00 00 00 46 00 00 00 4E 61 12 00 E6 00 00 00",
     {"TARGET_STEAM_FLOW": 1.5, "STEAM_START_SECS": 0.7, "SERIAL_NUMBER": 1204558,
      "HEATER_VOLTAGE": 230}),
    ("04 80 38 1C 07 00 00 00" + "00" * 12, {"GHC_INFO": 7}),
    ("08 80 38 58 01 00 00 00 02 00 00 00" + "00" * 8,
     {"APP_FEATURE_FLAGS": 1, "REFILL_KIT_PRESENT": "AUTO_DETECT"}),
]


@pytest.mark.parametrize("raw,registers", RESPONSES)
def test_read_responses(raw, registers):
    response = MMRReadResponse.decode(h(raw))
    assert response.registers() == registers
    assert response.encode() == h(raw)


def test_decoded_register_values_are_typed():
    model = register("V13_MODEL").decode(4)
    assert model is V13Model.DE1XL
    assert register("GHC_INFO").decode(7) == GHCInfo.GHC_ACTIVE | GHCInfo.LED_CONTROLLER_PRESENT \
        | GHCInfo.TOUCH_CONTROLLER_PRESENT
    assert register("REFILL_KIT_PRESENT").decode(2) is RefillKit.AUTO_DETECT
    assert register("STEAM_PURGE_MODE").decode(1) is True
    assert register("V13_MODEL").decode(200) == 200  # unknown model codes stay numbers


WRITES = [
    ("FAN_THRESHOLD", 50, "04 80 38 08 32 00 00 00"), ("TANK_TEMP", 85, "04 80 38 0C 55 00 00 00"),
    ("TANK_TEMP", 0, "04 80 38 0C 00 00 00 00"),
    ("TARGET_STEAM_FLOW", 1.5, "04 80 38 28 96 00 00 00"),
    ("STEAM_START_SECS", 0.7, "04 80 38 2C 46 00 00 00"),
    ("HEATER_UP1_FLOW", 2.0, "04 80 38 10 14 00 00 00"),
    ("HEATER_UP2_FLOW", 4.0, "04 80 38 14 28 00 00 00"),
    ("WATER_HEATER_IDLE_TEMP", 99.0, "04 80 38 18 DE 03 00 00"),
    ("HEATER_UP2_TIMEOUT", 1.0, "04 80 38 38 0A 00 00 00"),
    ("CAL_FLOW_EST", 1.05, "04 80 38 3C 1A 04 00 00"),
    ("FLUSH_FLOW_RATE", 6.0, "04 80 38 40 3C 00 00 00"),
    ("FLUSH_TEMP", 85.0, "04 80 38 44 52 03 00 00"),
    ("FLUSH_TIMEOUT", 3.0, "04 80 38 48 1E 00 00 00"),
    ("STEAM_PURGE_MODE", True, "04 80 38 50 01 00 00 00"),
    ("ALLOW_USB_CHARGING", False, "04 80 38 54 00 00 00 00"),
    ("APP_FEATURE_FLAGS", 1, "04 80 38 58 01 00 00 00"),
    ("REFILL_KIT_PRESENT", True, "04 80 38 5C 01 00 00 00"),
    ("USER_PRESENT", True, "04 80 38 60 01 00 00 00"),
    ("HEATER_VOLTAGE", 230, "04 80 38 34 E6 00 00 00"),
    ("HOT_WATER_FLOW_RATE", 1.15, "04 80 38 4C 0C 00 00 00"),  # rounds: 1.15 × 10 = 11.5 → 12
]


@pytest.mark.parametrize("name,value,first8", WRITES)
def test_register_writes(name, value, first8):
    packet = MMRWrite.register(name, value)
    assert packet.encode() == h(first8) + bytes(12)
    assert MMRWrite.decode(packet.encode()) == packet


def test_scaled_write_rounds_instead_of_truncating():
    # 1.15 × 100 = 114.999… in binary floating point; truncation would give 114.
    assert register("TARGET_STEAM_FLOW").encode(1.15) == 115


def test_reaprime_single_byte_write_decodes():
    packet = MMRWrite.decode(h("01 80 38 5C 02 00 00 00") + bytes(12))
    assert packet.data == b"\x02" and packet.raw_word == 2
    assert packet.to_dict()["REFILL_KIT_PRESENT"] == "AUTO_DETECT"


def test_unpadded_firmware_chunk():
    chunk = MMRWrite.firmware_chunk(0x10, b"\x01\x02\x03", padded=False)
    assert chunk.encode() == h("03 00 00 10 01 02 03")


@pytest.mark.parametrize("name,value", [("CPU_FIRMWARE_BUILD", 1), ("FAN_THRESHOLD", -1),
                                        ("FAN_THRESHOLD", 2.5), ("FAN_THRESHOLD", "60"),
                                        ("REFILL_KIT_PRESENT", 7), ("TANK_TEMP", float("nan"))])
def test_bad_register_writes(name, value):
    with pytest.raises(EncodeError) as info:
        MMRWrite.register(name, value)
    assert name in info.value.field


def test_unknown_register():
    with pytest.raises(UnknownRegisterError):
        register(0x803900)
    with pytest.raises(UnknownRegisterError):
        register("NO_SUCH")
    assert register("calFlowEst").address == 0x80383C  # ReaPrime spelling


@pytest.mark.parametrize("raw,reason", [
    ("11 80 38 08" + "00" * 16, "Len 17"), ("08 80 38", "expected 4 to 20"),
    ("08 80 38 08 00 00 00 00", "needs 12")])
def test_bad_read_responses(raw, reason):
    with pytest.raises(DecodeError) as info:
        MMRReadResponse.decode(h(raw))
    assert reason in str(info.value) and info.value.characteristic == "ReadFromMMR"


def test_bad_writes_decode():
    with pytest.raises(DecodeError):
        MMRWrite.decode(h("00 80 38 08 00"))
    with pytest.raises(DecodeError):
        MMRWrite.decode(h("04 80 38 08 00"))


def test_multi_word_read_is_collected_from_several_responses():
    request = MMRReadRequest.for_registers("FAN_THRESHOLD", "USER_PRESENT")
    assert request.words == 23
    raw_words = list(range(100, 123))
    responses = MMRReadResponse.for_words(request.address, raw_words)
    assert len(responses) == 6 and responses[1].address == 0x803818
    collector = MMRReadCollector(request)
    for response in reversed(responses[1:]):
        collector.feed(MMRReadResponse.decode(response.encode()))
    assert not collector.complete and collector.missing == (0x803808, 0x80380C, 0x803810,
                                                            0x803814)
    assert [r.address for r in collector.retry_requests()] == list(collector.missing)
    assert collector.feed(responses[0])[0] == (0x803808, 100)
    assert collector.complete
    assert collector.values[0x803860] == 122


def test_retry_skips_registers_that_must_not_be_read_alone():
    collector = MMRReadCollector(MMRReadRequest(0x80381C, 3))
    assert [r.address for r in collector.retry_requests()] == [0x80381C]


@pytest.mark.parametrize("fw,expected", [
    (1283, ["03 80 00 00", "16 80 38 08"]),
    (1265, ["03 80 00 00", "0D 80 38 08"]),
    (1260, ["03 80 00 00", "05 80 38 08", "05 80 38 28"]),
    (1246, ["03 80 00 00", "05 80 38 08", "04 80 38 28"]),
])
def test_standard_read_plan(fw, expected):
    assert [r.encode()[:4] for r in standard_read_requests(fw)] == [h(e) for e in expected]
    for request_ in standard_read_requests(fw):
        assert max(request_.addresses) <= max(0x80000C, last_mmr0x80(fw))
        if fw < 1265:
            assert 0x803820 not in request_.addresses and 0x803824 not in request_.addresses


def test_feature_flags():
    unknown = FeatureFlags.from_build(None)
    assert unknown.skip_to_next is None and unknown.fw_version is None
    old = FeatureFlags.from_build(1246)
    assert (old.last_mmr0x80, old.skip_to_next, old.safe_to_read_mmr_continuous) == \
        (0x803838, False, False)
    mid = FeatureFlags.from_build(1283)
    assert (mid.rinse_control, mid.sched_idle, mid.user_present, mid.last_mmr0x80) == \
        (True, False, False, 0x803860)
    new = FeatureFlags.from_build(1320)
    assert new.user_present and new.steam_purge_mode and new.refill_kit_present
    assert not new.mmr_pref_ghc_mci and not new.hot_water_flow_control
    assert FeatureFlags.from_build(1318).user_present is False
    assert new.as_dict()["fw_version"] == 1320


def test_register_exists_by_firmware():
    assert register_exists("CAL_FLOW_EST", 1246) is False
    assert register_exists("CAL_FLOW_EST", 1250) is True
    assert register_exists("FLUSH_TIMEOUT", 1260) is False
    assert register_exists("USER_PRESENT", 1283) is False
    assert register_exists("USER_PRESENT", 1320) is True
    assert register_exists("USER_PRESENT", None) is None
    assert register_exists("CPU_FIRMWARE_BUILD", None) is True


def test_ghc_and_heater_helpers():
    assert ghc_active(7) and not ghc_active(3)
    assert ghc_required(3) and ghc_required(4) and not ghc_required(1)
    assert heater_voltage_nominal(1230) == 230 and heater_voltage_explicit(1230)
    assert heater_voltage_nominal(120) == 120 and heater_voltage_nominal(0) is None


def test_register_table_is_consistent():
    addresses = [r.address for r in REGISTERS]
    assert addresses == sorted(addresses) and len(set(addresses)) == len(addresses)
    assert all(r.address % 4 == 0 for r in REGISTERS)
    for r in REGISTERS:
        if r.kind is Kind.SCALED:
            assert r.divisor in (10, 100, 1000)
        if r.writable:
            assert r.readable
