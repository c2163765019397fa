"""``scripts/bench [NAME...] [--json FILE]``: run benchmarks, print one JSON document.

Each benchmark reports figures with their unit, number of runs and min/median/max, and the
document records the machine and the git revision, so numbers can be compared over time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

# name -> (module, function, what it measures). Parts add themselves here as they land.
BENCHMARKS: dict[str, tuple[str, str, str]] = {
    "bus": ("actors.bench.bus", "run", "actor bus: messages/s and delivery latency"),
    "codecs": ("actors.bench.core", "codecs", "ShotSample decode/encode throughput"),
    "mqtt": ("actors.bench.mqtt", "latency", "bus event -> MQTT subscriber latency (private mosquitto)"),
    "saw": ("actors.bench.saw", "run", "216 simulated espresso shots stopped on weight by the whole stack: error, premature/missed stops, decision latency"),
    "saw-replay": ("actors.bench.saw_replay", "run", "stop-at-weight predictor replayed over real shots (../shared)"),
    "db-insert": ("actors.db.bench", "insert_rate", "database writer: sustained events/s"),
    "db-stall": ("actors.db.bench", "bus_stall", "longest bus publish stall while the writer commits"),
    "profile-plan": ("actors.bench.core", "profile_plan", "JSON profile parse + upload plan throughput"),
    "http-load": ("actors.bench.http_load", "run",
                  "HTTP GET version / de1/state with 1, 16, 64 keep-alive clients on a real simulated service during a shot; samples lost"),
    "startup": ("actors.bench.startup", "startup", "launch -> HTTP ready, -> DE1 connected (simulated); RSS after start"),
    "memory": ("actors.bench.startup", "memory", "resident memory after start and after 500 simulated shots (growth)"),
    "sim": ("actors.bench.ble", "simulator", "simulated shots/min: pure model and whole Bluetooth stack"),
    "ble-latency": ("actors.bench.ble", "latency", "simulated ShotSample notification -> bus latency"),
}


def _git_revision() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True,
                               text=True, timeout=5).stdout.strip()
        return (rev or "unknown") + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _machine() -> dict:
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "memory_mb": mem, "processor": platform.processor() or platform.machine()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="scripts/bench", description="Run pyde1 benchmarks (JSON output).")
    p.add_argument("names", nargs="*", help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    p.add_argument("--json", metavar="FILE", nargs="?", const="",
                   help="the JSON document always goes to stdout; with FILE, also to FILE")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = p.parse_args(argv)
    if args.list:
        for name, (_, _, what) in BENCHMARKS.items():
            print(f"{name:16} {what}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    doc = {"machine": _machine(), "git_revision": _git_revision(),
           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "benchmarks": {}}
    failed = 0
    for name in args.names or list(BENCHMARKS):
        module, function, what = BENCHMARKS[name]
        print(f"running {name}: {what}", file=sys.stderr)
        t0 = time.monotonic()
        try:
            figures = getattr(importlib.import_module(module), function)()
            doc["benchmarks"][name] = {"description": what, "seconds": round(time.monotonic() - t0, 2),
                                       "figures": [f.summary() for f in figures]}
        except Exception as exc:  # report and go on: one broken benchmark must not hide the rest
            failed += 1
            doc["benchmarks"][name] = {"description": what, "error": f"{type(exc).__name__}: {exc}"}
    text = json.dumps(doc, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
