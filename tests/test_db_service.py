"""End to end: a simulated shot through the real service lands in the database with every
sample the service published on MQTT and with its profile; pyde1-replay re-publishes it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from actors.soak.process import ServiceProcess
from actors.tools.replay import replay
from pyde1.config import ReplayConfig, load_config_text
from support.mqtt import Subscriber

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "conf" / "profiles" / "demo.json"

pytestmark = pytest.mark.slow


def payloads(sub: Subscriber, cls: str) -> list[dict]:
    """The JSON packets of one event class the subscriber received (any topic root)."""
    return [m.json() for m in list(sub.messages) if m.topic.endswith("/" + cls)]


def test_simulated_shot_is_recorded_and_replayed(tmp_path, mosquitto):
    if not PROFILE.is_file():
        pytest.skip(f"{PROFILE} is absent")
    live = Subscriber(mosquitto.host, mosquitto.port, ["pyDE1/#"]).wait_subscribed()
    svc = ServiceProcess(tmp_path / "svc", speedup=50, mqtt_port=mosquitto.port)
    svc.start()
    try:
        svc.wait_http()
        svc.wait_de1_ready()
        status, body = svc.request("PUT", "de1/profile", PROFILE.read_bytes())
        assert status == 200, body
        profile_id = body[0]["id"]
        svc.espresso()
    finally:
        assert svc.stop() == 0
        live.close()
    conn = sqlite3.connect(f"file:{svc.db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        seq = conn.execute("SELECT * FROM sequence WHERE id != 'dummy'").fetchone()
        assert seq["active_state"] == "Espresso" and seq["profile_id"] == profile_id and seq["profile_assumed"] == 0
        assert seq["start_flow"] is not None and seq["end_flow"] is not None
        stored = conn.execute("SELECT event_time FROM shot_sample_with_volume_update WHERE sequence_id = ?",
                              (seq["id"],)).fetchall()
        prof = conn.execute("SELECT source, title FROM profile WHERE id = ?", (profile_id,)).fetchone()
        gates = {(r[0], r[1]) for r in conn.execute(
            "SELECT name, action FROM sequencer_gate_notification WHERE sequence_id = ?", (seq["id"],))}
    finally:
        conn.close()
    assert prof["source"] == PROFILE.read_bytes() and prof["title"]
    assert {("sequence_start", "set"), ("sequence_flow_begin", "set"), ("sequence_flow_end", "set")} <= gates
    published = {p["event_time"] for p in payloads(live, "ShotSampleWithVolumesUpdate")
                 if seq["start_sequence"] <= p["event_time"] <= seq["end_flow"]}
    recorded = {r[0] for r in stored}
    assert published and published <= recorded  # every sample of the shot sent on MQTT is in the file

    config = load_config_text(f"mqtt:\n  BROKER_HOSTNAME: 127.0.0.1\n  BROKER_PORT: {mosquitto.port}\n"
                              f"database:\n  FILENAME: {svc.db_path}\nlogging:\n  LOG_FILENAME: null\n",
                              schema=ReplayConfig)
    with Subscriber(mosquitto.host, mosquitto.port, ["KEpyDE1/#"]) as again:
        result = replay(config, sequence_id="last", speed=50, lead=0.1)
        again.wait_count(lambda m: m.is_json, result.packets, timeout=5)
    assert result.sequence_id == seq["id"] and result.packets > len(recorded)
    assert len(payloads(again, "ShotSampleWithVolumesUpdate")) == len(recorded)
