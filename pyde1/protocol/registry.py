"""Which codec decodes which characteristic, in each direction.

``decode_notification`` decodes what the DE1 sends (notifications and read results);
``decode_write`` decodes what a client writes. They differ only for ReadFromMMR (a response
versus a request). Characteristics without a known layout raise ``DecodeError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from pyde1.protocol import frames
from pyde1.protocol.codec import json_value
from pyde1.protocol.errors import DecodeError
from pyde1.protocol.mmr_packets import MMRReadRequest, MMRReadResponse, MMRWrite
from pyde1.protocol.packets import (
    Calibration, FWMapRequest, RequestedState, SetTime, ShotSample, ShotSettings, StateInfo,
    Temperatures, Versions, WaterLevels,
)
from pyde1.protocol.uuids import Characteristic, characteristic

__all__ = ["decode_notification", "decode_write", "DeprecatedShotDesc", "packet_to_dict",
           "packet_to_event_dict", "EVENT_PACKETS"]

Decoder = Callable[[bytes], Any]


@dataclass(frozen=True)
class DeprecatedShotDesc:
    """a00c legacy single-packet profile: header + 10 seven-byte frames (logging only)."""

    header: frames.HeaderWrite
    frames: tuple[frames.ShotFrame, ...]

    NAME = "Deprecated"
    SIZE = 75

    @classmethod
    def decode(cls, data: bytes) -> "DeprecatedShotDesc":
        if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) != cls.SIZE:
            length = len(data) if isinstance(data, (bytes, bytearray, memoryview)) else 0
            raise DecodeError(cls.NAME, length, f"expected {cls.SIZE} bytes")
        data = bytes(data)
        header = frames.HeaderWrite.decode(data[:5])
        shot_frames = tuple(frames.ShotFrame.decode(bytes([i]) + data[5 + 7 * i:12 + 7 * i])
                            for i in range(10))
        return cls(header, shot_frames)


def _no_layout(name: str) -> Decoder:
    def decode(data: bytes) -> Any:
        length = len(data) if isinstance(data, (bytes, bytearray, memoryview)) else 0
        raise DecodeError(name, length, "no payload layout is known for this characteristic")
    return decode


def _frame_write(data: bytes) -> Any:
    return frames.decode_frame_write(data)


_COMMON: dict[str, Decoder] = {
    "a001": Versions.decode,
    "a002": RequestedState.decode,
    "a003": SetTime.decode,
    "a004": _no_layout("ShotDirectory"),
    "a006": MMRWrite.decode,
    "a007": _no_layout("ShotMapRequest"),
    "a008": _no_layout("DeleteShotRange"),
    "a009": FWMapRequest.decode,
    "a00a": Temperatures.decode,
    "a00b": ShotSettings.decode,
    "a00c": DeprecatedShotDesc.decode,
    "a00d": ShotSample.decode,
    "a00e": StateInfo.decode,
    "a00f": frames.HeaderWrite.decode,
    "a010": _frame_write,
    "a011": WaterLevels.decode,
    "a012": Calibration.decode,
}
_NOTIFY = dict(_COMMON, a005=MMRReadResponse.decode)
_WRITE = dict(_COMMON, a005=MMRReadRequest.decode)

EVENT_PACKETS = (ShotSample, StateInfo, WaterLevels)


def _lookup(table: dict[str, Decoder], char: "str | Characteristic") -> Decoder:
    found = char if isinstance(char, Characteristic) else characteristic(char)
    return table[found.short]


def decode_notification(char: "str | Characteristic", data: bytes) -> Any:
    """Decode a payload the DE1 sent on ``char`` (short UUID, full UUID or name)."""
    return _lookup(_NOTIFY, char)(data)


def decode_write(char: "str | Characteristic", data: bytes) -> Any:
    """Decode a payload a client writes to ``char``."""
    return _lookup(_WRITE, char)(data)


# Reference names of the profile packets' fields (frames.py uses snake_case attributes).
_FRAME_WIRE_NAMES = {
    "header_v": "HeaderV", "number_of_frames": "NumberOfFrames",
    "number_of_preinfuse_frames": "NumberOfPreinfuseFrames",
    "minimum_pressure": "MinimumPressure", "maximum_flow": "MaximumFlow",
    "frame_to_write": "FrameToWrite", "flags": "Flag", "set_val": "SetVal", "temp": "Temp",
    "frame_len": "FrameLen", "trigger_val": "TriggerVal", "max_vol": "MaxVol",
    "max_vol_flags": "MaxVolFlags", "max_flow_or_pressure": "MaxFlowOrPressure",
    "max_flow_or_pressure_range": "MaxFoPRange", "reserved": "Reserved",
    "max_total_volume": "MaxTotalVolume", "max_total_volume_flags": "MaxTotalVolumeFlags",
}


def packet_to_dict(packet: Any) -> dict[str, Any]:
    """Decoded packet under the reference's field names, JSON-able."""
    if hasattr(packet, "to_dict"):
        return packet.to_dict()
    if isinstance(packet, DeprecatedShotDesc):
        return {"Header": packet_to_dict(packet.header),
                "Frames": [packet_to_dict(f) for f in packet.frames]}
    fields = getattr(packet, "__dataclass_fields__", {})
    return {_FRAME_WIRE_NAMES.get(name, name): json_value(getattr(packet, name))
            for name in fields}


def packet_to_event_dict(packet: Any) -> dict[str, Any]:
    """pyDE1 event field names for ShotSample, StateInfo and WaterLevels; else the reference's."""
    if isinstance(packet, StateInfo):
        out = packet.to_event_dict()
        out["is_error_state"] = packet.is_error
        return out
    if isinstance(packet, EVENT_PACKETS):
        return packet.to_event_dict()
    return packet_to_dict(packet)
