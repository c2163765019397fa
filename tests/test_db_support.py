"""Shared helpers for the database tests (no tests here): start a writer under a real
supervisor, publish a synthetic shot, read the file back with plain sqlite3."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from actors.db import database_spec
from actors.supervisor import Supervisor


@contextmanager
def running_writer(ctx, path: Path, **overrides):
    """A supervisor running only the database role; stops it (flushing) on exit."""
    sup = Supervisor.start(ctx, [database_spec(None, filename=str(path), **overrides)]).proxy()
    try:
        assert sup.start_all().get(timeout=15) == {"database": "running"}
        yield ctx.proxy("database"), sup
    finally:
        try:
            sup.stop_all().get(timeout=15)
        finally:
            sup.stop()


def reader(path: Path) -> sqlite3.Connection:
    """A plain read-only connection, as a user's sqlite3 shell would open the file."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def count(conn: sqlite3.Connection, table: str, sequence_id: str | None = None) -> int:
    if sequence_id is None:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return conn.execute(f"SELECT COUNT(*) FROM {table} WHERE sequence_id = ?", (sequence_id,)).fetchone()[0]


def publish_all(bus, events) -> None:
    for event in events:
        bus.publish(event)
