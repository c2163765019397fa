"""A CI-length soak: ``python -m actors.soak`` runs the real service (subprocess, simulated
devices at speed-up 1000) for 23 shots, one of each fault with a clean shot between, and
must pass every check it makes (samples, database integrity, exits, log, memory). The long
soak is ``scripts/soak --shots 500 --faults all`` (docs/reliability.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from actors.soak.faults import FAULTS

ROOT = Path(__file__).resolve().parent.parent


def test_short_soak_with_every_fault_passes(tmp_path):
    out = tmp_path / "soak.json"
    r = subprocess.run([sys.executable, "-m", "actors.soak", "--shots", "23", "--faults", "all", "--quiet",
                        "--workdir", str(tmp_path / "work"), "--json", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.exists(), f"no report (exit {r.returncode}):\n{r.stdout}\n{r.stderr[-3000:]}"
    report = json.loads(out.read_text())
    failed = [name for name, ok in report["checks"].items() if not ok]
    assert r.returncode == 0 and not failed, f"failed checks {failed}:\n{r.stdout}"
    injected = report["faults_injected"]
    expected = set(FAULTS) - ({"mosquitto-restart"} if report["notes"] else set())
    assert set(injected) == expected and all(n == 1 for n in injected.values())
    assert report["shots_completed"] == 21 and report["shots_interrupted"] == 2
    samples = report["samples"]
    assert samples["sent"] > 20 * 150 and samples["acknowledged"] > 20 * 150
    assert samples["db_lost"] == 0 and samples["bus_lost_clean"] == 0
    assert report["integrity_check"] == "ok"
    assert [code for _, code in report["service_exits"]] == [0, -9, 0]
    # the faults really happened: the DE1 actor saw its link drop and bad packets
    first = report["evidence"][0]["actors"]["de1"]
    assert first["link_losses"] >= 3 and sum(first["bad_packets"].values()) >= 1
    assert "SOAK PASSED" in r.stdout


def test_soak_refuses_unknown_faults():
    r = subprocess.run([sys.executable, "-m", "actors.soak", "--faults", "gremlins"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown fault(s) gremlins" in r.stderr and "drop-mid-shot" in r.stderr
