"""Value kinds of configuration leaves: each checks and normalises one YAML value.

A kind's ``check`` returns the value to store (ints become floats for numbers, lists become
tuples, mappings become read-only) or raises ``Invalid`` with one or more messages.
``type_name`` is the short form used in the documentation, ``expectation`` the phrase used
in error messages ("expected an integer 0..65535, got 'abc'")."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

MAX_NESTING = 32
LOG_LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "NOTSET", "WARN", "FATAL")


class Invalid(Exception):
    """A value that does not fit its kind. ``issues`` holds (sub-path, message) pairs; the
    sub-path is empty except for entries inside mappings and lists."""

    def __init__(self, message: str, subpath: str = "",
                 issues: list[tuple[str, str]] | None = None) -> None:
        self.issues = issues if issues is not None else [(subpath, message)]
        super().__init__("; ".join(m for _, m in self.issues))


def show(value: Any) -> str:
    """A value as a user would have written it in YAML, shortened when long."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        text = "a mapping"
    elif isinstance(value, (list, tuple)):
        text = "a list"
    else:
        try:
            text = repr(value)
        except ValueError:          # an integer too long to print
            text = "a very large number"
    return text if len(text) <= 60 else text[:57] + "..."


def freeze(value: Any) -> Any:
    """Deep read-only copy: mappings become MappingProxyType, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again (for json.dumps or an HTTP PATCH body)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    return value


class Kind:
    type_name = "value"
    expectation = "a value"
    nullable = False

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def fail(self, value: Any) -> Invalid:
        return Invalid(f"expected {self.expectation}, got {show(value)}")


def _bounds(low: float | None, high: float | None, low_open: bool) -> str:
    if low is not None and high is not None:
        return f"{low}..{high}"
    if low is not None:
        return f"> {low}" if low_open else f">= {low}"
    if high is not None:
        return f"<= {high}"
    return ""


class Integer(Kind):
    def __init__(self, low: int | None = None, high: int | None = None) -> None:
        self.low, self.high = low, high
        bounds = _bounds(low, high, False)
        self.type_name = f"int {bounds}".strip()
        self.expectation = f"an integer {bounds}".strip()

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(value)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise self.fail(value)
        return value


class Number(Kind):
    """A finite real number; integers are accepted and stored as floats."""

    def __init__(self, low: float | None = None, high: float | None = None,
                 low_open: bool = False) -> None:
        self.low, self.high, self.low_open = low, high, low_open
        bounds = _bounds(low, high, low_open)
        self.type_name = f"float {bounds}".strip()
        self.expectation = f"a number {bounds}".strip()

    def check(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(value)
        try:
            number = float(value)
        except OverflowError:
            raise self.fail(value) from None
        if not math.isfinite(number):
            raise self.fail(value)
        if self.low is not None and (number <= self.low if self.low_open else number < self.low):
            raise self.fail(value)
        if self.high is not None and number > self.high:
            raise self.fail(value)
        return number


class Boolean(Kind):
    type_name = "bool"
    expectation = "true or false"

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(value)
        return value


class Text(Kind):
    """A string. ``rule`` returns an error message for a string that is not acceptable."""

    def __init__(self, rule: Callable[[str], str | None] | None = None,
                 type_name: str = "str") -> None:
        self.rule = rule
        self.type_name = type_name
        self.expectation = "a string"

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, (int, float)) else ""
            raise Invalid(f"expected a string, got {show(value)}{hint}")
        if self.rule is not None:
            message = self.rule(value)
            if message:
                raise Invalid(f"{message}, got {show(value)}")
        return value


class Choice(Kind):
    """One of fixed values. Strings match without regard to case and are stored in the
    canonical spelling."""

    def __init__(self, *options: Any) -> None:
        self.options = options
        self.type_name = " | ".join(str(option) for option in options)
        self.expectation = "one of " + ", ".join(str(option) for option in options)

    def check(self, value: Any) -> Any:
        for option in self.options:
            if isinstance(option, str) and isinstance(value, str):
                if option.lower() == value.lower():
                    return option
            elif type(option) is type(value) and option == value:
                return option
        raise self.fail(value)


class Nullable(Kind):
    nullable = True

    def __init__(self, inner: Kind) -> None:
        self.inner = inner
        self.type_name = f"null | {inner.type_name}"
        self.expectation = f"null or {inner.expectation}"

    def check(self, value: Any) -> Any:
        if value is None:
            return None
        return self.inner.check(value)


class Either(Kind):
    """The first of several kinds that accepts the value."""

    def __init__(self, *kinds: Kind) -> None:
        self.kinds = kinds
        self.type_name = " | ".join(kind.type_name for kind in kinds)
        self.expectation = " or ".join(kind.expectation for kind in kinds)

    def check(self, value: Any) -> Any:
        for kind in self.kinds:
            try:
                return kind.check(value)
            except Invalid:
                continue
        raise self.fail(value)


class TextList(Kind):
    """A list of non-empty strings, stored as a tuple."""

    type_name = "list of str"
    expectation = "a list of non-empty strings"

    def check(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, (list, tuple)):
            raise self.fail(value)
        issues = [(f"[{index}]", f"expected a non-empty string, got {show(item)}")
                  for index, item in enumerate(value) if not isinstance(item, str) or not item]
        if issues:
            raise Invalid("", issues=issues)
        return tuple(value)


class LogLevel(Kind):
    """A logging level name (any case, stored upper case) or a number 0..50."""

    type_name = "log level"
    expectation = "a log level (" + ", ".join(LOG_LEVEL_NAMES[:6]) + " or 0..50)"

    def check(self, value: Any) -> str | int:
        if isinstance(value, str) and value.upper() in LOG_LEVEL_NAMES:
            return value.upper()
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 50:
            return value
        raise self.fail(value)


class LevelMap(Kind):
    """Logger name → level. A null value means no entries (pyDE1's file suggests commenting
    out every entry, which leaves the key with no value)."""

    type_name = "mapping logger → log level"
    expectation = "a mapping of logger names to log levels"

    def check(self, value: Any) -> MappingProxyType:
        if value is None:
            return MappingProxyType({})
        if not isinstance(value, Mapping):
            raise self.fail(value)
        issues, result, level = [], {}, LogLevel()
        for name, item in value.items():
            if not isinstance(name, str) or not name:
                issues.append(("", f"logger name must be a non-empty string, got {show(name)}"))
                continue
            try:
                result[name] = level.check(item)
            except Invalid as exc:
                issues.extend((name, message) for _, message in exc.issues)
        if issues:
            raise Invalid("", issues=issues)
        return MappingProxyType(result)


class JsonMapping(Kind):
    """A mapping with string keys whose values JSON can carry (nested mappings, lists,
    strings, finite numbers, booleans, null), stored read-only (see ``thaw``)."""

    type_name = "mapping"
    expectation = "a mapping"

    def check(self, value: Any) -> MappingProxyType:
        if not isinstance(value, Mapping):
            raise self.fail(value)
        issues: list[tuple[str, str]] = []
        self._walk(value, "", 0, issues)
        if issues:
            raise Invalid("", issues=issues)
        return freeze(value)

    def _walk(self, value: Any, path: str, depth: int, issues: list[tuple[str, str]]) -> None:
        if depth > MAX_NESTING:
            issues.append((path, f"nested more than {MAX_NESTING} levels deep"))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    issues.append((path, f"keys must be strings, got {show(key)}"))
                else:
                    self._walk(item, f"{path}.{key}" if path else key, depth + 1, issues)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                self._walk(item, f"{path}[{index}]", depth + 1, issues)
        elif isinstance(value, float) and not math.isfinite(value):
            issues.append((path, f"numbers must be finite, got {show(value)}"))
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            issues.append((path, f"JSON cannot carry {type(value).__name__} value {show(value)}"))


def matches(pattern: str, message: str) -> Callable[[str], str | None]:
    """A Text rule: the whole string must match ``pattern``."""
    compiled = re.compile(pattern)
    return lambda text: None if compiled.fullmatch(text) else message
