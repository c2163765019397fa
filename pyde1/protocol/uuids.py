"""The DE1's GATT service and characteristics.

Look up a characteristic by its short form (``a00d``), its full 128-bit UUID or its name
(pyDE1's, de1app's or ReaPrime's, case-insensitive) with ``characteristic()``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pyde1.protocol.errors import UnknownCharacteristicError

__all__ = ["Prop", "Characteristic", "CHARACTERISTICS", "SERVICE_UUID", "SCAN_SERVICE_UUID",
           "ADVERTISED_NAME", "full_uuid", "characteristic", "by_short"]

_BASE = "0000{}-0000-1000-8000-00805f9b34fb"

SERVICE_UUID = _BASE.format("a000")
SCAN_SERVICE_UUID = _BASE.format("ffff")
ADVERTISED_NAME = "DE1"


def full_uuid(short: str) -> str:
    """``a00d`` → ``0000a00d-0000-1000-8000-00805f9b34fb``."""
    return _BASE.format(short.lower())


class Prop(enum.Flag):
    READ = enum.auto()
    WRITE = enum.auto()
    NOTIFY = enum.auto()


_R, _W, _N = Prop.READ, Prop.WRITE, Prop.NOTIFY


@dataclass(frozen=True)
class Characteristic:
    short: str          # "a00d"
    name: str           # pyDE1 name, e.g. "ShotSample"
    properties: Prop
    size: int | None    # payload length in bytes; None where unknown or variable
    aliases: tuple[str, ...] = ()  # de1app / ReaPrime spellings
    serial_letter: str = ""        # ReaPrime's USB-serial code

    @property
    def uuid(self) -> str:
        return full_uuid(self.short)

    @property
    def readable(self) -> bool:
        return Prop.READ in self.properties

    @property
    def writable(self) -> bool:
        return Prop.WRITE in self.properties

    @property
    def notifies(self) -> bool:
        return Prop.NOTIFY in self.properties


CHARACTERISTICS: tuple[Characteristic, ...] = (
    Characteristic("a001", "Versions", _R | _N, 18, ("Version",), "A"),
    Characteristic("a002", "RequestedState", _R | _W | _N, 1, (), "B"),
    Characteristic("a003", "SetTime", _R | _W | _N, 8, (), "C"),
    Characteristic("a004", "ShotDirectory", _R | _W | _N, None, (), "D"),
    Characteristic("a005", "ReadFromMMR", _R | _W | _N, 20, (), "E"),
    Characteristic("a006", "WriteToMMR", _W | _N, 20, (), "F"),
    Characteristic("a007", "ShotMapRequest", _W | _N, None, (), "G"),
    Characteristic("a008", "DeleteShotRange", _W | _N, None, (), "H"),
    Characteristic("a009", "FWMapRequest", _W | _N, 7, (), "I"),
    Characteristic("a00a", "Temperatures", _R | _N, 16, (), "J"),
    Characteristic("a00b", "ShotSettings", _R | _W | _N, 9, (), "K"),
    Characteristic("a00c", "Deprecated", _R | _W | _N, 75, ("DeprecatedShotDesc",), "L"),
    Characteristic("a00d", "ShotSample", _R | _N, 19, (), "M"),
    Characteristic("a00e", "StateInfo", _R | _N, 2, (), "N"),
    Characteristic("a00f", "HeaderWrite", _R | _W | _N, 5, (), "O"),
    Characteristic("a010", "FrameWrite", _R | _W | _N, 8, (), "P"),
    Characteristic("a011", "WaterLevels", _R | _W | _N, 4, (), "Q"),
    Characteristic("a012", "Calibration", _R | _W | _N, 14, (), "R"),
)

_BY_KEY: dict[str, Characteristic] = {}
for _c in CHARACTERISTICS:
    for _key in (_c.short, _c.uuid, _c.name.lower(), *(a.lower() for a in _c.aliases)):
        _BY_KEY[_key] = _c
del _c, _key


def by_short(short: str) -> Characteristic:
    return characteristic(short)


def characteristic(text: str) -> Characteristic:
    """Find a characteristic by ``a00d``, ``0xa00d``, full UUID or name (case-insensitive)."""
    key = text.strip().lower()
    if key.startswith("0x"):
        key = key[2:]
    if len(key) == 8 and key.startswith("0000"):
        key = key[4:]  # 32-bit form 0000a00d
    found = _BY_KEY.get(key)
    if found is None:
        raise UnknownCharacteristicError(text)
    return found
