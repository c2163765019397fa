"""pyde1-replay: a recorded shot is re-published to a private broker, in order, shifted,
under a fresh sequence id, without touching the database."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from actors.tools.replay import ReplayError, replay
from pyde1.config import ReplayConfig, load_config_text
from pyde1.db.errors import SequenceNotFoundError
from pyde1.db.events import SequenceRecorded
from pyde1.db.replay import FAKE_DE1, plan_replay
from pyde1.db.synthetic import espresso_shot
from pyde1.events import ConnectivityChange
from support.mqtt import Subscriber
from test_db_support import publish_all, running_writer

ROOT = Path(__file__).resolve().parent.parent
REPLAYED = {"ShotSampleWithVolumesUpdate", "WeightAndFlowUpdate", "StateUpdate", "WaterLevelUpdate",
            "ConnectivityChange", "SequencerGateNotification"}


@pytest.fixture
def recorded(runtime, sqlite_path):
    shot = espresso_shot(time.time() - 3600, flow_seconds=6, idle_before=1.0)
    extra = ConnectivityChange(state="ready", id="real-address", name="real-name", sender="DE1",
                               arrival_time=shot.start + 0.5, create_time=shot.start + 0.5,
                               event_time=shot.start + 0.5)
    with running_writer(runtime, sqlite_path):
        publish_all(runtime.bus, shot.events[:-1] + [extra, shot.events[-1]])
        done = runtime.extras["recorder"].wait_for(SequenceRecorded, timeout=10)
    return shot, done


def config_for(sqlite_path, port: int, **extra) -> ReplayConfig:
    text = (f"mqtt:\n  BROKER_HOSTNAME: 127.0.0.1\n  BROKER_PORT: {port}\n"
            f"database:\n  FILENAME: {sqlite_path}\nlogging:\n  LOG_FILENAME: null\n")
    for section, body in extra.items():
        text += f"{section}:\n" + "".join(f"  {k}: {v}\n" for k, v in body.items())
    return load_config_text(text, schema=ReplayConfig)


def test_replay_publishes_the_recorded_sequence(recorded, sqlite_path, mosquitto):
    shot, done = recorded
    before = hashlib.sha256(sqlite_path.read_bytes()).hexdigest()
    with Subscriber(mosquitto.host, mosquitto.port, ["Replayed/#"]) as sub:
        launched = time.time()
        result = replay(config_for(sqlite_path, mosquitto.port), sequence_id=shot.sequence_id,
                        topic_root="Replayed", speed=20, lead=0.3)
        received = sub.wait_count(lambda m: True, result.packets, timeout=5)
    messages = [(m.topic, m.json(), m.at) for m in received]
    assert hashlib.sha256(sqlite_path.read_bytes()).hexdigest() == before
    expected = sum(type(e).__name__ in REPLAYED for e in shot.sequence_events) + 1  # + ConnectivityChange
    assert result.packets >= expected and len(messages) == result.packets
    classes = {p["class"] for _, p, _ in messages}
    assert classes == REPLAYED
    assert all(topic == f"Replayed/{p['class']}" for topic, p, _ in messages)
    times = [p["event_time"] for _, p, _ in messages]
    assert times == sorted(times)
    shift = messages[0][1]["shifted"]
    assert all(p["shifted"] == shift for _, p, _ in messages)
    assert abs(times[0] - (launched + 0.3)) < 0.5  # starts `lead` after launch
    assert times[-1] - times[0] == pytest.approx(shot.complete - min(e.event_time for e in shot.prehistory), abs=1e-6)
    gates = [p for _, p, _ in messages if p["class"] == "SequencerGateNotification"]
    assert {g["sequence_id"] for g in gates} == {result.new_sequence_id} != {shot.sequence_id}
    uuid.UUID(result.new_sequence_id)
    assert all("sequence_id" not in p for _, p, _ in messages if p["class"] != "SequencerGateNotification")
    state = next(p for _, p, _ in messages if p["class"] == "StateUpdate")
    assert state["is_error_state"] == "0"
    sample = next(p for _, p, _ in messages if p["class"] == "ShotSampleWithVolumesUpdate")
    assert isinstance(sample["volume_by_frames"], str) and sample["de1_time"] - sample["event_time"] == pytest.approx(0)
    conn = next(p for _, p, _ in messages if p["class"] == "ConnectivityChange")
    assert (conn["name"], conn["id"]) == FAKE_DE1
    # --speed 20: 1/20 of the recorded span (plus the lead), not the whole of it
    assert messages[-1][2] - launched < 0.3 + (times[-1] - times[0]) / 20 + 1.0


def test_replay_errors_are_typed(recorded, sqlite_path, mosquitto, tmp_path):
    config = config_for(sqlite_path, mosquitto.port)
    with pytest.raises(SequenceNotFoundError, match="no sequence with id 'nope'"):
        replay(config, sequence_id="nope", lead=0)
    with pytest.raises(ReplayError, match="no sequence to replay"):
        replay(config, lead=0)
    with pytest.raises(ReplayError, match="--speed must be"):
        replay(config, sequence_id="last", speed=0)
    for lead in (-1.0, float("inf"), float("nan")):
        with pytest.raises(ReplayError, match="--lead must be a finite number >= 0"):
            replay(config, sequence_id="last", lead=lead)


def test_plan_keeps_sample_time_and_shifts_unix_times():
    rows = {"shot_sample_with_volume_update": [
        {"sequence_id": "s", "version": "1.2.0", "sender": "DE1", "arrival_time": 100.0, "create_time": 100.0,
         "event_time": 100.0, "de1_time": 100.0, "sample_time": 4242, "group_pressure": 9.0}],
        "stop_at_notification": [{"event_time": 99.0}]}
    [packet] = plan_replay(rows, "new", launch=1000.0, lead=5.0)
    assert packet.at == 1005.0 and packet.payload["sample_time"] == 4242
    assert packet.payload["de1_time"] == 1005.0 and packet.payload["shifted"] == 905.0
    assert list(packet.payload)[-2:] == ["class", "shifted"] and "sequence_id" not in packet.payload


def test_cli_reports_a_missing_database_and_exits_1(tmp_path):
    conf = tmp_path / "replay.conf"
    conf.write_text(f"database:\n  FILENAME: {tmp_path / 'none.sqlite3'}\nlogging:\n  LOG_FILENAME: null\n")
    proc = subprocess.run([sys.executable, "-m", "actors.tools.replay", "-c", str(conf), "-s", "x"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 1
    assert "none.sqlite3: does not exist" in proc.stderr and "Traceback" not in proc.stderr
