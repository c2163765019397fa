"""Reading typed values out of a de1app profile's key/value pairs, with errors that name the key."""

from __future__ import annotations

import math
import re
from typing import Mapping

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE_WORDS = {"true", "yes", "on"}
_FALSE_WORDS = {"false", "no", "off"}


class TclProfileError(ValueError):
    """A de1app profile that cannot be converted. ``key`` names the Tcl key (steps as
    ``advanced_shot[2].pressure``, the whole text as ``$``) and ``reason`` says what was wrong."""

    def __init__(self, key: str, reason: str):
        self.key = key or "$"
        self.reason = reason
        super().__init__(f"{self.key}: {reason}")


Number = int | float


def parse_number(key: str, text: str) -> Number:
    """A Tcl number as written: ``36`` → 36, ``88.00`` → 88.0. Anything else is an error."""
    stripped = text.strip()
    if _INTEGER.fullmatch(stripped):
        return int(stripped)
    if _DECIMAL.fullmatch(stripped):
        value = float(stripped)
        if math.isfinite(value):
            return value
    raise TclProfileError(key, f"expected a number, found {text!r}")


def step_number(value: Number) -> Number:
    """Numbers inside steps: rounded to 4 decimals, whole values written as integers."""
    rounded = round(float(value), 4)
    if rounded == int(rounded):
        return int(rounded)
    return rounded


def is_blank(text: str | None) -> bool:
    return text is None or text.strip() == ""


class Reader:
    """Typed access to one Tcl key/value mapping; ``prefix`` is put before key names in errors."""

    def __init__(self, pairs: Mapping[str, str], prefix: str = ""):
        self.pairs = pairs
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def has(self, key: str) -> bool:
        return not is_blank(self.pairs.get(key))

    def text(self, key: str) -> str | None:
        """The value as text, or None when the key is absent."""
        return self.pairs.get(key)

    def required_text(self, key: str) -> str:
        value = self.pairs.get(key)
        if value is None:
            raise TclProfileError(self.name(key), "missing")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.required_text(key).strip()
        if value not in allowed:
            raise TclProfileError(
                self.name(key), f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def number(self, key: str) -> Number:
        """A required number."""
        value = self.pairs.get(key)
        if value is None:
            raise TclProfileError(self.name(key), "missing")
        if is_blank(value):
            raise TclProfileError(self.name(key), "empty, expected a number")
        return parse_number(self.name(key), value)

    def number_or(self, key: str, default: Number | None) -> Number | None:
        """A number, or ``default`` when the key is absent or empty (``{}``)."""
        if not self.has(key):
            return default
        return parse_number(self.name(key), self.pairs[key])

    def flag(self, key: str) -> bool:
        """A Tcl boolean (``0``/``1``, ``true``/``false`` …); required."""
        value = self.required_text(key).strip()
        lowered = value.lower()
        if lowered in _TRUE_WORDS:
            return True
        if lowered in _FALSE_WORDS:
            return False
        try:
            return parse_number(self.name(key), value) != 0
        except TclProfileError:
            raise TclProfileError(self.name(key), f"expected 0 or 1, found {value!r}") from None
