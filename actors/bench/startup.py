"""Start-up time and resident memory of the real service (``pyde1-run --simulate`` as a
subprocess): launch -> HTTP answering, launch -> simulated DE1 connected and initialised,
RSS after start, and RSS growth over many simulated shots at maximum speed-up."""

from __future__ import annotations

import tempfile
import time
from typing import Any

from actors.bench.figures import Figure


def startup_once(workdir: str | None = None) -> dict[str, Any]:
    from actors.soak.process import ServiceProcess

    scratch = None if workdir else tempfile.TemporaryDirectory(prefix="pyde1-bench-start-")
    service = ServiceProcess(workdir or scratch.name, control=False, start_state="Sleep")
    service.start()
    try:
        http = service.wait_http(30)
        de1 = service.wait_de1_ready(30)
        time.sleep(1.0)  # let the first notifications settle before reading memory
        rss = service.rss_kb()
    finally:
        code = service.stop()
        if scratch is not None:
            scratch.cleanup()
    return {"http_ready_s": http, "de1_connected_s": de1, "rss_kb": rss, "exit": code}


def memory_over_shots(shots: int = 500, speedup: float = 1000.0, warmup: int = 5,
                      workdir: str | None = None) -> dict[str, Any]:
    """RSS after ``warmup`` shots and after ``shots`` more, sampled every 10% on the way."""
    from actors.soak.process import ServiceProcess

    from actors.bench.broker import MosquittoBroker, find_mosquitto

    # A broker, as in service: without one each MQTT connection's outbox fills up to
    # mqtt.QUEUE_LIMIT messages (bounded, but ~10 MB over the three event-carrying
    # connections, which reads as growth in the first few hundred shots).
    broker = MosquittoBroker().start() if find_mosquitto() else None
    # the control actor keeps no per-shot samples here: only the service's own memory counts
    scratch = None if workdir else tempfile.TemporaryDirectory(prefix="pyde1-bench-mem-")
    service = ServiceProcess(workdir or scratch.name, speedup=speedup,
                             env={"PYDE1_SOAK_KEEP_SHOTS": "0"},
                             mqtt_port=broker.port if broker else 1)
    service.start()
    curve: list[tuple[int, int]] = []
    try:
        service.wait_de1_ready(60)
        for _ in range(warmup):
            service.espresso()
        base = service.rss_kb()
        began = time.monotonic()
        step = max(1, shots // 10)
        for n in range(1, shots + 1):
            service.espresso()
            if n % step == 0:
                curve.append((n, service.rss_kb()))
        wall = time.monotonic() - began
        end = service.rss_kb()
    finally:
        code = service.stop()
        if broker is not None:
            broker.stop()
        if scratch is not None:
            scratch.cleanup()
    half = [kb for n, kb in curve if n > shots // 2]
    slope = (half[-1] - half[0]) / max(1, shots // 2 - step) if len(half) > 1 else 0.0
    return {"shots": shots, "rss_start_kb": base, "rss_end_kb": end, "curve": curve,
            "second_half_kb_per_shot": slope, "shots_per_minute": 60 * shots / wall, "exit": code,
            "broker": broker is not None}


def compile_bytecode() -> None:
    """Compile the project's modules to bytecode, as ``pip install`` (scripts/install-pi.sh)
    leaves an installed service. A source tree run with PYTHONDONTWRITEBYTECODE=1 (this
    development machine) otherwise compiles ~0.9 MB of source at every start, about 0.1 s
    that no installed service pays. Writes only ``__pycache__`` (git-ignored)."""
    import compileall
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for package in ("actors", "pyde1"):
        compileall.compile_dir(str(root / package), quiet=1)


def startup(runs: int = 5) -> list[Figure]:
    compile_bytecode()
    http = Figure("launch to HTTP ready", "s", better="lower",
                  note="pyde1-run --simulate, python start included, bytecode compiled as pip install leaves it")
    de1 = Figure("launch to DE1 connected (simulated)", "s", better="lower")
    rss = Figure("resident memory after start", "MB", better="lower", note="VmRSS, 1 s after DE1 ready")
    for _ in range(runs):
        r = startup_once()
        http.values.append(round(r["http_ready_s"], 3))
        de1.values.append(round(r["de1_connected_s"], 3))
        rss.values.append(round(r["rss_kb"] / 1024, 1))
    return [http, de1, rss]


def memory(shots: int = 500) -> list[Figure]:
    r = memory_over_shots(shots)
    note = (f"{shots} shots at simulator speed-up 1000 ({r['shots_per_minute']:.0f} shots/min), "
            f"{'with' if r.get('broker') else 'without'} an MQTT broker")
    return [Figure("resident memory after 5 warm-up shots", "MB", [round(r["rss_start_kb"] / 1024, 1)],
                   better="lower"),
            Figure(f"resident memory after {shots} more shots", "MB", [round(r["rss_end_kb"] / 1024, 1)],
                   better="lower", note=note),
            Figure("memory growth per shot, second half", "KB/shot",
                   [round(r["second_half_kb_per_shot"], 2)], better="lower",
                   note="flat means ~0: " + ", ".join(f"{n}:{kb // 1024}MB" for n, kb in r["curve"]))]
