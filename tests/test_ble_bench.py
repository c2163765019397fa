"""The Bluetooth/simulator benchmarks run and report plausible numbers (small sizes)."""

from __future__ import annotations

from actors.ble import bench


def test_model_throughput_is_reported():
    result = bench.model_shots_per_minute(seconds=0.3)
    assert result["shots"] >= 1 and result["shots_per_minute"] > 60 and result["speedup"] > 10


def test_stack_throughput_and_latency_are_reported():
    stack = bench.stack_shots_per_minute(shots=1)
    assert stack["shots"] == 1 and stack["shots_per_minute"] > 1 and stack["samples_per_s"] > 0
    latency = bench.notification_latency(count=50, speedup=50)
    assert latency["samples"] > 10 and 0 < latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]
