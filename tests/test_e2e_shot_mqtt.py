"""End to end, as a user runs it: `pyde1-run --simulate`, a real mosquitto, HTTP requests.

A simulated espresso shot produces pyDE1's MQTT notification sequence (api-contract §2.5)
with pyDE1's payload keys; the broker is restarted mid-shot, the service reconnects, and
the database still holds every sample of the shot.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import requests

from support.broker import MosquittoBroker, find_mosquitto, free_port

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "conf" / "profiles" / "demo.json"
T = 60.0

pytestmark = pytest.mark.skipif(find_mosquitto() is None, reason="mosquitto is not installed")


class Subscriber:
    """Collects every message under pyDE1/#, resubscribing after each reconnect."""

    def __init__(self, host: str, port: int) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.cond = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("pyDE1/#")
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.05, 0.2)
        self.client.connect(host, port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg) -> None:
        with self.cond:
            self.messages.append((msg.topic, msg.payload))
            self.cond.notify_all()

    def events(self, cls: str) -> list[dict]:
        with self.cond:
            return [json.loads(p) for t, p in self.messages if t == f"pyDE1/{cls}"]

    def wait_for_gate(self, name: str, timeout: float = T) -> dict:
        def found():
            return next((e for e in self.events("SequencerGateNotification")
                         if e["name"] == name and e["action"] == "set"), None)

        with self.cond:
            if not self.cond.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"gate {name} not set within {timeout} s")
        return found()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _wait_until(predicate, timeout: float, what: str):
    """Poll a cheap HTTP check with a deadline (the service is another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        threading.Event().wait(0.05)
    raise AssertionError(f"{what} not within {timeout} s")


@pytest.fixture
def service(tmp_path):
    broker = MosquittoBroker(workdir=str(tmp_path)).start()
    http_port = free_port()
    env = dict(os.environ)
    env.update({
        "PYDE1_HTTP__SERVER_HOST": "127.0.0.1", "PYDE1_HTTP__SERVER_PORT": str(http_port),
        "PYDE1_DATABASE__FILENAME": str(tmp_path / "pyde1.sqlite3"),
        "PYDE1_LOGGING__LOG_DIRECTORY": str(tmp_path / "log"),
        "PYDE1_MQTT__BROKER_HOSTNAME": broker.host, "PYDE1_MQTT__BROKER_PORT": str(broker.port),
        "PYDE1_MQTT__RECONNECT_DELAY_MIN": "0.1", "PYDE1_MQTT__RECONNECT_DELAY_MAX": "0.5",
        "PYDE1_SIMULATOR__SPEEDUP": "3",
    })
    proc = subprocess.Popen([sys.executable, "-m", "actors.run", "--simulate"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{http_port}"

    def de1_ready():
        try:
            r = requests.get(f"{base}/de1/availability", timeout=1)
            return r.ok and r.json().get("mode") == "ready"
        except requests.RequestException:
            return False

    try:
        _wait_until(de1_ready, 30, "the simulated DE1 ready")
        yield base, broker, tmp_path / "pyde1.sqlite3"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
            broker.stop()
    assert proc.returncode == 0, proc.stderr.read()[-3000:]


def _mqtt_health(base: str) -> dict:
    return requests.get(f"{base}/health", timeout=2).json()["actors"]["mqtt"]["health"]


def _order(events: list[dict], name: str) -> int:
    return next(i for i, e in enumerate(events) if e["name"] == name and e["action"] == "set")


def test_shot_over_mqtt_in_pyde1_order_survives_a_broker_restart(service):
    base, broker, db_path = service
    sub = Subscriber(broker.host, broker.port)
    try:
        r = requests.put(f"{base}/de1/profile", data=PROFILE.read_bytes(), timeout=10)
        assert r.status_code == 200, r.text
        assert requests.patch(f"{base}/de1/mode", json={"mode": "Wake"}, timeout=10).ok
        _wait_until(lambda: requests.get(f"{base}/de1/state", timeout=2).json()["state"]["state"] == "Idle",
                    T, "Idle")
        r = requests.patch(f"{base}/de1/mode", json={"mode": "Espresso"}, timeout=10)
        assert r.status_code == 200, r.text

        begin = sub.wait_for_gate("sequence_flow_begin")
        broker.stop()                                   # the broker goes away mid-shot ...
        _wait_until(lambda: not _mqtt_health(base)["connected"], 10, "the bridge noticing")
        broker.start()                                  # ... and comes back on the same port
        complete = sub.wait_for_gate("sequence_complete", timeout=2 * T)
        assert complete["sequence_id"] == begin["sequence_id"]
        health = _mqtt_health(base)
        assert health["connected"] and health["links"]["notification"]["connects"] >= 2
    finally:
        sub.close()

    seq = begin["sequence_id"]
    gates = [e for e in sub.events("SequencerGateNotification") if e["sequence_id"] == seq]
    clears = [e["name"] for e in gates[:8]]
    assert all(e["action"] == "clear" for e in gates[:8]) and len(set(clears)) == 8
    sets = [e for e in gates if e["action"] == "set"]
    assert sets[0]["name"] == "sequence_start" and sets[0]["active_state"] == "Espresso"
    # the broker was down for part of the shot: what arrived is in pyDE1's order
    seen = {e["name"] for e in sets}
    order = [n for n in ("sequence_start", "sequence_flow_begin", "sequence_expect_drops",
                         "sequence_exit_preinfuse", "sequence_flow_end", "sequence_complete") if n in seen]
    assert [_order(sets, n) for n in order] == sorted(_order(sets, n) for n in order)
    assert sets[-1]["name"] == "sequence_complete"

    for cls in ("StateUpdate", "ShotSampleWithVolumesUpdate", "SequencerGateNotification"):
        payload = sub.events(cls)[-1]
        keys = list(payload)
        assert keys[:2] == ["arrival_time", "create_time"], cls
        assert keys[-4:] == ["version", "event_time", "sender", "class"], cls
        assert payload["class"] == cls
    sample = sub.events("ShotSampleWithVolumesUpdate")[-1]
    assert {"sample_time", "group_pressure", "group_flow", "volume_total", "volume_by_frames"} <= set(sample)

    # The database has the whole shot: its row completed, and no gap in the DE1's sample clock.
    def recorded():
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            row = db.execute("SELECT start_flow, end_flow, end_sequence, profile_id FROM sequence "
                             "WHERE id = ?", (seq,)).fetchone()
        return row if row and all(v is not None for v in row) else None

    start_flow, end_flow, _, profile_id = _wait_until(recorded, 10, "the sequence row completed")
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        times = [t for (t,) in db.execute(
            "SELECT sample_time FROM shot_sample_with_volume_update WHERE sequence_id = ? "
            "AND event_time BETWEEN ? AND ? ORDER BY event_time", (seq, start_flow, end_flow))]
        stored_profile = db.execute("SELECT COUNT(*) FROM profile WHERE id = ?", (profile_id,)).fetchone()[0]
    assert len(times) > 20 and stored_profile == 1
    gaps = [(b - a) % 65536 for a, b in zip(times, times[1:])]
    assert all(g in (24, 25, 26, 49, 50, 51) for g in gaps), f"samples missing: gaps {sorted(set(gaps))}"
