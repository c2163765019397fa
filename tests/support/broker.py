"""The private mosquitto used by tests lives beside the benchmarks that also need it; a
test that needs more of mosquitto (users, a TLS listener) gives its configuration lines to
:class:`ConfiguredBroker`."""

from __future__ import annotations

import os
import pwd

from actors.bench.broker import MosquittoBroker, find_mosquitto, free_port  # noqa: F401


class ConfiguredBroker(MosquittoBroker):
    """A private mosquitto with a loopback listener on ``port`` plus the test's own
    configuration ``lines``; ready once ``wait_port`` (default: ``port``) takes connections."""

    def __init__(self, workdir: str, lines: list[str], port: int | None = None,
                 wait_port: int | None = None) -> None:
        super().__init__(port=port, workdir=workdir)
        self.lines = list(lines)
        self.wait_port = wait_port

    def config_lines(self) -> list[str]:
        # Run as ourselves: as root, mosquitto would switch to a user that cannot read tmp_path.
        return [f"listener {self.port} {self.host}", "persistence false",
                f"user {pwd.getpwuid(os.getuid()).pw_name}", *self.lines]

    def ready_port(self) -> int:
        return self.wait_port or self.port
