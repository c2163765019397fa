"""The database writer actor records shots from bus events; the file is checked with plain
sqlite3 against the events sent."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections import Counter

import pytest

from pyde1.db.events import DatabaseCommitted, DatabaseProblem, SequenceRecorded
from pyde1.db.mapping import BUFFER_DEPTH, CLASS_TABLE
from pyde1.db.synthetic import espresso_shot
from pyde1.events import SequencerGateNotification, ShotSampleWithVolumesUpdate, WeightAndFlowUpdate
from test_db_support import count, publish_all, reader, running_writer


def expected_prehistory(shot, seconds: float) -> list:
    """Per class: the last BUFFER_DEPTH events, plus every event of the last ``seconds``."""
    chosen = []
    by_class: dict[str, list] = {}
    for e in shot.prehistory:
        by_class.setdefault(type(e).__name__, []).append(e)
    for cls, events in by_class.items():
        depth = BUFFER_DEPTH[cls]
        for i, e in enumerate(events):
            if e.event_time >= shot.start - seconds or i >= len(events) - depth:
                chosen.append(e)
    return chosen


def table_counts(events) -> Counter:
    return Counter(CLASS_TABLE[type(e).__name__] for e in events)


def test_a_shot_is_recorded_with_its_prehistory(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100, idle_before=20.0)
    with running_writer(runtime, sqlite_path, pre_sequence_seconds=2.0):
        publish_all(runtime.bus, shot.events)
        done = runtime.extras["recorder"].wait_for(SequenceRecorded, timeout=10)
    pre = expected_prehistory(shot, 2.0)
    assert 0 < len(pre) < len(shot.prehistory)  # the window really cut something
    assert done.sequence_id == shot.sequence_id and done.complete
    assert done.rows == len(shot.sequence_events) + len(pre)
    expected = table_counts(shot.sequence_events) + table_counts(pre)
    with reader(sqlite_path) as conn:
        for table in CLASS_TABLE.values():
            assert count(conn, table, shot.sequence_id) == expected.get(table, 0), table
            assert count(conn, table) == expected.get(table, 0), table  # nothing outside the sequence
        row = conn.execute("SELECT active_state, start_sequence, start_flow, end_flow, end_sequence, "
                           "profile_id, profile_assumed FROM sequence WHERE id = ?", (shot.sequence_id,)).fetchone()
    assert row == ("Espresso", shot.start, shot.flow_begin, shot.flow_end, shot.complete, "dummy", 1)


def test_stored_values_are_the_wire_values(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100)
    with running_writer(runtime, sqlite_path):
        publish_all(runtime.bus, shot.events)
        runtime.extras["recorder"].wait_for(SequenceRecorded, timeout=10)
    sample = next(e for e in shot.sequence_events if isinstance(e, ShotSampleWithVolumesUpdate))
    with reader(sqlite_path) as conn:
        conn.row_factory = sqlite3.Row
        got = conn.execute("SELECT * FROM shot_sample_with_volume_update WHERE event_time = ? AND sequence_id = ?",
                           (sample.event_time, shot.sequence_id)).fetchone()
        state = conn.execute("SELECT is_error_state, typeof(is_error_state) AS t FROM state_update LIMIT 1").fetchone()
        stop = conn.execute("SELECT * FROM stop_at_notification LIMIT 1").fetchone()
        gate = conn.execute("SELECT name, action, active_state, sender, version FROM sequencer_gate_notification "
                            "WHERE name = 'sequence_start' AND action = 'set'").fetchone()
    wire = sample.to_dict()
    for key in ("sample_time", "group_pressure", "de1_time", "arrival_time", "version", "sender", "frame_number"):
        assert got[key] == wire[key], key
    assert got["volume_by_frames"] == repr(wire["volume_by_frames"])
    assert (state["is_error_state"], state["t"]) == ("0", "text")
    assert stop["stop_at"] in ("time", "volume", "weight", "move on by weight") and "current_frame" not in stop.keys()
    assert tuple(gate) == ("sequence_start", "set", "Espresso", "FlowSequencerImpl", "1.1.0")


def test_nothing_is_written_between_sequences(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100)
    with running_writer(runtime, sqlite_path) as (db, _):
        publish_all(runtime.bus, shot.prehistory)
        assert db.flush().get(timeout=5) is True
        assert db.health().get(timeout=5)["buffered"] > 0
        with reader(sqlite_path) as conn:
            assert sum(count(conn, t) for t in CLASS_TABLE.values()) == 0


def test_commits_at_least_every_second_during_a_shot(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100)
    half = shot.events[: len(shot.events) // 2]
    samples_sent = sum(isinstance(e, ShotSampleWithVolumesUpdate) for e in half)
    rec = runtime.extras["recorder"]
    with running_writer(runtime, sqlite_path, commit_interval=0.5):
        publish_all(runtime.bus, half)
        sent = time.monotonic()
        # No further events arrive: the ticker alone must commit the rest within a second.
        while True:
            k = len(rec.of_type(DatabaseCommitted))  # count first, then sum: no commit is missed
            if sum(e.samples for e in rec.of_type(DatabaseCommitted)) >= samples_sent:
                break
            rec.wait_count(DatabaseCommitted, k + 1, timeout=max(0.01, sent + 1.5 - time.monotonic()))
        waited = time.monotonic() - sent
        with reader(sqlite_path) as conn:
            assert count(conn, "shot_sample_with_volume_update", shot.sequence_id) == samples_sent
        assert rec.of_type(DatabaseCommitted)[-1].sequence_id == shot.sequence_id  # mid-shot commits
    assert waited < 1.0


def test_stop_mid_shot_flushes_what_arrived(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100)
    part = shot.events[: len(shot.events) * 2 // 3]
    with running_writer(runtime, sqlite_path, commit_interval=1.0) as (db, sup):
        publish_all(runtime.bus, part)
        assert db.health().get(timeout=5)["recording"] == shot.sequence_id  # all handled, maybe not written
    with reader(sqlite_path) as conn:
        assert count(conn, "weight_and_flow_update", shot.sequence_id) == \
            sum(isinstance(e, WeightAndFlowUpdate) for e in part)
        assert conn.execute("SELECT end_sequence FROM sequence WHERE id = ?", (shot.sequence_id,)).fetchone() == (None,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_locked_file_is_reported_retried_and_blocks_nobody(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100)
    rec = runtime.extras["recorder"]
    with running_writer(runtime, sqlite_path, busy_timeout=0.05) as (db, _):
        blocker = sqlite3.connect(sqlite_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            worst = 0.0
            for e in shot.events:
                t = time.perf_counter()
                runtime.bus.publish(e)
                worst = max(worst, time.perf_counter() - t)
            problem = rec.wait_for(DatabaseProblem, timeout=5)
            health = db.health().get(timeout=2)  # the writer still answers
            assert not health["writable"] and health["pending"] > 0
            with reader(sqlite_path) as conn:  # and readers still read
                assert count(conn, "shot_sample_with_volume_update") == 0
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        done = rec.wait_for(SequenceRecorded, timeout=10)
    assert "locked" in problem.reason and problem.pending > 0
    assert worst < 0.05
    assert done.rows >= len(shot.sequence_events)
    with reader(sqlite_path) as conn:
        assert count(conn, "shot_sample_with_volume_update", shot.sequence_id) >= shot.count(ShotSampleWithVolumesUpdate)


def test_a_full_disk_is_reported_and_retried(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100, flow_seconds=60)
    rec = runtime.extras["recorder"]
    with running_writer(runtime, sqlite_path) as (db, _):
        with reader(sqlite_path) as conn:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        db.limit_pages(pages).get(timeout=5)
        publish_all(runtime.bus, shot.events)
        problem = rec.wait_for(DatabaseProblem, timeout=5)
        assert db.health().get(timeout=2)["pending"] > 0
        db.limit_pages(None).get(timeout=5)  # space again
        done = rec.wait_for(SequenceRecorded, timeout=15)
    assert "full" in problem.reason
    with reader(sqlite_path) as conn:
        assert count(conn, "shot_sample_with_volume_update", done.sequence_id) >= shot.count(ShotSampleWithVolumesUpdate)


def test_profiles_once_per_id_and_the_master_row_names_the_uploaded_one(runtime, sqlite_path):
    source = b'{"version": "2.1", "title": "T", "beverage_type": "espresso", "steps": []}'
    pid = hashlib.sha1(source).hexdigest()
    shot = espresso_shot(time.time() - 100)
    with running_writer(runtime, sqlite_path) as (db, _):
        assert db.store_profile(source, "f" * 40, title="T", beverage_type="espresso").get(timeout=5) == pid
        assert db.store_profile(source, "f" * 40, title="other").get(timeout=5) == pid
        db.profile_uploaded(pid).get(timeout=5)
        publish_all(runtime.bus, shot.events)
        runtime.extras["recorder"].wait_for(SequenceRecorded, timeout=10)
        stored = db.get_profile(pid).get(timeout=5)
    assert stored["source"] == source and stored["title"] == "T"
    with reader(sqlite_path) as conn:
        assert conn.execute("SELECT COUNT(*), title, fingerprint, source_format FROM profile WHERE id = ?",
                            (pid,)).fetchone() == (1, "T", "f" * 40, "JSONv2")
        assert conn.execute("SELECT profile_id, profile_assumed FROM sequence WHERE id = ?",
                            (shot.sequence_id,)).fetchone() == (pid, 0)
        assert conn.execute("SELECT value FROM persist_hkv WHERE header = 'last_profile' AND key = 'id'"
                            ).fetchone() == (pid,)


def test_persist_hkv_survives_a_restart_and_the_last_profile_is_assumed(runtime, sqlite_path):
    with running_writer(runtime, sqlite_path) as (db, _):
        db.hkv_put("scale.period", "CF:75:75:AA:BB:CC", 0.1).get(timeout=5)
        db.profile_uploaded("a" * 40).get(timeout=5)
    shot = espresso_shot(time.time() - 100)
    with running_writer(runtime, sqlite_path) as (db, _):
        assert db.hkv_get("scale.period", "CF:75:75:AA:BB:CC").get(timeout=5) == "0.1"
        assert db.hkv_items("last_profile").get(timeout=5)["id"] == "a" * 40
        publish_all(runtime.bus, shot.events)
        runtime.extras["recorder"].wait_for(SequenceRecorded, timeout=10)
    with reader(sqlite_path) as conn:
        assert conn.execute("SELECT profile_id, profile_assumed FROM sequence WHERE id = ?",
                            (shot.sequence_id,)).fetchone() == ("a" * 40, 1)
        assert conn.execute("SELECT COUNT(*) FROM persist_hkv").fetchone() == (3,)


def test_history_queries_with_paging(runtime, sqlite_path):
    base = time.time() - 1000
    shots = [espresso_shot(base + i * 100, idle_before=0.5, flow_seconds=5) for i in range(5)]
    rec = runtime.extras["recorder"]
    with running_writer(runtime, sqlite_path) as (db, _):
        assert db.last_sequence_id().get(timeout=5) is None
        for shot in shots:
            publish_all(runtime.bus, shot.events)
        rec.wait_count(SequenceRecorded, 5, timeout=10)
        db.attach_resources({"resource_version": {"api": "5.0.0"}}, shots[0].sequence_id).get(timeout=5)
        assert db.last_sequence_id().get(timeout=5) == shots[-1].sequence_id
        page = db.list_sequences(limit=2, offset=1).get(timeout=5)
        assert page["total"] == 5
        assert [s["id"] for s in page["sequences"]] == [shots[3].sequence_id, shots[2].sequence_id]
        first = db.get_sequence(shots[0].sequence_id).get(timeout=5)
        assert first["resource_version"] == '{"api": "5.0.0"}'
        assert db.get_sequence("nope").get(timeout=5) is None
        with pytest.raises(ValueError, match="limit must be"):
            db.list_sequences(limit=-1).get(timeout=5)
        with pytest.raises(ValueError, match="offset must be an integer >= 0 and below 2"):
            db.list_sequences(offset=2**63).get(timeout=5)
        with pytest.raises(ValueError, match="unknown sequence resource column"):
            db.attach_resources({"resource_nope": 1}).get(timeout=5)


def test_readers_read_while_the_writer_writes(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100, flow_seconds=60)
    rec = runtime.extras["recorder"]
    with running_writer(runtime, sqlite_path, commit_interval=0.2):
        conn = reader(sqlite_path)
        seen = []
        for i, e in enumerate(shot.events):
            runtime.bus.publish(e)
            if i % 50 == 0:
                seen.append(count(conn, "weight_and_flow_update"))  # never "database is locked"
        rec.wait_for(SequenceRecorded, timeout=10)
        seen.append(count(conn, "weight_and_flow_update"))
        conn.close()
    assert seen == sorted(seen) and seen[-1] == shot.count(WeightAndFlowUpdate)


def test_a_restarted_writer_resumes_the_open_sequence_at_its_next_gate(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 100, flow_seconds=10)
    gate = next(i for i, e in enumerate(shot.events) if isinstance(e, SequencerGateNotification)
                and e.name.value == "sequence_expect_drops" and e.action.value == "set")
    cut = gate - 10  # ten events reach the new writer before the gate that resumes the sequence
    rec = runtime.extras["recorder"]
    with running_writer(runtime, sqlite_path):
        publish_all(runtime.bus, shot.events[:cut])  # stops mid-shot: the master row stays open
    with running_writer(runtime, sqlite_path, pre_sequence_seconds=60):
        publish_all(runtime.bus, shot.events[cut:])
        done = rec.wait_for(SequenceRecorded, timeout=10)
    assert done.sequence_id == shot.sequence_id and done.complete
    with reader(sqlite_path) as conn:
        row = conn.execute("SELECT start_flow, end_flow, end_sequence FROM sequence WHERE id = ?",
                           (shot.sequence_id,)).fetchone()
        assert row == (shot.flow_begin, shot.flow_end, shot.complete)
        assert count(conn, "shot_sample_with_volume_update", shot.sequence_id) == \
            shot.count(ShotSampleWithVolumesUpdate) + sum(isinstance(e, ShotSampleWithVolumesUpdate)
                                                          for e in shot.prehistory)
