"""Import a sequence exported by ``pyde1-db export --format json`` into a database (which is
created or migrated first, as the service would). One transaction: all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from actors.db.opening import prepare_database
from pyde1.db.errors import DatabaseLockedError
from pyde1.db.export import PROFILE_COLUMNS, SEQUENCE_COLUMNS, StoredSequence
from pyde1.db.mapping import TABLE_COLUMNS


class SequenceExistsError(ValueError):
    def __init__(self, sequence_id: str) -> None:
        self.sequence_id = sequence_id
        super().__init__(f"sequence {sequence_id} is already in the database (nothing imported)")


def import_sequence(path: str | Path, seq: StoredSequence, *, lock_timeout: float = 5.0) -> int:
    """Insert ``seq`` (master row, profile unless present, every row). Returns the rows added."""
    prepare_database(path, lock_timeout=lock_timeout)
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=lock_timeout)
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise DatabaseLockedError(path, f"cannot import: {exc}") from exc
        try:
            if conn.execute("SELECT 1 FROM sequence WHERE id = ?", (seq.sequence_id,)).fetchone():
                raise SequenceExistsError(seq.sequence_id)
            if seq.profile is not None:
                _insert(conn, "profile", PROFILE_COLUMNS, [seq.profile], "OR IGNORE")
            _insert(conn, "sequence", SEQUENCE_COLUMNS, [seq.master])
            added = 0
            for table, rows in seq.tables.items():
                _insert(conn, table, TABLE_COLUMNS[table], rows)
                added += len(rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return added
    finally:
        conn.close()


def _insert(conn: sqlite3.Connection, table: str, allowed: tuple[str, ...], rows: list[dict],
            verb: str = "") -> None:
    for row in rows:
        cols = [c for c in allowed if c in row]
        marks = ", ".join("?" for _ in cols)
        conn.execute(f"INSERT {verb} INTO {table} ({', '.join(cols)}) VALUES ({marks})", [row[c] for c in cols])
