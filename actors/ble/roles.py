"""Which role an advertised name belongs to (devices-and-sequencing.md A.0.1, A.0.2, B.1, C.12).

Names only: several unrelated scales share service UUIDs, so a service never identifies a
device. Scales are matched case-insensitively (real Felicita and Bookoo names differ in case
from pyDE1's prefixes); the DE1 and the BlueDOT as the reference gives them.
"""

from __future__ import annotations

from pyde1.events import DeviceRole

SCALE_PREFIXES = ("acaia", "proch", "pearl", "lunar", "pyxis", "cinco", "umbra", "skale",
                  "felicita", "decent scale", "bookoo_sc", "bookoo mini")


def matches_role(role: DeviceRole | None, name: str | None) -> bool:
    """True if a device advertising ``name`` can play ``role`` (None or UNKNOWN: any)."""
    if role in (None, DeviceRole.UNKNOWN, DeviceRole.OTHER):
        return True
    if not name:
        return False
    if role is DeviceRole.DE1:
        return name.startswith("DE1")
    if role is DeviceRole.THERMOMETER:
        return name.startswith("BlueDOT")
    if role is DeviceRole.SCALE:
        low = name.lower()
        return any(low.startswith(p) for p in SCALE_PREFIXES)
    return False


def role_of(name: str | None) -> DeviceRole:
    for role in (DeviceRole.DE1, DeviceRole.SCALE, DeviceRole.THERMOMETER):
        if matches_role(role, name):
            return role
    return DeviceRole.UNKNOWN


def parse_role(value: DeviceRole | str | None) -> DeviceRole | None:
    if value is None or isinstance(value, DeviceRole):
        return value
    try:
        return DeviceRole(str(value).lower())
    except ValueError:
        allowed = ", ".join(r.value for r in DeviceRole)
        raise ValueError(f"unknown device role {value!r}; expected one of {allowed}") from None
