"""A private mosquitto broker on a free loopback port, for tests, benchmarks and the soak."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_mosquitto() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MosquittoBroker:
    def __init__(self, port: int | None = None, workdir: str | None = None) -> None:
        self.binary = find_mosquitto()
        if self.binary is None:
            raise FileNotFoundError("mosquitto is not installed")
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._dir = Path(workdir or tempfile.mkdtemp(prefix="pyde1-mosq-"))
        self.proc: subprocess.Popen | None = None

    def config_lines(self) -> list[str]:
        """mosquitto's configuration (a subclass with users or TLS gives its own)."""
        return [f"listener {self.port} {self.host}", "allow_anonymous true", "persistence false",
                "set_tcp_nodelay true"]

    def ready_port(self) -> int:
        """The port that takes connections once the broker is up."""
        return self.port

    def start(self, timeout: float = 10.0) -> "MosquittoBroker":
        conf = self._dir / "mosquitto.conf"
        conf.write_text("\n".join(self.config_lines()) + "\n")
        self.proc = subprocess.Popen([self.binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        port = self.ready_port()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: {err.strip()}")
            try:
                with socket.create_connection((self.host, port), timeout=0.2):
                    return self
            except OSError:
                # Not listening yet: wait on the process itself (returns early if it dies).
                try:
                    self.proc.wait(timeout=0.02)
                except subprocess.TimeoutExpired:
                    pass
        self.stop()
        raise TimeoutError(f"mosquitto did not listen on {self.host}:{port} within {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> "MosquittoBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
