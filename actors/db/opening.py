"""Open the shot database for writing: create it, or check and migrate an existing file.

What happens to a file (api-contract §3.1, with Appendix A1 fixed):

=========================  ===================================================================
found                      action
=========================  ===================================================================
no file / empty file       create schema 3, seed rows, WAL, ``user_version = 3``
version 0, no tables       back up, then create as above
version 3                  check the tables; nothing written
version 2 + the v3 tables  back up, set ``user_version = 3`` (what pyDE1 2.0.0 itself wrote)
version 2                  back up, apply 2 → 3
version 1                  back up, apply 1 → 2 → 3
newer than 3               :class:`DatabaseTooNewError`
not SQLite / damaged       :class:`NotADatabaseError`
locked by another process  :class:`DatabaseLockedError`
=========================  ===================================================================

Every migration runs in one transaction, after a backup made with SQLite's online backup
API (no ``sqlite3`` tool needed) to ``<FILENAME>.<YYYY-MM-DD_HHMMSS>.backup``. The write lock
is taken first and held through the backup (read by a second connection) and the
migration, so the backup is exactly what was migrated. Any error leaves the file as it was.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from pyde1.db import schema
from pyde1.db.errors import (
    BackupError,
    DatabaseLockedError,
    DatabaseOpenError,
    DatabaseTooNewError,
    MigrationError,
    NotADatabaseError,
    UnknownSchemaError,
)

logger = logging.getLogger("pyde1.database")

SQLITE_MAGIC = b"SQLite format 3\x00"
BACKUP_PAGES_PER_STEP = 1024


@dataclass(frozen=True)
class OpenReport:
    """What ``prepare_database`` found and did."""

    path: str
    created: bool
    found_version: int | None       # None for a new file
    version: int                    # always schema.SCHEMA_VERSION afterwards
    backup: str | None              # backup file written before a change
    actions: tuple[str, ...]        # human-readable steps, for the log

    @property
    def migrated(self) -> bool:
        return self.found_version is not None and bool(self.actions)


def prepare_database(path: str | os.PathLike, *, backup_timeout: float = 120.0,
                     lock_timeout: float = 2.0) -> OpenReport:
    """Make ``path`` a schema-3 database in WAL mode, or raise a ``DatabaseOpenError``."""
    path = Path(path)
    if not path.parent.is_dir():
        raise DatabaseOpenError(path, f"directory {path.parent} does not exist",
                                "create it, owned by the user the service runs as")
    if path.is_dir():
        raise NotADatabaseError(path, "is a directory")
    if not path.exists() or path.stat().st_size == 0:
        return _create_new(path, lock_timeout)
    _check_magic(path)
    conn = _connect(path, lock_timeout)
    try:
        return _open_existing(conn, path, backup_timeout)
    finally:
        conn.close()


# -- new files -----------------------------------------------------------------------------------

def _create_new(path: Path, lock_timeout: float) -> OpenReport:
    existed = path.exists()
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=lock_timeout)
    except sqlite3.Error as exc:
        raise DatabaseOpenError(path, f"cannot create: {exc}") from exc
    try:
        _set_wal(conn, path)
        _run_in_transaction(conn, path, schema.create_statements(schema.SCHEMA_VERSION), "create schema 3")
    except DatabaseOpenError:
        conn.close()
        if not existed:
            _remove_quietly(path)
        raise
    conn.close()
    logger.info("created database %s (schema %d, WAL)", path, schema.SCHEMA_VERSION)
    return OpenReport(str(path), True, None, schema.SCHEMA_VERSION, None, ("created schema 3",))


# -- existing files ------------------------------------------------------------------------------

def _check_magic(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseOpenError(path, f"cannot read: {exc.strerror}") from exc
    if head != SQLITE_MAGIC:
        raise NotADatabaseError(path, "is not an SQLite database (wrong file header)",
                                "check database.FILENAME")


def _connect(path: Path, lock_timeout: float) -> sqlite3.Connection:
    try:
        return sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None,
                               timeout=lock_timeout)
    except sqlite3.Error as exc:
        raise DatabaseOpenError(path, f"cannot open for writing: {exc}",
                                "check the file's owner and permissions") from exc


def _inspect(conn: sqlite3.Connection, path: Path) -> tuple[int, dict[str, set[str]]]:
    """(user_version, table -> column names). Raises typed errors for bad or locked files."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {n: {r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')} for n in names}
    except sqlite3.OperationalError as exc:
        raise _classify(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise NotADatabaseError(path, f"cannot be read as a database: {exc}") from exc
    return version, columns


def _plan(path: Path, version: int, found: dict[str, set[str]]) -> tuple[int, tuple[str, ...], str]:
    """(version the file really has, statements to run, description)."""
    names = set(found) - {"sqlite_sequence"}
    if version > schema.SCHEMA_VERSION:
        raise DatabaseTooNewError(str(path), version, schema.SCHEMA_VERSION)
    if version == 0:
        if names:
            raise UnknownSchemaError(path, f"user_version is 0 but it holds tables ({', '.join(sorted(names))})",
                                     "this is not a pyDE1 shot database")
        return 0, schema.create_statements(schema.SCHEMA_VERSION), "create schema 3 in the empty database"
    if version not in schema.KNOWN_VERSIONS:
        raise UnknownSchemaError(path, f"unknown schema version {version}")
    if version == 2 and all(t in names for t in schema.V3_ONLY_TABLES):
        # pyDE1 2.0.0 wrote version 2 into files that hold the whole schema 3 (Appendix A1).
        _require_columns(path, found, 3, "its version 3 tables")
        return 3, ("PRAGMA user_version = 3",), "version 2 holding the v3 tables: mark it version 3"
    if version < 3 and any(t in names for t in schema.V3_ONLY_TABLES):
        present = [t for t in schema.V3_ONLY_TABLES if t in names]
        raise UnknownSchemaError(path, f"version {version} with only some version 3 tables ({', '.join(present)})")
    effective = version
    if version == 1 and set(schema.V2_CONNECTIVITY_COLUMNS) <= found.get("connectivity_change", set()):
        effective = 2  # already has the 1 -> 2 columns
    _require_columns(path, found, effective, f"a version {version} database")
    if effective == 3:
        return 3, (), ""
    statements: list[str] = []
    for step in range(effective, schema.SCHEMA_VERSION):
        statements += schema.upgrade_statements(step)
    return effective, tuple(statements), f"upgrade from version {version} to {schema.SCHEMA_VERSION}"


def _require_columns(path: Path, found: dict[str, set[str]], version: int, what: str) -> None:
    for table, columns in schema.column_names(version).items():
        if table not in found:
            if table == "persist_hkv":
                continue  # added by the repair step if an old file lacks it
            raise UnknownSchemaError(path, f"{what} without table {table!r}")
        missing = [c for c in columns if c not in found[table]]
        if missing:
            raise UnknownSchemaError(path, f"table {table!r} lacks column(s) {', '.join(missing)}")


def _open_existing(conn: sqlite3.Connection, path: Path, backup_timeout: float) -> OpenReport:
    version, found = _inspect(conn, path)
    effective, statements, description = _plan(path, version, found)
    _lock(conn, path)  # BEGIN IMMEDIATE: held through backup and migration
    try:
        if not statements:
            conn.execute("ROLLBACK")
            _set_wal(conn, path)
            return OpenReport(str(path), False, version, schema.SCHEMA_VERSION, None, ())
        backup = _backup(path, backup_timeout)
        _apply(conn, path, statements + schema.repair_statements(), description)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    _set_wal(conn, path)
    logger.warning("database %s: %s (backup in %s)", path, description, backup)
    return OpenReport(str(path), False, version, schema.SCHEMA_VERSION, str(backup), (description,))


def _lock(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _classify(path, exc) from exc


def _apply(conn: sqlite3.Connection, path: Path, statements: tuple[str, ...], description: str) -> None:
    for statement in statements:
        try:
            conn.execute(statement)
        except sqlite3.Error as exc:
            raise MigrationError(path, f"{description} failed at {statement.splitlines()[0]!r}: {exc}",
                                 "the file was not changed") from exc


def _run_in_transaction(conn: sqlite3.Connection, path: Path, statements: tuple[str, ...],
                        description: str) -> None:
    _lock(conn, path)
    try:
        _apply(conn, path, statements, description)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _set_wal(conn: sqlite3.Connection, path: Path) -> None:
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    except sqlite3.OperationalError as exc:
        raise _classify(path, exc) from exc
    if str(mode).lower() != "wal":
        raise DatabaseOpenError(path, f"cannot switch to WAL journal mode (got {mode!r})",
                                "is the file on a network filesystem?")


def backup_path_for(path: Path, when: float | None = None) -> Path:
    stamp = time.strftime("%Y-%m-%d_%H%M%S", time.localtime(when))
    return path.with_name(f"{path.name}.{stamp}.backup")


def _backup(path: Path, timeout: float) -> Path:
    """Copy ``path`` with the online backup API, read through a second connection (the
    caller's connection holds the write lock, which readers do not need)."""
    target = backup_path_for(path)
    if target.exists():
        raise BackupError(path, f"backup file {target} already exists", "try again in a second")
    deadline = time.monotonic() + timeout

    def progress(_status: int, _remaining: int, _total: int) -> None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"backup took longer than {timeout:g} s")

    src = dst = None
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        dst = sqlite3.connect(str(target))
        src.backup(dst, pages=BACKUP_PAGES_PER_STEP, progress=progress)
        ok = dst.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise sqlite3.DatabaseError(f"the copy fails quick_check: {ok}")
    except (sqlite3.Error, OSError, TimeoutError) as exc:
        for conn in (src, dst):
            if conn is not None:
                conn.close()
        src = dst = None
        for side in ("", "-wal", "-shm", "-journal"):
            _remove_quietly(Path(f"{target}{side}"))
        raise BackupError(path, f"backup to {target} failed: {exc}", "nothing was migrated") from exc
    finally:
        for conn in (src, dst):
            if conn is not None:
                conn.close()
    return target


def _classify(path: Path, exc: sqlite3.Error) -> DatabaseOpenError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return DatabaseLockedError(path, "is locked by another process",
                                   "is another pyde1 or an sqlite3 shell writing to it?")
    if "not a database" in text or "malformed" in text:
        return NotADatabaseError(path, f"cannot be read as a database: {text}")
    return DatabaseOpenError(path, text)


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
