"""Opening existing files: versions 1, 2, "2 holding v3 tables" (pyDE1 2.0.0's own files)
are migrated after a backup; bad, newer or locked files give typed errors and stay untouched.
The old files are built here from the documented DDL."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from actors.db import prepare_database
from pyde1.db import schema
from pyde1.db.errors import (
    DatabaseLockedError, DatabaseOpenError, DatabaseTooNewError, NotADatabaseError, UnknownSchemaError,
)
from test_db_schema import EXPECTED


def build(path: Path, version: int, *, user_version: int | None = None, journal: str = "wal",
          extra: tuple[str, ...] = ()) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.execute("BEGIN")
    for statement in schema.create_statements(version) + extra:
        conn.execute(statement)
    if user_version is not None:
        conn.execute(f"PRAGMA user_version = {user_version}")
    # a recorded shot worth keeping
    conn.execute("INSERT INTO sequence (id, profile_id, start_sequence) VALUES ('s1', 'dummy', 10.0)")
    conn.execute("INSERT INTO connectivity_change (sequence_id, version, sender, arrival_time, create_time, "
                 "event_time, state) VALUES ('s1', '1.0.0', 'DE1', 1, 1, 1, 'ready')")
    conn.execute("COMMIT")
    conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: [r[1] for r in conn.execute(f"PRAGMA table_info({n})")] for n in names}


def check_is_v3_with_data(path: Path) -> None:
    assert columns(path) == EXPECTED
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT state FROM connectivity_change WHERE sequence_id='s1'").fetchall() == [("ready",)]
        assert conn.execute("SELECT COUNT(*) FROM persist_hkv WHERE header='last_profile'").fetchone()[0] == 2
        idx = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"idx_device_availability_sequence_id", "idx_bluedot_update_sequence_id"} <= idx


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".*.backup"))


def check_backup(path: Path, version: int) -> None:
    [backup] = backups(path)
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        assert conn.execute("SELECT id FROM sequence WHERE id='s1'").fetchall() == [("s1",)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_version_1_is_migrated_to_3(sqlite_path, journal):
    build(sqlite_path, 1, journal=journal)
    assert "id" not in columns(sqlite_path)["connectivity_change"]
    report = prepare_database(sqlite_path)
    assert report.found_version == 1 and report.migrated and report.backup
    check_is_v3_with_data(sqlite_path)
    check_backup(sqlite_path, 1)
    assert columns(Path(report.backup))["connectivity_change"] == EXPECTED["connectivity_change"][:7]


def test_version_2_is_migrated_to_3(sqlite_path):
    build(sqlite_path, 2)
    report = prepare_database(sqlite_path)
    assert report.found_version == 2 and report.backup
    check_is_v3_with_data(sqlite_path)
    check_backup(sqlite_path, 2)


def test_pyde1_2_0_0_file_version_2_with_v3_tables_is_marked_3(sqlite_path):
    build(sqlite_path, 3, user_version=2)  # what pyDE1 2.0.0's schema script really wrote
    report = prepare_database(sqlite_path)
    assert report.found_version == 2 and "mark it version 3" in report.actions[0]
    check_is_v3_with_data(sqlite_path)
    check_backup(sqlite_path, 2)


def test_an_empty_sqlite_file_is_backed_up_and_created(sqlite_path):
    sqlite3.connect(sqlite_path).execute("PRAGMA user_version = 0").connection.execute(
        "CREATE TABLE x (a)").connection.execute("DROP TABLE x").connection.close()
    assert sqlite_path.stat().st_size > 0
    report = prepare_database(sqlite_path)
    assert report.found_version == 0 and report.backup
    assert columns(sqlite_path) == EXPECTED


def test_a_zero_length_file_is_created_in_place(sqlite_path):
    sqlite_path.write_bytes(b"")
    report = prepare_database(sqlite_path)
    assert report.created and columns(sqlite_path) == EXPECTED


def refuses(path: Path, error: type, match: str) -> DatabaseOpenError:
    before = digest(path)
    siblings = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(error, match=match) as info:
        prepare_database(path, lock_timeout=0.1)
    assert digest(path) == before, "the file must not change"
    assert sorted(p.name for p in path.parent.iterdir()) == siblings, "no backup or side file left"
    assert str(path) in str(info.value)
    return info.value


def test_a_text_file_is_not_a_database(sqlite_path):
    sqlite_path.write_text("mqtt:\n  TOPIC_ROOT: pyDE1\n")
    refuses(sqlite_path, NotADatabaseError, "is not an SQLite database")


def test_a_newer_version_is_refused(sqlite_path):
    build(sqlite_path, 3, user_version=4)
    err = refuses(sqlite_path, DatabaseTooNewError, "schema version 4 is newer than the newest this program knows")
    assert (err.found, err.known) == (4, 3)


def test_a_locked_file_is_refused(sqlite_path):
    build(sqlite_path, 2)
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        refuses(sqlite_path, DatabaseLockedError, "is locked by another process")
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_locked_current_file_is_refused_too(sqlite_path, journal):
    build(sqlite_path, 3, journal=journal)
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseLockedError):
            prepare_database(sqlite_path, lock_timeout=0.1)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_half_migrated_or_foreign_files_are_refused(sqlite_path, tmp_path):
    build(sqlite_path, 2, extra=(schema.create_table_ddl("scale_change", schema.NOTIFICATION_TABLES["scale_change"]),))
    refuses(sqlite_path, UnknownSchemaError, "version 2 with only some version 3 tables")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (t TEXT)")
    refuses(other, UnknownSchemaError, "user_version is 0 but it holds tables")
    broken = tmp_path / "broken.sqlite3"
    build(broken, 2)
    with sqlite3.connect(broken) as conn:
        conn.execute("ALTER TABLE state_update RENAME COLUMN substate TO sub")
    refuses(broken, UnknownSchemaError, "table 'state_update' lacks column")


def test_a_failing_migration_rolls_back_and_keeps_the_backup(sqlite_path, monkeypatch):
    build(sqlite_path, 1)
    before = digest(sqlite_path)
    bad = schema.upgrade_statements(2)[:-1] + ("CREATE TABLE profile (id)",)  # fails half-way
    real = schema.upgrade_statements
    monkeypatch.setattr(schema, "upgrade_statements", lambda v: bad if v == 2 else real(v))
    with pytest.raises(DatabaseOpenError, match="table profile already exists"):
        prepare_database(sqlite_path)
    assert digest(sqlite_path) == before
    assert len(backups(sqlite_path)) == 1
    with sqlite3.connect(sqlite_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "id" not in [r[1] for r in conn.execute("PRAGMA table_info(connectivity_change)")]


def test_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(DatabaseOpenError, match="directory .* does not exist"):
        prepare_database(tmp_path / "nope" / "pyde1.sqlite3")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")
def test_reading_a_file_that_is_not_a_database_leaves_no_handle_open(sqlite_path):
    from actors.db.reader import open_readonly

    sqlite_path.write_bytes(b"not a database " * 20)

    def handles() -> int:
        fds = Path("/proc/self/fd")
        n = 0
        for fd in fds.iterdir():
            try:
                n += Path(fd).resolve() == sqlite_path.resolve()
            except OSError:
                pass  # the directory's own descriptor is gone by the time it is resolved
        return n

    for _ in range(3):  # as the visualizer does on every retry
        with pytest.raises(NotADatabaseError, match="cannot be read as a database"):
            open_readonly(sqlite_path)
    assert handles() == 0
