"""pyde1-run-visualizer against a local HTTP server that checks the upload, with shots recorded by
the real writer and their packets sent over a private broker."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


from actors.tools.visualizer import Uploader
from pyde1.config import VisualizerConfig, load_config_text
from pyde1.db.events import SequenceRecorded
from pyde1.db.synthetic import espresso_shot
from pyde1.db.visualizer import FinishedShot, ShotTracker, retry_delay, too_short
from pyde1.events import SequencerGateNotification, StateUpdate
from support.mqtt import Subscriber
from test_db_support import publish_all, running_writer

USER, PASSWORD = "me@example.com", "token"


class FakeVisualizer:
    """Answers uploads like visualizer.coffee; ``script`` gives the status of each request
    ("close" drops the connection)."""

    def __init__(self, script=()):
        self.script = list(script)
        self.uploads: list[dict] = []
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.requests += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                action = outer.script.pop(0) if outer.script else 200
                if action == "close":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                auth = self.headers.get("Authorization", "")
                ok_auth = auth == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
                parts = {p.get_param("name", header="content-disposition"): p for p in msg.iter_parts()}
                part = parts.get("file")
                if action != 200 or not ok_auth or part is None:
                    status = action if action != 200 else (401 if not ok_auth else 422)
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b'{"error": "no"}')
                    return
                outer.uploads.append({"filename": part.get_filename(), "text": part.get_content()})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"id": f"v{len(outer.uploads)}"}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/shots/upload"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Reports(Subscriber):
    """The uploader's reports (retained ``VisualizerUpload``); publishes packets as pyde1-run would."""

    def __init__(self, broker, root="pyDE1"):
        super().__init__(broker.host, broker.port, [f"{root}/VisualizerUpload"])
        self.wait_subscribed()

    def wait(self, n, timeout=10.0) -> list[dict]:
        return [{"retain": m.retain, **m.json()} for m in self.wait_count(lambda m: True, n, timeout)]

    def publish(self, event):
        self.client.publish(f"pyDE1/{type(event).__name__}", event.to_json()).wait_for_publish(5)


def config(sqlite_path, port, min_flow=10):
    return load_config_text(
        f"visualizer:\n  USERNAME: {USER}\n  PASSWORD: {PASSWORD}\n  MIN_FLOW_TIME: {min_flow}\n"
        f"  RETRY_HOLD_OFF: 0.05\nmqtt:\n  BROKER_HOSTNAME: 127.0.0.1\n  BROKER_PORT: {port}\n"
        f"database:\n  FILENAME: {sqlite_path}\nlogging:\n  LOG_FILENAME: null\n", schema=VisualizerConfig)


def record(runtime, sqlite_path, shots):
    with running_writer(runtime, sqlite_path) as (db, _):
        source = b'{"version": "2.1", "title": "Test {Shot}", "beverage_type": "espresso", "steps": []}'
        pid = db.store_profile(source, "f" * 40).get(timeout=5)
        db.profile_uploaded(pid).get(timeout=5)
        for shot in shots:
            publish_all(runtime.bus, shot.events)
        runtime.extras["recorder"].wait_count(SequenceRecorded, len(shots), timeout=10)


def mqtt_packets(shot):
    return [e for e in shot.events if isinstance(e, (StateUpdate, SequencerGateNotification))]


def test_uploads_retries_and_never_stops(runtime, sqlite_path, mosquitto):
    base = time.time() - 3600
    good = espresso_shot(base, flow_seconds=20)
    short = espresso_shot(base + 100, flow_seconds=5)
    later = espresso_shot(base + 200, flow_seconds=15, with_scale=False)
    record(runtime, sqlite_path, [good, short, later])
    ghost = espresso_shot(base + 300, flow_seconds=12)  # never recorded: its file cannot be built
    reports = Reports(mosquitto)
    with FakeVisualizer(script=["close", 503, 200, 200]) as server:
        up = Uploader(config(sqlite_path, mosquitto.port), upload_url=server.url, timeout=2.0)
        up.start()
        try:
            for shot in (good, short, ghost, later):
                for e in mqtt_packets(shot):
                    reports.publish(e)
            got = reports.wait(3, timeout=15)
        finally:
            up.stop()
            reports.close()
    by_id = {r["sequence_id"]: r for r in got}
    assert set(by_id) == {good.sequence_id, ghost.sequence_id, later.sequence_id}  # the short one is skipped
    assert by_id[good.sequence_id] == {
        "retain": False, "sequence_id": good.sequence_id, "flow_start": good.flow_begin,
        "pour_start": good.flow_begin + 5.0, "flow_end": good.flow_end,
        "url": "https://visualizer.coffee/shots/v1", "success": True}
    assert by_id[ghost.sequence_id]["success"] is False and by_id[ghost.sequence_id]["url"] is None
    assert by_id[later.sequence_id]["success"] is True  # no scale: uploaded all the same (A14)
    assert up.stats == {"uploaded": 2, "failed": 1, "skipped": 1, "retries": 2}
    assert server.requests == 4
    files = {u["filename"]: u["text"] for u in server.uploads}
    assert set(files) == {f"{good.sequence_id}.shot", f"{later.sequence_id}.shot"}
    text = files[f"{good.sequence_id}.shot"]
    assert text.startswith(f"sequence_id {good.sequence_id}\nclock {round(good.flow_begin)}\n")
    assert "\tprofile_title {Test (Shot)}\n" in text and "\tbeverage_type {espresso}\n" in text
    no_scale = files[f"{later.sequence_id}.shot"]
    assert "espresso_weight {}\n" in no_scale and "\tdrink_weight 0.0\n" in no_scale


def test_a_rejected_upload_is_reported_not_retried(runtime, sqlite_path, mosquitto):
    shot = espresso_shot(time.time() - 3600, flow_seconds=12)
    record(runtime, sqlite_path, [shot])
    reports = Reports(mosquitto)
    with FakeVisualizer(script=[401]) as server:
        up = Uploader(config(sqlite_path, mosquitto.port), upload_url=server.url, timeout=2.0)
        up.start()
        try:
            for e in mqtt_packets(shot):
                reports.publish(e)
            [report] = reports.wait(1)
        finally:
            up.stop()
            reports.close()
    assert report["success"] is False and server.requests == 1 and up.stats["retries"] == 0


def gate(name, sid, t, action="set", state="Espresso"):
    return SequencerGateNotification(name=name, action=action, sequence_id=sid, active_state=state,
                                     arrival_time=t, create_time=t, event_time=t).to_dict()


def test_tracker_follows_only_espresso_and_resyncs():
    tr = ShotTracker()
    assert tr.on_payload("SequencerGateNotification", gate("sequence_start", "s", 1, state="Steam")) is None
    assert tr.sequence_id is None
    for name, t in (("sequence_start", 1), ("sequence_flow_begin", 2), ("sequence_flow_end", 30)):
        tr.on_payload("SequencerGateNotification", gate(name, "a", t))
    tr.on_payload("SequencerGateNotification", gate("sequence_complete", "a", 31, action="clear"))
    done = tr.on_payload("SequencerGateNotification", gate("sequence_complete", "a", 33))
    assert done == FinishedShot("a", 2.0, 0.0, 30.0) and tr.sequence_id is None
    tr.on_payload("SequencerGateNotification", gate("sequence_start", "b", 40))
    tr.on_payload("SequencerGateNotification", gate("sequence_start", "c", 50))
    assert tr.sequence_id == "c" and "b is not uploaded" in tr.errors[0]


def test_rules():
    assert too_short(FinishedShot("a", 10, 0, 15), 10) and not too_short(FinishedShot("a", 10, 0, 15), None)
    assert [retry_delay(10, n) for n in (1, 2, 3)] == [10, 20, 40] and retry_delay(10, 30) == 600


def test_a_packet_that_is_not_json_is_one_warning(sqlite_path, caplog):
    up = Uploader(config(sqlite_path, 1))
    caplog.set_level("WARNING", logger="pyde1.visualizer")
    up._on_message("pyDE1/SequencerGateNotification", b"\xff not json")
    up._on_message("pyDE1/StateUpdate", b"[1, 2]")  # JSON, but not a packet: ignored quietly
    assert [r.getMessage()[:55] for r in caplog.records] == [
        "ignoring pyDE1/SequencerGateNotification: not a JSON pa"]
    assert up.tracker.sequence_id is None and not up._jobs

