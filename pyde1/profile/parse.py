"""Read a JSON v2 (v2.1) profile from its exact bytes, with precise errors.

Reading checks the structure, the types and the choices (``pump`` is ``pressure`` or ``flow``,
...). Whether each number fits the DE1's fixed-point fields is checked when the upload plan is
built (``pyde1.profile.plan``), where the encodings live.

Leniencies, each recorded in ``Profile.warnings`` (never silent):
  * numbers written as strings (de1app writes every number that way) — accepted, no warning;
  * ``version`` missing or null — read as 2 (the structure is checked in full anyway);
  * a step without ``volume`` — 0, "no volume limit" (pyDE1's converter wrote such files);
  * ``target_volume_count_start`` missing — 0.
Fields a reader needs only for one pump setting (``flow`` on a pressure step, ...) are ignored
when they are empty or malformed, since they are never sent.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from pyde1.profile.errors import ProfileError, TooManyFramesError
from pyde1.protocol.fixed import round_half_away
from pyde1.profile.model import (
    Exit, ExitCondition, ExitType, Limiter, Profile, Pump, Sensor, Step, Transition,
)

MAX_FRAMES = 20          # frames a DE1 holds (pyDE1's limit; extension frames are 32 + i)
_MISSING = object()


def profile_id(source: bytes) -> str:
    """Lower-case hex SHA-1 of the exact source bytes (pyDE1's profile id)."""
    return hashlib.sha1(source).hexdigest()


def parse_profile(source: bytes) -> Profile:
    """Parse a JSON v2 profile from its exact bytes; raise ``ProfileError`` when it is unusable."""
    if isinstance(source, str):
        raise TypeError("parse_profile needs the source bytes (the id is a hash of them)")
    source = bytes(source)
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProfileError("$", f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError("$", f"invalid JSON at line {exc.lineno} column {exc.colno}: "
                                f"{exc.msg}") from None
    except RecursionError:
        raise ProfileError("$", "invalid JSON: nested too deeply") from None
    return profile_from_document(document, source)


def profile_from_document(document: Any, source: bytes) -> Profile:
    """Build a Profile from an already-decoded JSON document; ``source`` gives the id."""
    reader = _Reader()
    return reader.profile(document, profile_id(source))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Reader:
    """Walks one document, collecting leniency warnings on the way."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    # --- scalar readers -----------------------------------------------------------------------
    @staticmethod
    def number(value: Any, path: str) -> float:
        """A JSON number or a numeric string, as a finite float."""
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ProfileError(path, f"must be a number, got {_kind(value)}")
        if isinstance(value, str):
            text = value.strip()
            if not text:
                raise ProfileError(path, "must be a number, got an empty string")
            try:
                result = float(text)
            except ValueError:
                raise ProfileError(path, f"must be a number, got {_kind(value)}") from None
        else:
            try:
                result = float(value)
            except OverflowError:
                raise ProfileError(path, f"number {value} is too large") from None
        if not math.isfinite(result):
            raise ProfileError(path, f"must be a finite number, got {_kind(value)}")
        return result

    def optional_number(self, obj: dict, key: str, path: str) -> float | None:
        """None when absent, null or an empty string; otherwise a number."""
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return self.number(value, path)

    @staticmethod
    def text(obj: dict, key: str, path: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ProfileError(path, f"must be a string, got {_kind(value)}")
        return value

    @staticmethod
    def choice(obj: dict, key: str, path: str, enum_type):
        if key not in obj:
            raise ProfileError(path, "is required")
        value = obj[key]
        allowed = ", ".join(repr(member.value) for member in enum_type)
        if not isinstance(value, str):
            raise ProfileError(path, f"must be one of {allowed}; got {_kind(value)}")
        try:
            return enum_type(value)
        except ValueError:
            raise ProfileError(path, f"must be one of {allowed}; got {value!r}") from None

    def required_number(self, obj: dict, key: str, path: str) -> float:
        if key not in obj:
            raise ProfileError(path, "is required")
        return self.number(obj[key], path)

    # --- structure ----------------------------------------------------------------------------
    def version(self, document: dict) -> str | None:
        value = document.get("version")
        if value is None:
            self.warnings.append("version: missing; read as a version 2 profile")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ProfileError("version", f"must be a version string such as '2.1', "
                                          f"got {_kind(value)}")
        shown = value if isinstance(value, str) else repr(value)
        if shown.strip().split(".")[0] != "2":
            raise ProfileError("version", f"only version 2 profiles are supported, got {shown!r}")
        return shown

    def profile(self, document: Any, identifier: str) -> Profile:
        if not isinstance(document, dict):
            raise ProfileError("$", f"a profile must be a JSON object, got {_kind(document)}")
        version = self.version(document)
        steps = self.steps(document)

        count_start = document.get("target_volume_count_start", _MISSING)
        if count_start is _MISSING or count_start is None:
            self.warnings.append("target_volume_count_start: missing; no preinfusion frames")
            count_start_value = 0.0
        else:
            count_start_value = self.number(count_start, "target_volume_count_start")
        if count_start_value < 0:
            raise ProfileError("target_volume_count_start",
                               f"must not be negative, got {count_start_value:g}")
        count_start_int = round_half_away(count_start_value)
        if count_start_int > len(steps):
            self.warnings.append(
                f"target_volume_count_start: {count_start_int} is more than the "
                f"{len(steps)} steps; every frame counts as preinfusion")

        return Profile(
            id=identifier,
            version=version,
            title=self.text(document, "title", "title"),
            author=self.text(document, "author", "author"),
            notes=self.text(document, "notes", "notes"),
            beverage_type=self.text(document, "beverage_type", "beverage_type"),
            steps=steps,
            target_volume=self.target(document, "target_volume"),
            target_weight=self.target(document, "target_weight"),
            target_volume_count_start=count_start_int,
            tank_temperature=self.optional_number(document, "tank_temperature",
                                                  "tank_temperature"),
            warnings=tuple(self.warnings),
        )

    def target(self, document: dict, key: str) -> float | None:
        """Absent → None (keep the current stop limit); null/empty → 0 (no target)."""
        if key not in document:
            return None
        value = self.optional_number(document, key, key)
        return 0.0 if value is None else value

    def steps(self, document: dict) -> tuple[Step, ...]:
        if "steps" not in document:
            raise ProfileError("steps", "is required")
        raw_steps = document["steps"]
        if not isinstance(raw_steps, list):
            raise ProfileError("steps", f"must be a list of steps, got {_kind(raw_steps)}")
        if not raw_steps:
            raise ProfileError("steps", "must contain at least one step")
        if len(raw_steps) > MAX_FRAMES:
            raise TooManyFramesError(
                "steps", f"has {len(raw_steps)} steps; a DE1 runs at most {MAX_FRAMES} frames")
        return tuple(self.step(raw, f"steps[{index}]") for index, raw in enumerate(raw_steps))

    def step(self, raw: Any, path: str) -> Step:
        if not isinstance(raw, dict):
            raise ProfileError(path, f"a step must be an object, got {_kind(raw)}")
        pump = self.choice(raw, "pump", f"{path}.pump", Pump)
        setpoint_key = pump.value  # "pressure" or "flow"
        setpoint = self.required_number(raw, setpoint_key, f"{path}.{setpoint_key}")

        if "volume" in raw and raw["volume"] is not None:
            volume = self.number(raw["volume"], f"{path}.volume")
        else:
            self.warnings.append(f"{path}.volume: missing; no volume limit for this frame")
            volume = 0.0

        weight = self.optional_number(raw, "weight", f"{path}.weight")
        if weight is not None and weight <= 0:
            weight = None  # de1app: 0 means "no move-on weight"

        name = self.text(raw, "name", f"{path}.name")
        return Step(
            name=name if name is not None else "",
            pump=pump,
            setpoint=setpoint,
            transition=self.choice(raw, "transition", f"{path}.transition", Transition),
            temperature=self.required_number(raw, "temperature", f"{path}.temperature"),
            sensor=self.choice(raw, "sensor", f"{path}.sensor", Sensor),
            seconds=self.required_number(raw, "seconds", f"{path}.seconds"),
            volume=volume,
            weight=weight,
            exit=self.exit(raw.get("exit"), f"{path}.exit"),
            limiter=self.limiter(raw.get("limiter"), f"{path}.limiter"),
        )

    def exit(self, raw: Any, path: str) -> Exit | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise ProfileError(path, f"must be an object with type, condition and value; "
                                     f"got {_kind(raw)}")
        return Exit(
            type=self.choice(raw, "type", f"{path}.type", ExitType),
            condition=self.choice(raw, "condition", f"{path}.condition", ExitCondition),
            value=self.required_number(raw, "value", f"{path}.value"),
        )

    def limiter(self, raw: Any, path: str) -> Limiter | None:
        """de1app's rule: a limiter acts only when its value is present and non-zero."""
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise ProfileError(path, f"must be an object with value and range; got {_kind(raw)}")
        value = self.optional_number(raw, "value", f"{path}.value")
        if value is None or value == 0:
            return None
        if "range" not in raw or raw["range"] is None:
            raise ProfileError(f"{path}.range", "is required when the limiter value is not 0")
        return Limiter(value=value, range=self.number(raw["range"], f"{path}.range"))
