"""Actor bus: messages per second and publish-to-handler latency through real pykka actors."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pykka

from actors.base import ServiceActor, ServiceContext
from actors.bench.figures import Figure, percentile
from actors.bus import EventBus, RoleTable


@dataclass(frozen=True, slots=True)
class _Tick:
    n: int
    sent: float


class _Sink(ServiceActor):
    subscribes = (_Tick,)

    def __init__(self, ctx, role, expected: int, done: threading.Event, latencies: list, **kw):
        super().__init__(ctx, role)
        self.expected, self.done, self.latencies = expected, done, latencies

    def on_event(self, event):
        self.latencies.append(time.perf_counter() - event.sent)
        if len(self.latencies) >= self.expected:
            self.done.set()


def _isolated_latencies(ctx: ServiceContext, roles: RoleTable, bus: EventBus, count: int) -> list[float]:
    """Latency of one event at a time (no queue in front of it): what a notification sees."""
    out: list[float] = []
    for n in range(count):
        done, lat = threading.Event(), []
        ref = roles.get("probe")
        ref.proxy().rearm(done, lat).get(timeout=10)
        bus.publish(_Tick(n, time.perf_counter()))
        if not done.wait(10):
            raise RuntimeError("bus benchmark: an isolated event was not delivered within 10 s")
        out.append(lat[0])
    return out


class _Probe(_Sink):
    def rearm(self, done, latencies):
        self.expected, self.done, self.latencies = 1, done, latencies


def run(messages: int = 20000, runs: int = 3, subscribers: int = 2) -> list[Figure]:
    rate = Figure("bus_messages_per_s", "msg/s", note=f"{messages} events to {subscribers} actor subscribers")
    p99 = Figure("bus_delivery_p99", "ms", better="lower", note="one event at a time, 2000 events per run")
    p50 = Figure("bus_delivery_p50", "ms", better="lower", note="one event at a time, 2000 events per run")
    burst_p99 = Figure("bus_burst_delivery_p99", "ms", better="lower",
                       note="queueing latency when all events are published back to back")
    for _ in range(runs):
        roles = RoleTable()
        bus = EventBus(roles)
        ctx = ServiceContext(config=None, bus=bus, roles=roles)
        sinks = []
        for i in range(subscribers):
            done, lat = threading.Event(), []
            ref = _Sink.start(ctx, role=f"sink{i}", expected=messages, done=done, latencies=lat)
            roles.set(f"sink{i}", ref)
            bus.subscribe(f"sink{i}", _Sink.subscribes)
            sinks.append((ref, done, lat))
        t0 = time.perf_counter()
        for n in range(messages):
            bus.publish(_Tick(n, time.perf_counter()))
        for _, done, _ in sinks:
            if not done.wait(120):
                raise RuntimeError("bus benchmark: events were not all delivered within 120 s")
        elapsed = time.perf_counter() - t0
        rate.values.append(messages * subscribers / elapsed)
        all_lat = [x for _, _, lat in sinks for x in lat]
        burst_p99.values.append(percentile(all_lat, 99) * 1e3)
        for i, (ref, _, _) in enumerate(sinks):
            bus.unsubscribe(f"sink{i}")
            ref.stop(block=True, timeout=10)
        probe = _Probe.start(ctx, role="probe", expected=1, done=threading.Event(), latencies=[])
        roles.set("probe", probe)
        bus.subscribe("probe", _Probe.subscribes)
        iso = _isolated_latencies(ctx, roles, bus, 2000)
        p50.values.append(percentile(iso, 50) * 1e3)
        p99.values.append(percentile(iso, 99) * 1e3)
        probe.stop(block=True, timeout=10)
    pykka.ActorRegistry.stop_all(block=True, timeout=10)
    return [rate, p50, p99, burst_p99]
