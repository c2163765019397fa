"""Fixed-point types: the reference's edge-value table (de1app rule), decodes and clamping."""

import math

import pytest

from pyde1.protocol.errors import DecodeError, EncodeError
from pyde1.protocol.fixed import (
    F8_1_7, FIXED_TYPES, S32P16, U8P1, U8P4, U10P0, U16P8, U16P12, U24P16, round_half_away,
)

# (type, value, de1app bytes) from de1-ble-protocol.md §10.12 (MaxVol rows: bare U10P0 value).
ENCODES = [
    (U8P4, 0, "00"), (U8P4, 0.03125, "01"), (U8P4, 0.0625, "01"), (U8P4, 0.09375, "02"),
    (U8P4, 2.5, "28"), (U8P4, 6.0, "60"), (U8P4, 8.96875, "90"), (U8P4, 9.0, "90"),
    (U8P4, 12.0, "C0"), (U8P4, 15.9375, "FF"),
    (U8P1, 0.25, "01"), (U8P1, 0.75, "02"), (U8P1, 88.0, "B0"), (U8P1, 92.5, "B9"),
    (U8P1, 93.25, "BB"), (U8P1, 93.75, "BC"), (U8P1, 127.5, "FF"),
    (F8_1_7, 0, "00"), (F8_1_7, 0.05, "01"), (F8_1_7, 0.25, "03"), (F8_1_7, 1.25, "0D"),
    (F8_1_7, 2, "14"), (F8_1_7, 5, "32"), (F8_1_7, 10, "64"), (F8_1_7, 12.7, "7F"),
    (F8_1_7, 12.749, "7F"), (F8_1_7, 12.75, "8D"), (F8_1_7, 13.5, "8E"), (F8_1_7, 14.5, "8F"),
    (F8_1_7, 25, "99"), (F8_1_7, 60, "BC"), (F8_1_7, 127, "FF"), (F8_1_7, 127.4, "FF"),
    (U16P8, 20.0, "1400"), (U16P8, 92.0, "5C00"), (U16P8, 92.123, "5C1F"),
    (U16P8, 92.5, "5C80"), (U16P8, 255.99609375, "FFFF"),
    (U10P0, 0, "0000"), (U10P0, 36, "0024"), (U10P0, 100, "0064"), (U10P0, 100.5, "0065"),
    (U10P0, 101.5, "0066"), (U10P0, 1023, "03FF"),
    (S32P16, 1.0, "00010000"), (S32P16, 1.05, "00010CCD"), (S32P16, -0.5, "FFFF8000"),
    (S32P16, -1.0, "FFFF0000"),
]


@pytest.mark.parametrize("ftype,value,expected", ENCODES,
                         ids=[f"{t.name}-{v}" for t, v, _ in ENCODES])
def test_encode_matches_de1app_rule(ftype, value, expected):
    assert ftype.pack(value).hex().upper() == expected
    assert ftype.pack_clamped(value) == (bytes.fromhex(expected), None)


# Values above the representable maximum: de1app (newest) clamps; we clamp and report.
CLAMPS = [(U8P4, 16.0, "FF", 15.9375), (U8P1, 128.0, "FF", 127.5), (F8_1_7, 127.5, "FF", 127),
          (F8_1_7, 200, "FF", 127), (U10P0, 1024, "03FF", 1023), (U8P4, -1, "00", 0.0),
          (F8_1_7, -0.5, "00", 0.0)]


@pytest.mark.parametrize("ftype,value,expected,used", CLAMPS)
def test_out_of_range_is_clamped_and_reported(ftype, value, expected, used):
    payload, clamp = ftype.pack_clamped(value, "Field")
    assert payload.hex().upper() == expected
    assert clamp is not None and clamp.used == used and clamp.requested == value
    assert clamp.field == "Field" and "clamped" in str(clamp)
    with pytest.raises(EncodeError) as info:
        ftype.pack(value, "Field")
    assert info.value.field == "Field"


DECODES = [
    (F8_1_7, "00", 0.0), (F8_1_7, "01", 0.1), (F8_1_7, "0C", 1.2), (F8_1_7, "32", 5.0),
    (F8_1_7, "7F", 12.7), (F8_1_7, "80", 0), (F8_1_7, "8D", 13), (F8_1_7, "99", 25),
    (F8_1_7, "BC", 60), (F8_1_7, "FF", 127),
    (U16P12, "0001", 0.000244140625), (U16P12, "1000", 1.0), (U16P12, "9000", 9.0),
    (U16P12, "C000", 12.0), (U16P12, "FFFF", 15.999755859375),
    (U24P16, "5D4000", 93.25), (U24P16, "5CFFFF", 92.99998474121094),
    (U24P16, "000001", 0.0000152587890625), (U24P16, "FFFFFF", 255.99998474121094),
    (U10P0, "0464", 100), (U10P0, "07FF", 1023), (U10P0, "0400", 0),
]


@pytest.mark.parametrize("ftype,raw,value", DECODES, ids=[f"{t.name}-{r}" for t, r, _ in DECODES])
def test_decode(ftype, raw, value):
    assert ftype.unpack(bytes.fromhex(raw)) == value


def test_u10p0_flags_are_separated_from_the_volume():
    assert U10P0.flags(0x0464) == 0x0400
    assert U10P0.flags(0x8024) == 0x8000


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "9", None, True])
def test_non_numbers_are_rejected(bad):
    with pytest.raises(EncodeError):
        U8P4.encode_clamped(bad, "SetVal")


def test_short_input_is_a_decode_error():
    with pytest.raises(DecodeError):
        U16P8.unpack(b"\x01")


def test_round_half_away_from_zero():
    assert [round_half_away(x) for x in (0.5, 1.5, 2.5, -0.5, -2.5, 2.4999, 0.49999999999999994)] \
        == [1, 2, 3, -1, -3, 2, 0]


def test_ranges():
    assert U8P4.max_value == 15.9375 and U8P1.max_value == 127.5
    assert S32P16.min_value == -32768 and math.isclose(S32P16.max_value, 32767.99998, abs_tol=1e-5)
    assert F8_1_7.max_value == 127 and U10P0.max_value == 1023
    assert set(FIXED_TYPES) >= {"U8P4", "U8P1", "F8_1_7", "U10P0", "S32P16", "U24P16"}
