"""Fixed-point number types of the DE1 wire protocol.

Names follow the firmware's convention: ``UnPm`` is an unsigned n-bit field with m fractional bits
(value = raw / 2**m), ``SnPm`` the signed two's-complement variant, ``F8_1_7`` the one-byte
"fine below 12.75, coarse above" duration, ``U10P0`` a 10-bit volume in a 16-bit field. Multi-byte
fields are big-endian on the wire.

Encoding rounds half away from zero, as de1app (the reference implementation) does. A value that
does not fit is clamped to the nearest representable value, and the clamp is *reported*: the
strict ``encode``/``pack`` raise ``EncodeError``; ``encode_clamped``/``pack_clamped`` return the
raw value together with a ``Clamp`` record (``None`` when nothing was clamped) so that callers can
warn. Nothing is ever clamped silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from pyde1.protocol.errors import DecodeError, EncodeError

__all__ = [
    "Clamp", "FixedType", "F8_1_7Type", "U10P0Type", "round_half_away",
    "U8P0", "U8P1", "U8P4", "U16P0", "U16P8", "U16P12", "U24P0", "U24P16", "U32P0",
    "S32P16", "U64P0", "F8_1_7", "U10P0", "FIXED_TYPES",
]


def round_half_away(x: float) -> int:
    """Round to the nearest integer, ties away from zero (Tcl's ``round``)."""
    magnitude = abs(x)
    whole = math.floor(magnitude)
    # magnitude - whole is exact for binary floats, so the tie test is exact too.
    if magnitude - whole >= 0.5:
        whole += 1
    return int(whole) if x >= 0 else -int(whole)


@dataclass(frozen=True)
class Clamp:
    """Report of a value that did not fit its wire type and was clamped."""

    type_name: str
    requested: float
    used: float
    field: str = ""

    def with_field(self, field: str) -> "Clamp":
        return replace(self, field=field)

    def __str__(self) -> str:
        where = f"{self.field} " if self.field else ""
        return (f"{where}{self.requested!r} is outside the {self.type_name} range; "
                f"clamped to {self.used!r}")


def _checked_number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EncodeError(field, value, "not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise EncodeError(field, value, "not a finite number")
    return value


@dataclass(frozen=True)
class FixedType:
    """A big-endian fixed-point field: ``size`` bytes, ``frac_bits`` fractional bits."""

    name: str
    size: int
    frac_bits: int = 0
    signed: bool = False

    # --- ranges -------------------------------------------------------------------------------
    @property
    def scale(self) -> int:
        return 1 << self.frac_bits

    @property
    def raw_min(self) -> int:
        return -(1 << (8 * self.size - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        bits = 8 * self.size - (1 if self.signed else 0)
        return (1 << bits) - 1

    @property
    def min_value(self) -> float:
        return self.decode(self.raw_min)

    @property
    def max_value(self) -> float:
        return self.decode(self.raw_max)

    @property
    def step(self) -> float:
        return 1 / self.scale

    # --- decoding -----------------------------------------------------------------------------
    def decode(self, raw: int) -> float:
        """Raw integer (already sign-interpreted) to value; ints stay ints for P0 types."""
        if not self.raw_min <= raw <= self.raw_max:
            raise DecodeError(self.name, self.size, f"raw value {raw} outside "
                              f"{self.raw_min}..{self.raw_max}")
        if self.frac_bits == 0:
            return raw
        return raw / self.scale

    def unpack(self, data: bytes, offset: int = 0) -> float:
        """Decode the big-endian field at ``offset`` of ``data``."""
        chunk = bytes(data[offset:offset + self.size])
        if len(chunk) != self.size:
            raise DecodeError(self.name, len(data), f"needs {self.size} bytes at offset {offset}")
        return self.decode(int.from_bytes(chunk, "big", signed=self.signed))

    # --- encoding -----------------------------------------------------------------------------
    def _ideal_raw(self, value: float) -> int:
        return round_half_away(value * self.scale)

    def encode_clamped(self, value: float, field: str = "") -> tuple[int, Clamp | None]:
        """Value to raw integer, clamped into range; the ``Clamp`` says what happened."""
        number = _checked_number(value, field or self.name)
        raw = self._ideal_raw(number)
        if raw < self.raw_min:
            used = self.raw_min
        elif raw > self.raw_max:
            used = self.raw_max
        else:
            return raw, None
        return used, Clamp(self.name, number, self.decode(used), field)

    def encode(self, value: float, field: str = "") -> int:
        """Value to raw integer; a value that does not fit raises ``EncodeError``."""
        raw, clamp = self.encode_clamped(value, field)
        if clamp is not None:
            raise EncodeError(field or self.name, value,
                              f"outside the {self.name} range {self.min_value}..{self.max_value}")
        return raw

    def raw_to_bytes(self, raw: int) -> bytes:
        return raw.to_bytes(self.size, "big", signed=self.signed)

    def pack(self, value: float, field: str = "") -> bytes:
        return self.raw_to_bytes(self.encode(value, field))

    def pack_clamped(self, value: float, field: str = "") -> tuple[bytes, Clamp | None]:
        raw, clamp = self.encode_clamped(value, field)
        return self.raw_to_bytes(raw), clamp

    def representable(self, value: float) -> bool:
        """True if ``value`` decodes back from its encoding unchanged."""
        raw, clamp = self.encode_clamped(value)
        return clamp is None and self.decode(raw) == value


@dataclass(frozen=True)
class F8_1_7Type(FixedType):
    """One byte: bit 7 clear → (low 7 bits) × 0.1 s; bit 7 set → (low 7 bits) × 1 s."""

    name: str = "F8_1_7"
    size: int = 1

    FINE_LIMIT = 12.75  # values below this use the 0.1 s range

    @property
    def raw_max(self) -> int:
        return 0xFF

    @property
    def min_value(self) -> float:
        return 0.0

    @property
    def max_value(self) -> float:
        return 127

    @property
    def step(self) -> float:
        return 0.1

    def decode(self, raw: int) -> float:
        if not 0 <= raw <= 0xFF:
            raise DecodeError(self.name, 1, f"raw value {raw} outside 0..255")
        if raw & 0x80:
            return raw & 0x7F
        return (raw & 0x7F) / 10

    def encode_clamped(self, value: float, field: str = "") -> tuple[int, Clamp | None]:
        number = _checked_number(value, field or self.name)
        if number < 0:
            return 0, Clamp(self.name, number, 0.0, field)
        if number < self.FINE_LIMIT:
            return min(round_half_away(number * 10), 0x7F), None
        whole = round_half_away(number)
        if whole > 127:
            return 0xFF, Clamp(self.name, number, 127, field)
        return 0x80 | whole, None


@dataclass(frozen=True)
class U10P0Type(FixedType):
    """Volume in ml in the low 10 bits of a 16-bit field; the top 6 bits are flags, not value."""

    name: str = "U10P0"
    size: int = 2

    VALUE_MASK = 0x03FF

    @property
    def raw_max(self) -> int:
        return self.VALUE_MASK

    def decode(self, raw: int) -> float:
        if not 0 <= raw <= 0xFFFF:
            raise DecodeError(self.name, 2, f"raw value {raw} outside 0..65535")
        return raw & self.VALUE_MASK

    def unpack(self, data: bytes, offset: int = 0) -> float:
        chunk = bytes(data[offset:offset + 2])
        if len(chunk) != 2:
            raise DecodeError(self.name, len(data), f"needs 2 bytes at offset {offset}")
        return int.from_bytes(chunk, "big") & self.VALUE_MASK

    def flags(self, raw: int) -> int:
        """The non-volume bits of a raw U10P0 field (e.g. 0x0400 on de1app frames)."""
        return raw & ~self.VALUE_MASK & 0xFFFF


U8P0 = FixedType("U8P0", 1)
U8P1 = FixedType("U8P1", 1, 1)
U8P4 = FixedType("U8P4", 1, 4)
U16P0 = FixedType("U16P0", 2)
U16P8 = FixedType("U16P8", 2, 8)
U16P12 = FixedType("U16P12", 2, 12)
U24P0 = FixedType("U24P0", 3)
U24P16 = FixedType("U24P16", 3, 16)
U32P0 = FixedType("U32P0", 4)
S32P16 = FixedType("S32P16", 4, 16, signed=True)
U64P0 = FixedType("U64P0", 8)
F8_1_7 = F8_1_7Type()
U10P0 = U10P0Type()

FIXED_TYPES: dict[str, FixedType] = {
    t.name: t for t in (U8P0, U8P1, U8P4, U16P0, U16P8, U16P12, U24P0, U24P16, U32P0, S32P16,
                        U64P0, F8_1_7, U10P0)
}
