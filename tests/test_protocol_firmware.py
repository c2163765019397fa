"""Firmware image header parsing/validation and the upload plan."""

import hashlib

import pytest

from pyde1.protocol.errors import FirmwareImageError
from pyde1.protocol.firmware import (
    HEADER_SIZE, AwaitFWMap, EnableNotify, FirmwareHeader, FirmwareImage, FirmwareUploadPlan,
    Pause, Write, WriteChunks, erase_complete, verify_result,
)
from pyde1.protocol.packets import FWMapRequest
from pyde1.protocol.uuids import full_uuid

# The header of ReaPrime's de1-1352.bin (de1-ble-protocol.md §10.17); IV and body are synthetic.
HEADER_1352 = bytes.fromhex("158DE185 010010DE 48050000 000C0700 608E0400 00000000 B191D5F9"
                            .replace(" ", "")) + bytes(range(1, 33)) + bytes.fromhex("0B56F317")
FILE_SIZE = 463_872


def make_image(header: bytes = HEADER_1352, size: int = FILE_SIZE) -> bytes:
    body = hashlib.sha256(b"seed").digest() * ((size - len(header)) // 32 + 1)
    return header + body[:size - len(header)]


def test_header_fields_of_build_1352():
    header = FirmwareHeader.parse(HEADER_1352)
    assert (header.checksum, header.board_marker, header.version, header.byte_count,
            header.cpu_bytes, header.unused, header.dc_sum, header.h_sum) == \
        (0x85E18D15, 0xDE100001, 1352, 461_824, 298_592, 0, 0xF9D591B1, 0x17F3560B)
    assert header.encode() == HEADER_1352
    assert header.to_dict()["BoardMarker"] == "0xDE100001"


def test_image_chunks_match_the_reference():
    image = FirmwareImage.parse(make_image(), expected_build=1352)
    assert image.build == 1352 and image.chunk_count == 28_992
    first = image.chunk(0).encode()
    assert first == bytes.fromhex("10000000158DE185010010DE48050000000C0700")
    last = image.chunk(image.chunk_count - 1)
    assert last.address == 0x0713F0 == 463_856
    assert sum(1 for _ in image.chunks()) == 28_992


def test_short_final_chunk_is_zero_padded_or_exact():
    image = FirmwareImage.parse(make_image(size=HEADER_SIZE + 461_824 + 5))
    last = image.chunk(image.chunk_count - 1)
    assert len(last.data) == 5
    assert len(last.encode()) == 20
    assert len(image.chunk(image.chunk_count - 1, padded=False).encode()) == 9


@pytest.mark.parametrize("patch,reason", [
    ((4, b"\x01\x00\x10\xDF"), "BoardMarker"),
    ((12, b"\x00\x00\x00\x00"), "ByteCount"),
    ((12, b"\xFF\xFF\xFF\x00"), "ByteCount"),
    ((16, b"\x00\x0D\x07\x00"), "CPUBytes"),
    ((20, b"\x01\x00\x00\x00"), "Unused"),
    ((0, b"\x00\x00\x00\x00"), "CheckSum is zero"),
    ((28, bytes(32)), "IV is all zero"),
])
def test_invalid_headers_are_rejected_with_the_reason(patch, reason):
    offset, replacement = patch
    data = bytearray(make_image())
    data[offset:offset + len(replacement)] = replacement
    with pytest.raises(FirmwareImageError) as info:
        FirmwareImage.parse(bytes(data))
    assert reason in str(info.value)


def test_wrong_build_and_short_files():
    with pytest.raises(FirmwareImageError, match="expected build 1353"):
        FirmwareImage.parse(make_image(), expected_build=1353)
    with pytest.raises(FirmwareImageError, match="shorter than the 64-byte header"):
        FirmwareImage.parse(b"\x00" * 10)
    with pytest.raises(FirmwareImageError, match="expected bytes"):
        FirmwareHeader.parse("not bytes")


def test_upload_plan_order():
    image = FirmwareImage.parse(make_image())
    steps = list(FirmwareUploadPlan(image).steps())
    kinds = [type(s).__name__ for s in steps]
    assert kinds == ["Write", "Write", "EnableNotify", "Write", "AwaitFWMap", "WriteChunks",
                     "Pause", "EnableNotify", "Write", "AwaitFWMap"]
    fw_map = full_uuid("a009")
    assert steps[0] == Write(full_uuid("a002"), b"\x00", "put the DE1 to sleep")
    assert steps[1].payload[:8] == bytes.fromhex("048038083C000000")
    assert steps[2] == EnableNotify(fw_map)
    assert (steps[3].uuid, steps[3].payload) == (fw_map, bytes.fromhex("00000101000000"))
    assert isinstance(steps[4], AwaitFWMap) and steps[4].condition == "erase_complete"
    chunks = steps[5]
    assert isinstance(chunks, WriteChunks) and len(chunks) == 28_992
    first = next(iter(chunks))
    assert first.uuid == full_uuid("a006") and first.payload[:4] == b"\x10\x00\x00\x00"
    assert isinstance(steps[6], Pause)
    assert steps[8].payload == bytes.fromhex("00000001FFFFFF")
    assert steps[9].condition == "verify_result"


def test_erase_and_verify_interpretation():
    assert not erase_complete(FWMapRequest.decode(bytes.fromhex("00000101000000")))
    assert erase_complete(FWMapRequest.decode(bytes.fromhex("00000001FFFFFF")))
    ok = verify_result(FWMapRequest.decode(bytes.fromhex("00000001FFFFFD")))
    assert ok.ok and ok.first_bad_address is None
    bad = verify_result(FWMapRequest.decode(bytes.fromhex("00000001001230")))
    assert not bad.ok and bad.first_bad_address == 0x001230
