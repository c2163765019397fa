"""The private mosquitto used by tests lives beside the benchmarks that also need it; a
test that needs more of mosquitto (users, a TLS listener) gives its configuration lines to
:class:`ConfiguredBroker`."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import time

from actors.bench.broker import MosquittoBroker, find_mosquitto, free_port  # noqa: F401


class ConfiguredBroker(MosquittoBroker):
    """A private mosquitto with a loopback listener on ``port`` plus the test's own
    configuration ``lines``; ready once ``wait_port`` (default: ``port``) takes connections."""

    def __init__(self, workdir: str, lines: list[str], port: int | None = None,
                 wait_port: int | None = None) -> None:
        super().__init__(port=port, workdir=workdir)
        self.lines = list(lines)
        self.wait_port = wait_port

    def start(self, timeout: float = 10.0) -> "ConfiguredBroker":
        # Run as ourselves: as root, mosquitto would switch to a user that cannot read tmp_path.
        head = [f"listener {self.port} {self.host}", "persistence false",
                f"user {pwd.getpwuid(os.getuid()).pw_name}"]
        conf = self._dir / "configured.conf"
        conf.write_text("\n".join(head + self.lines) + "\n")
        self.proc = subprocess.Popen([self.binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        port = self.wait_port or self.port
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: {err.strip()}")
            try:
                with socket.create_connection((self.host, port), timeout=0.2):
                    return self
            except OSError:
                try:  # not listening yet: wait on the process itself (returns early if it dies)
                    self.proc.wait(timeout=0.02)
                except subprocess.TimeoutExpired:
                    pass
        self.stop()
        raise TimeoutError(f"mosquitto did not listen on {self.host}:{port} within {timeout} s")
