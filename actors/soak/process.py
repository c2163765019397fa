"""A simulated pyde1 service as a subprocess (``python -m actors.soak.serve --simulate``), for
benchmarks, the soak and tests: start it, time its start-up, read its memory, talk to its
HTTP API and its soak control port, stop or kill it, read its database afterwards."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from actors.bench.broker import free_port
from actors.soak.control import CONTROL_FILE_ENV, ask

ROOT = Path(__file__).resolve().parents[2]


class ServiceError(RuntimeError):
    pass


class ShotRefused(ServiceError):
    """The DE1 actor kept answering 409 to Espresso."""


def rss_kb(pid: int) -> int | None:
    """Resident memory of a process in KiB (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class ServiceProcess:
    def __init__(self, workdir: str | os.PathLike, *, speedup: float = 1000.0, start_state: str = "Idle",
                 mqtt_port: int = 1, http_port: int | None = None, env: dict[str, str] | None = None,
                 control: bool = True, level: str = "info") -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.http_port = http_port or free_port()
        self.db_path = self.workdir / "pyde1.sqlite3"
        self.log_dir = self.workdir / "log"
        self.control_file = self.workdir / "control.json"
        self.stderr_path = self.workdir / "stderr.log"
        self.control = control
        self.level = level
        self.env = dict(os.environ)
        self.env.update({
            "PYDE1_LOGGING__LOG_DIRECTORY": str(self.log_dir),
            "PYDE1_LOGGING__LOG_FILENAME": "pyde1.log",
            "PYDE1_DATABASE__FILENAME": str(self.db_path),
            "PYDE1_HTTP__SERVER_HOST": "127.0.0.1",
            "PYDE1_HTTP__SERVER_PORT": str(self.http_port),
            "PYDE1_MQTT__BROKER_HOSTNAME": "127.0.0.1",
            "PYDE1_MQTT__BROKER_PORT": str(mqtt_port),
            "PYDE1_SIMULATOR__SPEEDUP": str(speedup),
            "PYDE1_SIMULATOR__START_STATE": start_state,
            CONTROL_FILE_ENV: str(self.control_file),
        })
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self._control_port: int | None = None
        self.starts = 0

    # -- process ---------------------------------------------------------------------------------
    def start(self) -> "ServiceProcess":
        if self.control_file.exists():
            self.control_file.unlink()
        self._control_port = None
        module = "actors.soak.serve" if self.control else "actors.run"
        stderr = open(self.stderr_path, "a")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", module, "--simulate", "--level", self.level],
                                     cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=stderr)
        stderr.close()
        self.starts += 1
        return self

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise ServiceError("the service is not running")
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss_kb(self) -> int | None:
        return rss_kb(self.pid) if self.alive() else None

    def _poll(self, what: str, check, timeout: float, interval: float = 0.01) -> float:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise ServiceError(f"the service exited with {self.proc.returncode} while waiting for "
                                   f"{what}; stderr tail:\n{self.stderr_tail()}")
            try:
                if check():
                    return time.monotonic() - self.started_at
            except (OSError, http.client.HTTPException, ValueError):
                pass
            if time.monotonic() > deadline:
                raise ServiceError(f"{what}: not within {timeout} s; stderr tail:\n{self.stderr_tail()}")
            time.sleep(interval)

    def wait_http(self, timeout: float = 30.0) -> float:
        """Seconds from launch until ``GET version`` answers 200."""
        return self._poll("HTTP ready", lambda: self.get("version", timeout=1)[0] == 200, timeout)

    def wait_de1_ready(self, timeout: float = 30.0) -> float:
        """Seconds from launch until ``GET de1/availability`` says ready."""
        def ready() -> bool:
            status, body = self.get("de1/availability", timeout=1)
            return status == 200 and body.get("mode") == "ready"
        return self._poll("DE1 connected", ready, timeout)

    def wait_control(self, timeout: float = 30.0) -> int:
        def found() -> bool:
            if self.control_file.exists():
                self._control_port = int(json.loads(self.control_file.read_text())["port"])
                return True
            return False
        self._poll("soak control port", found, timeout)
        return self._control_port

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise ServiceError(f"the service did not stop within {timeout} s of {signal.Signals(sig).name}")
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stderr_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_lines(self) -> list[str]:
        """Every line of the service's log files (all runs, rotated ones included)."""
        out: list[str] = []
        for path in sorted(self.log_dir.glob("pyde1.log*"), reverse=True):
            out.extend(path.read_text(errors="replace").splitlines())
        return out

    # -- HTTP ------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, timeout: float = 10.0,
                headers: dict[str, str] | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
            conn.request(method, "/" + path.lstrip("/"), body=data, headers=headers or {})
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw.decode(errors="replace")

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, Any]:
        return self.request("GET", path, timeout=timeout)

    # -- control ---------------------------------------------------------------------------------
    def ctl(self, request: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        if self._control_port is None:
            self.wait_control()
        return ask(self._control_port, request, timeout)

    def espresso(self, timeout: float = 60.0, refused_for: float | None = None) -> int:
        """Start a shot over HTTP once the DE1 is Idle (a refill or a late state may come
        first: 409 is retried until ``timeout``) and wait until the simulated DE1 completed
        it; returns the simulator's completed-shot count. ``refused_for``: give up after
        that many seconds of 409s (ShotRefused) instead of the whole timeout."""
        deadline = time.monotonic() + timeout
        refuse_deadline = time.monotonic() + (refused_for if refused_for is not None else timeout)
        before = self.ctl({"op": "stats"})["sim"]["shots_completed"]
        last = ""
        while True:
            status, body = self.request("PATCH", "de1/mode", {"mode": "Espresso"})
            if status == 200:
                break
            last = f"{status}: {body}"
            if status != 409 or time.monotonic() > min(deadline, refuse_deadline):
                raise (ShotRefused if status == 409 else ServiceError)(f"PATCH de1/mode Espresso answered {last}")
            time.sleep(0.02)
        done = [before]

        def finished() -> bool:
            done[0] = self.ctl({"op": "stats"})["sim"]["shots_completed"]
            return done[0] > before
        self._poll("the shot to finish", finished, max(1.0, deadline - time.monotonic()), interval=0.02)
        return done[0]

    # -- database (read-only, safe while the service runs: WAL) ----------------------------------
    def db_query(self, sql: str, args: tuple = ()) -> list[tuple]:
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()
