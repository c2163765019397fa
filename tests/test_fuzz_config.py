"""Config fuzzing at the service level: ``pyde1-run -c random.yaml --simulate`` either
refuses the file (exit 2, nothing started: not even the log file) or starts *fully*
(every actor running, ``/health`` healthy) and stops cleanly on SIGTERM; a start-up
failure must be exit 1 with the cause logged. Never a traceback, never exit 70, never a
service that answers with a part missing.

Documents are built from the real schema's keys with right-typed, wrong-typed and
out-of-range values. Paths that would leave the test directory (log directory, database,
HTTP port, broker) are pinned by environment variables, which win over the file.
Each example starts a process (about a second): CI runs a few, ``PYDE1_LONG_TESTS=1`` many.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.bench.broker import free_port
from pyde1.config import Config
from pyde1.config.fields import walk

ROOT = Path(__file__).resolve().parent.parent
LONG = bool(os.environ.get("PYDE1_LONG_TESTS"))
ENTRIES = [e for e in walk(Config) if e.section is None]
PINNED = {"logging.LOG_DIRECTORY", "logging.LOG_FILENAME", "database.FILENAME", "http.SERVER_HOST",
          "http.SERVER_PORT", "mqtt.BROKER_HOSTNAME", "mqtt.BROKER_PORT", "bluetooth.ID_FILE_DIRECTORY"}
garbage = st.sampled_from(["", "lots", -1, 0, 10**12, [1, 2], {"a": 1}, None, True, "1e999", "0x10"])


def _plain(value):
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _value_for(default):
    default = _plain(default)
    if isinstance(default, bool):
        typed = st.booleans()
    elif isinstance(default, int):
        typed = st.integers(-10, 70_000)
    elif isinstance(default, float):
        typed = st.floats(-10, 1000, allow_nan=False)
    elif isinstance(default, str):
        typed = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
    else:
        typed = st.just(default)
    return st.one_of(st.just(default), typed, garbage)


@st.composite
def documents(draw):
    chosen = draw(st.lists(st.sampled_from([e for e in ENTRIES if e.path not in PINNED]),
                           max_size=6, unique_by=lambda e: e.path))
    doc: dict = {}
    for entry in chosen:
        node = doc
        *parents, leaf = entry.path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = draw(_value_for(entry.default))
    # always simulate quickly from Idle (they may still be overridden by the draw above)
    doc.setdefault("simulator", {}).setdefault("SPEEDUP", 50)
    return doc


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as resp:
            return json.loads(resp.read())
    except Exception:
        return None


def _start_and_judge(tmp: Path, doc: dict) -> str:
    for child in tmp.iterdir() if tmp.exists() else []:
        if child.is_file():
            child.unlink()
    tmp.mkdir(parents=True, exist_ok=True)
    log_dir = tmp / f"log-{time.monotonic_ns()}"
    conf = tmp / "random.yaml"
    conf.write_text(yaml.safe_dump(doc, allow_unicode=True))
    port = free_port()
    env = dict(os.environ, PYDE1_LOGGING__LOG_DIRECTORY=str(log_dir), PYDE1_LOGGING__LOG_FILENAME="pyde1.log",
               PYDE1_DATABASE__FILENAME=str(tmp / "pyde1.sqlite3"), PYDE1_HTTP__SERVER_HOST="127.0.0.1",
               PYDE1_HTTP__SERVER_PORT=str(port), PYDE1_MQTT__BROKER_HOSTNAME="127.0.0.1",
               PYDE1_MQTT__BROKER_PORT="1", PYDE1_BLUETOOTH__ID_FILE_DIRECTORY=str(tmp))
    err = tmp / "stderr.txt"
    with open(err, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "actors.run", "-c", str(conf), "--simulate"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            log = log_dir / "pyde1.log"
            if log.exists() and "pyde1 ready" in log.read_text(errors="replace"):
                break
            try:
                proc.wait(0.05)
            except subprocess.TimeoutExpired:
                pass
        text = err.read_text(errors="replace")
        if proc.poll() is not None:
            code = proc.returncode
            assert code in (1, 2), f"exit {code} for {doc}:\n{text}"
            assert "Traceback" not in text, f"a traceback for {doc}:\n{text}"
            if code == 2:
                assert "configuration has problems" in text and not log_dir.exists(), text
                return "refused"
            log = (log_dir / "pyde1.log").read_text(errors="replace") if (log_dir / "pyde1.log").exists() else ""
            assert "could not start" in log + text, f"exit 1 without a cause for {doc}:\n{text}\n{log[-2000:]}"
            return "could not start"
        assert time.monotonic() < deadline, f"neither ready nor exited within 30 s for {doc}:\n{text}"
        health = _health(port)
        assert health is not None, f"ready, but /health does not answer for {doc}"
        assert health["healthy"], f"started half-configured for {doc}: {health['problems']}"
        for role in ("database", "mqtt", "bluetooth", "de1", "http"):
            assert health["actors"].get(role, {}).get("alive"), f"{role} is not running for {doc}"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, f"did not stop cleanly for {doc}:\n{err.read_text(errors='replace')}"
        return "started"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.timeout(3600 if LONG else 120)
def test_random_yaml_is_refused_or_starts_fully(tmp_path):
    outcomes: dict[str, int] = {}

    @settings(max_examples=200 if LONG else 6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(doc=documents())
    def run(doc):
        outcome = _start_and_judge(tmp_path / "run", doc)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    run()
    assert outcomes, "no example ran"


def test_a_good_file_with_one_bad_value_starts_nothing(tmp_path):
    doc = {"http": {"THREADS": 4}, "mqtt": {"QUEUE_LIMIT": "lots"}, "simulator": {"SPEEDUP": 50}}
    assert _start_and_judge(tmp_path / "run", doc) == "refused"


def test_a_good_file_starts_fully(tmp_path):
    doc = {"http": {"THREADS": 4}, "mqtt": {"QUEUE_LIMIT": 100}, "simulator": {"SPEEDUP": 50}}
    assert _start_and_judge(tmp_path / "run", doc) == "started"


def test_a_log_format_without_fields_is_refused(tmp_path):
    doc = {"logging": {"formatters": {"LOGFILE": "0"}}, "simulator": {"SPEEDUP": 50}}
    assert _start_and_judge(tmp_path / "run", doc) == "refused"
