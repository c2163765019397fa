"""The Tcl list reader used by the de1app profile converter."""

import pytest

from pyde1.profile.tcl_list import TclSyntaxError, split_dict, split_list


@pytest.mark.parametrize("text, expected", [
    ("", []),
    ("  \n\t ", []),
    ("a b  c", ["a", "b", "c"]),
    ("a {b c} d", ["a", "b c", "d"]),
    ("{}", [""]),
    ("{a {b {c}} d}", ["a {b {c}} d"]),
    ("x {line one\nline two}", ["x", "line one\nline two"]),
    # braces keep backslashes; an escaped brace does not close the element
    (r"{a \} b} c", [r"a \} b", "c"]),
    (r"{no \n escape}", [r"no \n escape"]),
    # quotes and bare words substitute backslash escapes
    (r'"two words" x', ["two words", "x"]),
    (r'"tab\there"', ["tab\there"]),
    (r'"caf\u00e9"', ["café"]),
    (r'"\x41\102"', ["AB"]),
    (r"one\ word two", ["one word", "two"]),
    ('"a {b" c', ["a {b", "c"]),
    ("[not a command] $x", ["[not", "a", "command]", "$x"]),
])
def test_split_list(text, expected):
    assert split_list(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("a {b c", "unmatched open brace"),
    ('a "b c', "unmatched open quote"),
    ("{a}b", "followed by 'b' instead of space"),
    ('"a"b', "followed by 'b' instead of space"),
])
def test_malformed_lists_raise_a_syntax_error_with_position(text, reason):
    with pytest.raises(TclSyntaxError) as caught:
        split_list(text)
    assert reason in caught.value.reason
    assert 0 <= caught.value.offset <= len(text)


def test_split_dict_keeps_order_and_repeats():
    assert split_dict("b 1 a {2 3} b 4") == [("b", "1"), ("a", "2 3"), ("b", "4")]


def test_split_dict_rejects_a_key_without_value():
    with pytest.raises(TclSyntaxError, match="even number of elements, found 3"):
        split_dict("a 1 lonely")


def test_nested_step_list_splits_twice():
    steps = split_list("{name {a b} pump flow} {name c pump pressure}")
    assert [dict(split_dict(step)) for step in steps] == [
        {"name": "a b", "pump": "flow"}, {"name": "c", "pump": "pressure"}]
