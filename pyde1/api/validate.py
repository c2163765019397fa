"""Whole-request validation of PATCH and PUT bodies against the resource table (§1.4).

Everything is checked before anything is applied: keys, read-only leaves, types, enumerations
and ranges. The result is a cleaned copy of the body (ints for int leaves, floats for float
leaves, lists for move_on_weight) in the client's key order, which is the order the writes are
applied in. Paths in messages are joined with ``:`` as pyDE1 does (``control:espresso:foo``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from pyde1.api import errors
from pyde1.api.model import Leaf, Need, Ref, Resource, ValueType, leaves
from pyde1.api.resources import BY_PATH

MAX_DEPTH = 32


def resolve(path: str) -> Resource:
    return BY_PATH[path]


def parse_json(body: bytes) -> Any:
    """JSON from a request body; 400 ``JSONDecodeError('…')`` as pyDE1 for bad syntax.

    Unlike pyDE1, ``NaN`` and ``Infinity`` are refused: no DE1 value can hold them."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.ApiError.of(400, "UnicodeDecodeError",
                                 f"body is not UTF-8 (byte {exc.start}: {exc.reason})") from None

    def refuse(name: str) -> Any:
        raise errors.ApiError.of(400, "JSONDecodeError", f"{name} is not a valid JSON value")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise errors.ApiError(400, repr(exc)) from None
    except RecursionError:
        raise errors.ApiError.of(400, "JSONDecodeError", "nested too deeply") from None


def _where(path: tuple[str, ...]) -> str:
    return ":".join(path)


def _leaf(leaf: Leaf, value: Any, path: tuple[str, ...]) -> Any:
    where = _where(path)
    if not leaf.writable:
        raise errors.attribute_error(f"Unable to write {where}: it is read-only")
    if value is None:
        if leaf.optional:
            return None
        raise errors.type_error(f"Expected {leaf.type.value} value at {where}, not None "
                                f"(null is not accepted)")
    t = leaf.type
    if t is ValueType.INT:
        if not isinstance(value, int):
            raise errors.type_error(f"Expected int value at {where}, not {errors.describe(value)}")
        value = int(value)
    elif t is ValueType.FLOAT:
        if not isinstance(value, (int, float)):
            raise errors.type_error(f"Expected float value at {where}, not {errors.describe(value)}")
        value = float(value)
    elif t is ValueType.BOOL:
        if not isinstance(value, bool):
            raise errors.type_error(f"Expected bool value at {where}, not {errors.describe(value)}")
    elif t is ValueType.STR:
        if not isinstance(value, str):
            raise errors.type_error(f"Expected str value at {where}, not {errors.describe(value)}")
    elif t is ValueType.NUMBER_LIST:
        return _number_list(leaf, value, where)
    else:
        raise errors.attribute_error(f"Unable to write {where}: it is read-only")
    _check_choice(leaf, value, where)
    _check_range(leaf, value, where)
    return value


def _number_list(leaf: Leaf, value: Any, where: str) -> list[float | None]:
    # pyDE1 compared each element's type with the whole list and so refused every array (A2).
    if not isinstance(value, list):
        raise errors.type_error(f"Expected list value at {where}, not {errors.describe(value)}")
    if leaf.maximum is not None and len(value) > leaf.maximum:
        raise errors.value_error(f"{where} has {len(value)} entries; at most {leaf.maximum:g} "
                                 f"(one per DE1 frame)")
    out: list[float | None] = []
    for i, item in enumerate(value):
        if item is None:
            out.append(None)
            continue
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise errors.type_error(f"Expected a number or null at {where}[{i}], "
                                    f"not {errors.describe(item)}")
        if item < 0:
            raise errors.value_error(f"{where}[{i}] must not be negative, not {item}")
        out.append(float(item))
    return out


def _check_choice(leaf: Leaf, value: Any, where: str) -> None:
    if leaf.choices:
        if isinstance(value, bool) or value not in leaf.choices:
            if leaf.enum_name:
                raise errors.value_error(f"{value!r} is not a valid {leaf.enum_name}")
            allowed = " or ".join(repr(c) for c in leaf.choices)
            raise errors.value_error(f"{where} must be {allowed}, not {value!r}")
        reason = leaf.refused.get(value)
        if reason:
            raise errors.value_error(reason)
    if leaf.pattern is not None and not re.fullmatch(leaf.pattern, value):
        raise errors.value_error(f"{where} must match {leaf.pattern}, not {value!r}")


def _check_range(leaf: Leaf, value: Any, where: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise errors.value_error(f"{where} must be a finite number, not {value}")
    if leaf.zero_always_ok and value == 0:
        return
    if leaf.minimum is not None and value < leaf.minimum:
        raise errors.value_error(f"{where} must be at least {leaf.minimum:g}, not {value}")
    if leaf.maximum is not None and value > leaf.maximum:
        raise errors.value_error(f"{where} must be at most {leaf.maximum:g}, not {value}")


def _node(node: Any, value: Any, path: tuple[str, ...]) -> Any:
    if len(path) > MAX_DEPTH:
        raise errors.type_error("Validate: nested too deeply")
    if isinstance(node, Ref):
        node = resolve(node.path).mapping
        if node is None:
            raise errors.attribute_error(f"No mapping found for {_where(path)}")
    if isinstance(node, Leaf):
        return _leaf(node, value, path)
    if not isinstance(value, dict):
        at = _where(path) or "the top level"
        raise errors.type_error(f"Validate: Mapping and patch inconsistent, expected an object "
                                f"at {at}, not {errors.describe(value)}")
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        child = node.get(key)
        if child is None:
            raise errors.attribute_error(f"No mapping found for {_where(path + (key,))}")
        cleaned[key] = _node(child, item, path + (key,))
    return cleaned


def validate_patch(resource: Resource, body: Any) -> Any:
    """The cleaned body, or ApiError(400) naming the first offending field."""
    if resource.mapping is None:
        raise errors.attribute_error(f"No mapping found for {resource.path}")
    return _node(resource.mapping, body, ())


def validate_text(resource: Resource, body: bytes) -> str:
    """A PUT body that is plain UTF-8 text checked against the resource's leaf (``scan``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.value_error(f"body is not UTF-8 (byte {exc.start}: {exc.reason})") from None
    leaf = resource.mapping
    assert isinstance(leaf, Leaf)
    _check_choice(leaf, text, resource.path)
    return text


# -- what a request needs --------------------------------------------------------------------

def _needs(node: Any, value: Any, readable_only: bool) -> set[Need]:
    if isinstance(node, Ref):
        node = resolve(node.path).mapping
    if node is None:
        return set()
    if isinstance(node, Leaf):
        if readable_only and not node.readable:
            return set()
        return set(node.needs)
    out: set[Need] = set()
    for key, child in node.items():
        if value is None:
            out |= _needs(child, None, readable_only)
        elif key in value:
            out |= _needs(child, value[key], readable_only)
    return out


def get_needs(resource: Resource) -> frozenset[Need]:
    """Devices a GET needs: those of every leaf it returns (write-only leaves excluded)."""
    return frozenset(_needs(resource.mapping, None, True))


def patch_needs(resource: Resource, cleaned: Any) -> frozenset[Need]:
    """Devices a PATCH needs: those of the leaves actually sent (pyDE1's rule, §1.2)."""
    if isinstance(resource.mapping, Leaf):
        return frozenset(resource.mapping.needs)
    return frozenset(_needs(resource.mapping, cleaned if isinstance(cleaned, dict) else {}, False))


# -- aggregates --------------------------------------------------------------------------------

def split(resource: Resource, cleaned: Any) -> list[tuple[Resource, Any]]:
    """A validated body as (leaf resource, its part) pairs in the body's order."""
    if not resource.is_aggregate:
        return [(resource, cleaned)]
    out: list[tuple[Resource, Any]] = []
    assert isinstance(resource.mapping, Mapping)
    for key, part in cleaned.items():
        child = resource.mapping[key]
        assert isinstance(child, Ref)
        out.extend(split(resolve(child.path), part))
    return out


def readable_parts(resource: Resource) -> list[tuple[tuple[str, ...], Resource]]:
    """The leaf resources a GET of ``resource`` reads, with where their output goes."""
    if not resource.is_aggregate:
        return [((), resource)]
    out: list[tuple[tuple[str, ...], Resource]] = []
    assert isinstance(resource.mapping, Mapping)
    for key, child in resource.mapping.items():
        assert isinstance(child, Ref)
        target = resolve(child.path)
        if not get_readable(target):
            continue  # de1/mode, scale/tare ...: nothing to read
        out.extend(((key,) + sub, res) for sub, res in readable_parts(target))
    return out


def get_readable(resource: Resource) -> bool:
    if isinstance(resource.mapping, Mapping) and not resource.mapping:
        return True  # an empty mapping reads as {}
    return any(leaf.readable for _, leaf in leaves(resource.mapping, resolve))


def prune(node: Any, data: Any) -> Any:
    """GET output limited to the mapping's readable leaves; missing leaves and empty objects
    left out (pyDE1's PRUNE_EMPTY_NODES). Returns None when nothing is left below ``node``."""
    if isinstance(node, Ref):
        node = resolve(node.path).mapping
    if isinstance(node, Leaf):
        return data
    if not isinstance(node, Mapping) or not isinstance(data, Mapping):
        return None
    out: dict[str, Any] = {}
    for key, child in node.items():
        if key not in data:
            continue
        if isinstance(child, Leaf):
            if child.readable:
                out[key] = data[key]
            continue
        sub = prune(child, data[key])
        if sub:
            out[key] = sub
    return out
