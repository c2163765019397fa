"""A small reader for Tcl lists, enough for de1app profile files.

A de1app ``.tcl`` profile is one Tcl list of ``key value`` pairs (de1app loads it with
``array set``). Values are bare words, brace-quoted text (``{two words}``, nesting allowed,
no substitution inside) or double-quoted text (backslash escapes substituted). A step list
such as ``advanced_shot`` is a braced list whose elements are braced key/value lists, so the
same reader is applied again to the value.

Only the list syntax is handled: no command or variable substitution (``[...]`` and ``$x``
stay literal), which is what ``array set`` on file contents does too.
"""

from __future__ import annotations

_WHITESPACE = " \t\n\r\v\f"

_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}


class TclSyntaxError(ValueError):
    """The text is not a well-formed Tcl list. ``offset`` is the character index of the problem."""

    def __init__(self, reason: str, offset: int):
        super().__init__(f"{reason} (at character {offset})")
        self.reason = reason
        self.offset = offset


def split_list(text: str) -> list[str]:
    """Split a Tcl list into its elements, as Tcl's ``lindex``/``array set`` would see them."""
    elements: list[str] = []
    pos = 0
    end = len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            return elements
        char = text[pos]
        if char == "{":
            element, pos = _read_braced(text, pos)
        elif char == '"':
            element, pos = _read_quoted(text, pos)
        else:
            element, pos = _read_bare(text, pos)
        elements.append(element)


def split_dict(text: str) -> list[tuple[str, str]]:
    """Split a Tcl list of ``key value`` pairs, keeping their order (and any repeated key)."""
    elements = split_list(text)
    if len(elements) % 2:
        raise TclSyntaxError(
            f"a key/value list needs an even number of elements, found {len(elements)}"
            f" (last key {elements[-1]!r} has no value)", len(text))
    return list(zip(elements[0::2], elements[1::2]))


def _read_braced(text: str, start: int) -> tuple[str, int]:
    depth = 0
    pos = start
    end = len(text)
    while pos < end:
        char = text[pos]
        if char == "\\":
            pos += 2  # an escaped brace does not count for nesting; the backslash stays
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                _require_separator(text, pos + 1, "braces")
                return text[start + 1:pos], pos + 1
        pos += 1
    raise TclSyntaxError("unmatched open brace", start)


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    pos = start + 1
    end = len(text)
    while pos < end:
        char = text[pos]
        if char == '"':
            _require_separator(text, pos + 1, "quotes")
            return "".join(out), pos + 1
        if char == "\\":
            decoded, pos = _read_escape(text, pos)
            out.append(decoded)
            continue
        out.append(char)
        pos += 1
    raise TclSyntaxError("unmatched open quote", start)


def _read_bare(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    pos = start
    end = len(text)
    while pos < end and text[pos] not in _WHITESPACE:
        if text[pos] == "\\":
            decoded, pos = _read_escape(text, pos)
            out.append(decoded)
            continue
        out.append(text[pos])
        pos += 1
    return "".join(out), pos


def _require_separator(text: str, pos: int, what: str) -> None:
    if pos < len(text) and text[pos] not in _WHITESPACE:
        raise TclSyntaxError(
            f"list element in {what} followed by {text[pos]!r} instead of space", pos)


def _read_escape(text: str, pos: int) -> tuple[str, int]:
    """Decode the backslash sequence starting at ``pos``; return (text, next position)."""
    if pos + 1 >= len(text):
        return "\\", pos + 1
    char = text[pos + 1]
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char], pos + 2
    if char == "\n":
        # backslash-newline plus the following blanks become one space
        nxt = pos + 2
        while nxt < len(text) and text[nxt] in " \t":
            nxt += 1
        return " ", nxt
    if char in "xuU":
        limit = {"x": 2, "u": 4, "U": 8}[char]
        digits = _take(text, pos + 2, limit, "0123456789abcdefABCDEF")
        if digits:
            return _chr_or_literal(int(digits, 16), char), pos + 2 + len(digits)
        return char, pos + 2
    if char in "01234567":
        digits = _take(text, pos + 1, 3, "01234567")
        return chr(int(digits, 8) & 0xFF), pos + 1 + len(digits)
    return char, pos + 2


def _take(text: str, pos: int, limit: int, allowed: str) -> str:
    stop = pos
    while stop < len(text) and stop - pos < limit and text[stop] in allowed:
        stop += 1
    return text[pos:stop]


def _chr_or_literal(code: int, kind: str) -> str:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return kind
