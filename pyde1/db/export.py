"""Export and import formats of one recorded sequence (``pyde1-db``).

JSON: one document holding the master row, the profile row (source as text, or base64
when it is not UTF-8) and every notification row of the sequence, table by table, with
the stored column values. It can be imported into another database.

CSV: one table of the sequence, one row per stored row, header = the table's columns.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyde1.db.mapping import TABLE_COLUMNS
from pyde1.db.schema import PROFILE, SEQUENCE, tables

FORMAT = "pyde1.sequence"
FORMAT_VERSION = 1
SEQUENCE_COLUMNS = tuple(c.name for c in SEQUENCE)
PROFILE_COLUMNS = tuple(c.name for c in PROFILE)
#: Columns declared REAL or INTEGER, per table: an imported text there would be stored as it
#: is (SQLite does not refuse it) and break every later reader of the times.
NUMERIC_COLUMNS = {table: frozenset(c.name for c in columns if c.decl.split()[0] in ("REAL", "INT", "INTEGER"))
                   for table, columns in tables().items()}
SQLITE_INTEGER = range(-2**63, 2**63)


@dataclass
class StoredSequence:
    """One sequence as stored: its master row, its rows per table, its profile row."""

    master: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    profile: dict[str, Any] | None = None

    @property
    def sequence_id(self) -> str:
        return self.master["id"]

    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


class ExportFormatError(ValueError):
    """A document that is not a pyde1 sequence export (names the offending part)."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        super().__init__(f"{where}: {reason}")


def to_document(seq: StoredSequence) -> dict[str, Any]:
    profile = None
    if seq.profile is not None:
        profile = {k: v for k, v in seq.profile.items() if k != "source"}
        source = seq.profile.get("source")
        if isinstance(source, str):
            source = source.encode("utf-8")
        if source is not None:
            try:
                profile["source"] = bytes(source).decode("utf-8")
            except UnicodeDecodeError:
                profile["source_base64"] = base64.b64encode(bytes(source)).decode("ascii")
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "sequence": dict(seq.master),
            "profile": profile, "tables": {t: [dict(r) for r in rows] for t, rows in seq.tables.items() if rows}}


def to_json(seq: StoredSequence) -> str:
    return json.dumps(to_document(seq), indent=2) + "\n"


def to_csv(table: str, rows: list[Mapping[str, Any]]) -> str:
    if table == "sequence":
        columns = SEQUENCE_COLUMNS
    elif table in TABLE_COLUMNS:
        columns = TABLE_COLUMNS[table]
    else:
        raise ExportFormatError("table", f"unknown table {table!r} (known: sequence, {', '.join(TABLE_COLUMNS)})")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()


def from_json(text: str) -> StoredSequence:
    """Parse and check an export document; raise ExportFormatError naming what is wrong."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportFormatError("document", f"not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ExportFormatError("format", f"expected {FORMAT!r}: not a pyde1 sequence export")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ExportFormatError("format_version", f"expected {FORMAT_VERSION}, got {doc.get('format_version')!r}")
    master = _object(doc.get("sequence"), "sequence", SEQUENCE_COLUMNS, NUMERIC_COLUMNS["sequence"])
    for key, item in master.items():
        # The master row's times are what `pyde1-db list`, replay and the shot file read.
        if isinstance(item, float) and not math.isfinite(item):
            raise ExportFormatError(f"sequence.{key}", f"expected a finite number or null, got {item}")
    sid = master.get("id")
    if not isinstance(sid, str) or not sid:
        raise ExportFormatError("sequence.id", "missing or not a string")
    if not isinstance(master.get("profile_id"), str):
        raise ExportFormatError("sequence.profile_id", "missing or not a string")
    profile = None
    if doc.get("profile") is not None:
        raw = dict(_object(doc["profile"], "profile", PROFILE_COLUMNS + ("source_base64",),
                           NUMERIC_COLUMNS["profile"]))
        if "source_base64" in raw:
            try:
                raw["source"] = base64.b64decode(raw.pop("source_base64"), validate=True)
            except (ValueError, TypeError):
                raise ExportFormatError("profile.source_base64", "not base64") from None
        elif isinstance(raw.get("source"), str):
            raw["source"] = raw["source"].encode("utf-8")
        if raw.get("id") != master["profile_id"]:
            raise ExportFormatError("profile.id", "does not match sequence.profile_id")
        missing = [c.name for c in PROFILE if "NOT NULL" in c.decl and raw.get(c.name) is None]
        if missing:  # the import's INSERT OR IGNORE would skip the profile without a word
            raise ExportFormatError(f"profile.{missing[0]}", "missing (the profile row needs it)")
        profile = raw
    tables = doc.get("tables", {})
    if not isinstance(tables, dict):
        raise ExportFormatError("tables", "expected an object of table -> rows")
    parsed: dict[str, list[dict[str, Any]]] = {}
    for table, rows in tables.items():
        if table not in TABLE_COLUMNS:
            raise ExportFormatError(f"tables.{table}", "unknown table")
        if not isinstance(rows, list):
            raise ExportFormatError(f"tables.{table}", "expected a list of rows")
        parsed[table] = []
        for i, row in enumerate(rows):
            row = _object(row, f"tables.{table}[{i}]", TABLE_COLUMNS[table], NUMERIC_COLUMNS[table])
            if row.get("sequence_id") != sid:
                raise ExportFormatError(f"tables.{table}[{i}].sequence_id", f"expected {sid!r}")
            parsed[table].append(row)
    return StoredSequence(master, parsed, profile)


def _object(value: Any, where: str, allowed: tuple[str, ...], numeric: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ExportFormatError(where, "expected an object")
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise ExportFormatError(f"{where}.{unknown[0]}", "unknown column")
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            raise ExportFormatError(f"{where}.{key}", "expected a plain value")
        if key in numeric and item is not None and not isinstance(item, (int, float)):
            raise ExportFormatError(f"{where}.{key}", f"expected a number or null, got {item!r}")
        if isinstance(item, int) and item not in SQLITE_INTEGER:
            raise ExportFormatError(f"{where}.{key}", f"{item} does not fit SQLite's 64-bit integer")
    return value
