"""Benchmarks of the Bluetooth layer and the simulator, for ``scripts/bench``.

* ``simulator_throughput()`` — simulated espresso shots per minute at maximum speed-up: the
  pure DE1 model alone, and the whole stack (simulator backend → Bluetooth actor → DE1 actor →
  bus) with the simulator's clock running as fast as the loop allows.
* ``notification_latency()`` — time from the simulated DE1 handing a ShotSample to bleak's
  notify callback until the decoded ShotSampleWithVolumesUpdate is published on the bus.

Each returns a plain dict; ``figures_*`` wrap them as ``actors.bench.figures.Figure`` lists.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

import pykka

from actors.base import ServiceContext
from actors.bus import EventBus, RoleTable
from pyde1.events import DeviceAvailability, DeviceAvailabilityState, ShotSampleWithVolumesUpdate, StateUpdate
from pyde1.protocol.enums import MachineState
from pyde1.sim.de1 import U, DE1Model


def _context() -> ServiceContext:
    roles = RoleTable()
    return ServiceContext(config=None, bus=EventBus(roles), roles=roles)


def _percentile(values: list[float], p: float) -> float:
    vals = sorted(values)
    k = max(0, min(len(vals) - 1, int(round(p / 100 * len(vals) + 0.5)) - 1))
    return vals[k]


def model_shots_per_minute(seconds: float = 2.0, seed: int = 1) -> dict[str, Any]:
    """Shots of the default profile through the pure model, back to back, for ``seconds``."""
    model = DE1Model(start_state=MachineState.Idle, seed=seed)
    shots, sim_seconds, began = 0, 0.0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        model.write(U["RequestedState"], bytes([MachineState.Espresso]))
        while True:
            model.advance(0.25)
            sim_seconds += 0.25
            model.drain()
            if model.state == MachineState.Idle and model.shots_completed > shots:
                break
        shots = model.shots_completed
    wall = time.perf_counter() - began
    return {"shots": shots, "wall_s": wall, "shots_per_minute": 60 * shots / wall,
            "speedup": sim_seconds / wall}


def stack_shots_per_minute(shots: int = 3, seed: int = 1, timeout: float = 60.0) -> dict[str, Any]:
    """Shots through the simulator backend, Bluetooth actor, DE1 actor and bus."""
    from actors.sim.harness import SimRig

    ctx = _context()
    done = threading.Semaphore(0)
    ready = threading.Event()
    samples = [0]

    def watch(event: object) -> None:
        if isinstance(event, StateUpdate) and event.previous_state == "Espresso" and event.state == "Idle":
            done.release()
        elif isinstance(event, DeviceAvailability) and event.state is DeviceAvailabilityState.READY:
            ready.set()
        elif isinstance(event, ShotSampleWithVolumesUpdate):
            samples[0] += 1

    ctx.bus.add_callback(watch)
    rig = SimRig(ctx, speedup=0, seed=seed)
    try:
        rig.start()
        if not ready.wait(timeout):
            raise RuntimeError("the simulated DE1 did not become ready")
        began = time.perf_counter()
        for _ in range(shots):
            rig.de1.set_mode("Espresso").get(timeout=timeout)
            if not done.acquire(timeout=timeout):
                raise RuntimeError("a simulated shot did not finish in time")
        wall = time.perf_counter() - began
        return {"shots": shots, "wall_s": wall, "shots_per_minute": 60 * shots / wall,
                "samples_per_s": samples[0] / wall}
    finally:
        rig.stop()
        pykka.ActorRegistry.stop_all(block=True, timeout=10)


def simulator_throughput() -> dict[str, Any]:
    return {"model": model_shots_per_minute(), "stack": stack_shots_per_minute()}


def notification_latency(count: int = 400, speedup: float = 20.0) -> dict[str, Any]:
    """Latency of ShotSample notifications from the simulator's notify to the bus (ms)."""
    from actors.sim.harness import SimRig

    ctx = _context()
    arrived: dict[int, float] = {}
    ready = threading.Event()
    enough = threading.Event()

    def watch(event: object) -> None:
        if isinstance(event, ShotSampleWithVolumesUpdate):
            arrived.setdefault(event.sample_time, time.monotonic())
            if len(arrived) >= count + 5:
                enough.set()
        elif isinstance(event, DeviceAvailability) and event.state is DeviceAvailabilityState.READY:
            ready.set()

    ctx.bus.add_callback(watch)
    rig = SimRig(ctx, speedup=speedup)
    rig.device.record_emissions = True
    try:
        rig.start()
        if not ready.wait(30):
            raise RuntimeError("the simulated DE1 did not become ready")
        if not enough.wait(60):
            raise RuntimeError(f"only {len(arrived)} samples arrived")
        emitted = rig.call(lambda: list(rig.device.emitted))
    finally:
        rig.stop()
        pykka.ActorRegistry.stop_all(block=True, timeout=10)
    latencies = []
    for t_emit, uuid, data in emitted:
        if uuid == U["ShotSample"] and len(data) == 19:
            t_bus = arrived.get(int.from_bytes(data[:2], "big"))
            if t_bus is not None and t_bus >= t_emit:
                latencies.append(1000 * (t_bus - t_emit))
    latencies = latencies[5:count + 5]  # skip the start-up ones
    if not latencies:
        raise RuntimeError("no latencies measured")
    return {"samples": len(latencies), "p50_ms": statistics.median(latencies),
            "p99_ms": _percentile(latencies, 99), "max_ms": max(latencies)}


def figures_simulator(runs: int = 3) -> list:
    from actors.bench.figures import Figure

    model = Figure("sim_model_shots_per_minute", "shots/min", note="pure DE1 model, default profile")
    stack = Figure("sim_stack_shots_per_minute", "shots/min",
                   note="simulator backend + Bluetooth actor + DE1 actor + bus, maximum speed-up")
    for _ in range(runs):
        model.values.append(round(model_shots_per_minute()["shots_per_minute"], 1))
        stack.values.append(round(stack_shots_per_minute()["shots_per_minute"], 1))
    return [model, stack]


def figures_latency(runs: int = 3) -> list:
    from actors.bench.figures import Figure

    p50 = Figure("ble_notification_to_bus_p50", "ms", better="lower",
                 note="simulated ShotSample: notify callback -> DE1 actor -> bus")
    p99 = Figure("ble_notification_to_bus_p99", "ms", better="lower",
                 note="simulated ShotSample: notify callback -> DE1 actor -> bus")
    for _ in range(runs):
        result = notification_latency()
        p50.values.append(round(result["p50_ms"], 3))
        p99.values.append(round(result["p99_ms"], 3))
    return [p50, p99]
