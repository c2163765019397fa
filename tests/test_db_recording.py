"""The recording state machine and the row mapping, without threads or files."""

from __future__ import annotations

import pytest

from pyde1.db.mapping import RowError, row_from_payload
from pyde1.db.recording import (
    InsertRow, InsertSequence, Recorder, SequenceFinished, UpdateSequence,
)
from pyde1.db.synthetic import espresso_shot
from pyde1.events import BlueDOTUpdate, ScaleChange, SequencerGateNotification, StateUpdate


def gate(name, action, sid, t, state="Espresso"):
    return SequencerGateNotification(name=name, action=action, sequence_id=sid, active_state=state,
                                     arrival_time=t, create_time=t, event_time=t).to_dict()


def state(t, s="Idle"):
    return StateUpdate(state=s, substate="NoState", previous_state="Idle", previous_substate="NoState",
                       is_error_state=False, arrival_time=t, create_time=t, event_time=t).to_dict()


def run(recorder, events):
    ops = []
    for e in events:
        ops += recorder.on_payload(e.to_dict() if hasattr(e, "to_dict") else e)
    return ops


def test_a_whole_shot_gives_one_master_row_updates_and_a_finish():
    shot = espresso_shot(1000.0)
    ops = run(Recorder(), shot.events)
    masters = [op for op in ops if isinstance(op, InsertSequence)]
    assert [m.row["id"] for m in masters] == [shot.sequence_id]
    assert masters[0].row["start_sequence"] == shot.start and masters[0].row["active_state"] == "Espresso"
    updates = [op.values for op in ops if isinstance(op, UpdateSequence)]
    assert updates == [{"start_flow": shot.flow_begin}, {"end_flow": shot.flow_end}, {"end_sequence": shot.complete}]
    assert ops[-1] == SequenceFinished(shot.sequence_id, True)
    rows = [op for op in ops if isinstance(op, InsertRow)]
    assert {r.row["sequence_id"] for r in rows} == {shot.sequence_id}


def test_nothing_before_a_start_and_the_buffer_keeps_depth_and_window():
    r = Recorder(pre_sequence_seconds=1.0)
    ops = run(r, [state(float(t)) for t in range(100)])
    assert ops == []
    ops = r.on_payload(gate("sequence_start", "set", "s1", 100.0))
    rows = [op.row for op in ops if isinstance(op, InsertRow) and op.table == "state_update"]
    # depth 7 for StateUpdate beats a 1 s window
    assert [row["event_time"] for row in rows] == [float(t) for t in range(93, 100)]


def test_the_window_keeps_more_than_the_depth_when_events_are_recent():
    r = Recorder(pre_sequence_seconds=5.0)
    run(r, [state(90 + t / 10) for t in range(100)])  # 10 s of StateUpdates at 10/s
    ops = r.on_payload(gate("sequence_start", "set", "s1", 100.0))
    rows = [op for op in ops if isinstance(op, InsertRow) and op.table == "state_update"]
    assert len(rows) == 50 and rows[0].row["event_time"] == 95.0  # 95.0 .. 99.9


def test_gates_of_other_sequences_are_not_prehistory_but_their_clears_are():
    r = Recorder()
    run(r, [gate("sequence_complete", "set", "old", 1.0)] +
        [gate(n, "clear", "new", 2.0) for n in ("sequence_start", "sequence_flow_begin")])
    ops = r.on_payload(gate("sequence_start", "set", "new", 3.0))
    gates = [(op.row["name"], op.row["action"]) for op in ops
             if isinstance(op, InsertRow) and op.table == "sequencer_gate_notification"]
    assert gates == [("sequence_start", "clear"), ("sequence_flow_begin", "clear"), ("sequence_start", "set")]


def test_a_new_start_closes_an_open_sequence_and_the_watchdog_closes_a_lost_one():
    r = Recorder(max_sequence_seconds=60)
    r.on_payload(gate("sequence_start", "set", "a", 10.0))
    ops = r.on_payload(gate("sequence_start", "set", "b", 20.0))
    assert ops[0] == SequenceFinished("a", False, "sequence b started before this one completed")
    assert r.sequence_id == "b"
    assert r.check_watchdog(50.0) == []
    finished = r.check_watchdog(81.0)
    assert len(finished) == 1 and not finished[0].complete and r.sequence_id is None
    # With the caller's own clock, old event times (a replayed burst) do not trip it.
    r.on_payload(gate("sequence_start", "set", "c", 10.0), now=5000.0)
    assert r.check_watchdog(5059.0) == []
    assert r.check_watchdog(5061.0)[0].sequence_id == "c"


def test_profile_known_in_this_connection_or_assumed():
    r = Recorder()
    r.last_profile_id = "p-old"
    ops = r.on_payload(gate("sequence_start", "set", "a", 1.0))
    assert (ops[0].row["profile_id"], ops[0].row["profile_assumed"]) == ("p-old", 1)
    r.on_payload(gate("sequence_complete", "set", "a", 2.0))
    r.profile_uploaded("p-new")
    ops = r.on_payload(gate("sequence_start", "set", "b", 3.0))
    assert (ops[0].row["profile_id"], ops[0].row["profile_assumed"]) == ("p-new", 0)
    r.on_payload(gate("sequence_complete", "set", "b", 4.0))
    r.on_payload({"class": "DeviceAvailability", "role": "de1", "state": "released", "event_time": 5.0,
                  "arrival_time": 5.0, "create_time": 5.0, "version": "1.1.0", "sender": "DE1", "id": "", "name": ""})
    ops = r.on_payload(gate("sequence_start", "set", "c", 6.0))
    assert (ops[0].row["profile_id"], ops[0].row["profile_assumed"]) == ("p-new", 1)


def test_row_mapping_drops_extra_keys_and_converts_like_pyde1():
    change = ScaleChange(state="ready", role="unknown", id="x", name="Skale", sender="AtomaxSkaleII",
                         arrival_time=1, create_time=1, event_time=1).to_dict()
    table, row = row_from_payload(change, None)
    assert table == "scale_change" and "role" not in row and row["sequence_id"] is None
    dot = BlueDOTUpdate(temperature=60.0, high_alarm=65.0, units="C", alarm_byte="00", name="BlueDOT",
                        arrival_time=1, create_time=1, event_time=1).to_dict()
    assert row_from_payload(dot, "s")[1]["alarm_byte"] == "00"  # SQLite's INT affinity makes it 0
    assert row_from_payload(state(1.0), "s")[1]["is_error_state"] == "0"
    with pytest.raises(RowError, match="ScanResults: key 'class': not a stored notification class"):
        row_from_payload({"class": "ScanResults"}, "s")
    with pytest.raises(RowError, match="StateUpdate: key 'substate': missing"):
        row_from_payload({"class": "StateUpdate", "version": "1.0.0", "sender": "DE1", "arrival_time": 1,
                          "create_time": 1, "event_time": 1, "state": "Idle"}, "s")


def test_unstored_classes_are_ignored_and_bad_times_are_typed_errors():
    r = Recorder()
    assert r.on_payload({"class": "FirmwareUpload"}) == []
    with pytest.raises(ValueError, match="StateUpdate: key 'event_time'"):
        r.on_payload({"class": "StateUpdate", "event_time": "soon"})
