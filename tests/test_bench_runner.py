"""scripts/bench: one JSON document with figures, units, runs, min/median/max, machine, revision."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_document_shape(tmp_path):
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, "-m", "actors.bench", "profile-plan", "--json", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert json.loads(r.stdout) == doc
    assert doc["machine"]["cpus"] >= 1 and doc["git_revision"]
    (fig,) = doc["benchmarks"]["profile-plan"]["figures"]
    assert fig["unit"] == "plans/s" and fig["runs"] == 5
    assert 0 < fig["min"] <= fig["median"] <= fig["max"]


def test_unknown_benchmark_is_refused():
    r = subprocess.run([sys.executable, "-m", "actors.bench", "nope"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "unknown benchmark" in r.stderr


def test_json_flag_without_a_file_prints_the_document():
    r = subprocess.run([sys.executable, "-m", "actors.bench", "profile-plan", "--json"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "profile-plan" in json.loads(r.stdout)["benchmarks"]
