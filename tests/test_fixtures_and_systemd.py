"""The real-part fixtures work, and sd_notify speaks the systemd datagram protocol."""

from __future__ import annotations

import socket
import sqlite3
import threading

import paho.mqtt.client as mqtt
import requests

from actors import systemd


def test_private_mosquitto_accepts_mqtt5_round_trip(mosquitto):
    got = threading.Event()
    payloads = []
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)

    def on_message(client, userdata, msg):
        payloads.append((msg.topic, msg.payload))
        got.set()

    c.on_message = on_message
    c.connect(mosquitto.host, mosquitto.port)
    c.loop_start()
    try:
        c.subscribe("t/#")
        # Publish until the subscription is active; wait on the event, not a sleep.
        for _ in range(50):
            c.publish("t/x", b"hello", qos=1).wait_for_publish(timeout=2)
            if got.wait(0.1):
                break
        assert payloads and payloads[0] == ("t/x", b"hello")
    finally:
        c.loop_stop()
        c.disconnect()


def test_waitress_fixture_serves_on_a_free_port(serve_wsgi):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    base = serve_wsgi(app)
    assert not base.endswith(":0")
    assert requests.get(base + "/ping", timeout=5).text == "/ping"


def test_sqlite_path_is_fresh_and_writable(sqlite_path):
    assert not sqlite_path.exists()
    with sqlite3.connect(sqlite_path) as db:
        assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"


def test_sd_notify_sends_datagram(tmp_path, monkeypatch):
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    try:
        assert systemd.notify("READY=1") is True
        assert server.recv(100) == b"READY=1"
    finally:
        server.close()


def test_sd_notify_is_a_no_op_outside_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert systemd.notify("READY=1") is False
    assert systemd.Watchdog(lambda: True).start() is False


def test_watchdog_pings_only_while_healthy(tmp_path, monkeypatch):
    path = tmp_path / "wd.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "40000")  # ping every 20 ms
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    healthy = threading.Event()
    healthy.set()
    wd = systemd.Watchdog(healthy.is_set)
    assert wd.start()
    try:
        assert server.recv(100) == b"WATCHDOG=1"
        healthy.clear()
        # Drain pings that were already in flight, then expect silence.
        server.settimeout(0.2)
        drained = 0
        try:
            while drained < 5:
                server.recv(100)
                drained += 1
        except socket.timeout:
            pass
        assert drained < 5, "the watchdog kept pinging while unhealthy"
    finally:
        wd.stop()
        server.close()
