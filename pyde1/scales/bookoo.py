"""Bookoo scales (Mini/Themis, Ultra) (devices-and-sequencing.md A.5).

Service ``0ffe``; weight notifications on ``ff11``; commands (``03 0A <op> 00 00 <XOR>``)
written with response to ``ff12``. A weight packet is exactly 20 bytes with an XOR of bytes
0–18 in byte 19: timer (ms, uint24 BE), unit, sign, grams × 100 (uint24 BE), flow sign,
flow × 100 (uint16 BE), battery %, standby, buzzer, smoothing.

The vendor's table prints timer commands whose last byte breaks its own XOR rule; both forms
are in use. We send the XOR-correct ones (:data:`VENDOR_PRINTED` lists the others, which the
simulator also accepts).
"""

from __future__ import annotations

from pyde1.scales.base import (BatteryReading, GattLayout, InfoReading, Reading, ScaleCodec,
                               ScaleCommand, ScaleDecodeError, ScaleFamily, WeightReading, uuid16,
                               xor_all)

SERVICE = uuid16("0ffe")
DATA = uuid16("ff11")
COMMAND = uuid16("ff12")
FRAME_LENGTH = 20
OP_TARE, OP_TIMER_START, OP_TIMER_STOP, OP_TIMER_RESET, OP_TARE_AND_START = 0x01, 0x04, 0x05, 0x06, 0x07


def command(op: int, a: int = 0, b: int = 0) -> bytes:
    head = bytes([0x03, 0x0A, op & 0xFF, a & 0xFF, b & 0xFF])
    return head + bytes([xor_all(head)])


TARE = command(OP_TARE)                                    # 03 0A 01 00 00 08
TIMER = {"start": command(OP_TIMER_START), "stop": command(OP_TIMER_STOP),
         "reset": command(OP_TIMER_RESET)}
TARE_AND_START = command(OP_TARE_AND_START)
VENDOR_PRINTED = {bytes.fromhex("030a0400000a"): OP_TIMER_START,
                  bytes.fromhex("030a0500000d"): OP_TIMER_STOP,
                  bytes.fromhex("030a0600000c"): OP_TIMER_RESET,
                  bytes.fromhex("030a07000000"): OP_TARE_AND_START}


def parse_command(data: bytes) -> int | None:
    """The operation of a command the scale accepts (XOR-correct or vendor-printed), else None."""
    data = bytes(data)
    if len(data) != 6 or data[:2] != b"\x03\x0a":
        return None
    if data in VENDOR_PRINTED:
        return VENDOR_PRINTED[data]
    return data[2] if xor_all(data[:5]) == data[5] else None


def encode_weight(grams: float, battery: int = 90, timer_ms: int = 0, flow: float = 0.0) -> bytes:
    hundredths = int(round(abs(grams) * 100))
    if hundredths >= 1 << 24:
        raise ValueError(f"{grams} g does not fit 24 bits of hundredths")
    flow_h = min(0xFFFF, int(round(abs(flow) * 100)))
    body = (bytes([0x03, 0x0B]) + (timer_ms & 0xFFFFFF).to_bytes(3, "big") + b"\x01"
            + (b"-" if grams < 0 and hundredths else b"+") + hundredths.to_bytes(3, "big")
            + (b"-" if flow < 0 else b"+") + flow_h.to_bytes(2, "big")
            + bytes([battery & 0xFF]) + (5).to_bytes(2, "big") + bytes([1, 0, 0]))
    return body + bytes([xor_all(body)])


def decode_notification(data: bytes) -> list[Reading]:
    family = ScaleFamily.BOOKOO
    if len(data) >= 2 and data[0] == 0x03 and data[1] == 0x0D:
        return [InfoReading("auto mode", data.hex())]   # Ultra automatic-mode event
    if len(data) != FRAME_LENGTH:
        raise ScaleDecodeError(family, "weight", f"needs exactly {FRAME_LENGTH} bytes, got {len(data)}", data)
    if data[0] != 0x03 or data[1] != 0x0B:
        raise ScaleDecodeError(family, "weight", f"must start 03 0b, got {data[:2].hex(' ')}", data)
    if data[6] not in (0x2B, 0x2D):
        raise ScaleDecodeError(family, "weight", f"byte 6 must be '+' or '-', got {data[6]:02x}", data)
    if xor_all(data[:19]) != data[19]:
        raise ScaleDecodeError(family, "weight", "checksum (XOR of bytes 0-18) does not match byte 19", data)
    grams = int.from_bytes(data[7:10], "big") / 100
    if data[6] == 0x2D:
        grams = -grams
    out: list[Reading] = [WeightReading(grams)]
    if data[13] <= 100:
        out.append(BatteryReading(data[13]))
    return out


class BookooCodec(ScaleCodec):
    FAMILY = ScaleFamily.BOOKOO
    NOMINAL_PERIOD = 0.1
    SENSOR_LAG = 0.38
    WRITE_RESPONSE = True

    def layout(self) -> GattLayout:
        return GattLayout(SERVICE, (DATA,), COMMAND)

    def decode(self, uuid: str, data: bytes) -> list[Reading]:
        return self._decode_single_stream(uuid, data, decode_notification)

    def tare(self) -> list[ScaleCommand]:
        return [self._command(TARE)]

    def timer(self, action: str) -> list[ScaleCommand]:
        return self._timer_from(TIMER, action)
