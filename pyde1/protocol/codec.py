"""Shared machinery of the packet codecs: field layouts, length checks, clamping reports.

A packet class is a frozen dataclass deriving from ``Packet`` that lists its wire layout in
``FIELDS``. The generic ``decode``/``encode`` walk that layout; classes whose fields are enums or
need validation override the ``_from_wire``/``_to_wire`` hooks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pyde1.protocol.errors import DecodeError, EncodeError
from pyde1.protocol.fixed import Clamp, FixedType

__all__ = ["Field", "Packet", "as_bytes", "json_value"]

P = TypeVar("P", bound="Packet")


@dataclass(frozen=True)
class Field:
    attr: str        # Python attribute name (snake_case)
    wire: str        # the reference's field name (e.g. "TargetSteamTemp")
    type: FixedType


def as_bytes(characteristic: str, data: object) -> bytes:
    """Accept bytes-like input only; anything else is a ``DecodeError``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise DecodeError(characteristic, 0, f"expected bytes, got {type(data).__name__}")


def json_value(value: Any) -> Any:
    """Plain JSON-able form of a decoded value: enum members by name, bytes as hex."""
    if isinstance(value, enum.Flag) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


class Packet:
    """Base class of every characteristic payload codec."""

    CHARACTERISTIC: ClassVar[str] = ""   # short UUID, e.g. "a00d"
    NAME: ClassVar[str] = ""             # characteristic name for messages, e.g. "ShotSample"
    FIELDS: ClassVar[tuple[Field, ...]] = ()

    # --- sizes --------------------------------------------------------------------------------
    @classmethod
    def size(cls) -> int:
        return sum(f.type.size for f in cls.FIELDS)

    @classmethod
    def _fail(cls, data: bytes, reason: str) -> DecodeError:
        return DecodeError(cls.NAME, len(data), reason)

    @classmethod
    def _check_length(cls, data: bytes, minimum: int, maximum: int | None = None) -> None:
        maximum = minimum if maximum is None else maximum
        if minimum <= len(data) <= maximum:
            return
        if minimum == maximum:
            expected = f"{minimum} bytes"
        else:
            expected = f"{minimum} to {maximum} bytes"
        raise cls._fail(data, f"expected {expected}")

    # --- generic decode -----------------------------------------------------------------------
    @classmethod
    def decode(cls: type[P], data: bytes) -> P:
        data = as_bytes(cls.NAME, data)
        cls._check_length(data, cls.size())
        values: dict[str, Any] = {}
        offset = 0
        for field in cls.FIELDS:
            values[field.attr] = field.type.unpack(data, offset)
            offset += field.type.size
        return cls._from_wire(data, values)

    @classmethod
    def _from_wire(cls: type[P], data: bytes, values: dict[str, Any]) -> P:
        return cls(**values)

    # --- generic encode -----------------------------------------------------------------------
    def _to_wire(self) -> dict[str, Any]:
        return {f.attr: getattr(self, f.attr) for f in self.FIELDS}

    def encode_clamped(self) -> tuple[bytes, tuple[Clamp, ...]]:
        """Payload bytes, clamping out-of-range fields; the clamps are returned for warnings."""
        values = self._to_wire()
        out = bytearray()
        clamps: list[Clamp] = []
        for field in self.FIELDS:
            chunk, clamp = field.type.pack_clamped(values[field.attr],
                                                   f"{self.NAME}.{field.wire}")
            out += chunk
            if clamp is not None:
                clamps.append(clamp)
        return bytes(out), tuple(clamps)

    def encode(self) -> bytes:
        """Payload bytes; any field out of range raises ``EncodeError`` naming the field."""
        payload, clamps = self.encode_clamped()
        if clamps:
            first = clamps[0]
            raise EncodeError(first.field, first.requested,
                              f"outside the {first.type_name} range (would be clamped to "
                              f"{first.used!r})")
        return payload

    # --- presentation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Decoded fields under the reference's field names, JSON-able."""
        return {f.wire: json_value(getattr(self, f.attr)) for f in self.FIELDS}
