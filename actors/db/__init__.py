"""The shot database at run time: opening/migration, the writer actor, history queries.

Composition root::

    from actors.db import database_spec, prepare_database, DatabaseOpenError
    try:
        prepare_database(config.database.FILENAME)   # optional: fail before any actor starts
    except DatabaseOpenError as exc:
        print(exc); sys.exit(1)
    specs.append(database_spec(config))
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from actors.db.opening import OpenReport, prepare_database
from actors.db.writer import STORED_EVENT_CLASSES, DatabaseWriter
from actors.supervisor import ActorSpec
from pyde1.db.errors import DatabaseOpenError
from pyde1.db.settings import DatabaseSettings

ROLE = "database"


def database_spec(config: Any, *, role: str = ROLE, depends_on: tuple[str, ...] = (),
                  **overrides: Any) -> ActorSpec:
    """The supervisor's spec for the writer. Settings come from ``config.database``;
    ``overrides`` (lower-case ``DatabaseSettings`` names) win. Invalid settings raise
    ``pyde1.db.settings.SettingsError`` here, before anything starts."""
    settings = DatabaseSettings.from_config(config, **overrides)
    return ActorSpec(role=role, actor_class=DatabaseWriter, kwargs={"settings": settings},
                     depends_on=depends_on, required=True)


def migrate_only(config: Any) -> int:
    """``pyde1-run --migrate-only``: create or migrate the database, say what was done.
    Returns the exit status: 0, or 1 with the reason on stderr."""
    settings = DatabaseSettings.from_config(config)
    try:
        report = prepare_database(settings.filename, backup_timeout=settings.backup_timeout)
    except DatabaseOpenError as exc:
        logging.getLogger("pyde1.database").critical("%s", exc)
        print(f"pyde1-run: {exc}", file=sys.stderr)
        return 1
    if report.created:
        print(f"created {report.path} (schema {report.version})")
    elif report.actions:
        print(f"{report.path}: {'; '.join(report.actions)}; backup in {report.backup}")
    else:
        print(f"{report.path}: schema {report.version}, nothing to do")
    return 0


__all__ = ["ROLE", "STORED_EVENT_CLASSES", "DatabaseOpenError", "DatabaseSettings", "DatabaseWriter",
           "OpenReport", "database_spec", "migrate_only", "prepare_database"]
