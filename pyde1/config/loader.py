"""Loading a configuration: YAML file laid over the built-in defaults, then environment
overrides, every value checked against the schema, every problem collected into one
``ConfigError``.

The YAML is read as a node tree (``yaml.compose`` with the safe loader) rather than with
``safe_load`` so that each key keeps its line number for error messages."""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

import yaml

from .errors import ConfigError, ConfigProblem
from .fields import ENV_PREFIXES, ConfigFile, SchemaEntry, entries
from .kinds import MAX_NESTING, Invalid, show
from .schema import Config

NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"

# What constructing a YAML value can raise besides YAMLError: impossible dates, ``!!int x``,
# integers too long to convert, structures that refer to themselves.
CONSTRUCT_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)

C = TypeVar("C", bound=ConfigFile)


class Assignment(NamedTuple):
    """One value for one leaf, from the file, the environment or a program."""

    path: str
    value: Any
    line: int | None
    origin: str = ""          # appended to messages, e.g. "(from environment variable X)"
    raw_text: str | None = None  # an environment value as typed, tried if the YAML reading fails
    sublines: Mapping[str, int] | None = None  # lines of entries inside a mapping or list value


class _Collector:
    """Problems and warnings found so far, and the assignments made."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []
        self.warnings: list[ConfigProblem] = []
        self.assignments: dict[str, list[Assignment]] = {}

    def problem(self, path: str, line: int | None, message: str) -> None:
        self.problems.append(ConfigProblem(path, line, message))

    def warn(self, path: str, line: int | None, message: str) -> None:
        self.warnings.append(ConfigProblem(path, line, message))

    def assign(self, assignment: Assignment) -> None:
        self.assignments.setdefault(assignment.path, []).append(assignment)


# -- public entry points -------------------------------------------------------------------

def load_config(path: str | None = None, *, environ: Mapping[str, str] | None = None,
                schema: type[C] = Config, default_path: str | None = None) -> C:  # type: ignore[assignment]
    """Read the configuration of one program.

    ``path`` is the file named with ``-c``: it must exist. Without it the schema's default
    location (``/usr/local/etc/pyde1/pyde1.conf`` for ``Config``; ``default_path`` replaces
    it) is read if present, otherwise built-in defaults are used and a warning is recorded in
    ``config.warnings``. ``environ`` (default ``os.environ``) supplies overrides named
    ``<ENV_PREFIX><SECTION>__<KEY>``. Raises ``ConfigError`` listing every problem."""
    collector = _Collector()
    filename = path if path is not None else (default_path or schema.DEFAULT_PATH)
    text: str | None
    if path is None and not os.path.exists(filename):
        text = None
        collector.warn("", None, f"config file {filename} not found; using built-in defaults")
    else:
        text = _read_text(filename)
    return _load(text, filename if text is not None else None, environ, schema, collector)


def load_config_text(text: str, *, filename: str = "<string>",
                     environ: Mapping[str, str] | None = None,
                     schema: type[C] = Config) -> C:  # type: ignore[assignment]
    """As ``load_config`` for YAML already in memory (``filename`` is used in messages)."""
    return _load(text, filename, environ, schema, _Collector())


def override_config(config: C, overrides: Mapping[str, Any]) -> C:
    """A copy of ``config`` with values replaced by key path, checked like file values:
    ``override_config(cfg, {"http.SERVER_PORT": 0, "bluetooth.BACKEND": "simulator"})``."""
    collector = _Collector()
    for path, value in overrides.items():
        if _resolve_exact(type(config), path) is None:
            collector.problem(path, None, "no such config key")
        else:
            collector.assign(Assignment(path, value, None))
    result = _build(type(config), config, "", collector)
    if collector.problems:
        raise ConfigError(collector.problems, "<overrides>")
    return result


# -- reading and parsing -------------------------------------------------------------------

def _read_text(filename: str) -> str:
    try:
        with open(filename, "rb") as stream:
            data = stream.read()
    except FileNotFoundError:
        raise ConfigError([ConfigProblem("", None, "config file not found")], filename) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError([ConfigProblem("", None, f"cannot read config file: {reason}")],
                          filename) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError([ConfigProblem("", line, "not UTF-8 text")], filename) from None


def _compose(text: str, filename: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = exc.problem or "unreadable YAML"
        if exc.context:
            detail = f"{exc.context}, {detail}"
        problem = ConfigProblem("", line, f"YAML syntax error: {detail}")
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1
        problem = ConfigProblem("", line, f"YAML cannot contain character #x{exc.character:04x} "
                                          f"({exc.reason})")
    except yaml.YAMLError as exc:
        problem = ConfigProblem("", None, f"YAML error: {exc}")
    except RecursionError:
        problem = ConfigProblem("", None, "YAML nested too deeply")
    raise ConfigError([problem], filename)


def _load(text: str | None, filename: str | None, environ: Mapping[str, str] | None,
          schema: type[C], collector: _Collector) -> C:
    if text is not None:
        root = _compose(text, filename or "<string>")
        _collect_document(root, schema, collector)
    _collect_environment(os.environ if environ is None else environ, schema, collector)
    config = _build(schema, schema(), "", collector)
    if collector.problems:
        raise ConfigError(_in_file_order(collector.problems), filename or schema.DEFAULT_PATH)
    return dataclasses.replace(config, source=filename, warnings=tuple(collector.warnings))


def _in_file_order(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


# -- the file --------------------------------------------------------------------------------

class _YamlValues:
    """Builds Python values from nodes with the safe constructor."""

    def __init__(self) -> None:
        self.constructor = yaml.SafeLoader("")

    def value(self, node: yaml.Node) -> Any:
        return self.constructor.construct_object(node, deep=True)

    def pairs(self, node: yaml.MappingNode, path: str,
              collector: _Collector) -> list[tuple[str, int, yaml.Node]]:
        """(key, line, value node) of a mapping, merge keys (``<<``) applied, keys starting
        with ``_`` left out; non-string and duplicated keys reported."""
        explicit = [pair for pair in node.value if pair[0].tag != MERGE_TAG]
        try:
            self.constructor.flatten_mapping(node)
        except CONSTRUCT_ERRORS as exc:
            collector.problem(path, node.start_mark.line + 1, f"cannot merge: {_reason(exc)}")
            node.value = explicit
        merged_count = len(node.value) - len(explicit)
        result: list[tuple[str, int, yaml.Node]] = []
        first_line: dict[str, int] = {}
        for index, (key_node, value_node) in enumerate(node.value):
            line = key_node.start_mark.line + 1
            try:
                name = self.value(key_node)
            except CONSTRUCT_ERRORS as exc:
                collector.problem(path, line, f"unreadable key: {_reason(exc)}")
                continue
            if not isinstance(name, str):
                collector.problem(path, line, f"keys must be names, got {show(name)}")
                continue
            if name.startswith("_"):
                continue
            if index >= merged_count:
                if name in first_line:
                    collector.problem(_join(path, name), line,
                                      f"duplicate key (first on line {first_line[name]})")
                first_line[name] = line
            result.append((name, line, value_node))
        return result


def _reason(exc: BaseException) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        return str(exc.problem or exc.context or "bad value")
    if isinstance(exc, RecursionError):
        return "the value refers to itself"
    return str(exc) or type(exc).__name__


def _join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    return f"{prefix}{name}" if name.startswith("[") else f"{prefix}.{name}"


def _collect_document(root: yaml.Node | None, schema: type, collector: _Collector) -> None:
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == NULL_TAG):
        collector.warn("", None, "config file is empty; using built-in defaults")
        return
    if not isinstance(root, yaml.MappingNode):
        collector.problem("", root.start_mark.line + 1,
                          "expected a mapping of sections (mqtt:, http:, ...) at the top level")
        return
    _collect_mapping(root, schema, "", _YamlValues(), collector)


def _collect_mapping(node: yaml.MappingNode, cls: type, prefix: str, values: _YamlValues,
                     collector: _Collector) -> None:
    known = {entry.name: entry for entry in entries(cls, prefix)}
    for name, line, value_node in values.pairs(node, prefix.rstrip("."), collector):
        entry = known.get(name)
        if entry is None:
            collector.problem(_join(prefix.rstrip("."), name), line,
                              _unknown(name, known, "section" if not prefix else "key"))
            continue
        if entry.section is not None and isinstance(value_node, yaml.MappingNode):
            if value_node.value:
                _collect_mapping(value_node, entry.section, entry.path + ".", values, collector)
            else:
                collector.warn(entry.path, line, "section is empty; using its defaults")
            continue
        try:
            value = values.value(value_node)
        except CONSTRUCT_ERRORS as exc:
            collector.problem(entry.path, line, f"unreadable value: {_reason(exc)}")
            continue
        if entry.section is None:
            collector.assign(Assignment(entry.path, value, line,
                                        sublines=_entry_lines(value_node, "", {}, 0)))
        elif value is None:
            collector.warn(entry.path, line, "section is empty; using its defaults")
        else:
            collector.problem(entry.path, line, f"expected a mapping of keys, got {show(value)}")


def _entry_lines(node: yaml.Node, prefix: str, found: dict[str, int], depth: int) -> dict[str, int]:
    """Line of every entry inside a mapping or list value, by the sub-path the kinds use in
    their messages (``setting.fan_threshold``, ``[1]``)."""
    if depth > MAX_NESTING:
        return found
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                path = _join(prefix, key_node.value)
                found.setdefault(path, key_node.start_mark.line + 1)
                _entry_lines(value_node, path, found, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}[{index}]"
            found.setdefault(path, item.start_mark.line + 1)
            _entry_lines(item, path, found, depth + 1)
    return found


def _unknown(name: str, known: Mapping[str, SchemaEntry], what: str) -> str:
    same_but_case = [k for k in known if k.lower() == name.lower()]
    close = same_but_case or difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown {what}{hint}"


# -- the environment ---------------------------------------------------------------------------

def _collect_environment(environ: Mapping[str, str], schema: type[ConfigFile],
                         collector: _Collector) -> None:
    prefix = schema.ENV_PREFIX
    others = [p for p in ENV_PREFIXES.values() if p != prefix and p.startswith(prefix)]
    for variable in sorted(environ):
        if not variable.startswith(prefix) or any(variable.startswith(o) for o in others):
            continue
        parts = variable[len(prefix):].split("__")
        if len(parts) < 2:
            continue            # not an override (PYDE1_<SECTION>__<KEY>), e.g. PYDE1_HOME
        entry, complaint = _resolve_env(schema, parts)
        if entry is None:
            collector.problem(variable, None, complaint)
            continue
        raw = environ[variable]
        collector.assign(Assignment(entry.path, _env_value(raw), None,
                                    f"(from environment variable {variable})", raw))


def _resolve_env(schema: type, parts: list[str]) -> tuple[SchemaEntry | None, str]:
    cls, prefix, entry = schema, "", None
    for depth, part in enumerate(parts):
        if cls is None:
            return None, f"environment override names no config key: {entry.path} is a key"
        matches = [e for e in entries(cls, prefix) if e.name.lower() == part.lower()]
        if not matches:
            what = "section" if depth == 0 else "key"
            where = f" in {prefix.rstrip('.')}" if prefix else ""
            return None, f"environment override names no config key: unknown {what} " \
                         f"{part!r}{where}"
        entry = matches[0]
        cls, prefix = entry.section, entry.path + "."
    if entry is None or entry.section is not None:
        return None, f"environment override names a section ({entry.path if entry else ''}), " \
                     "not a key"
    return entry, ""


def _env_value(raw: str) -> Any:
    """An environment value read as YAML (``8080`` → int, ``[a, b]`` → list, ``null``)."""
    if raw.strip() == "":
        return raw
    try:
        return yaml.safe_load(raw)
    except CONSTRUCT_ERRORS:
        return raw


def _resolve_exact(schema: type, path: str) -> SchemaEntry | None:
    cls, prefix, entry = schema, "", None
    for part in path.split("."):
        if cls is None:
            return None
        entry = next((e for e in entries(cls, prefix) if e.name == part), None)
        if entry is None:
            return None
        cls, prefix = entry.section, entry.path + "."
    return entry if entry is not None and entry.section is None else None


# -- checking values and building the result ---------------------------------------------------

def _build(cls: type, base: Any, prefix: str, collector: _Collector) -> Any:
    """``base`` with every assigned value below ``prefix`` checked and applied."""
    changes: dict[str, Any] = {}
    problems_before = len(collector.problems)
    lines: dict[str, int] = {}
    for entry in entries(cls, prefix):
        if entry.section is not None:
            changes[entry.name] = _build(entry.section, getattr(base, entry.name),
                                         entry.path + ".", collector)
            continue
        for assignment in collector.assignments.get(entry.path, ()):
            checked = _check(entry, assignment, collector)
            if checked is not _REJECTED:
                changes[entry.name] = checked
            if assignment.line is not None:
                lines[entry.name] = assignment.line
    result = dataclasses.replace(base, **changes) if changes else base
    advice = getattr(result, "advice", None)
    if advice is not None:
        for name, message in advice():
            collector.warn(prefix + name, lines.get(name), message)
    consistency = getattr(result, "consistency", None)
    if consistency is not None and len(collector.problems) == problems_before:
        for name, message in consistency():
            line = lines.get(name, next(iter(lines.values()), None))
            collector.problem(prefix + name, line, message)
    return result


_REJECTED = object()


def _check(entry: SchemaEntry, assignment: Assignment, collector: _Collector) -> Any:
    assert entry.kind is not None
    try:
        return entry.kind.check(assignment.value)
    except Invalid as exc:
        if assignment.raw_text is not None:
            try:
                return entry.kind.check(assignment.raw_text)
            except Invalid:
                pass
        _report(entry.path, assignment, exc.issues, collector)
        return _REJECTED


def _report(path: str, assignment: Assignment, issues: Iterable[tuple[str, str]],
            collector: _Collector) -> None:
    for subpath, message in issues:
        if assignment.origin:
            message = f"{message} {assignment.origin}"
        line = assignment.line
        if subpath and assignment.sublines:
            line = assignment.sublines.get(subpath, line)
        collector.problem(_join(path, subpath) if subpath else path, line, message)
