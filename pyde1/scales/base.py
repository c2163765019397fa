"""What every scale codec shares: decoded readings, commands, the typed decode error and the
codec interface (devices-and-sequencing.md A.0).

A codec turns notification bytes into readings and requests (tare, display, timer) into the
exact bytes to write. It holds no I/O and no clock; the only state some codecs keep is a
reassembly buffer (Acaia) so a frame split across notifications still decodes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from collections.abc import Callable, Mapping
from typing import ClassVar


def uuid16(short: str) -> str:
    """``ef81`` → ``0000ef81-0000-1000-8000-00805f9b34fb`` (lower case, as bleak reports)."""
    return f"0000{short.lower()}-0000-1000-8000-00805f9b34fb"


def same_uuid(a: str, b: str) -> bool:
    return a.lower() == b.lower()


class ScaleFamily(enum.Enum):
    """One byte protocol. The value is the simulator's config name (simulator.SCALE)."""

    SKALE = "skale"
    ACAIA = "acaia"
    FELICITA = "felicita"
    DECENT = "decent"
    BOOKOO = "bookoo"


class ScaleDecodeError(ValueError):
    """A notification the codec cannot read: which family, which part, what was wrong.

    ``readings`` holds what *was* decoded from the same notification before the problem
    (stream codecs may decode good frames and meet a bad one in one call).
    """

    def __init__(self, family: ScaleFamily | str, what: str, reason: str, data: bytes = b"",
                 readings: tuple = ()) -> None:
        self.family = family
        self.what = what
        self.reason = reason
        self.data = bytes(data)
        self.readings = tuple(readings)
        name = family.value if isinstance(family, ScaleFamily) else family
        shown = self.data[:24].hex(" ") + (" ..." if len(self.data) > 24 else "")
        super().__init__(f"{name} {what}: {reason}" + (f" (bytes: {shown})" if self.data else ""))


class ScaleCommandError(ValueError):
    """A request the scale cannot carry out (no display control, value out of range)."""


# -- readings -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class WeightReading:
    grams: float
    stable: bool | None = None   # None: the scale does not say


@dataclass(frozen=True, slots=True)
class ButtonReading:
    button: int                  # scale-specific code, published as ScaleButtonPress.button
    long_press: bool = False


@dataclass(frozen=True, slots=True)
class BatteryReading:
    percent: int | None          # None: charging / on external power (no level reported)
    charging: bool = False


@dataclass(frozen=True, slots=True)
class TimerReading:
    seconds: float


@dataclass(frozen=True, slots=True)
class TareAck:
    """The scale confirmed a tare (only some scales send one)."""


@dataclass(frozen=True, slots=True)
class InfoReading:
    """A frame that carries no measurement but is worth a log line (Acaia "not connected",
    Decent power-off notice, settings)."""

    kind: str
    detail: str = ""


Reading = WeightReading | ButtonReading | BatteryReading | TimerReading | TareAck | InfoReading


@dataclass(frozen=True, slots=True)
class ScaleCommand:
    """One GATT write: ``pause`` is the time to leave before the next command (some scales
    drop back-to-back writes)."""

    uuid: str
    data: bytes
    response: bool = True
    pause: float = 0.0


@dataclass(frozen=True)
class GattLayout:
    """The characteristics a codec uses on one connected scale."""

    service: str
    notify: tuple[str, ...]
    command: str
    battery_read: str | None = None


# -- the codec interface --------------------------------------------------------------------

class ScaleCodec:
    """Base of the per-family codecs. Subclasses set the class attributes and implement
    ``decode`` and the command builders they support."""

    FAMILY: ClassVar[ScaleFamily]
    NOMINAL_PERIOD: ClassVar[float] = 0.1
    #: Seconds from "weight on the pan" to the notification's arrival (A.0.3).
    SENSOR_LAG: ClassVar[float] = 0.38
    HAS_DISPLAY: ClassVar[bool] = False
    HAS_BUTTONS: ClassVar[bool] = False
    WRITE_RESPONSE: ClassVar[bool] = True
    #: Seconds between keep-alive commands while connected; None: the scale needs none.
    HEARTBEAT_PERIOD: ClassVar[float | None] = None

    def layout(self) -> GattLayout:
        raise NotImplementedError

    def decode(self, uuid: str, data: bytes) -> list[Reading]:
        """Readings in one notification. Raises ScaleDecodeError for bytes it cannot read."""
        raise NotImplementedError

    def decode_battery_read(self, data: bytes) -> BatteryReading:
        raise ScaleDecodeError(self.FAMILY, "battery", "this scale has no readable battery level", data)

    def reset(self) -> None:
        """Forget partial input (a new connection)."""

    # -- commands -----------------------------------------------------------------------
    def init_commands(self) -> list[ScaleCommand]:
        """Written once after notifications are enabled."""
        return []

    def tare(self) -> list[ScaleCommand]:
        raise NotImplementedError

    def display(self, on: bool) -> list[ScaleCommand]:
        raise ScaleCommandError(f"the {self.FAMILY.value} scale has no display control")

    def heartbeat(self) -> list[ScaleCommand]:
        return []

    def timer(self, action: str) -> list[ScaleCommand]:
        """``action``: "start", "stop" or "reset"."""
        raise ScaleCommandError(f"the {self.FAMILY.value} scale has no timer commands")

    def _decode_single_stream(self, uuid: str, data: bytes,
                              decoder: Callable[[bytes], list[Reading]]) -> list[Reading]:
        """``decode`` for a scale that notifies on one characteristic only (its layout's
        first): anything else is an error, not silently ignored."""
        if not same_uuid(uuid, self.layout().notify[0]):
            raise ScaleDecodeError(self.FAMILY, "notification", f"unexpected characteristic {uuid}", data)
        return decoder(bytes(data))

    def _timer_from(self, commands: Mapping[str, bytes], action: str) -> list[ScaleCommand]:
        """``timer`` for a scale with one fixed command per action."""
        return [self._command(commands[check_timer_action(action)])]

    def _command(self, data: bytes | str, pause: float = 0.0) -> ScaleCommand:
        raw = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
        return ScaleCommand(self.layout().command, raw, self.WRITE_RESPONSE, pause)


def check_timer_action(action: str) -> str:
    if action not in ("start", "stop", "reset"):
        raise ScaleCommandError(f"timer action must be 'start', 'stop' or 'reset', not {action!r}")
    return action


def xor_all(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out
