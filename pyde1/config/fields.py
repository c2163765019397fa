"""How the schema is declared: leaf keys and sections as dataclass fields carrying their
kind and a one-line help string, and the walk over a schema that the loader and the
documentation share."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, ClassVar

from .errors import ConfigProblem
from .kinds import Kind, freeze


def key(default: Any, kind: Kind, help: str, *, new: bool = False) -> Any:
    """A leaf key. ``new`` marks keys that pyDE1 2.0 does not have."""
    metadata = {"kind": kind, "help": help, "new": new}
    if isinstance(default, (dict, list)):
        frozen = freeze(default)
        return dataclasses.field(default_factory=lambda: frozen, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def section(cls: type, help: str, *, new: bool = False) -> Any:
    """A (sub-)section: a mapping in the file, a nested frozen dataclass in the program."""
    return dataclasses.field(default_factory=cls,
                             metadata={"section": cls, "help": help, "new": new})


def redefault(cls: type, name: str, default: Any, help: str | None = None) -> Any:
    """The key ``name`` of ``cls`` with another default (for the other programs' files)."""
    meta = next(f for f in dataclasses.fields(cls) if f.name == name).metadata
    return key(default, meta["kind"], help or meta["help"], new=meta["new"])


@dataclasses.dataclass(frozen=True)
class SchemaEntry:
    name: str
    path: str
    help: str
    new: bool
    kind: Kind | None = None          # for leaves
    section: type | None = None       # for sections
    default: Any = None


def entries(cls: type, prefix: str = "") -> Iterator[SchemaEntry]:
    """The direct children of a schema class (sections and leaves), in declaration order."""
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if "help" not in meta:
            continue                       # bookkeeping fields such as ``warnings``
        path = f"{prefix}{f.name}"
        if f.default is not dataclasses.MISSING:
            default = f.default
        else:
            default = f.default_factory()  # type: ignore[misc]
        yield SchemaEntry(name=f.name, path=path, help=meta["help"], new=meta["new"],
                          kind=meta.get("kind"), section=meta.get("section"), default=default)


def walk(cls: type, prefix: str = "") -> Iterator[SchemaEntry]:
    """Every section and leaf below ``cls``, depth first."""
    for entry in entries(cls, prefix):
        yield entry
        if entry.section is not None:
            yield from walk(entry.section, entry.path + ".")


#: ENV_PREFIX of each program's schema, here so that the loader can tell one program's
#: variables from another's without importing the other programs' schemas.
ENV_PREFIXES = {"pyde1-run": "PYDE1_", "pyde1-run-visualizer": "PYDE1_VISUALIZER_",
                "pyde1-replay": "PYDE1_REPLAY_"}


@dataclasses.dataclass(frozen=True)
class ConfigFile:
    """Base of the three top-level schemas. ``source`` is the file actually read (None when
    only built-in defaults were used); ``warnings`` are problems that did not stop loading
    (missing default file, empty sections), for the caller to log."""

    DEFAULT_PATH: ClassVar[str] = ""
    ENV_PREFIX: ClassVar[str] = ""
    PROGRAM: ClassVar[str] = ""

    source: str | None = dataclasses.field(default=None, compare=False)
    warnings: tuple[ConfigProblem, ...] = dataclasses.field(default=(), compare=False)

    def warning_lines(self) -> list[str]:
        """Each warning as one line: ``file:line: key.path: message``."""
        return [w.format(self.source or self.DEFAULT_PATH) for w in self.warnings]
