"""Benchmarks of the database writer, for ``scripts/bench``.

* ``measure_insert_rate``: events per second the writer sustains from a burst of
  synthetic shots until the last sequence is committed (dict of figures).
* ``measure_bus_stall``: while the writer commits, how long ``bus.publish`` takes and how
  late another actor receives the same events (the "stall" a device actor or the MQTT
  bridge would see); plus the writer's longest transaction (dict of figures).

``insert_rate()`` and ``bus_stall()`` wrap them as ``Figure`` lists for ``actors.bench``.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from actors.base import ServiceActor, ServiceContext
from actors.bench.figures import Figure, percentile
from actors.bus import EventBus, RoleTable
from actors.db import database_spec
from actors.supervisor import ActorSpec, Supervisor
from pyde1.db.events import SequenceRecorded
from pyde1.db.synthetic import espresso_shot
from pyde1.events import ShotSampleWithVolumesUpdate


class _Probe(ServiceActor):
    """Another bus subscriber: notes when each ShotSample reaches it."""

    subscribes = (ShotSampleWithVolumesUpdate,)

    def __init__(self, ctx: ServiceContext, role: str, arrivals: list[float], **_: Any) -> None:
        super().__init__(ctx, role)
        self.arrivals = arrivals

    def on_event(self, event: Any) -> None:
        self.arrivals.append(time.perf_counter())


class _Harness:
    def __init__(self, path: Path, extra: list[ActorSpec] = (), **overrides: Any) -> None:
        self.roles = RoleTable()
        self.bus = EventBus(self.roles)
        self.ctx = ServiceContext(config=None, bus=self.bus, roles=self.roles)
        self.done: list[SequenceRecorded] = []
        self.cond = threading.Condition()
        self.bus.add_callback(self._on_done, (SequenceRecorded,))
        specs = [database_spec(None, filename=str(path), **overrides), *extra]
        self.sup = Supervisor.start(self.ctx, specs).proxy()
        self.sup.start_all().get(timeout=30)

    def _on_done(self, event: SequenceRecorded) -> None:
        with self.cond:
            self.done.append(event)
            self.cond.notify_all()

    def wait_done(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.done) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"database bench: only {len(self.done)} of {n} sequences committed")
                self.cond.wait(left)

    def health(self) -> dict:
        return self.roles.get("database").proxy().health().get(timeout=10)

    def close(self) -> None:
        self.sup.stop_all().get(timeout=30)
        self.sup.stop()


def measure_insert_rate(shots: int = 5, flow_seconds: float = 120.0, directory: str | None = None) -> dict:
    """Publish ``shots`` long shots as fast as possible; rows committed per second."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        base = time.time() - 10 * shots * (flow_seconds + 20)
        events = []
        for i in range(shots):
            events += espresso_shot(base + i * (flow_seconds + 20), flow_seconds=flow_seconds).events
        h = _Harness(Path(tmp) / "bench.sqlite3")
        try:
            t0 = time.perf_counter()
            for e in events:
                h.bus.publish(e)
            h.wait_done(shots, timeout=300)
            elapsed = time.perf_counter() - t0
            health = h.health()
        finally:
            h.close()
    rows = sum(d.rows for d in h.done)
    return {"events": len(events), "rows": rows, "seconds": elapsed, "events_per_second": rows / elapsed,
            "commits": health["commits"], "max_commit_seconds": health["max_commit_seconds"]}


def measure_bus_stall(flow_seconds: float = 120.0, pace: float = 0.004, directory: str | None = None) -> dict:
    """Publish one shot at a steady pace (one event per ``pace`` s, far above a real DE1 +
    scale) while the writer commits every half second; measure publish time and the delay
    to another subscriber."""
    arrivals: list[float] = []
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        probe = ActorSpec("bench-probe", _Probe, {"arrivals": arrivals}, required=True)
        h = _Harness(Path(tmp) / "bench.sqlite3", [probe], commit_interval=0.5)
        try:
            shot = espresso_shot(time.time() - 3600, flow_seconds=flow_seconds)
            sent: list[float] = []
            publish: list[float] = []
            gate = threading.Event()
            for e in shot.events:
                t = time.perf_counter()
                h.bus.publish(e)
                took = time.perf_counter() - t
                publish.append(took)
                if isinstance(e, ShotSampleWithVolumesUpdate):
                    sent.append(t)
                gate.wait(pace)
            h.wait_done(1, timeout=60)
            health = h.health()
        finally:
            h.close()
    delays = [a - s for a, s in zip(arrivals, sent)]
    return {"events": len(shot.events), "publish_max_seconds": max(publish),
            "publish_p99_seconds": percentile(publish, 99), "subscriber_delay_max_seconds": max(delays),
            "subscriber_delay_p99_seconds": percentile(delays, 99), "commits": health["commits"],
            "max_commit_seconds": health["max_commit_seconds"]}


def insert_rate(runs: int = 3) -> list[Figure]:
    rate = Figure("database sustained insert rate", "events/s")
    commit = Figure("database longest transaction during the burst", "ms", better="lower")
    for _ in range(runs):
        r = measure_insert_rate()
        rate.values.append(round(r["events_per_second"], 1))
        commit.values.append(round(r["max_commit_seconds"] * 1000, 2))
    return [rate, commit]


def bus_stall(runs: int = 3) -> list[Figure]:
    pub = Figure("bus.publish worst time while the writer commits", "ms", better="lower")
    sub = Figure("worst delay to another subscriber while the writer commits", "ms", better="lower")
    sub99 = Figure("p99 delay to another subscriber while the writer commits", "ms", better="lower")
    commit = Figure("database longest transaction (0.5 s batches)", "ms", better="lower")
    for _ in range(runs):
        r = measure_bus_stall()
        pub.values.append(round(r["publish_max_seconds"] * 1000, 3))
        sub.values.append(round(r["subscriber_delay_max_seconds"] * 1000, 3))
        sub99.values.append(round(r["subscriber_delay_p99_seconds"] * 1000, 3))
        commit.values.append(round(r["max_commit_seconds"] * 1000, 2))
    return [pub, sub, sub99, commit]
