"""Database writer settings, read from the service configuration with safe defaults.

pyDE1 2.0 keys: ``database.FILENAME``, ``database.BACKUP_TIMEOUT``. Our additions (read
when the configuration has them, defaults otherwise): ``database.PRE_SEQUENCE_SECONDS``
(seconds of events before a sequence start written with it) and
``database.COMMIT_INTERVAL`` (seconds between commits while a sequence is recorded; at
most 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

DEFAULT_FILENAME = "/var/lib/pyde1/pyde1.sqlite3"
MAX_COMMIT_INTERVAL = 1.0


class SettingsError(ValueError):
    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(f"database.{key}: {reason}")


@dataclass(frozen=True)
class DatabaseSettings:
    filename: str = DEFAULT_FILENAME
    backup_timeout: float = 120.0
    pre_sequence_seconds: float = 5.0
    commit_interval: float = 0.5
    #: How long one write may wait for a lock held by another process before it is
    #: reported and retried later (the writer never waits longer than this per attempt).
    busy_timeout: float = 0.25
    #: Operations kept in memory while the file cannot be written; beyond this the oldest
    #: notification rows are dropped (and counted).
    max_pending: int = 200_000
    #: Largest number of operations written in one transaction.
    batch_size: int = 2000

    def __post_init__(self) -> None:
        if not isinstance(self.filename, str) or not self.filename:
            raise SettingsError("FILENAME", f"expected a file name, got {self.filename!r}")
        for key in ("backup_timeout", "pre_sequence_seconds", "commit_interval", "busy_timeout"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise SettingsError(key.upper(), f"expected a number >= 0, got {value!r}")
        if not 0 < self.commit_interval <= MAX_COMMIT_INTERVAL:
            raise SettingsError("COMMIT_INTERVAL",
                                f"must be > 0 and at most {MAX_COMMIT_INTERVAL} s, got {self.commit_interval!r}")

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> DatabaseSettings:
        """Settings from ``config.database`` (any object with upper-case attributes, or a
        mapping), then keyword overrides (lower-case names; None means "not given")."""
        section = _section(config, "database")
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = _get(section, f.name.upper())
            if raw is not None:
                values[f.name] = float(raw) if isinstance(raw, int) and f.type == "float" else raw
        settings = cls(**values)
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given) if given else settings


def _section(config: Any, name: str) -> Any:
    if config is None:
        return None
    if isinstance(config, dict):
        return config.get(name)
    return getattr(config, name, None)


def _get(section: Any, key: str) -> Any:
    if section is None:
        return None
    if isinstance(section, dict):
        return section.get(key)
    return getattr(section, key, None)
