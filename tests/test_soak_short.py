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


# -- the pieces the soak and the service benchmarks stand on -----------------------------------

def test_schedule_puts_a_clean_shot_first_and_between_faults():
    from actors.soak.faults import parse_faults, schedule

    assert schedule(6, ["kill-9", "drop-idle"]) == [None, "kill-9", None, "drop-idle", None, "kill-9"]
    assert schedule(3, []) == [None, None, None]
    assert parse_faults("all") == list(FAULTS) and parse_faults("none") == []
    import pytest
    with pytest.raises(ValueError, match="unknown fault"):
        parse_faults("kill-9,gremlins")


def test_samples_are_matched_on_time_and_arrival_and_judged_inside_sequences():
    from actors.soak.samples import Recorded, ShotSamples, judge

    shot = ShotSamples()
    shot.add_stats({"sim": {"shots": {"0": [1, 2, 3, 4]}},
                    "bus": {"shots": [{"1": 10.0, "2": 10.1, "3": 10.2}, {"9": 99.0}]}})
    assert shot.sent == {1, 2, 3, 4} and shot.delivered[3] == 10.2
    # sample 2 recorded (under whatever sequence), 3 missing although a sequence was
    # recording at 10.2, 9 missing but no sequence was recording at 99.0
    recorded = Recorded([(1, 10.0), (2, 10.1), (3, 55.5)], [(9.9, 10.15), (10.15, 11.0)])
    j = judge(shot, recorded)
    assert j["bus_lost"] == 1                       # sample 4 never reached the bus
    assert j["acknowledged"] == 3 and j["db_lost"] == 1 and j["db_missing_examples"] == [(3, 10.2)]
    still_open = Recorded([(1, 10.0), (2, 10.1)], [(9.9, 10.15), (10.15, None)])
    assert judge(shot, still_open)["db_lost"] == 2  # a sequence without an end records on
    closed = Recorded([(1, 10.0), (2, 10.1)], [(9.9, 10.15)])
    assert judge(shot, closed)["db_lost"] == 0      # 3 and 9 arrived after the sequence ended
    assert judge(shot, None)["db_lost"] is None


def test_http_load_against_the_real_service_reports_no_loss(tmp_path):
    """The http-load benchmark in miniature (shots at speed-up 50, 0.5 s per load)."""
    from actors.bench.http_load import run_load

    r = run_load(0.5, clients=(1, 8), paths=("version",), speedup=50.0, workdir=str(tmp_path))
    assert [x["clients"] for x in r["loads"]] == [1, 8]
    assert all(x["requests"] > 0 and x["errors"] == 0 for x in r["loads"])
    assert r["samples"]["shots"] >= 1 and r["samples"]["bus_lost"] == 0 and r["samples"]["db_lost"] == 0
    assert r["exit"] == 0
