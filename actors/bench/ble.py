"""Simulator throughput and notification-to-bus latency (``actors.ble.bench``) for scripts/bench."""

from __future__ import annotations

from actors.bench.figures import Figure


def simulator(runs: int = 3) -> list[Figure]:
    from actors.ble.bench import figures_simulator

    return figures_simulator(runs)


def latency(runs: int = 3) -> list[Figure]:
    from actors.ble.bench import figures_latency

    return figures_latency(runs)
