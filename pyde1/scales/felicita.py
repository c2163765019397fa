"""Felicita Arc (devices-and-sequencing.md A.3) — a working one, unlike pyDE1's.

Service ``ffe0``; characteristic ``ffe1`` both notifies and takes commands. A weight
notification is exactly 18 bytes: ``01 02``, a sign character, six ASCII digits (value ÷ 100),
two unit characters, …, battery byte 15, ``0D 0A``. Commands are single ASCII letters.
"""

from __future__ import annotations

from pyde1.scales.base import (BatteryReading, GattLayout, Reading, ScaleCodec, ScaleCommand,
                               ScaleDecodeError, ScaleFamily, WeightReading, uuid16)

SERVICE = uuid16("ffe0")
CHAR = uuid16("ffe1")
FRAME_LENGTH = 18
HEADER = b"\x01\x02"
TARE, TIMER_START, TIMER_STOP, TIMER_RESET = b"T", b"R", b"S", b"C"
TOGGLE_UNITS, TOGGLE_PRECISION = b"U", b"D"
TIMER = {"start": TIMER_START, "stop": TIMER_STOP, "reset": TIMER_RESET}
BATTERY_EMPTY, BATTERY_FULL = 129, 158
GRAMS_PER_OUNCE = 28.349523125


def battery_percent(raw: int) -> int:
    return max(0, min(100, round((raw - BATTERY_EMPTY) / (BATTERY_FULL - BATTERY_EMPTY) * 100)))


def battery_byte(percent: int) -> int:
    return BATTERY_EMPTY + round(max(0, min(100, percent)) / 100 * (BATTERY_FULL - BATTERY_EMPTY))


def encode_weight(grams: float, battery: int = 80, ounces: bool = False) -> bytes:
    """The 18-byte notification the Arc sends (the layout of Beanconqueror's sample frame)."""
    value = grams / GRAMS_PER_OUNCE if ounces else grams
    hundredths = int(round(abs(value) * 100))
    if hundredths > 999999:
        raise ValueError(f"{grams} g does not fit six digits")
    sign = b"-" if value < 0 and hundredths else b"+"
    unit = b"oz" if ounces else b" g"
    return (HEADER + sign + b"%06d" % hundredths + unit + b"SO0\x22"
            + bytes([battery_byte(battery)]) + b"\r\n")


def decode_notification(data: bytes) -> list[Reading]:
    family = ScaleFamily.FELICITA
    if len(data) != FRAME_LENGTH:
        raise ScaleDecodeError(family, "weight", f"needs exactly {FRAME_LENGTH} bytes, got {len(data)}", data)
    if data[:2] != HEADER:
        raise ScaleDecodeError(family, "weight", f"header must be 01 02, got {data[:2].hex(' ')}", data)
    digits = data[3:9]
    if not all(0x30 <= b <= 0x39 for b in digits):
        raise ScaleDecodeError(family, "weight", "bytes 3-8 must be six ASCII digits", data)
    value = int(digits) / 100
    if data[2] == 0x2D:
        value = -value
    unit = data[9:11]
    if unit.strip().lower() == b"oz":
        value *= GRAMS_PER_OUNCE
    elif unit.strip().lower() not in (b"g", b""):
        raise ScaleDecodeError(family, "weight", f"unknown unit {unit!r}", data)
    return [WeightReading(value), BatteryReading(battery_percent(data[15]))]


class FelicitaCodec(ScaleCodec):
    FAMILY = ScaleFamily.FELICITA
    NOMINAL_PERIOD = 0.1
    SENSOR_LAG = 0.45
    WRITE_RESPONSE = True

    def layout(self) -> GattLayout:
        return GattLayout(SERVICE, (CHAR,), CHAR)

    def decode(self, uuid: str, data: bytes) -> list[Reading]:
        return self._decode_single_stream(uuid, data, decode_notification)

    def tare(self) -> list[ScaleCommand]:
        return [self._command(TARE)]

    def timer(self, action: str) -> list[ScaleCommand]:
        return self._timer_from(TIMER, action)
