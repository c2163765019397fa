"""Profile packets: HeaderWrite (a00f) and the three FrameWrite (a010) record kinds.

FrameWrite carries a ShotFrame (byte 0 = frame index i), a ShotExtFrame (limiter; byte 0 =
32 + i) or the ShotTail (byte 0 = number of frames). Only the header says how many frames there
are, so ``decode_frame_write`` takes that number to tell a tail from a frame.

Fields hold engineering values (bar, ml/s, °C, s, ml). ``encode()`` is strict: a value that does
not fit its fixed-point field raises ``EncodeError`` (the profile planner fits and warns first).
``decode()`` raises ``DecodeError`` on a wrong length or a record of the wrong kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyde1.protocol.enums import MAX_VOL_FLAG, FrameFlag
from pyde1.protocol.errors import DecodeError, EncodeError
from pyde1.protocol.fixed import F8_1_7, U8P1, U8P4, U10P0

__all__ = [
    "HEADER_WRITE_SIZE", "FRAME_WRITE_SIZE", "EXT_FRAME_OFFSET", "HEADER_V_DE1",
    "HeaderWrite", "ShotFrame", "ShotExtFrame", "ShotTail", "decode_frame_write",
]

HEADER_WRITE_SIZE = 5
FRAME_WRITE_SIZE = 8
EXT_FRAME_OFFSET = 32     # extension (limiter) frame for frame i is written as 32 + i
HEADER_V_DE1 = 1          # "set to 1 for this type of shot description"; a Bengle uses 2
_PADDING = bytes(5)


def _u8(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise EncodeError(field, value, "must be an integer 0..255")
    return value


def _u16_bits(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise EncodeError(field, value, "must be an integer 0..65535")
    return value


def _padding(value: bytes, field: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != 5:
        raise EncodeError(field, value, "must be 5 bytes")
    return bytes(value)


def _check_length(name: str, data: bytes, size: int) -> bytes:
    data = bytes(data)
    if len(data) != size:
        raise DecodeError(name, len(data), f"a {name} packet is {size} bytes")
    return data


@dataclass(frozen=True)
class HeaderWrite:
    """a00f, 5 bytes: how many frames follow and how many of them are preinfusion."""

    number_of_frames: int
    number_of_preinfuse_frames: int
    minimum_pressure: float = 0.0   # bar; ignored by the DE1 while every frame sets IgnoreLimit
    maximum_flow: float = 6.0       # ml/s; de1app's value (pyDE1 10.0, ReaPrime 12.0)
    header_v: int = HEADER_V_DE1

    def encode(self) -> bytes:
        return bytes((
            _u8(self.header_v, "HeaderV"),
            _u8(self.number_of_frames, "NumberOfFrames"),
            _u8(self.number_of_preinfuse_frames, "NumberOfPreinfuseFrames"),
            U8P4.encode(self.minimum_pressure, "MinimumPressure"),
            U8P4.encode(self.maximum_flow, "MaximumFlow"),
        ))

    @classmethod
    def decode(cls, data: bytes) -> "HeaderWrite":
        data = _check_length("HeaderWrite", data, HEADER_WRITE_SIZE)
        return cls(
            header_v=data[0],
            number_of_frames=data[1],
            number_of_preinfuse_frames=data[2],
            minimum_pressure=U8P4.decode(data[3]),
            maximum_flow=U8P4.decode(data[4]),
        )


@dataclass(frozen=True)
class ShotFrame:
    """a010 record for frame i (byte 0 < 32)."""

    frame_to_write: int
    flags: FrameFlag
    set_val: float          # bar (CtrlF clear) or ml/s (CtrlF set)
    temp: float             # °C, 0.5 °C steps
    frame_len: float        # s, F8_1_7
    trigger_val: float = 0.0
    max_vol: int = 0        # ml, low 10 bits; 0 = no limit
    max_vol_flags: int = MAX_VOL_FLAG   # the other 6 bits, kept verbatim (de1app sets 0x0400)

    def encode(self) -> bytes:
        frame = _u8(self.frame_to_write, "FrameToWrite")
        if frame >= EXT_FRAME_OFFSET:
            raise EncodeError("FrameToWrite", frame, f"a frame index is below {EXT_FRAME_OFFSET}")
        max_vol = U10P0.encode(self.max_vol, "MaxVol")
        bits = _u16_bits(self.max_vol_flags, "MaxVol flags")
        if bits & U10P0.VALUE_MASK:
            raise EncodeError("MaxVol flags", bits, "overlaps the 10 volume bits")
        return bytes((
            frame,
            _u8(int(self.flags), "Flag"),
            U8P4.encode(self.set_val, "SetVal"),
            U8P1.encode(self.temp, "Temp"),
            F8_1_7.encode(self.frame_len, "FrameLen"),
            U8P4.encode(self.trigger_val, "TriggerVal"),
        )) + (bits | max_vol).to_bytes(2, "big")

    @classmethod
    def decode(cls, data: bytes) -> "ShotFrame":
        data = _check_length("FrameWrite", data, FRAME_WRITE_SIZE)
        if data[0] >= EXT_FRAME_OFFSET:
            raise DecodeError("FrameWrite", len(data),
                              f"record {data[0]} is an extension frame, not a frame")
        raw_vol = int.from_bytes(data[6:8], "big")
        return cls(
            frame_to_write=data[0],
            flags=FrameFlag(data[1]),
            set_val=U8P4.decode(data[2]),
            temp=U8P1.decode(data[3]),
            frame_len=F8_1_7.decode(data[4]),
            trigger_val=U8P4.decode(data[5]),
            max_vol=raw_vol & U10P0.VALUE_MASK,
            max_vol_flags=U10P0.flags(raw_vol),
        )


@dataclass(frozen=True)
class ShotExtFrame:
    """a010 record 32 + i: the limiter of frame i."""

    frame_to_write: int
    max_flow_or_pressure: float     # ml/s limit for a pressure frame, bar for a flow frame
    max_flow_or_pressure_range: float
    reserved: bytes = _PADDING      # zero on a DE1 (Bengle protocol v2 uses these bytes)

    @property
    def frame_index(self) -> int:
        return self.frame_to_write - EXT_FRAME_OFFSET

    @classmethod
    def for_frame(cls, index: int, limit: float, limit_range: float) -> "ShotExtFrame":
        return cls(EXT_FRAME_OFFSET + index, limit, limit_range)

    def encode(self) -> bytes:
        frame = _u8(self.frame_to_write, "FrameToWrite")
        if frame < EXT_FRAME_OFFSET:
            raise EncodeError("FrameToWrite", frame,
                              f"an extension frame number is {EXT_FRAME_OFFSET} or more")
        return bytes((
            frame,
            U8P4.encode(self.max_flow_or_pressure, "MaxFlowOrPressure"),
            U8P4.encode(self.max_flow_or_pressure_range, "MaxFoPRange"),
        )) + _padding(self.reserved, "reserved")

    @classmethod
    def decode(cls, data: bytes) -> "ShotExtFrame":
        data = _check_length("FrameWrite", data, FRAME_WRITE_SIZE)
        if data[0] < EXT_FRAME_OFFSET:
            raise DecodeError("FrameWrite", len(data),
                              f"record {data[0]} is not an extension frame (32 or more)")
        return cls(
            frame_to_write=data[0],
            max_flow_or_pressure=U8P4.decode(data[1]),
            max_flow_or_pressure_range=U8P4.decode(data[2]),
            reserved=data[3:8],
        )


@dataclass(frozen=True)
class ShotTail:
    """a010 record N (= number of frames): ends the upload.

    de1app (the reference) and ReaPrime always send MaxTotalVolume ``00 00`` and stop at volume in
    the controller; the field is kept here only so that captured tails decode faithfully.
    """

    frame_to_write: int
    max_total_volume: int = 0           # ml, low 10 bits
    max_total_volume_flags: int = 0     # the other bits (0x8000 = documented "ignore preinfusion")
    reserved: bytes = _PADDING

    def encode(self) -> bytes:
        frame = _u8(self.frame_to_write, "FrameToWrite")
        if frame >= EXT_FRAME_OFFSET:
            raise EncodeError("FrameToWrite", frame, f"a tail number is below {EXT_FRAME_OFFSET}")
        volume = U10P0.encode(self.max_total_volume, "MaxTotalVolume")
        bits = _u16_bits(self.max_total_volume_flags, "MaxTotalVolume flags")
        if bits & U10P0.VALUE_MASK:
            raise EncodeError("MaxTotalVolume flags", bits, "overlaps the 10 volume bits")
        return (bytes((frame,)) + (bits | volume).to_bytes(2, "big")
                + _padding(self.reserved, "reserved"))

    @classmethod
    def decode(cls, data: bytes) -> "ShotTail":
        data = _check_length("FrameWrite", data, FRAME_WRITE_SIZE)
        if data[0] >= EXT_FRAME_OFFSET:
            raise DecodeError("FrameWrite", len(data),
                              f"record {data[0]} is an extension frame, not a tail")
        raw_volume = int.from_bytes(data[1:3], "big")
        return cls(
            frame_to_write=data[0],
            max_total_volume=raw_volume & U10P0.VALUE_MASK,
            max_total_volume_flags=U10P0.flags(raw_volume),
            reserved=data[3:8],
        )


def decode_frame_write(data: bytes, number_of_frames: int | None = None
                       ) -> ShotFrame | ShotExtFrame | ShotTail:
    """Decode any a010 record. Without ``number_of_frames`` (from the header) a record below 32
    is taken as a ShotFrame, since a tail cannot be told from a frame by its bytes alone."""
    data = _check_length("FrameWrite", data, FRAME_WRITE_SIZE)
    record = data[0]
    if record >= EXT_FRAME_OFFSET:
        return ShotExtFrame.decode(data)
    if number_of_frames is not None:
        if record == number_of_frames:
            return ShotTail.decode(data)
        if record > number_of_frames:
            raise DecodeError("FrameWrite", len(data),
                              f"record {record} is beyond the {number_of_frames} frames "
                              f"of the header")
    return ShotFrame.decode(data)
