"""ThermoWorks BlueDOT thermometer: the byte codec (devices-and-sequencing.md B.1).

Updates arrive as 20-byte notifications: probe status, temperature and high alarm (int32 LE,
whole degrees in the display units), alarm silenced/disabled, units (00 °C, 01 °F), the
device's own address and the alarm-sounding byte. The report interval and the high alarm
are single unsigned bytes written to their characteristics. Units are set on the device.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyde1.events import TemperatureUnit

SERVICE = "bb56aab0-4111-40cf-963b-4a4450ea0822"
INTERVAL = "60721d99-6698-4eec-8e0a-50d0c37f17b9"
UPDATES = "783f2991-23e0-4bdc-ac16-78601bd84b39"
HIGH_ALARM = "de0415cf-d54a-4ea4-a58f-c7aa07f79baa"
LOW_ALARM = "bfdbeb45-11a3-4406-bcb4-ed7c6f939fbc"
UNITS = "c86cf012-5c33-48aa-82d1-84a57c908ca0"
NAME_PREFIX = "BlueDOT"
UPDATE_LENGTH = 20

PROBE_CONNECTED = 0x00
FAST_INTERVAL, SLOW_INTERVAL = 1, 60   # seconds between reports (B.1 sample-rate policy)


class BlueDOTError(ValueError):
    """An update the codec cannot read, or a value that cannot be written."""


@dataclass(frozen=True, slots=True)
class BlueDOTReport:
    probe_status: int          # 00 probe connected, 03 no probe
    temperature: int           # whole degrees, display units
    high_alarm: int
    alarm_silenced: bool
    alarm_disabled: bool
    units: TemperatureUnit
    device_address: str        # the BlueDOT's own address, "AA:BB:..."
    alarm_byte: int            # alarm sounding (00/01), kept raw

    @property
    def probe_connected(self) -> bool:
        """False: no probe plugged in, and ``temperature`` is not a reading."""
        return self.probe_status == PROBE_CONNECTED

    @property
    def alarm_hex(self) -> str:
        """The alarm byte as BlueDOTUpdate carries it (lower-case hex, e.g. "00")."""
        return f"{self.alarm_byte:02x}"


def is_bluedot_name(name: str | None) -> bool:
    return bool(name) and name.startswith(NAME_PREFIX)


def freezing(units: TemperatureUnit) -> int:
    return 32 if units is TemperatureUnit.FAHRENHEIT else 0


def decode_update(data: bytes) -> BlueDOTReport:
    data = bytes(data)
    if len(data) < UPDATE_LENGTH:
        raise BlueDOTError(f"BlueDOT update: needs {UPDATE_LENGTH} bytes, got {len(data)}")
    if data[11] not in (0, 1):
        raise BlueDOTError(f"BlueDOT update: units byte 11 must be 00 (C) or 01 (F), got {data[11]:02x}")
    return BlueDOTReport(
        probe_status=data[0],
        temperature=int.from_bytes(data[1:5], "little", signed=True),
        high_alarm=int.from_bytes(data[5:9], "little", signed=True),
        alarm_silenced=bool(data[9]),
        alarm_disabled=bool(data[10]),
        units=TemperatureUnit.FAHRENHEIT if data[11] else TemperatureUnit.CELSIUS,
        device_address=":".join(f"{b:02X}" for b in data[13:19]),
        alarm_byte=data[19],
    )


def encode_update(temperature: int, high_alarm: int, units: TemperatureUnit = TemperatureUnit.CELSIUS,
                  address: str = "00:00:00:00:00:00", probe_connected: bool = True,
                  alarm_sounding: bool = False, alarm_silenced: bool = False,
                  alarm_disabled: bool = False) -> bytes:
    """The notification a BlueDOT sends (for the simulator and tests)."""
    mac = bytes.fromhex(address.replace(":", ""))
    if len(mac) != 6:
        raise BlueDOTError(f"address {address!r} is not six bytes")
    return (bytes([PROBE_CONNECTED if probe_connected else 0x03])
            + int(temperature).to_bytes(4, "little", signed=True)
            + int(high_alarm).to_bytes(4, "little", signed=True)
            + bytes([int(alarm_silenced), int(alarm_disabled),
                     1 if units is TemperatureUnit.FAHRENHEIT else 0, 0])
            + mac + bytes([int(alarm_sounding)]))


def _one_byte(value: float, what: str) -> bytes:
    try:
        rounded = round(float(value))
    except (TypeError, ValueError, OverflowError):
        raise BlueDOTError(f"BlueDOT {what}: {value!r} is not a number") from None
    if not 0 <= rounded <= 255:
        raise BlueDOTError(f"BlueDOT {what}: {value!r} rounds to {rounded}, outside 0..255")
    return bytes([rounded])


def encode_interval(seconds: float) -> bytes:
    """Seconds between reports, one unsigned byte (at least 1)."""
    data = _one_byte(seconds, "interval")
    if data[0] == 0:
        raise BlueDOTError("BlueDOT interval: must be at least 1 s")
    return data


def encode_high_alarm(degrees: float) -> bytes:
    """The high alarm in the display units, one unsigned byte."""
    return _one_byte(degrees, "high alarm")


def decode_one_byte(data: bytes, what: str) -> int:
    if len(data) != 1:
        raise BlueDOTError(f"BlueDOT {what}: expected one byte, got {len(data)}")
    return data[0]
