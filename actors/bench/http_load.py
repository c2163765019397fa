"""HTTP under load against a real service: ``python -m actors.soak.serve --simulate`` as a
subprocess (simulated DE1 at real-time speed, so one shot lasts the whole load), with
1, 16 and 64 concurrent keep-alive clients on ``GET version`` and ``GET de1/state``, and
the shot's ShotSamples counted on both sides (simulator sent / bus delivered / database
recorded) to show none is lost under that load.

The clients are threads of this (bench) process, sharing the machine's cores with the
service: the figures are for both on the same 2-core machine, as a user's would be.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from typing import Any

from actors.bench.figures import Figure

PATHS = ("version", "de1/state")


class _SampleSubscriber:
    """A real MQTT subscriber on the service's ShotSample topic: notification (the
    Bluetooth actor's arrival stamp) -> subscriber latency, in ms, per phase."""

    def __init__(self, host: str, port: int, root: str = "pyDE1") -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.phase = "idle"
        self.latencies: dict[str, list[float]] = {}
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="pyde1-bench-sub", protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a, **k: self.subscribed.set()
        self.client.on_connect = lambda c, *a, **k: c.subscribe(f"{root}/ShotSampleWithVolumesUpdate", 0)
        self.client.connect(host, port)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise RuntimeError("the benchmark's MQTT subscriber could not subscribe")

    def _on_message(self, client, userdata, message) -> None:
        now = time.time()
        try:
            arrival = json.loads(message.payload)["arrival_time"]
        except (ValueError, KeyError, TypeError):
            return
        self.latencies.setdefault(self.phase, []).append(1000 * (now - arrival))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
CLIENTS = (1, 16, 64)


class _ShotKeeper(threading.Thread):
    """Keeps a shot running: asks for Espresso whenever the simulated DE1 is Idle."""

    def __init__(self, service) -> None:
        super().__init__(name="bench-shot-keeper", daemon=True)
        self.service = service
        self.halt = threading.Event()
        self.requests = 0

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                if self.service.ctl({"op": "stats"})["sim"]["state"] == "Idle":
                    self.service.request("PATCH", "de1/mode", {"mode": "Espresso"})
                    self.requests += 1
            except Exception:  # the load may delay an answer; try again
                pass
            self.halt.wait(0.2)


def run_load(seconds: float = 3.0, clients: tuple[int, ...] = CLIENTS, paths: tuple[str, ...] = PATHS,
             speedup: float = 10.0, workdir: str | None = None) -> dict[str, Any]:
    from actors.bench.broker import MosquittoBroker, find_mosquitto
    from actors.http.bench import requests_per_second
    from actors.soak.process import ServiceProcess
    from actors.soak.samples import Recorded, compare

    broker = MosquittoBroker().start() if find_mosquitto() else None
    scratch = None if workdir else tempfile.TemporaryDirectory(prefix="pyde1-bench-http-")
    service = ServiceProcess(workdir or scratch.name, speedup=speedup,
                             mqtt_port=broker.port if broker else 1)
    service.start()
    results: list[dict[str, Any]] = []
    keeper = _ShotKeeper(service)
    subscriber = None
    try:
        service.wait_de1_ready(60)
        keeper.start()
        if broker is not None:
            subscriber = _SampleSubscriber(broker.host, broker.port)
            subscriber.phase = "shot, no HTTP load"
            time.sleep(seconds)
        url = f"http://127.0.0.1:{service.http_port}/"
        for path in paths:
            for n in clients:
                if subscriber is not None:
                    subscriber.phase = f"shot + {n} HTTP clients"
                results.append(requests_per_second(n, seconds, path, url=url))
        if subscriber is not None:
            subscriber.phase = "after"
        keeper.halt.set()
        keeper.join(10)
        # Let the running shot finish, then count its samples everywhere.
        state = service.ctl({"op": "stats"})["sim"]
        deadline = time.monotonic() + 120
        while state["state"] != "Idle" and time.monotonic() < deadline:
            time.sleep(0.1)
            state = service.ctl({"op": "stats"})["sim"]
        time.sleep(1.5)  # the database commits at least once a second
        stats = service.ctl({"op": "stats", "samples": True})
        lost = compare(stats, Recorded.from_service(service))
        rss = service.rss_kb()
    finally:
        keeper.halt.set()
        if subscriber is not None:
            subscriber.close()
        code = service.stop()
        if broker is not None:
            broker.stop()
        if scratch is not None:
            scratch.cleanup()
    mqtt = {} if subscriber is None else {k: v for k, v in subscriber.latencies.items() if k != "after"}
    return {"loads": results, "samples": lost, "shots": keeper.requests, "rss_kb": rss, "exit": code,
            "mqtt_ms": mqtt}


def run(seconds: float = 3.0) -> list[Figure]:
    result = run_load(seconds)
    figures: list[Figure] = []
    for r in result["loads"]:
        label = f"GET {r['path'].lstrip('/')}, {r['clients']} client{'s' if r['clients'] > 1 else ''}"
        note = f"{r['seconds']} s, real service subprocess, simulated shot running"
        figures += [Figure(f"{label}: requests/s", "requests/s", [r["requests_per_second"]], note),
                    Figure(f"{label}: p50", "ms", [r["p50_ms"]], better="lower"),
                    Figure(f"{label}: p99", "ms", [r["p99_ms"]], better="lower"),
                    Figure(f"{label}: max", "ms", [r["max_ms"]], better="lower"),
                    Figure(f"{label}: unanswered/errors", "requests", [r["errors"]], better="lower")]
    from actors.bench.figures import percentile

    for phase, ms in result["mqtt_ms"].items():
        if ms:
            note = f"{len(ms)} ShotSamples, BLE arrival stamp -> real mosquitto subscriber"
            figures += [Figure(f"notification to MQTT subscriber p50 ({phase})", "ms",
                               [round(percentile(ms, 50), 3)], note, better="lower"),
                        Figure(f"notification to MQTT subscriber p99 ({phase})", "ms",
                               [round(percentile(ms, 99), 3)], better="lower"),
                        Figure(f"notification to MQTT subscriber max ({phase})", "ms",
                               [round(max(ms), 3)], better="lower")]
    s = result["samples"]
    figures.append(Figure("shot samples sent by the simulator during the load", "samples", [s["sent"]],
                          note=f"{s['shots']} shot(s) completed"))
    figures.append(Figure("shot samples lost on the bus under HTTP load", "samples", [s["bus_lost"]],
                          better="lower"))
    if s["db_lost"] is not None:
        figures.append(Figure("shot samples lost in the database under HTTP load", "samples",
                              [s["db_lost"]], better="lower",
                              note=f"of {s['acknowledged']} delivered while a sequence was recording"))
    return figures
