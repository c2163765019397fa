"""The database benchmarks run and report sensible figures (small sizes, seconds)."""

from __future__ import annotations

from actors.db.bench import measure_bus_stall, measure_insert_rate


def test_insert_rate_counts_every_event(tmp_path):
    r = measure_insert_rate(shots=2, flow_seconds=10, directory=str(tmp_path))
    assert r["rows"] == r["events"] > 0 and r["events_per_second"] > 0 and r["commits"] >= 2


def test_bus_stall_reports_publish_and_subscriber_delays(tmp_path):
    r = measure_bus_stall(flow_seconds=5, pace=0.0, directory=str(tmp_path))
    assert 0 < r["publish_p99_seconds"] <= r["publish_max_seconds"]
    assert 0 < r["subscriber_delay_p99_seconds"] <= r["subscriber_delay_max_seconds"] < 5
