"""The building blocks of the HTTP resource table: leaves, branches, references, resources.

A resource's *mapping* is the shape of its JSON (api-contract §1.8): a branch (a mapping of
names to nodes), a single leaf (``de1/firmware/cancel``) or nothing. Aggregates (``de1``,
``de1/control``...) are branches whose entries are references to other resources, so one
definition serves the leaf resource, every aggregate that contains it, request validation and
the OpenAPI document.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Union


class ValueType(enum.Enum):
    """JSON types of leaves, with pyDE1's acceptance rules (§1.4)."""

    INT = "int"            # an integer; true/false accepted (bool is an int in Python)
    FLOAT = "float"        # any number (and true/false)
    BOOL = "bool"          # true or false
    STR = "str"            # a string (with ``choices``: one of them, exactly)
    NUMBER_LIST = "list"   # an array of numbers or nulls (move_on_weight)
    OBJECT = "object"      # read-only structured value (version's python_info...)


class Access(enum.Enum):
    RW = "RW"   # GET and PATCH
    RO = "RO"   # GET only; PATCH of it is a 400
    WO = "WO"   # PATCH only; never in GET output


class Need(enum.Enum):
    """Devices a leaf needs to be ready (pyDE1's connectivity requirement, §1.2)."""

    DE1 = "DE1"
    SCALE = "Scale"


class Outcome(enum.Enum):
    """What a method on a resource does."""

    ALLOWED = "allowed"
    NOT_PERMITTED = "405"      # ``<METHOD> not permitted for Resource.<NAME>``
    NOT_IMPLEMENTED = "501"    # ``PUT not yet supported for Resource.<NAME>``


class BodyKind(enum.Enum):
    """How a PUT body is read."""

    JSON = "json"      # validated against the mapping, like PATCH
    TEXT = "text"      # UTF-8 text (scan: a DeviceRole value)
    BYTES = "bytes"    # raw bytes handed over as they are (profiles, firmware)
    IGNORED = "ignored"  # any body (firmware/cancel)


@dataclass(frozen=True)
class Leaf:
    """One value. ``choices`` are exact accepted values (an enumeration: ``enum_name`` names it
    in messages); ``refused`` maps members of the enumeration that exist but may not be written
    to the reason given. ``minimum``/``maximum`` are inclusive; ``zero_always_ok`` lets 0 pass
    the range check (first_drops_threshold); ``pattern`` is a regular expression a string must
    match. ``read_*`` describe GET output when it differs."""

    type: ValueType
    access: Access = Access.RW
    optional: bool = False
    needs: frozenset[Need] = frozenset()
    choices: tuple[Any, ...] = ()
    enum_name: str = ""
    refused: Mapping[Any, str] = field(default_factory=lambda: MappingProxyType({}))
    minimum: float | None = None
    maximum: float | None = None
    zero_always_ok: bool = False
    pattern: str | None = None      # a STR value must match it entirely
    read_type: ValueType | None = None
    read_optional: bool | None = None
    read_choices: tuple[Any, ...] | None = None
    description: str = ""

    @property
    def readable(self) -> bool:
        return self.access is not Access.WO

    @property
    def writable(self) -> bool:
        return self.access is not Access.RO

    @property
    def output_type(self) -> ValueType:
        return self.read_type or self.type

    @property
    def output_optional(self) -> bool:
        return self.optional if self.read_optional is None else self.read_optional

    @property
    def output_choices(self) -> tuple[Any, ...]:
        return self.choices if self.read_choices is None else self.read_choices


@dataclass(frozen=True)
class Ref:
    """An entry of an aggregate: the whole mapping of another resource."""

    path: str


Node = Union[Leaf, Ref, Mapping[str, "Node"]]


def branch(**entries: Node) -> Mapping[str, Node]:
    """A read-only mapping node (keyword order is kept: it is the GET order before sorting)."""
    return MappingProxyType(dict(entries))


@dataclass(frozen=True, repr=False)
class Resource:
    path: str                       # without the server root, e.g. "de1/control/espresso"
    name: str                       # pyDE1's enum name, used in 405/501 messages
    get: Outcome = Outcome.NOT_PERMITTED
    patch: Outcome = Outcome.NOT_PERMITTED
    put: Outcome = Outcome.NOT_PERMITTED
    mapping: Node | None = None
    put_body: BodyKind | None = None
    put_needs: frozenset[Need] = frozenset()
    summary: str = ""
    #: Answered by the gateway itself (version, logs...); the OpenAPI schema of its GET output.
    local_schema: Mapping[str, Any] | None = None
    #: Path parameter pattern, for the one parameterised resource (log/{id}).
    parameter: tuple[str, str] | None = None

    def __repr__(self) -> str:
        return f"Resource({self.path!r}, {self.name}, allows={'/'.join(self.allowed_methods) or '-'})"

    def outcome(self, method: str) -> Outcome | None:
        """ALLOWED / NOT_PERMITTED / NOT_IMPLEMENTED for GET, PATCH, PUT; None for other methods."""
        return {"GET": self.get, "PATCH": self.patch, "PUT": self.put}.get(method)

    @property
    def allowed_methods(self) -> tuple[str, ...]:
        return tuple(m for m in ("GET", "PATCH", "PUT") if self.outcome(m) is Outcome.ALLOWED)

    @property
    def is_aggregate(self) -> bool:
        return isinstance(self.mapping, Mapping) and any(
            isinstance(n, Ref) for n in self.mapping.values())


def leaves(node: Node | None, resolve, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Leaf]]:
    """Every (path, leaf) under ``node``; ``resolve(path)`` gives the Resource a Ref points to."""
    if node is None:
        return
    if isinstance(node, Leaf):
        yield prefix, node
    elif isinstance(node, Ref):
        yield from leaves(resolve(node.path).mapping, resolve, prefix)
    else:
        for name, child in node.items():
            yield from leaves(child, resolve, prefix + (name,))
