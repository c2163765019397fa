"""Helpers shared by the MQTT bridge tests (a recording subscriber, a TCP gate between the
bridge and the broker, starting the bridge under a supervisor), and tests of the helpers."""

from __future__ import annotations

import itertools
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from actors.mqtt import MqttSettings, mqtt_spec
from actors.supervisor import Supervisor

_unique = itertools.count(1)


def unique_root() -> str:
    return f"t{os.getpid()}x{next(_unique)}"


def fast_settings(host: str, port: int, **overrides) -> MqttSettings:
    """Settings for a test: its own topic root and client ids, quick reconnects."""
    values = dict(host=host, port=port, topic_root=unique_root(), reconnect_delay_min=0.05,
                  reconnect_delay_max=0.2, client_id_suffix=f"-t{next(_unique)}", keepalive=10)
    values.update(overrides)
    return MqttSettings(**values)


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    @property
    def text(self) -> str:
        return self.payload.decode()


class Subscriber:
    """A paho client that records every message on ``topics`` and lets a test wait for them."""

    def __init__(self, host: str, port: int, topics: list[str]) -> None:
        self._cond = threading.Condition()
        self.messages: list[Received] = []
        self._subscribed = threading.Event()
        self._topics = topics
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{unique_root()}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.05, 0.2)
        self.client.connect_async(host, port, keepalive=10)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            client.subscribe([(t, 0) for t in self._topics])

    def _on_message(self, client, userdata, message) -> None:
        with self._cond:
            self.messages.append(Received(message.topic, bytes(message.payload), bool(message.retain)))
            self._cond.notify_all()

    def wait_subscribed(self, timeout: float = 5.0) -> "Subscriber":
        assert self._subscribed.wait(timeout), "subscriber did not get its SUBACK"
        return self

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 5.0) -> Received:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages:
                    if predicate(m):
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(m.topic, m.payload[:60]) for m in self.messages[-10:]]
                    raise AssertionError(f"no matching message within {timeout} s; last: {seen}")
                self._cond.wait(remaining)

    def wait_count(self, predicate: Callable[[Received], bool], n: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.messages if predicate(m)]
                if len(found) >= n:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"only {len(found)} of {n} messages within {timeout} s")
                self._cond.wait(remaining)

    def on_topic(self, topic: str) -> list[Received]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def start_bridge(ctx, settings: MqttSettings):
    """Start the bridge the way the service does (spec -> supervisor); returns the
    supervisor's proxy and the bridge's proxy."""
    spec = mqtt_spec(None, **{f: getattr(settings, f) for f in settings.__dataclass_fields__})
    sup = Supervisor.start(ctx, [spec]).proxy()
    assert sup.start_all().get(timeout=10) == {"mqtt": "running"}
    return sup, ctx.roles.get("mqtt").proxy()


class GatedProxy:
    """A TCP forwarder between the bridge and the broker that a test can close (every
    connection cut, new ones refused at once) and open again, without touching the
    broker or the test's own subscriber."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.host, self.port = self._listener.getsockname()[:2]
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, selectors.EVENT_READ)
        self._stop = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._sel.register(self._wake_r, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="gated-proxy", daemon=True)
        self._thread.start()

    def close_gate(self) -> None:
        self._open.clear()
        self._wake_w.send(b"c")

    def open_gate(self) -> None:
        self._open.set()

    def stop(self) -> None:
        self._stop = True
        self._wake_w.send(b"s")
        self._thread.join(5)
        for s in list(self._pairs):
            s.close()
        self._listener.close()

    def _drop_all(self) -> None:
        for s in list(self._pairs):
            try:
                self._sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()
        self._pairs.clear()

    def _run(self) -> None:
        while not self._stop:
            for key, _ in self._sel.select(timeout=1.0):
                sock = key.fileobj
                if sock is self._wake_r:
                    sock.recv(64)
                    if not self._open.is_set():
                        self._drop_all()
                elif sock is self._listener:
                    try:
                        client, _ = self._listener.accept()
                    except BlockingIOError:
                        continue
                    if not self._open.is_set():
                        client.close()
                        continue
                    try:
                        upstream = socket.create_connection(self.target, timeout=2)
                    except OSError:
                        client.close()
                        continue
                    for s in (client, upstream):
                        s.setblocking(False)
                        self._sel.register(s, selectors.EVENT_READ)
                    self._pairs[client] = upstream
                    self._pairs[upstream] = client
                elif sock in self._pairs:
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    other = self._pairs.get(sock)
                    if not data or other is None:
                        for s in (sock, other):
                            if s is not None:
                                try:
                                    self._sel.unregister(s)
                                except (KeyError, ValueError):
                                    pass
                                s.close()
                                self._pairs.pop(s, None)
                        continue
                    try:
                        other.setblocking(True)
                        other.sendall(data)
                        other.setblocking(False)
                    except OSError:
                        pass


def test_subscriber_and_gate_carry_messages(mosquitto):
    gate = GatedProxy(mosquitto.host, mosquitto.port)
    sub = Subscriber(mosquitto.host, mosquitto.port, ["helper/#"]).wait_subscribed()
    try:
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="helper-pub", protocol=mqtt.MQTTv5)
        pub.connect(gate.host, gate.port)
        pub.loop_start()
        pub.publish("helper/x", b"through the gate").wait_for_publish(5)
        assert sub.wait_for(lambda m: m.topic == "helper/x").payload == b"through the gate"
        disconnected = threading.Event()
        pub.on_disconnect = lambda *a: disconnected.set()
        gate.close_gate()
        assert disconnected.wait(5), "closing the gate must cut the connection"
        pub.loop_stop()
        with socket.create_connection((gate.host, gate.port), timeout=2) as raw:
            raw.settimeout(2)
            try:
                assert raw.recv(1) == b"", "a closed gate must refuse new connections"
            except ConnectionResetError:
                pass
    finally:
        sub.close()
        gate.stop()
