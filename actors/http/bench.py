"""HTTP throughput and latency: N keep-alive clients sending one request after the other for a
fixed time, from :mod:`actors.bench.loadgen` (a process of its own, so that the clients'
own GIL is not measured as the gateway's).

    requests_per_second(16, 5.0, "/de1/state")                 # a private gateway
    requests_per_second(16, 5.0, "/de1/state", url="http://127.0.0.1:1234/")   # a running one

Without ``url`` a private gateway is started on a free port with a stand-in DE1 actor that
answers like a ready DE1 (so the figure is the gateway's and pykka's cost, not Bluetooth's).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pykka

from actors.base import ServiceActor, ServiceContext
from actors.bench.figures import Figure
from actors.bench.loadgen import measure
from actors.bus import EventBus, RoleTable
from actors.http.gateway import HttpGateway
from pyde1.api.settings import HttpSettings


class _StandInDE1(ServiceActor):
    """Answers what GET de1/state needs, as a ready DE1 would."""

    def availability(self) -> str:
        return "ready"

    def state_info(self) -> dict[str, Any]:
        return {"state": "Idle", "substate": "NoState", "last_updated": time.time()}


def requests_per_second(clients: int, seconds: float, path: str, url: str | None = None,
                        threads: int = 8) -> dict[str, Any]:
    """Run the load and report requests/s, p50/p99/max latency in ms and the error count.
    ``threads``: waitress worker threads of the private gateway (ignored with ``url``)."""
    if clients < 1 or seconds <= 0:
        raise ValueError("clients must be >= 1 and seconds > 0")
    if url is not None:
        parts = urlsplit(url)
        root = parts.path.rstrip("/")
        return measure(parts.port or 80, root + "/" + path.lstrip("/"), clients, seconds,
                       host=parts.hostname or "127.0.0.1")
    roles = RoleTable()
    ctx = ServiceContext(config=None, bus=EventBus(roles), roles=roles)
    refs: list[pykka.ActorRef] = []
    try:
        de1 = _StandInDE1.start(ctx, role="de1")
        refs.append(de1)
        roles.set("de1", de1)
        gateway = HttpGateway.start(ctx, role="http", settings=HttpSettings(
            host="127.0.0.1", port=0, threads=threads, connection_limit=max(100, clients * 2)))
        refs.append(gateway)
        host, port = gateway.proxy().address().get(timeout=10)
        return measure(port, "/" + path.lstrip("/"), clients, seconds, host=host)
    finally:
        for ref in reversed(refs):
            ref.stop(block=True, timeout=10)


def run() -> list[Figure]:
    """For ``scripts/bench``: GET de1/state with 16 clients, three runs of 3 s."""
    rates = Figure("GET de1/state, 16 keep-alive clients", "requests/s")
    p50 = Figure("GET de1/state p50 latency", "ms", better="lower")
    p99 = Figure("GET de1/state p99 latency", "ms", better="lower")
    errors = Figure("GET de1/state errors", "requests", better="lower")
    for _ in range(3):
        result = requests_per_second(16, 3.0, "/de1/state")
        rates.values.append(result["requests_per_second"])
        p50.values.append(result["p50_ms"])
        p99.values.append(result["p99_ms"])
        errors.values.append(result["errors"])
    note = "private gateway, stand-in DE1 actor (no Bluetooth), 8 waitress threads"
    for figure in (rates, p50, p99, errors):
        figure.note = note
    return [rates, p50, p99, errors]
