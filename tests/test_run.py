"""pyde1-run as a user runs it: a real process, real signals, real exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pyde1 import __version__

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PYDE1_LOGGING__LOG_DIRECTORY": str(tmp_path / "log"),
        "PYDE1_LOGGING__LOG_FILENAME": "pyde1.log",
        "PYDE1_DATABASE__FILENAME": str(tmp_path / "pyde1.sqlite3"),
        "PYDE1_HTTP__SERVER_HOST": "127.0.0.1",
        "PYDE1_HTTP__SERVER_PORT": "0",
        "PYDE1_MQTT__BROKER_HOSTNAME": "127.0.0.1",
        "PYDE1_MQTT__BROKER_PORT": "1",  # nothing listens: the service must run without a broker
    })
    env.update(extra)
    return env


def _run(args: list[str], env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "actors.run", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


def test_version():
    r = _run(["--version"])
    assert r.returncode == 0 and r.stdout.strip() == f"pyde1 {__version__}"


def test_check_config_accepts_pyde1_2_example(shared_dir, tmp_path):
    r = _run(["-c", str(shared_dir / "corpus/pyde1-config/pyde1.conf"), "--check-config"], env=_env(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "config OK" in r.stdout


def test_check_config_accepts_our_example(tmp_path):
    r = _run(["-c", str(ROOT / "conf/pyde1.conf"), "--check-config"], env=_env(tmp_path))
    assert r.returncode == 0, r.stderr


def test_broken_config_lists_every_problem_and_starts_nothing(tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("---\nmqtt:\n  BROKER_PORT: lots\n  NO_SUCH_KEY: 1\nhttp:\n  SERVER_PORT: 99999\n")
    r = _run(["-c", str(bad)], env=_env(tmp_path))
    assert r.returncode == 2
    assert "mqtt.BROKER_PORT" in r.stderr and "mqtt.NO_SUCH_KEY" in r.stderr and "http.SERVER_PORT" in r.stderr
    assert "bad.conf:3" in r.stderr  # line numbers point into the file
    assert not (tmp_path / "log").exists(), "nothing may start (not even the log file) on a bad config"


def test_missing_named_config_file_is_an_error(tmp_path):
    r = _run(["-c", str(tmp_path / "nope.conf"), "--check-config"], env=_env(tmp_path))
    assert r.returncode == 2 and "not found" in r.stderr


class _Lines:
    """Reads a process's stderr in a thread so the test can wait for a line with a deadline."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for line in stream:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self.lines.append(None)
            self._cond.notify_all()

    def wait_for(self, text: str, timeout: float) -> str:
        with self._cond:
            ok = self._cond.wait_for(lambda: any(l is None or text in l for l in self.lines), timeout)
            hit = next((l for l in self.lines if l is not None and text in l), None)
        if not ok or hit is None:
            raise AssertionError(f"{text!r} not seen within {timeout} s; stderr so far:\n{''.join(l for l in self.lines if l)}")
        return hit


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_starts_and_stops_cleanly_on_signal(tmp_path, sig):
    proc = subprocess.Popen([sys.executable, "-m", "actors.run", "--simulate", "--level", "info"],
                            cwd=ROOT, env=_env(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        lines = _Lines(proc.stderr)
        lines.wait_for("pyde1 ready", timeout=30)
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
        lines.wait_for("pyde1 stopped cleanly", timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = (tmp_path / "log" / "pyde1.log").read_text()
    assert "pyde1 ready" in log and "stopped cleanly" in log


def test_a_file_that_is_not_a_database_stops_start_up_unchanged(tmp_path):
    db = tmp_path / "pyde1.sqlite3"
    db.write_text("these are my notes, not a database\n")
    before = db.read_bytes()
    r = _run(["--simulate"], env=_env(tmp_path), timeout=60)
    assert r.returncode == 1
    assert "cannot start" in r.stderr and str(db) in r.stderr
    assert db.read_bytes() == before


def test_stop_request_wakes_on_the_c_level_handlers_byte():
    """A signal taken by a thread other than the main one reaches the pipe only through the
    wakeup fd (its byte is the signal number); wait() names that signal."""
    from actors.run import _StopRequest

    stop = _StopRequest()
    os.write(stop._write, bytes([signal.SIGTERM]))
    assert stop.wait() == signal.SIGTERM
    os.write(stop._write, b"!")  # only the Python handler's mark, its list empty
    assert stop.wait() is None
