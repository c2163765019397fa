"""Helpers shared by the MQTT bridge tests (a recording subscriber, a TCP gate between the
bridge and the broker, starting the bridge under a supervisor), and tests of the helpers."""

from __future__ import annotations

import selectors
import socket
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from actors.mqtt import MqttSettings, mqtt_spec
from actors.supervisor import Supervisor
from support.mqtt import Received, Subscriber, unique_number, unique_root  # noqa: F401 (re-exported)


def fast_settings(host: str, port: int, **overrides) -> MqttSettings:
    """Settings for a test: its own topic root and client ids, quick reconnects."""
    values = dict(host=host, port=port, topic_root=unique_root(), reconnect_delay_min=0.05,
                  reconnect_delay_max=0.2, client_id_suffix=f"-t{unique_number()}", keepalive=10)
    values.update(overrides)
    return MqttSettings(**values)


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
