"""pyde1-db: list, export (JSON, CSV, shot file), import, migrate, schema."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time

import pytest

from actors.tools.db_cli import main
from pyde1.db.events import SequenceRecorded
from pyde1.db.synthetic import espresso_shot
from pyde1.events import ShotSampleWithVolumesUpdate
from test_db_support import count, publish_all, reader, running_writer


@pytest.fixture
def recorded(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 3600, flow_seconds=8, idle_before=1.0)
    with running_writer(runtime, sqlite_path) as (db, _):
        pid = db.store_profile(b'{"title": "\xc3\xa9t\xc3\xa9", "beverage_type": "espresso"}', "f" * 40).get(timeout=5)
        db.profile_uploaded(pid).get(timeout=5)
        publish_all(runtime.bus, shot.events)
        runtime.extras["recorder"].wait_for(SequenceRecorded, timeout=10)
    return shot


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_and_export_formats(recorded, sqlite_path, capsys):
    db = str(sqlite_path)
    status, out, _ = run(capsys, "-d", db, "list")
    assert status == 0 and out.startswith(recorded.sequence_id) and "Espresso" in out
    status, out, _ = run(capsys, "-d", db, "export", "-s", "last", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert status == 0 and rows[0][:2] == ["sequence_id", "version"]
    with reader(sqlite_path) as conn:
        assert len(rows) - 1 == count(conn, "shot_sample_with_volume_update", recorded.sequence_id)
    assert len(rows) - 1 >= recorded.count(ShotSampleWithVolumesUpdate)
    status, out, _ = run(capsys, "-d", db, "export", "-s", recorded.sequence_id, "--format", "shot")
    assert status == 0 and out.startswith(f"sequence_id {recorded.sequence_id}\n") and "profile_title {été}" in out
    status, out, _ = run(capsys, "-d", db, "export", "-s", recorded.sequence_id, "-f", "csv", "--table", "sequence")
    assert status == 0 and out.splitlines()[1].startswith(recorded.sequence_id)


def test_json_export_imports_into_another_database(recorded, sqlite_path, tmp_path, capsys):
    exported = tmp_path / "shot.json"
    status, _, _ = run(capsys, "-d", str(sqlite_path), "export", "-s", recorded.sequence_id, "-o", str(exported))
    assert status == 0
    doc = json.loads(exported.read_text())
    assert doc["format"] == "pyde1.sequence" and doc["profile"]["title"] == "été"
    other = tmp_path / "other.sqlite3"
    status, out, _ = run(capsys, "-d", str(other), "import", str(exported))
    total = sum(len(rows) for rows in doc["tables"].values())
    assert status == 0 and out == f"imported sequence {recorded.sequence_id}: {total} rows\n"
    status, again, _ = run(capsys, "-d", str(other), "export", "-s", recorded.sequence_id)
    assert json.loads(again) == doc
    status, _, err = run(capsys, "-d", str(other), "import", str(exported))
    assert status == 1 and "already in the database" in err
    with sqlite3.connect(other) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (3,)


def test_problems_are_one_line_and_exit_1(recorded, sqlite_path, tmp_path, capsys):
    db = str(sqlite_path)
    status, _, err = run(capsys, "-d", db, "export", "-s", "nope")
    assert status == 1 and err == "pyde1-db: no sequence with id 'nope' in the database\n"
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "pyde1.sequence", "format_version": 1, "sequence": {"id": "x", "profile_id": "p"},'
                   ' "tables": {"state_update": [{"sequence_id": "y"}]}}')
    status, _, err = run(capsys, "-d", db, "import", str(bad))
    assert status == 1 and "tables.state_update[0].sequence_id: expected 'x'" in err
    for value, reason in (("1e999999", "sequence.start_sequence: expected a finite number or null, got inf"),
                          ('"yesterday"', "sequence.start_sequence: expected a number or null, got 'yesterday'"),
                          ("100000000000000000000000000000", "sequence.start_sequence: 10000000000000000000000000"
                                                             "0000 does not fit SQLite's 64-bit integer")):
        odd = tmp_path / "odd.json"
        odd.write_text('{"format": "pyde1.sequence", "format_version": 1, "sequence": {"id": "o", '
                       f'"profile_id": "p", "start_sequence": {value}}}}}')
        status, _, err = run(capsys, "-d", db, "import", str(odd))
        assert (status, err) == (1, f"pyde1-db: {reason}\n")
    odd.write_text('{"format": "pyde1.sequence", "format_version": 1, "sequence": {"id": "o", "profile_id": "p"}, '
                   '"profile": {"id": "p", "source_format": "JSONv2", "fingerprint": "f"}}')
    status, _, err = run(capsys, "-d", db, "import", str(odd))
    assert (status, err) == (1, "pyde1-db: profile.source: missing (the profile row needs it)\n")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{}")
    status, _, err = run(capsys, "-d", db, "import", str(binary))
    assert (status, err) == (1, f"pyde1-db: document: {binary} is not UTF-8 text (byte 0): "
                                "not a pyde1 sequence export\n")
    for option in ("--limit", "--offset"):
        for value in ("-1", str(2**63)):
            status, _, err = run(capsys, "-d", db, "list", option, value)
            assert (status, err) == (2, "pyde1-db: --limit and --offset must be >= 0 and below 2**63\n")
    status, _, err = run(capsys, "-d", str(tmp_path / "missing.sqlite3"), "list")
    assert status == 1 and "does not exist" in err
    status, _, err = run(capsys, "-d", db, "export", "-s", "last", "-f", "csv", "--table", "nope")
    assert status == 2 and "unknown table 'nope'" in err


def test_schema_text_builds_that_version(tmp_path, capsys):
    status, ddl, _ = run(capsys, "schema", "--version", "1")
    assert status == 0
    conn = sqlite3.connect(tmp_path / "v1.sqlite3")
    conn.executescript(ddl)
    assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    assert [r[1] for r in conn.execute("PRAGMA table_info(connectivity_change)")][-1] == "state"
    conn.close()
    status, out, _ = run(capsys, "-d", str(tmp_path / "v1.sqlite3"), "migrate")
    assert status == 0 and "upgrade from version 1 to 3" in out and "backup in" in out
