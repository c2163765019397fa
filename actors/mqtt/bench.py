"""Benchmark: notification-to-subscriber latency through the MQTT bridge.

One event at a time goes on the bus; the time until a paho subscriber on the same broker
receives it is one sample (bus -> bridge actor -> paho -> broker -> subscriber).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
import pykka
from paho.mqtt.enums import CallbackAPIVersion

from actors.base import ReadyProbe, ServiceContext
from actors.bus import EventBus, RoleTable
from actors.mqtt.bridge import MqttBridge
from actors.mqtt.messages import MqttLinkState
from actors.mqtt.settings import MqttSettings
from pyde1.events import WaterLevelUpdate


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def event_to_subscriber_latency(n: int, broker_host: str, broker_port: int, *,
                                timeout: float = 5.0) -> dict[str, Any]:
    """Publish ``n`` events one at a time; return ``{"n", "received", "lost", "p50_ms",
    "p99_ms", "max_ms", "mean_ms"}``. Raises TimeoutError if the broker cannot be reached."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    root = f"bench{os.getpid()}x{time.monotonic_ns()}"
    roles = RoleTable()
    bus = EventBus(roles)
    ctx = ServiceContext(config=None, bus=bus, roles=roles)
    up = threading.Event()
    bus.add_callback(lambda e: up.set() if e.link == "notification" and e.connected else None, (MqttLinkState,))

    arrived = threading.Condition()
    received: dict[int, float] = {}

    def on_message(client, userdata, message) -> None:
        now = time.perf_counter()
        # WaterLevelUpdate JSON: the level (the sample's index) is the third value.
        index = int(float(message.payload.split(b'"level": ', 1)[1].split(b",", 1)[0]))
        with arrived:
            received[index] = now
            arrived.notify_all()

    subscribed = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{root}-sub", protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{root}/WaterLevelUpdate", 0)
    settings = MqttSettings(host=broker_host, port=broker_port, topic_root=root, status_roles=(),
                            log_feed=False, client_id_suffix="-bench", reconnect_delay_min=0.1,
                            reconnect_delay_max=1.0)
    ref = None
    try:
        sub.connect(broker_host, broker_port)
        sub.loop_start()
        ref = MqttBridge.start(ctx, role="mqtt", settings=settings)
        ref.ask(ReadyProbe(), timeout=timeout)
        roles.set("mqtt", ref)
        bus.subscribe("mqtt", MqttBridge.subscribes)
        if not (up.wait(timeout) and subscribed.wait(timeout)):
            raise TimeoutError(f"broker {broker_host}:{broker_port} not reachable within {timeout} s")
        sent: dict[int, float] = {}
        for i in range(n):
            event = WaterLevelUpdate(level=float(i), start_fill_level=0.0)
            sent[i] = time.perf_counter()
            bus.publish(event)
            deadline = time.monotonic() + timeout
            with arrived:
                while i not in received and time.monotonic() < deadline:
                    arrived.wait(deadline - time.monotonic())
        latencies = [(received[i] - sent[i]) * 1000.0 for i in range(n) if i in received]
    finally:
        if ref is not None:
            try:
                ref.stop(timeout=5)
            except (pykka.Timeout, pykka.ActorDeadError):
                pass
        sub.disconnect()
        sub.loop_stop()
    if not latencies:
        raise TimeoutError("no event reached the subscriber")
    return {
        "n": n,
        "received": len(latencies),
        "lost": n - len(latencies),
        "p50_ms": _percentile(latencies, 50),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": max(latencies),
        "mean_ms": statistics.fmean(latencies),
    }
