"""The per-mode controls the sequencer keeps (api-contract §1.8.11, devices-and-sequencing E.2).

Frozen values, changed only through :func:`patch_controls`, which validates every key and
raises :class:`ControlError` naming the offending one. Keys that live in the DE1 (steam and
hot-water ShotSettings, flush temperature and flow, tank temperature) are not here: the
gateway sends those to the DE1 actor; :data:`SEQUENCER_KEYS` says which keys are ours.

Deliberate fixes of pyDE1 quirks (E.2): a 0 inside ``move_on_weight`` means "none" (pyDE1
would skip the frame at once); ``disable_auto_tare`` is honoured; espresso ``stop_at_time``
is enforced (timed from flow begin).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from pyde1.protocol.enums import MachineState

#: The DE1 has 20 frames (0–19); a longer move-on list cannot mean anything.
MAX_FRAMES = 20


class ControlError(ValueError):
    """A control value was refused: ``key`` is the path (``espresso:stop_at_weight``)."""

    http_status = 400

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"{key}: {reason}")


class ControlMode(enum.Enum):
    """The ``de1/control/<mode>`` resources and the DE1 flow state each one governs."""

    ESPRESSO = "espresso"
    STEAM = "steam"
    HOT_WATER = "hot_water"
    HOT_WATER_RINSE = "hot_water_rinse"

    @property
    def state(self) -> MachineState:
        return _STATE_OF_MODE[self]

    @classmethod
    def of_state(cls, state: MachineState) -> ControlMode | None:
        return _MODE_OF_STATE.get(state)

    @classmethod
    def parse(cls, value: ControlMode | str) -> ControlMode:
        if isinstance(value, ControlMode):
            return value
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ControlError("mode", f"unknown mode {value!r}; expected one of {allowed}") from None


_STATE_OF_MODE = {
    ControlMode.ESPRESSO: MachineState.Espresso,
    ControlMode.STEAM: MachineState.Steam,
    ControlMode.HOT_WATER: MachineState.HotWater,
    ControlMode.HOT_WATER_RINSE: MachineState.HotWaterRinse,
}
_MODE_OF_STATE = {state: mode for mode, state in _STATE_OF_MODE.items()}


@dataclass(frozen=True)
class EspressoControl:
    stop_at_time: float | None = None
    stop_at_volume: float | None = None
    stop_at_weight: float | None = None
    move_on_weight: tuple[float | None, ...] = ()
    disable_auto_tare: bool = False
    profile_can_override_stop_limits: bool = True
    profile_can_override_tank_temperature: bool = True
    first_drops_threshold: float | None = 0.0
    last_drops_minimum_time: float = 3.0


@dataclass(frozen=True)
class SteamControl:
    disable_auto_tare: bool = False
    # Accepted on PATCH as pyDE1 does, never returned and never used.
    stop_at_volume: float | None = None
    stop_at_weight: float | None = None


@dataclass(frozen=True)
class HotWaterControl:
    stop_at_weight: float | None = None
    disable_auto_tare: bool = False


@dataclass(frozen=True)
class RinseControl:
    #: Timed here only when the DE1 cannot time the flush itself (firmware < 1283).
    stop_at_time: float | None = None
    disable_auto_tare: bool = False
    stop_at_volume: float | None = None   # accepted, unused
    stop_at_weight: float | None = None   # accepted, unused


ModeControl = EspressoControl | SteamControl | HotWaterControl | RinseControl


@dataclass(frozen=True)
class Controls:
    espresso: EspressoControl = EspressoControl()
    steam: SteamControl = SteamControl()
    hot_water: HotWaterControl = HotWaterControl()
    hot_water_rinse: RinseControl = RinseControl()
    #: minutes without a DE1 state change before the DE1 is put to sleep; None = never
    auto_off_time: float | None = None

    def of(self, mode: ControlMode | str) -> ModeControl:
        return getattr(self, ControlMode.parse(mode).value)

    def for_state(self, state: MachineState) -> ModeControl | None:
        mode = ControlMode.of_state(state)
        return None if mode is None else self.of(mode)


#: Keys of each ``de1/control/<mode>`` resource that the sequencer keeps (the rest are the DE1's).
SEQUENCER_KEYS: dict[ControlMode, tuple[str, ...]] = {
    ControlMode.ESPRESSO: tuple(f.name for f in fields(EspressoControl)),
    ControlMode.STEAM: ("disable_auto_tare", "stop_at_volume", "stop_at_weight"),
    ControlMode.HOT_WATER: ("stop_at_weight", "disable_auto_tare"),
    ControlMode.HOT_WATER_RINSE: ("stop_at_time", "disable_auto_tare", "stop_at_volume",
                                  "stop_at_weight"),
}
#: Keys accepted on PATCH but never returned (pyDE1 prunes them).
WRITE_ONLY_KEYS: dict[ControlMode, tuple[str, ...]] = {
    ControlMode.STEAM: ("stop_at_volume", "stop_at_weight"),
    ControlMode.HOT_WATER_RINSE: ("stop_at_volume", "stop_at_weight"),
}


# -- validation ----------------------------------------------------------------------------------

def _describe(value: Any) -> str:
    text = repr(value)
    return (text[:57] + "...") if len(text) > 60 else text


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ControlError(key, f"expected a number, got {type(value).__name__} {_describe(value)}")
    if not math.isfinite(value):
        raise ControlError(key, f"expected a finite number, got {value!r}")
    return float(value)


def stop_limit(key: str, value: Any) -> float | None:
    """A stop-at or move-on value: None or ≥ 0; 0 means None (deprecated spelling of 'off')."""
    if value is None:
        return None
    number = _number(key, value)
    if number < 0:
        raise ControlError(key, f"must be null or at least 0, got {value!r}")
    return None if number == 0 else number


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ControlError(key, f"expected true or false, got {_describe(value)}")
    return value


def _move_on_list(key: str, value: Any) -> tuple[float | None, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ControlError(key, f"expected a list of numbers or nulls, got {_describe(value)}")
    if len(value) > MAX_FRAMES:
        raise ControlError(key, f"has {len(value)} entries; the DE1 has at most {MAX_FRAMES} frames")
    items = tuple(stop_limit(f"{key}[{i}]", item) for i, item in enumerate(value))
    end = len(items)
    while end and items[end - 1] is None:
        end -= 1
    return items[:end]


def _first_drops(key: str, value: Any) -> float | None:
    if value is None:
        return None
    number = _number(key, value)
    if number != 0 and not 0 <= number <= 10:
        raise ControlError(key, f"must be null or between 0 and 10 bar, got {value!r}")
    return number


def _seconds(key: str, value: Any) -> float:
    number = _number(key, value)
    if number < 0:
        raise ControlError(key, f"must be at least 0 s, got {value!r}")
    return number


_CHECKS = {
    "stop_at_time": stop_limit,
    "stop_at_volume": stop_limit,
    "stop_at_weight": stop_limit,
    "move_on_weight": _move_on_list,
    "disable_auto_tare": _boolean,
    "profile_can_override_stop_limits": _boolean,
    "profile_can_override_tank_temperature": _boolean,
    "first_drops_threshold": _first_drops,
    "last_drops_minimum_time": _seconds,
}


def patch_control(control: ModeControl, mode: ControlMode, patch: Mapping[str, Any]) -> ModeControl:
    """``control`` with the keys of ``patch`` applied, or ControlError (nothing applied)."""
    if not isinstance(patch, Mapping):
        raise ControlError(mode.value, f"expected an object of keys, got {_describe(patch)}")
    owned = SEQUENCER_KEYS[mode]
    changes: dict[str, Any] = {}
    for key, value in patch.items():
        path = f"{mode.value}:{key}"
        if key not in owned:
            known = ", ".join(owned)
            raise ControlError(path, f"not a key the sequencer keeps (it keeps: {known})")
        changes[key] = _CHECKS[key](path, value)
    return replace(control, **changes)


def patch_controls(controls: Controls, mode: ControlMode | str, patch: Mapping[str, Any]) -> Controls:
    mode = ControlMode.parse(mode)
    return replace(controls, **{mode.value: patch_control(controls.of(mode), mode, patch)})


def auto_off_minutes(value: Any) -> float | None:
    """``de1/setting/auto_off_time`` ``time``: minutes, None or 0 = off, negative refused."""
    if value is None:
        return None
    number = _number("auto_off_time:time", value)
    if number < 0:
        raise ControlError("auto_off_time:time", f"must be null or at least 0 minutes, got {value!r}")
    return None if number == 0 else number


def control_as_dict(controls: Controls, mode: ControlMode | str) -> dict[str, Any]:
    """The sequencer's part of ``GET de1/control/<mode>`` (write-only keys left out)."""
    mode = ControlMode.parse(mode)
    control = controls.of(mode)
    hidden = WRITE_ONLY_KEYS.get(mode, ())
    out: dict[str, Any] = {}
    for f in fields(control):
        if f.name in hidden:
            continue
        value = getattr(control, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


# -- profile overrides (E.10) ----------------------------------------------------------------

@dataclass(frozen=True)
class ProfileLimits:
    """What a profile upload brings that the sequencer cares about."""

    target_weight: float | None = None       # absent or ≤ 0: None
    target_volume: float | None = None
    move_on_weight: tuple[float | None, ...] = ()
    has_target_weight: bool = False          # the key was present (absent keeps the current value)
    has_target_volume: bool = False

    @classmethod
    def of_profile(cls, profile: Any) -> ProfileLimits:
        """From a ``pyde1.profile.model.Profile`` (or anything with the same attributes)."""
        weight = getattr(profile, "target_weight", None)
        volume = getattr(profile, "target_volume", None)
        move_on = getattr(profile, "move_on_weight", ())
        if callable(move_on):
            move_on = move_on()
        return cls(target_weight=weight if weight and weight > 0 else None,
                   target_volume=volume if volume and volume > 0 else None,
                   move_on_weight=_move_on_list("move_on_weight", tuple(move_on or ())),
                   has_target_weight=weight is not None, has_target_volume=volume is not None)


def apply_profile(controls: Controls, limits: ProfileLimits) -> Controls:
    """E.10: stop limits from the profile when the espresso control lets it, and the move-on
    list always (per-step weights belong to the profile, whatever the override flag)."""
    esp = controls.espresso
    changes: dict[str, Any] = {"move_on_weight": limits.move_on_weight}
    if esp.profile_can_override_stop_limits:
        if limits.has_target_weight:
            changes["stop_at_weight"] = limits.target_weight
        if limits.has_target_volume:
            changes["stop_at_volume"] = limits.target_volume
    return replace(controls, espresso=replace(esp, **changes))
