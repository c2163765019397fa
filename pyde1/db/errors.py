"""Typed errors of the shot database, with messages a user can act on.

The composition root catches :class:`DatabaseOpenError` and prints ``str(error)``; the
service does not start and the file is left as it was.
"""

from __future__ import annotations


class DatabaseOpenError(RuntimeError):
    """The database file cannot be used; nothing in it was changed."""

    def __init__(self, path: str, reason: str, hint: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        self.hint = hint
        text = f"database {self.path}: {reason}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class NotADatabaseError(DatabaseOpenError):
    """The file exists but is not an SQLite database (or is damaged beyond reading)."""


class DatabaseTooNewError(DatabaseOpenError):
    """``PRAGMA user_version`` is newer than this program knows."""

    def __init__(self, path: str, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(path, f"schema version {found} is newer than the newest this program "
                               f"knows ({known})", "use the newer program that wrote it, or restore a backup")


class UnknownSchemaError(DatabaseOpenError):
    """A version or a table layout this program cannot migrate from."""


class DatabaseLockedError(DatabaseOpenError):
    """Another process holds a lock on the file (another pyde1 running, an open sqlite3 shell)."""


class BackupError(DatabaseOpenError):
    """The backup taken before a migration could not be made, so nothing was migrated."""


class MigrationError(DatabaseOpenError):
    """A migration step failed; its transaction was rolled back (the backup stays)."""


class SequenceNotFoundError(LookupError):
    """No ``sequence`` row with that id."""

    def __init__(self, sequence_id: str) -> None:
        self.sequence_id = sequence_id
        super().__init__(f"no sequence with id {sequence_id!r} in the database")


class IncompleteSequenceError(ValueError):
    """The master row lacks a time the legacy shot file needs (the sequence is still running,
    or it ended before flow began)."""

    def __init__(self, sequence_id: str, missing: list[str]) -> None:
        self.sequence_id = sequence_id
        self.missing = list(missing)
        super().__init__(f"sequence {sequence_id}: the sequence row has no {', '.join(missing)} "
                         f"(still running, or no flow happened)")
