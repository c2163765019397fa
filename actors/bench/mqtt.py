"""Event -> MQTT subscriber latency through the real bridge and a private mosquitto."""

from __future__ import annotations

from actors.bench.broker import MosquittoBroker
from actors.bench.figures import Figure


def latency(samples: int = 10_000, runs: int = 1) -> list[Figure]:
    from actors.mqtt.bench import event_to_subscriber_latency

    p50 = Figure("event_to_subscriber_p50", "ms", better="lower", note=f"{samples} events, one at a time")
    p99 = Figure("event_to_subscriber_p99", "ms", better="lower")
    mx = Figure("event_to_subscriber_max", "ms", better="lower")
    lost = Figure("event_to_subscriber_lost", "events", better="lower")
    with MosquittoBroker() as broker:
        for _ in range(runs):
            r = event_to_subscriber_latency(samples, broker.host, broker.port)
            p50.values.append(r["p50_ms"])
            p99.values.append(r["p99_ms"])
            mx.values.append(r["max_ms"])
            lost.values.append(r["lost"])
    return [p50, p99, mx, lost]
