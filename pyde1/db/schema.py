"""The SQLite schema of pyDE1's shot database, versions 1, 2 and 3, as data and DDL text.

Facts from api-contract §3.1–3.2: every notification table starts with the common columns
(``sequence_id``, ``version``, ``sender``, ``arrival_time``, ``create_time``, ``event_time``),
then the payload's own columns. Version history:

* 1: the original schema; ``connectivity_change`` has the common columns and ``state`` only.
* 2: ``connectivity_change`` gains ``id`` and ``name`` (``upgrade.001.002``).
* 3: ``device_availability``, ``scale_change`` and ``bluedot_update`` with their indexes
  (``upgrade.002.003``).

Statements are kept one per string so a migration can run them inside one explicit
transaction (``executescript`` would commit first). No database access here.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 3
KNOWN_VERSIONS = (1, 2, 3)

# Seed values written with a new schema (api-contract §3.2, "Seed rows").
DUMMY_ID = "dummy"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    decl: str  # type and constraints as written in CREATE TABLE

    def ddl(self) -> str:
        return f"{self.name} {self.decl}".rstrip()


def _cols(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, decl) for name, decl in pairs)


def _common(sequence_ref: bool = True) -> tuple[Column, ...]:
    seq = "TEXT NOT NULL REFERENCES sequence(id)" if sequence_ref else "TEXT"
    return _cols(("sequence_id", seq), ("version", "TEXT"), ("sender", "TEXT"),
                 ("arrival_time", "REAL"), ("create_time", "REAL"), ("event_time", "REAL"))


COMMON_COLUMNS = tuple(c.name for c in _common())

PROFILE = _cols(
    ("id", "TEXT NOT NULL PRIMARY KEY"), ("source", "BLOB NOT NULL"),
    ("source_format", "TEXT NOT NULL"), ("fingerprint", "TEXT NOT NULL"), ("date_added", "REAL"),
    ("title", "TEXT"), ("author", "TEXT"), ("notes", "TEXT"), ("beverage_type", "TEXT"))

PERSIST_HKV = _cols(("header", "TEXT"), ("key", "TEXT NOT NULL"), ("value", "TEXT"))

SEQUENCE = _cols(
    ("id", "TEXT NOT NULL PRIMARY KEY"), ("active_state", "TEXT"), ("start_sequence", "REAL"),
    ("start_flow", "REAL"), ("end_flow", "REAL"), ("end_sequence", "REAL"),
    ("profile_id", "TEXT NOT NULL REFERENCES profile(id)"), ("profile_assumed", "INTEGER"),
    ("resource_version", "TEXT"), ("resource_de1_id", "TEXT"), ("resource_de1_read_once", "TEXT"),
    ("resource_de1_calibration_flow_multiplier", "TEXT"), ("resource_de1_control_mode", "TEXT"),
    ("resource_de1_control_tank_water_threshold", "TEXT"),
    ("resource_de1_setting_before_flow", "TEXT"), ("resource_de1_setting_steam", "TEXT"),
    ("resource_de1_setting_target_group_temp", "TEXT"), ("resource_scale_id", "TEXT"))

# Notification tables of schema 3, in the order of api-contract §3.2.
NOTIFICATION_TABLES: dict[str, tuple[Column, ...]] = {
    "shot_sample_with_volume_update": _common() + _cols(
        ("de1_time", "REAL"), ("sample_time", "INTEGER"), ("group_pressure", "REAL"),
        ("group_flow", "REAL"), ("mix_temp", "REAL"), ("head_temp", "REAL"),
        ("set_mix_temp", "REAL"), ("set_head_temp", "REAL"), ("set_group_pressure", "REAL"),
        ("set_group_flow", "REAL"), ("frame_number", "INTEGER"), ("steam_temp", "REAL"),
        ("volume_preinfuse", "REAL"), ("volume_pour", "REAL"), ("volume_total", "REAL"),
        ("volume_by_frames", "TEXT")),
    "weight_and_flow_update": _common() + _cols(
        ("scale_time", "REAL"), ("current_weight", "REAL"), ("current_weight_time", "REAL"),
        ("average_flow", "REAL"), ("average_flow_time", "REAL"), ("median_weight", "REAL"),
        ("median_weight_time", "REAL"), ("median_flow", "REAL"), ("median_flow_time", "REAL")),
    "state_update": _common() + _cols(
        ("state", "TEXT"), ("substate", "TEXT"), ("previous_state", "TEXT"),
        ("previous_substate", "TEXT"), ("is_error_state", "TEXT")),
    "sequencer_gate_notification": _common() + _cols(
        ("name", "TEXT"), ("action", "TEXT"), ("active_state", "TEXT")),
    "stop_at_notification": _common() + _cols(
        ("stop_at", "TEXT"), ("action", "TEXT"), ("active_state", "TEXT"),
        ("target_value", "REAL"), ("current_value", "REAL")),
    "water_level_update": _common() + _cols(("level", "REAL"), ("start_fill_level", "REAL")),
    "scale_tare_seen": _common(),
    "auto_tare_notification": _common() + _cols(("action", "TEXT")),
    "scale_button_press": _common() + _cols(("button", "INTEGER")),
    "connectivity_change": _common() + _cols(("state", "TEXT"), ("id", "TEXT"), ("name", "TEXT")),
    "device_availability": _common() + _cols(
        ("state", "TEXT"), ("id", "TEXT"), ("name", "TEXT"), ("role", "TEXT")),
    "scale_change": _common(sequence_ref=False) + _cols(
        ("state", "TEXT"), ("id", "TEXT"), ("name", "TEXT")),
    "bluedot_update": _common(sequence_ref=False) + _cols(
        ("temperature", "REAL"), ("high_alarm", "REAL"), ("units", "TEXT"),
        ("alarm_byte", "INT"), ("name", "TEXT")),
}

V3_ONLY_TABLES = ("device_availability", "scale_change", "bluedot_update")
# Columns connectivity_change did not have before version 2.
V2_CONNECTIVITY_COLUMNS = ("id", "name")

MASTER_TABLES: dict[str, tuple[Column, ...]] = {
    "profile": PROFILE, "persist_hkv": PERSIST_HKV, "sequence": SEQUENCE,
}


def tables(version: int = SCHEMA_VERSION) -> dict[str, tuple[Column, ...]]:
    """Every table of schema ``version`` with its columns, in creation order."""
    _check_version(version)
    out = dict(MASTER_TABLES)
    for name, columns in NOTIFICATION_TABLES.items():
        if version < 3 and name in V3_ONLY_TABLES:
            continue
        if version < 2 and name == "connectivity_change":
            columns = tuple(c for c in columns if c.name not in V2_CONNECTIVITY_COLUMNS)
        out[name] = columns
    return out


def column_names(version: int = SCHEMA_VERSION) -> dict[str, tuple[str, ...]]:
    return {name: tuple(c.name for c in cols) for name, cols in tables(version).items()}


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False

    def ddl(self, if_not_exists: bool = False) -> str:
        unique = "UNIQUE " if self.unique else ""
        guard = "IF NOT EXISTS " if if_not_exists else ""
        return f"CREATE {unique}INDEX {guard}{self.name} ON {self.table} ({', '.join(self.columns)})"


def indexes(version: int = SCHEMA_VERSION) -> tuple[Index, ...]:
    """Every index of schema ``version`` (api-contract §3.2, "Indexes")."""
    out = [Index(f"idx_profile_{c}", "profile", (c,))
           for c in ("fingerprint", "date_added", "title", "beverage_type")]
    out.append(Index("idx_persist_hkv_hk", "persist_hkv", ("header", "key"), unique=True))
    out += [Index(f"idx_sequence_{c}", "sequence", (c,)) for c in
            ("active_state", "start_sequence", "start_flow", "end_flow", "end_sequence", "profile_id")]
    present = tables(version)
    out += [Index(f"idx_{t}_sequence_id", t, ("sequence_id",)) for t in NOTIFICATION_TABLES if t in present]
    return tuple(out)


def create_table_ddl(name: str, columns: tuple[Column, ...], if_not_exists: bool = False) -> str:
    guard = "IF NOT EXISTS " if if_not_exists else ""
    body = ",\n    ".join(c.ddl() for c in columns)
    return f"CREATE TABLE {guard}{name} (\n    {body}\n)"


SEED_STATEMENTS = (
    f"INSERT OR IGNORE INTO profile (id, source, source_format, fingerprint, date_added) "
    f"VALUES ('{DUMMY_ID}', '{DUMMY_ID}', '{DUMMY_ID}', '{DUMMY_ID}', 0)",
    # persist_hkv has a UNIQUE (header, key) index, so OR IGNORE keeps existing values.
    f"INSERT OR IGNORE INTO persist_hkv (header, key, value) VALUES ('last_profile', 'id', '{DUMMY_ID}')",
    "INSERT OR IGNORE INTO persist_hkv (header, key, value) VALUES ('last_profile', 'datetime', '0')",
    f"INSERT OR IGNORE INTO sequence (id, profile_id) VALUES ('{DUMMY_ID}', '{DUMMY_ID}')",
)


def create_statements(version: int = SCHEMA_VERSION) -> tuple[str, ...]:
    """Statements that build schema ``version`` in an empty file, seeds and user_version included.

    Journal mode is not among them: ``PRAGMA journal_mode=WAL`` cannot run inside a
    transaction and is set by the caller.
    """
    stmts = [create_table_ddl(name, cols) for name, cols in tables(version).items()]
    stmts += [ix.ddl() for ix in indexes(version)]
    stmts += list(SEED_STATEMENTS)
    stmts.append(f"PRAGMA user_version = {version}")
    return tuple(stmts)


def upgrade_statements(from_version: int) -> tuple[str, ...]:
    """Statements that take a schema from ``from_version`` to ``from_version + 1``."""
    if from_version == 1:
        return (
            "ALTER TABLE connectivity_change ADD COLUMN id TEXT",
            "ALTER TABLE connectivity_change ADD COLUMN name TEXT",
            "PRAGMA user_version = 2",
        )
    if from_version == 2:
        stmts = [create_table_ddl(t, NOTIFICATION_TABLES[t]) for t in V3_ONLY_TABLES]
        stmts += [f"CREATE INDEX idx_{t}_sequence_id ON {t} (sequence_id)" for t in V3_ONLY_TABLES]
        stmts.append("PRAGMA user_version = 3")
        return tuple(stmts)
    raise ValueError(f"no upgrade from schema version {from_version!r} (known: {KNOWN_VERSIONS})")


def repair_statements() -> tuple[str, ...]:
    """Idempotent statements that add any missing schema-3 table, index or seed row.

    Run last in a migration: old files may lack an index or the seed rows that the
    recording relies on (``persist_hkv`` ``last_profile`` is updated, never inserted, by
    pyDE1, so the row must exist).
    """
    stmts = [create_table_ddl(n, c, if_not_exists=True) for n, c in tables(SCHEMA_VERSION).items()]
    stmts += [ix.ddl(if_not_exists=True) for ix in indexes(SCHEMA_VERSION)]
    stmts += list(SEED_STATEMENTS)
    return tuple(stmts)


def script(statements: tuple[str, ...]) -> str:
    """Statements as one SQL script text (for documentation and the sqlite3 shell)."""
    return "".join(f"{s};\n" for s in statements)


def _check_version(version: int) -> None:
    if version not in KNOWN_VERSIONS:
        raise ValueError(f"unknown schema version {version!r} (known: {KNOWN_VERSIONS})")
