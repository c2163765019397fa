"""A new database has exactly pyDE1 2.0's schema 3 (api-contract §3.1–3.2), read back with
plain sqlite3. The expected layout is written out here from the reference, independently of
``pyde1.db.schema``."""

from __future__ import annotations

import sqlite3

import pytest

from actors.db import prepare_database
from pyde1.db import schema

N = ["sequence_id", "version", "sender", "arrival_time", "create_time", "event_time"]
EXPECTED = {
    "profile": ["id", "source", "source_format", "fingerprint", "date_added", "title", "author", "notes",
                "beverage_type"],
    "persist_hkv": ["header", "key", "value"],
    "sequence": ["id", "active_state", "start_sequence", "start_flow", "end_flow", "end_sequence", "profile_id",
                 "profile_assumed", "resource_version", "resource_de1_id", "resource_de1_read_once",
                 "resource_de1_calibration_flow_multiplier", "resource_de1_control_mode",
                 "resource_de1_control_tank_water_threshold", "resource_de1_setting_before_flow",
                 "resource_de1_setting_steam", "resource_de1_setting_target_group_temp", "resource_scale_id"],
    "shot_sample_with_volume_update": N + [
        "de1_time", "sample_time", "group_pressure", "group_flow", "mix_temp", "head_temp", "set_mix_temp",
        "set_head_temp", "set_group_pressure", "set_group_flow", "frame_number", "steam_temp",
        "volume_preinfuse", "volume_pour", "volume_total", "volume_by_frames"],
    "weight_and_flow_update": N + [
        "scale_time", "current_weight", "current_weight_time", "average_flow", "average_flow_time",
        "median_weight", "median_weight_time", "median_flow", "median_flow_time"],
    "state_update": N + ["state", "substate", "previous_state", "previous_substate", "is_error_state"],
    "sequencer_gate_notification": N + ["name", "action", "active_state"],
    "stop_at_notification": N + ["stop_at", "action", "active_state", "target_value", "current_value"],
    "water_level_update": N + ["level", "start_fill_level"],
    "scale_tare_seen": N,
    "auto_tare_notification": N + ["action"],
    "scale_button_press": N + ["button"],
    "connectivity_change": N + ["state", "id", "name"],
    "device_availability": N + ["state", "id", "name", "role"],
    "scale_change": N + ["state", "id", "name"],
    "bluedot_update": N + ["temperature", "high_alarm", "units", "alarm_byte", "name"],
}
NOTIFICATION = [t for t in EXPECTED if t not in ("profile", "persist_hkv", "sequence")]


@pytest.fixture
def new_db(sqlite_path):
    report = prepare_database(sqlite_path)
    assert report.created and report.backup is None
    conn = sqlite3.connect(sqlite_path)
    yield conn
    conn.close()


def test_new_file_is_schema_3_in_wal(new_db):
    assert new_db.execute("PRAGMA user_version").fetchone()[0] == 3
    assert new_db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_tables_and_columns_match_the_reference(new_db):
    tables = {r[0] for r in new_db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(EXPECTED)
    for table, columns in EXPECTED.items():
        got = [r[1] for r in new_db.execute(f"PRAGMA table_info({table})")]
        assert got == columns, table


def test_column_types_and_constraints(new_db):
    info = {r[1]: r for r in new_db.execute("PRAGMA table_info(sequence)")}
    assert info["id"][2] == "TEXT" and info["id"][3] == 1 and info["id"][5] == 1  # NOT NULL PRIMARY KEY
    assert info["profile_id"][3] == 1
    assert {r[1]: r[2] for r in new_db.execute("PRAGMA table_info(profile)")}["source"] == "BLOB"
    for table in NOTIFICATION:
        seq = next(r for r in new_db.execute(f"PRAGMA table_info({table})") if r[1] == "sequence_id")
        nullable = table in ("scale_change", "bluedot_update")
        assert seq[3] == (0 if nullable else 1), table
        refs = new_db.execute(f"PRAGMA foreign_key_list({table})").fetchall()
        assert (refs == []) == nullable, table
    assert {r[1]: r[2] for r in new_db.execute("PRAGMA table_info(bluedot_update)")}["alarm_byte"] == "INT"


def test_indexes(new_db):
    idx = {r[0]: r[1] for r in new_db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type='index' "
                                              "AND name LIKE 'idx_%'")}
    for table in NOTIFICATION:
        assert idx.pop(f"idx_{table}_sequence_id") == table
    for col in ("fingerprint", "date_added", "title", "beverage_type"):
        assert idx.pop(f"idx_profile_{col}") == "profile"
    for col in ("active_state", "start_sequence", "start_flow", "end_flow", "end_sequence", "profile_id"):
        assert idx.pop(f"idx_sequence_{col}") == "sequence"
    assert idx.pop("idx_persist_hkv_hk") == "persist_hkv"
    assert idx == {}
    unique = new_db.execute("PRAGMA index_list(persist_hkv)").fetchall()
    assert [(r[1], r[2]) for r in unique] == [("idx_persist_hkv_hk", 1)]


def test_seed_rows(new_db):
    assert new_db.execute("SELECT id, source, typeof(source), source_format, fingerprint, date_added FROM profile"
                          ).fetchall() == [("dummy", "dummy", "text", "dummy", "dummy", 0)]
    assert sorted(new_db.execute("SELECT header, key, value FROM persist_hkv")) == [
        ("last_profile", "datetime", "0"), ("last_profile", "id", "dummy")]
    assert new_db.execute("SELECT id, profile_id, start_sequence FROM sequence").fetchall() == [
        ("dummy", "dummy", None)]


def test_reopening_a_current_file_changes_nothing(sqlite_path):
    prepare_database(sqlite_path)
    before = sqlite_path.read_bytes()
    report = prepare_database(sqlite_path)
    assert not report.created and report.found_version == 3 and report.backup is None
    assert report.actions == ()
    assert sqlite_path.read_bytes() == before


def test_schema_module_versions_differ_as_documented():
    v1, v2, v3 = (schema.column_names(v) for v in (1, 2, 3))
    assert v1["connectivity_change"] == tuple(N + ["state"])
    assert v2["connectivity_change"] == tuple(N + ["state", "id", "name"])
    assert set(v3) - set(v2) == {"device_availability", "scale_change", "bluedot_update"}
    assert set(v2) == set(v1)
    with pytest.raises(ValueError, match="unknown schema version 4"):
        schema.tables(4)
    with pytest.raises(ValueError, match="no upgrade from schema version 3"):
        schema.upgrade_statements(3)
