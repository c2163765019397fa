"""HeaderWrite / FrameWrite codecs: reference vectors, strict encoding, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from pyde1.protocol.enums import MAX_VOL_FLAG, FrameFlag
from pyde1.protocol.errors import DecodeError, EncodeError
from pyde1.protocol.frames import (
    HeaderWrite, ShotExtFrame, ShotFrame, ShotTail, decode_frame_write,
)

F = FrameFlag


# --- reference vectors (de1-ble-protocol.md §10.13, de1app column) -----------------------------

def test_header_vector():
    header = HeaderWrite.decode(bytes.fromhex("0103020060"))
    assert header == HeaderWrite(number_of_frames=3, number_of_preinfuse_frames=2,
                                 minimum_pressure=0.0, maximum_flow=6.0, header_v=1)
    assert header.encode() == bytes.fromhex("0103020060")


@pytest.mark.parametrize("hex_bytes, expected", [
    ("004780B899400464", ShotFrame(0, F.CtrlF | F.DoCompare | F.DC_GT | F.IgnoreLimit,
                                   8.0, 92.0, 25, 4.0, 100, MAX_VOL_FLAG)),
    ("014030B864000400", ShotFrame(1, F.IgnoreLimit, 3.0, 92.0, 10.0, 0.0, 0, MAX_VOL_FLAG)),
    ("027B20B5BC100400", ShotFrame(2, F.CtrlF | F.DoCompare | F.DC_CompF | F.TMixTemp
                                   | F.Interpolate | F.IgnoreLimit,
                                   2.0, 90.5, 60, 1.0, 0, MAX_VOL_FLAG)),
])
def test_frame_vectors(hex_bytes, expected):
    data = bytes.fromhex(hex_bytes)
    assert ShotFrame.decode(data) == expected
    assert decode_frame_write(data, number_of_frames=3) == expected
    assert expected.encode() == data


def test_extension_vector():
    data = bytes.fromhex("22900A0000000000")
    ext = decode_frame_write(data)
    assert ext == ShotExtFrame(34, 9.0, 0.625)
    assert ext.frame_index == 2
    # 0.6 is not representable: it encodes as raw 9.6 → 10 = 0x0A, like every client.
    assert ShotExtFrame.for_frame(2, 9.0, 0.6).encode() == data


def test_tail_vector_and_pyde1_tail_decodes_faithfully():
    assert decode_frame_write(bytes.fromhex("0300000000000000"), 3) == ShotTail(3)
    assert ShotTail(3).encode() == bytes.fromhex("0300000000000000")
    # pyDE1's little-endian tail (36 | 0x8000 as "24 80") read as the documented BE field:
    odd = ShotTail.decode(bytes.fromhex("0324800000000000"))
    assert (odd.max_total_volume, odd.max_total_volume_flags) == (0x080, 0x2400)
    assert odd.encode() == bytes.fromhex("0324800000000000")


# §10.15: frames hard-coded in pyDE1's self-test (7 bytes, frame number prepended here).
@pytest.mark.parametrize("hex_bytes, flags, set_val, temp, frame_len, trigger", [
    ("4750BB944004 64", F.CtrlF | F.DoCompare | F.DC_GT | F.IgnoreLimit, 5.0, 93.5, 20, 4.0),
    ("43009F8F1804 64", F.CtrlF | F.DoCompare | F.IgnoreLimit, 0.0, 79.5, 15, 1.5),
    ("6090B8320004 64", F.Interpolate | F.IgnoreLimit, 9.0, 92.0, 5.0, 0.0),
    ("4090B8140004 64", F.IgnoreLimit, 9.0, 92.0, 2.0, 0.0),
    ("6040B8990004 64", F.Interpolate | F.IgnoreLimit, 4.0, 92.0, 25, 0.0),
])
def test_pyde1_self_test_frames(hex_bytes, flags, set_val, temp, frame_len, trigger):
    data = bytes.fromhex("00" + hex_bytes.replace(" ", ""))
    frame = ShotFrame.decode(data)
    assert (frame.flags, frame.set_val, frame.temp, frame.frame_len, frame.trigger_val) == (
        flags, set_val, temp, frame_len, trigger)
    assert (frame.max_vol, frame.max_vol_flags) == (100, 0x0400)
    assert frame.encode() == data


# --- kinds, lengths, strict encoding --------------------------------------------------------

def test_decode_frame_write_tells_kinds_apart():
    tail = bytes.fromhex("0200000000000000")
    assert isinstance(decode_frame_write(tail, number_of_frames=2), ShotTail)
    assert isinstance(decode_frame_write(tail), ShotFrame)   # without the header: a frame
    with pytest.raises(DecodeError, match="beyond the 1 frames"):
        decode_frame_write(tail, number_of_frames=1)


@pytest.mark.parametrize("decoder, data", [
    (HeaderWrite.decode, bytes(4)),
    (HeaderWrite.decode, bytes(6)),
    (ShotFrame.decode, bytes(7)),
    (decode_frame_write, bytes(9)),
    (ShotFrame.decode, bytes.fromhex("2000000000000000")),
    (ShotExtFrame.decode, bytes.fromhex("1f00000000000000")),
    (ShotTail.decode, bytes.fromhex("2000000000000000")),
])
def test_bad_packets_raise_decode_error(decoder, data):
    with pytest.raises(DecodeError) as info:
        decoder(data)
    assert info.value.length == len(data)


@pytest.mark.parametrize("packet, field", [
    (HeaderWrite(256, 0), "NumberOfFrames"),
    (HeaderWrite(3, 1, maximum_flow=16.0), "MaximumFlow"),
    (ShotFrame(0, F.IgnoreLimit, 16.0, 92.0, 10), "SetVal"),
    (ShotFrame(0, F.IgnoreLimit, 9.0, 128.0, 10), "Temp"),
    (ShotFrame(0, F.IgnoreLimit, 9.0, 92.0, 200), "FrameLen"),
    (ShotFrame(0, F.IgnoreLimit, 9.0, 92.0, 10, max_vol=1024), "MaxVol"),
    (ShotFrame(0, F.IgnoreLimit, 9.0, 92.0, 10, max_vol_flags=0x0401), "MaxVol flags"),
    (ShotFrame(32, F.IgnoreLimit, 9.0, 92.0, 10), "FrameToWrite"),
    (ShotExtFrame(31, 1.0, 1.0), "FrameToWrite"),
    (ShotExtFrame(33, 1.0, 1.0, reserved=b"\0"), "reserved"),
    (ShotTail(2, max_total_volume=2000), "MaxTotalVolume"),
])
def test_encode_refuses_values_that_do_not_fit(packet, field):
    with pytest.raises(EncodeError) as info:
        packet.encode()
    assert info.value.field == field


def test_frame_uses_round_half_away_from_zero():
    # 93.25 °C is a tie: de1app (and we) write BB, pyDE1 writes BA.
    assert ShotFrame(0, F.IgnoreLimit, 9.0, 93.25, 30).encode()[3] == 0xBB


# --- property tests -----------------------------------------------------------------------

u8p4 = st.integers(0, 255).map(lambda raw: raw / 16)
u8p1 = st.integers(0, 255).map(lambda raw: raw / 2)
f8_1_7 = st.one_of(st.integers(0, 127).map(lambda raw: raw / 10), st.integers(13, 127))
frame_numbers = st.integers(0, 31)

frames = st.builds(ShotFrame, frame_numbers, st.integers(0, 255).map(FrameFlag), u8p4, u8p1,
                   f8_1_7, u8p4, st.integers(0, 1023),
                   st.integers(0, 63).map(lambda bits: bits << 10))
ext_frames = st.builds(ShotExtFrame, st.integers(32, 255), u8p4, u8p4, st.binary(min_size=5,
                                                                                 max_size=5))
tails = st.builds(ShotTail, frame_numbers, st.integers(0, 1023),
                  st.integers(0, 63).map(lambda bits: bits << 10), st.binary(min_size=5,
                                                                              max_size=5))
headers = st.builds(HeaderWrite, st.integers(0, 255), st.integers(0, 255), u8p4, u8p4,
                    st.integers(0, 255))


@given(st.one_of(frames, ext_frames, tails, headers))
def test_decode_of_encode_round_trips(packet):
    data = packet.encode()
    assert type(packet).decode(data) == packet
    assert type(packet).decode(data).encode() == data


@given(st.binary(min_size=8, max_size=8))
def test_every_8_byte_record_decodes_and_re_encodes(data):
    record = decode_frame_write(data)
    again = type(record).decode(record.encode())
    assert again == record
    # Byte-exact except for F8_1_7's non-canonical coarse values below 13 s (0x80-0x8C).
    if not (isinstance(record, ShotFrame) and 0x80 <= data[4] <= 0x8C):
        assert record.encode() == data


@settings(max_examples=300)
@given(st.binary(max_size=24), st.one_of(st.none(), st.integers(0, 40)))
def test_random_bytes_give_a_value_or_decode_error(data, count):
    for decoder in (HeaderWrite.decode, ShotFrame.decode, ShotExtFrame.decode, ShotTail.decode,
                    lambda d: decode_frame_write(d, count)):
        try:
            result = decoder(data)
        except DecodeError as error:
            assert error.length == len(data)
        else:
            assert isinstance(result, (HeaderWrite, ShotFrame, ShotExtFrame, ShotTail))
