"""Decent Scale and Half Decent Scale over BLE (devices-and-sequencing.md A.4).

Service ``fff0``; notifications on ``fff4``; commands (7 bytes: ``03``, five command bytes,
XOR of the six before) written with response to ``36f5``. Incoming checksums are not checked:
original hardware does not follow the rule.

The Half Decent Scale drops the link unless it gets a heartbeat every 5 s *or* an LED-on or
tare whose byte 5 is ``00`` (which turns the requirement off). The init sequence sends that
LED-on, so no heartbeat is needed; the battery request (the same LED-on) is repeated as a
keep-alive anyway.
"""

from __future__ import annotations

from pyde1.scales.base import (BatteryReading, ButtonReading, GattLayout, InfoReading, Reading,
                               ScaleCodec, ScaleCommand, ScaleDecodeError, ScaleFamily, TareAck,
                               WeightReading, uuid16, xor_all)

SERVICE = uuid16("fff0")
DATA = uuid16("fff4")
COMMAND = uuid16("36f5")

W_STABLE, W_CHANGING, STATUS, BUTTON, TARE_CODE, POWER_OFF = 0xCE, 0xCA, 0x0A, 0xAA, 0x0F, 0x2A


def command(*body: int) -> bytes:
    """``03`` + five command bytes + XOR of the six."""
    if len(body) != 5:
        raise ValueError("a Decent Scale command has five bytes after the 03 header")
    head = bytes([0x03, *body])
    return head + bytes([xor_all(head)])


TARE = command(0x0F, 0x00, 0x00, 0x00, 0x01)            # 03 0F 00 00 00 01 0D
LED_ON_NO_HEARTBEAT = command(0x0A, 0x01, 0x01, 0x00, 0x00)  # 03 0A 01 01 00 00 09 (+ battery)
LED_OFF = command(0x0A, 0x00, 0x00, 0x00, 0x00)          # 03 0A 00 00 00 00 09 (keeps weighing)
OLED_WAKE = command(0x0A, 0x04, 0x00, 0x00, 0x00)        # 03 0A 04 00 00 00 0D (leave soft sleep)
POWER_OFF_CMD = command(0x0A, 0x02, 0x00, 0x00, 0x00)    # 03 0A 02 00 00 00 0B
HEARTBEAT = bytes.fromhex("030a03ffff000a")
TIMER = {"start": command(0x0B, 0x03, 0x00, 0x00, 0x00),
         "stop": command(0x0B, 0x00, 0x00, 0x00, 0x00),
         "reset": command(0x0B, 0x02, 0x00, 0x00, 0x00)}


def _checked(data: bytes) -> bytes:
    return data[:-1] + bytes([xor_all(data[:-1])])


def encode_weight(grams: float, stable: bool = True, timestamp: tuple[int, int, int] | None = None) -> bytes:
    """A weight frame: 7 bytes (firmware 1.0/1.1) or 10 with a timestamp (1.2 and newer)."""
    tenths = int(round(grams * 10))
    if not -32768 <= tenths <= 32767:
        raise ValueError(f"{grams} g does not fit an int16 of tenths of a gram")
    head = bytes([0x03, W_STABLE if stable else W_CHANGING]) + tenths.to_bytes(2, "big", signed=True)
    if timestamp is None:
        return _checked(head + b"\x00\x00\x00")
    minutes, seconds, ms = timestamp
    return _checked(head + bytes([minutes & 0xFF, seconds & 0xFF, ms & 0xFF, 0, 0, 0]))


def encode_status(battery: int, firmware: int = 0x03) -> bytes:
    return _checked(bytes([0x03, STATUS, 0, 0, battery & 0xFF, firmware & 0xFF, 0]))


def encode_button(button: int, long_press: bool = False) -> bytes:
    return _checked(bytes([0x03, BUTTON, button & 0xFF, 2 if long_press else 1, 0, 0, 0]))


def encode_tare_ack() -> bytes:
    return _checked(bytes([0x03, TARE_CODE, 0, 0, 0, 0xFE, 0]))


def decode_notification(data: bytes) -> list[Reading]:
    family = ScaleFamily.DECENT
    if len(data) < 2 or data[0] != 0x03:
        raise ScaleDecodeError(family, "notification", "frames start with 03 and a type byte", data)
    kind = data[1]
    if kind in (W_STABLE, W_CHANGING):
        if len(data) not in (7, 10):
            raise ScaleDecodeError(family, "weight", f"weight frames have 7 or 10 bytes, got {len(data)}", data)
        grams = int.from_bytes(data[2:4], "big", signed=True) / 10.0
        return [WeightReading(grams, stable=kind == W_STABLE)]
    if kind == STATUS:
        if len(data) != 7:
            raise ScaleDecodeError(family, "status", f"status frames have 7 bytes, got {len(data)}", data)
        level = data[4]
        return [BatteryReading(level if level <= 100 else None, charging=level > 100)]
    if kind == BUTTON:
        if len(data) < 4:
            raise ScaleDecodeError(family, "button", f"button frames have 7 bytes, got {len(data)}", data)
        return [ButtonReading(data[2], long_press=data[3] == 2)]
    if kind == TARE_CODE:
        return [TareAck()] if len(data) >= 6 and data[5] == 0xFE else []
    if kind == POWER_OFF:
        return [InfoReading("power off", data.hex())]
    raise ScaleDecodeError(family, "notification", f"unknown frame type {kind:02x}", data)


class DecentCodec(ScaleCodec):
    FAMILY = ScaleFamily.DECENT
    NOMINAL_PERIOD = 0.1
    SENSOR_LAG = 0.38
    HAS_DISPLAY = True
    HAS_BUTTONS = True
    WRITE_RESPONSE = True
    HEARTBEAT_PERIOD = 4.0

    def __init__(self) -> None:
        self.display_on = True

    def layout(self) -> GattLayout:
        return GattLayout(SERVICE, (DATA,), COMMAND)

    def decode(self, uuid: str, data: bytes) -> list[Reading]:
        return self._decode_single_stream(uuid, data, decode_notification)

    def init_commands(self) -> list[ScaleCommand]:
        # The scale does not weigh until a command arrives; byte 5 = 00 turns off the
        # Half Decent Scale's heartbeat requirement.
        return [self._command(LED_ON_NO_HEARTBEAT, 0.1), self._command(OLED_WAKE)]

    def tare(self) -> list[ScaleCommand]:
        return [self._command(TARE)]

    def display(self, on: bool) -> list[ScaleCommand]:
        self.display_on = on
        if on:
            return [self._command(LED_ON_NO_HEARTBEAT, 0.1), self._command(OLED_WAKE)]
        return [self._command(LED_OFF)]

    def heartbeat(self) -> list[ScaleCommand]:
        # Both carry byte 5 = 00; LED-on is also answered with the battery level. Repeat
        # whichever matches the display, so a keep-alive never turns a dark display on.
        return [self._command(LED_ON_NO_HEARTBEAT if self.display_on else LED_OFF)]

    def timer(self, action: str) -> list[ScaleCommand]:
        return self._timer_from(TIMER, action)

    def power_off(self) -> list[ScaleCommand]:
        return [self._command(POWER_OFF_CMD)]
