"""The shot database, pure part: schema DDL for versions 1–3, the notification → table
mapping, the recording state machine, and the legacy shot file, export and replay formats.

No database access here (no sqlite3, no peewee): ``actors.db`` opens and writes the file.
"""

from pyde1.db.errors import (
    BackupError,
    DatabaseLockedError,
    DatabaseOpenError,
    DatabaseTooNewError,
    IncompleteSequenceError,
    MigrationError,
    NotADatabaseError,
    SequenceNotFoundError,
    UnknownSchemaError,
)
from pyde1.db.schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION", "BackupError", "DatabaseLockedError", "DatabaseOpenError",
    "DatabaseTooNewError", "IncompleteSequenceError", "MigrationError", "NotADatabaseError",
    "SequenceNotFoundError", "UnknownSchemaError",
]
