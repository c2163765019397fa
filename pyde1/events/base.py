"""Common base of every event payload: wire order, JSON, decoding with typed errors.

Wire shape (api-contract §2.3): ``arrival_time``, ``create_time``, the class's own
fields in declaration order, then ``version``, ``event_time``, ``sender``, ``class``.
JSON is exactly ``json.dumps`` of that dict with default settings (NaN allowed).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import time
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

COMMON_LEADING_KEYS = ("arrival_time", "create_time")
COMMON_TRAILING_KEYS = ("version", "event_time", "sender", "class")
_COMMON_FIELDS = frozenset({"arrival_time", "create_time", "event_time", "sender"})


class EventDecodeError(ValueError):
    """A payload key is missing or holds a value of the wrong type or range.

    Raised by ``from_dict`` and by the constructors (which check the same rules).
    ``key`` is the offending key (``None`` when the payload as a whole is wrong).
    """

    def __init__(self, event_class: str, key: str | None, reason: str):
        self.event_class = event_class
        self.key = key
        self.reason = reason
        where = f"{event_class}: key {key!r}" if key is not None else event_class
        super().__init__(f"{where}: {reason}")


class _BadValue(Exception):
    """Internal: a converter rejected a value; the caller adds the key and class."""


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _number(value: Any) -> float | int:
    # Ints are kept as they are: pyDE1 writes some "number" fields as ints and a
    # replayed payload must serialise back to the same text.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _BadValue(f"expected a number, got {_describe(value)}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadValue(f"expected an integer, got {_describe(value)}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _BadValue(f"expected true or false, got {_describe(value)}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _BadValue(f"expected a string, got {_describe(value)}")
    return value


def _enum_converter(enum_type: type[enum.Enum]) -> Callable[[Any], enum.Enum]:
    def convert(value: Any) -> enum.Enum:
        if isinstance(value, enum_type):
            return value
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in enum_type)
            raise _BadValue(f"expected one of {allowed}, got {_describe(value)}") from None
    return convert


def _optional(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return None if value is None else inner(value)
    return convert


def _sequence_of(inner: Callable[[Any], Any]) -> Callable[[Any], tuple]:
    def convert(value: Any) -> tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise _BadValue(f"expected a list, got {_describe(value)}")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(inner(item))
            except _BadValue as exc:
                raise _BadValue(f"item {index}: {exc}") from None
        return tuple(items)
    return convert


def _record_converter(record_type: type) -> Callable[[Any], Any]:
    """Nested plain records (e.g. ScanDevice) given as an instance or a mapping."""

    def convert(value: Any) -> Any:
        if isinstance(value, record_type):
            return value
        if not isinstance(value, Mapping):
            raise _BadValue(f"expected an object, got {_describe(value)}")
        try:
            return record_type.from_dict(value)
        except EventDecodeError as exc:
            raise _BadValue(f"{exc.key}: {exc.reason}") from None
    return convert


def _converter_for(tp: Any) -> Callable[[Any], Any]:
    """Build a check-and-normalise function from a field's type annotation."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) != 1 or len(typing.get_args(tp)) != 2:
            raise TypeError(f"unsupported union annotation {tp!r}")
        return _optional(_converter_for(members[0]))
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"only tuple[X, ...] is supported, not {tp!r}")
        return _sequence_of(_converter_for(args[0]))
    if tp is float:
        return _number
    if tp is bool:
        return _boolean
    if tp is int:
        return _integer
    if tp is str:
        return _string
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_converter(tp)
    if isinstance(tp, type) and hasattr(tp, "from_dict") and hasattr(tp, "to_dict"):
        return _record_converter(tp)
    raise TypeError(f"no converter for field type {tp!r}")


def _wire_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_wire_value(item) for item in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


@functools.cache
def _own_fields(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """(name, converter) of a class's own payload fields, in wire order."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _converter_for(hints[f.name]))
                 for f in dataclasses.fields(cls) if f.name not in _COMMON_FIELDS)


def _clock() -> float:
    return time.time()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every payload. Construct subclasses with keywords only.

    Omitted common fields are filled in: ``create_time`` = now (``time.time()``),
    ``arrival_time`` and ``event_time`` = ``create_time``, ``sender`` =
    ``DEFAULT_SENDER`` (classes sent by a scale or device class have none and
    need ``sender``). Pass explicit values for deterministic results.
    """

    VERSION: ClassVar[str] = ""
    PUBLISHED: ClassVar[bool] = True
    DEFAULT_SENDER: ClassVar[str | None] = None

    arrival_time: float = None  # type: ignore[assignment]  # filled in __post_init__
    create_time: float = None  # type: ignore[assignment]
    event_time: float = None  # type: ignore[assignment]
    sender: str = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        cls = type(self)
        name = cls.__name__
        if type(self) is Event:
            raise TypeError("Event is abstract: construct one of its subclasses")
        if self.create_time is None:
            object.__setattr__(self, "create_time", _clock())
        for key in ("arrival_time", "event_time"):
            if getattr(self, key) is None:
                object.__setattr__(self, key, self.create_time)
        if self.sender is None:
            if cls.DEFAULT_SENDER is None:
                raise EventDecodeError(
                    name, "sender", "required: this payload class has no default sender")
            object.__setattr__(self, "sender", cls.DEFAULT_SENDER)
        checks = [(key, _number) for key in ("arrival_time", "create_time", "event_time")]
        checks.append(("sender", _string))
        checks.extend(_own_fields(cls))
        for key, convert in checks:
            value = getattr(self, key)
            try:
                normalised = convert(value)
            except _BadValue as exc:
                raise EventDecodeError(name, key, str(exc)) from None
            if normalised is not value:
                object.__setattr__(self, key, normalised)
        if not self.sender:
            raise EventDecodeError(name, "sender", "must not be empty")

    # -- wire form -------------------------------------------------------------

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The class's own payload keys, in wire order (without the common keys)."""
        return tuple(key for key, _ in _own_fields(cls))

    @classmethod
    def wire_keys(cls) -> tuple[str, ...]:
        """Every key of the payload, in wire order."""
        return COMMON_LEADING_KEYS + cls.field_names() + COMMON_TRAILING_KEYS

    def to_dict(self) -> dict[str, Any]:
        """The payload as pyDE1 publishes it: keys in wire order, enums as values."""
        out: dict[str, Any] = {"arrival_time": self.arrival_time, "create_time": self.create_time}
        for key in self.field_names():
            out[key] = _wire_value(getattr(self, key))
        out["version"] = self.VERSION
        out["event_time"] = self.event_time
        out["sender"] = self.sender
        out["class"] = type(self).__name__
        return out

    def to_json(self) -> str:
        """``json.dumps(self.to_dict())``: default separators, unsorted, NaN as ``NaN``."""
        return json.dumps(self.to_dict())

    @classmethod
    def topic(cls, root: str) -> str:
        """MQTT topic ``<root>/<class>``. Internal-only classes have none (ValueError)."""
        if not cls.PUBLISHED:
            raise ValueError(f"{cls.__name__} is internal and is never published to MQTT")
        return f"{root}/{cls.__name__}"

    def with_event_time(self, event_time: float) -> Event:
        """A copy stamped with the time it was published internally."""
        return dataclasses.replace(self, event_time=event_time)

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any], *, strict: bool = True) -> Event:
        """Rebuild an event from a payload dict (e.g. ``json.loads`` of an MQTT message).

        ``class`` must name this class when present. With ``strict`` (default)
        ``class`` and ``version`` must be present, ``version`` must equal
        ``VERSION`` and unknown keys are refused. Without it, ``class`` and
        ``version`` may be absent, another version is accepted and unknown keys
        (e.g. a database row's ``sequence_id``) are ignored.
        Raises EventDecodeError naming the key.
        """
        name = cls.__name__
        if cls is Event:
            raise TypeError("use pyde1.events.decode() or a concrete payload class")
        if not isinstance(payload, Mapping):
            raise EventDecodeError(
                name, None, f"payload must be an object, got {_describe(payload)}")
        if "class" in payload and payload["class"] != name:
            raise EventDecodeError(name, "class", f"payload is of class {payload['class']!r}")
        if strict:
            for key in ("class", "version"):
                if key not in payload:
                    raise EventDecodeError(name, key, "missing")
            if payload["version"] != cls.VERSION:
                got = _describe(payload["version"])
                raise EventDecodeError(name, "version", f"expected {cls.VERSION!r}, got {got}")
            known = set(cls.wire_keys())
            unknown = [key for key in payload if key not in known]
            if unknown:
                raise EventDecodeError(name, unknown[0], "unknown key")
        kwargs: dict[str, Any] = {}
        for key in ("arrival_time", "create_time", "event_time", "sender") + cls.field_names():
            if key not in payload:
                raise EventDecodeError(name, key, "missing")
            kwargs[key] = payload[key]
        for key in ("arrival_time", "create_time", "event_time", "sender"):
            if kwargs[key] is None:  # the constructor would fill it in; a payload must carry it
                expected = "a string" if key == "sender" else "a number"
                raise EventDecodeError(name, key, f"expected {expected}, got null")
        return cls(**kwargs)

