"""systemd integration without a dependency: sd_notify over $NOTIFY_SOCKET, and a watchdog
thread that pings only while the service is healthy (so systemd restarts a wedged one).
Does nothing when not run under systemd."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

logger = logging.getLogger("pyde1.systemd")


def notify(message: str) -> bool:
    """Send one sd_notify datagram; returns False when not under systemd or on error."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
        return True
    except OSError as exc:
        logger.warning("sd_notify(%r) failed: %s", message, exc)
        return False


class Watchdog:
    """Pings WATCHDOG=1 at half of $WATCHDOG_USEC while ``healthy()`` is true."""

    def __init__(self, healthy: Callable[[], bool]) -> None:
        usec = os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        self.interval = int(usec) / 2e6 if usec and usec.isdigit() else None
        if pid and pid.isdigit() and int(pid) != os.getpid():
            self.interval = None  # the watchdog is meant for another process
        self._healthy = healthy
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        if self.interval is None:
            return False
        self._thread = threading.Thread(target=self._run, name="systemd-watchdog", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                ok = self._healthy()
            except Exception:
                logger.exception("health check failed")
                ok = False
            if ok:
                notify("WATCHDOG=1")
            else:
                logger.error("service unhealthy: not pinging the systemd watchdog")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
