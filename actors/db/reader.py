"""Read-only access for the programs (pyde1-replay, pyde1-run-visualizer, pyde1-db): a plain
sqlite3 connection opened with ``mode=ro``, so a program can never change the file, and
in WAL mode it reads while the service writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pyde1.db import schema
from pyde1.db.errors import DatabaseOpenError, DatabaseTooNewError, NotADatabaseError, SequenceNotFoundError
from pyde1.db.export import StoredSequence
from pyde1.db.mapping import TABLE_COLUMNS


def open_readonly(path: str | Path, timeout: float = 5.0) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise DatabaseOpenError(path, "does not exist", "check database.FILENAME")
    conn = None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        if conn is not None:  # the visualizer retries: each failed attempt must not keep a handle
            conn.close()
        raise NotADatabaseError(path, f"cannot be read as a database: {exc}") from exc
    if version > schema.SCHEMA_VERSION:
        conn.close()
        raise DatabaseTooNewError(str(path), version, schema.SCHEMA_VERSION)
    if "sequence" not in tables:
        conn.close()
        raise NotADatabaseError(path, "has no sequence table: not a pyDE1 shot database")
    conn.row_factory = sqlite3.Row
    return conn


def existing_tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def read_master(conn: sqlite3.Connection, sequence_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM sequence WHERE id = ?", (sequence_id,)).fetchone()
    if row is None:
        raise SequenceNotFoundError(sequence_id)
    return dict(row)


def read_rows(conn: sqlite3.Connection, table: str, sequence_id: str) -> list[dict[str, Any]]:
    """The table's rows of a sequence in the order they happened (event_time, then insertion)."""
    if table not in TABLE_COLUMNS:
        raise ValueError(f"unknown notification table {table!r}")
    if table not in existing_tables(conn):
        return []  # an older schema without this table
    cur = conn.execute(f"SELECT * FROM {table} WHERE sequence_id = ? ORDER BY event_time, rowid", (sequence_id,))
    return [dict(r) for r in cur]


def read_profile(conn: sqlite3.Connection, profile_id: str | None) -> dict[str, Any] | None:
    if profile_id is None:
        return None
    row = conn.execute("SELECT * FROM profile WHERE id = ?", (profile_id,)).fetchone()
    return None if row is None else dict(row)


def read_sequence(conn: sqlite3.Connection, sequence_id: str,
                  tables: tuple[str, ...] | None = None) -> StoredSequence:
    master = read_master(conn, sequence_id)
    wanted = tables if tables is not None else tuple(TABLE_COLUMNS)
    return StoredSequence(master, {t: read_rows(conn, t, sequence_id) for t in wanted},
                          read_profile(conn, master.get("profile_id")))


def last_sequence_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT id FROM sequence WHERE id != ? ORDER BY start_sequence DESC NULLS LAST LIMIT 1",
                       (schema.DUMMY_ID,)).fetchone()
    return None if row is None else row[0]


def list_sequences(conn: sqlite3.Connection, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    cur = conn.execute("SELECT * FROM sequence WHERE id != ? ORDER BY start_sequence DESC NULLS LAST "
                       "LIMIT ? OFFSET ?", (schema.DUMMY_ID, limit, offset))
    return [dict(r) for r in cur]


SHOT_FILE_TABLES = ("shot_sample_with_volume_update", "weight_and_flow_update")


def shot_file_text(conn: sqlite3.Connection, sequence_id: str, tz=None) -> str:
    """The legacy shot file of a recorded sequence (raises IncompleteSequenceError while the
    master row still lacks one of its times, SequenceNotFoundError for an unknown id)."""
    from pyde1.db.shotfile import build_shot_file, check_complete

    master = read_master(conn, sequence_id)
    check_complete(master)
    stored = read_sequence(conn, sequence_id, SHOT_FILE_TABLES)
    return build_shot_file(stored.master, stored.tables["shot_sample_with_volume_update"],
                           stored.tables["weight_and_flow_update"], stored.profile, tz=tz)
