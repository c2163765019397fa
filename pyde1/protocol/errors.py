"""Typed errors of the DE1 protocol layer.

Every failure of a decoder is a ``DecodeError`` naming the characteristic, the packet length and
the reason, so a caller (the DE1 actor, ``pyde1-decode``) can report it in one line. Encoders raise
``EncodeError`` naming the field. Both derive from ``ProtocolError``, which is a ``ValueError`` so
that generic "bad value" handlers also catch them.
"""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base class of every error raised by ``pyde1.protocol``."""


class DecodeError(ProtocolError):
    """A packet could not be decoded: wrong length or an invalid value."""

    def __init__(self, characteristic: str, length: int, reason: str):
        self.characteristic = characteristic
        self.length = length
        self.reason = reason
        super().__init__(f"{characteristic}: cannot decode {length}-byte packet: {reason}")


class EncodeError(ProtocolError):
    """A value cannot be put on the wire (wrong type, NaN, out of range in strict mode)."""

    def __init__(self, field: str, value: object, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: cannot encode {value!r}: {reason}")


class UnknownCharacteristicError(ProtocolError, LookupError):
    """A characteristic name, short UUID or full UUID that is not a DE1 characteristic."""

    def __init__(self, text: str):
        self.text = text
        super().__init__(f"unknown DE1 characteristic {text!r}")


class UnknownRegisterError(ProtocolError, LookupError):
    """An MMR address or register name that is not in the register table."""

    def __init__(self, what: object):
        self.what = what
        if isinstance(what, int):
            shown = f"0x{what:06X}"
        else:
            shown = repr(what)
        super().__init__(f"unknown MMR register {shown}")


class FirmwareImageError(ProtocolError):
    """A firmware image that fails parsing or validation."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"firmware image: {reason}")
