"""Property tests: every codec round-trips, and no decoder fails with anything but DecodeError."""

import math

import pytest
from hypothesis import assume, given, settings, strategies as st

from pyde1.protocol.enums import CalCommand, CalTarget, MachineState
from pyde1.protocol.errors import DecodeError
from pyde1.protocol.fixed import F8_1_7, FIXED_TYPES, U10P0
from pyde1.protocol.mmr import REGISTERS, Kind
from pyde1.protocol.mmr_packets import MMRReadRequest, MMRReadResponse, MMRWrite
from pyde1.protocol.packets import (
    Calibration, FWMapRequest, RequestedState, SetTime, ShotSample, ShotSettings, StateInfo,
    Temperatures, Versions, WaterLevels,
)
from pyde1.protocol.registry import decode_notification, decode_write
from pyde1.protocol.uuids import CHARACTERISTICS

FAST = settings(max_examples=200, deadline=None)

# Codecs whose decode is one-to-one: encode(decode(b)) == b for every valid b.
BYTE_EXACT = [ShotSample, StateInfo, WaterLevels, ShotSettings, Temperatures, Calibration,
              FWMapRequest, SetTime, RequestedState]
ALL_FIXED_SIZE = BYTE_EXACT + [Versions]
VALID_CODES = {
    RequestedState: [(0, [s.value for s in MachineState if s.value >= 0])],
    Calibration: [(4, [c.value for c in CalCommand]), (5, [t.value for t in CalTarget])],
}


@pytest.mark.parametrize("cls", ALL_FIXED_SIZE, ids=lambda c: c.__name__)
@FAST
@given(data=st.data())
def test_decode_encode_round_trip(cls, data):
    raw = bytearray(data.draw(st.binary(min_size=cls.size(), max_size=cls.size())))
    # Steer enum bytes to valid codes most of the time, so that few examples are rejected.
    for offset, codes in VALID_CODES.get(cls, ()):
        if data.draw(st.integers(0, 9)):
            raw[offset] = data.draw(st.sampled_from(codes))
    raw = bytes(raw)
    try:
        packet = cls.decode(raw)
    except DecodeError:
        assume(False)
    encoded = packet.encode()
    assert cls.decode(encoded) == packet
    if cls in BYTE_EXACT:
        assert encoded == raw


@pytest.mark.parametrize("char", [c.short for c in CHARACTERISTICS])
@FAST
@given(raw=st.binary(min_size=0, max_size=80))
def test_random_bytes_give_a_value_or_decode_error(char, raw):
    for decode in (decode_notification, decode_write):
        try:
            decode(char, raw)
        except DecodeError as exc:
            assert exc.length == len(raw) and exc.reason


@pytest.mark.parametrize("cls", ALL_FIXED_SIZE + [MMRReadRequest, MMRReadResponse, MMRWrite],
                         ids=lambda c: c.__name__)
@FAST
@given(raw=st.binary(min_size=0, max_size=40))
def test_each_codec_raises_only_decode_error(cls, raw):
    try:
        cls.decode(raw)
    except DecodeError:
        pass


addresses = st.integers(0, 0xFFFFFF)


@FAST
@given(address=addresses, data=st.binary(min_size=0, max_size=16))
def test_mmr_read_response_round_trip(address, data):
    packet = MMRReadResponse(address, data)
    assert MMRReadResponse.decode(packet.encode()) == packet


@FAST
@given(address=addresses, data=st.binary(min_size=1, max_size=16), padded=st.booleans())
def test_mmr_write_round_trip(address, data, padded):
    packet = MMRWrite(address, data, padded)
    encoded = packet.encode()
    assert len(encoded) == (20 if padded else 4 + len(data))
    assert MMRWrite.decode(encoded) == packet


@FAST
@given(address=addresses, words=st.integers(1, 256))
def test_mmr_read_request_round_trip(address, words):
    packet = MMRReadRequest(address, words)
    assert MMRReadRequest.decode(packet.encode()) == packet


@FAST
@given(address=st.integers(0x800000, 0x8FFFFF).map(lambda a: a & ~3),
       words=st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=30))
def test_multi_word_responses_carry_every_word(address, words):
    got = []
    for response in MMRReadResponse.for_words(address, words):
        got.extend(MMRReadResponse.decode(response.encode()).words())
    assert got == [(address + 4 * i, w) for i, w in enumerate(words)]


@pytest.mark.parametrize("reg", [r for r in REGISTERS if r.writable], ids=lambda r: r.name)
@FAST
@given(raw=st.integers(0, 0xFFFFFFFF))
def test_register_values_round_trip(reg, raw):
    if reg.kind is Kind.ENUM:
        raw %= max(reg.enum_type) + 1  # only known enum codes are writable
    if reg.kind is Kind.BOOL:
        raw = raw & 1
    assert reg.encode(reg.decode(raw)) == raw


@pytest.mark.parametrize("name", sorted(FIXED_TYPES))
@FAST
@given(data=st.data())
def test_fixed_raw_round_trip(name, data):
    ftype = FIXED_TYPES[name]
    raw = data.draw(st.integers(ftype.raw_min, ftype.raw_max))
    if ftype is F8_1_7 and raw & 0x80:
        assume((raw & 0x7F) >= 13)  # coarse codes below 13 s re-encode in the fine range
    assert ftype.encode(ftype.decode(raw)) == raw


@pytest.mark.parametrize("name", sorted(FIXED_TYPES))
@FAST
@given(data=st.data())
def test_fixed_encode_error_is_at_most_half_a_step_or_clamped(name, data):
    ftype = FIXED_TYPES[name]
    span = max(abs(ftype.min_value), abs(ftype.max_value)) * 1.5 + 1
    value = data.draw(st.floats(-span, span, allow_nan=False))
    raw, clamp = ftype.encode_clamped(value)
    decoded = ftype.decode(raw)
    if clamp is None:
        step = 1 if (ftype is F8_1_7 and value >= 12.75) else ftype.step
        if ftype is U10P0:
            step = 1
        assert abs(decoded - value) <= step / 2 + 1e-9
    else:
        assert decoded in (ftype.min_value, ftype.max_value)
        assert clamp.used == decoded and clamp.requested == value
        assert value < ftype.min_value or value > ftype.max_value or \
            not math.isclose(decoded, value)
