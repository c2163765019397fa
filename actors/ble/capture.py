"""Plain rules of a managed Bluetooth device (devices-and-sequencing.md C.2–C.5, C.9, C.11).

* :class:`CaptureQueue` — the two-deep request queue: the triple (connected, pending, target)
  and the evaluation rule that decides which operation to start or cancel.
* :func:`availability` / :func:`connectivity` — what to publish for a triple.
* :class:`RetryWindow` — the connect retry schedule (0 s for 5 min, then 15 s, then 60 s).
* :func:`btid_path` and friends — the ``.btid`` files that let a cleanup script disconnect
  devices BlueZ kept connected after an unclean exit.

No threads, no I/O except the two small file helpers.
"""

from __future__ import annotations

import enum
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pyde1.events import ConnectivityState, DeviceAvailabilityState

A = DeviceAvailabilityState
CS = ConnectivityState


class Op(enum.Enum):
    CAPTURE = "C"
    RELEASE = "R"
    CANCEL = "X"
    NONE = "N"


C, R, X, N = Op.CAPTURE, Op.RELEASE, Op.CANCEL, Op.NONE


@dataclass
class CaptureQueue:
    connected: Op = N   # C connected, R disconnected, N never observed
    pending: Op = N     # C connect task, R disconnect task, X cancel awaited, N nothing
    target: Op = N      # last request

    def __str__(self) -> str:
        return self.connected.value + self.pending.value + self.target.value

    def request(self, r: Op) -> Op | None:
        """Apply a capture (C) or release (R) request. Returns the operation to start
        (C connect, R disconnect, X cancel the one in flight) or None."""
        if r not in (C, R):
            raise ValueError(f"only capture and release can be requested, not {r}")
        if self.connected is r:
            nxt = N if self.pending is N else X
        else:
            nxt = r if self.pending in (N, r) else X
        start = nxt if nxt is not self.pending and nxt is not N else None
        self.pending, self.target = nxt, r
        return start

    def reevaluate(self) -> Op | None:
        if self.target is N:
            return None
        return self.request(self.target)

    def task_finished(self, link_up: bool) -> Op | None:
        """The operation in flight ended (success, failure or cancel)."""
        self.pending = N
        self.connected = C if link_up else R
        return self.reevaluate()

    def link_changed(self, link_up: bool) -> Op | None:
        """The link went up or down by itself (a disconnect callback)."""
        self.connected = C if link_up else R
        if self.pending is not N:
            return None  # the task in flight will finish and re-evaluate
        return self.reevaluate()

    def reset(self) -> None:
        self.connected = self.pending = self.target = N

    @property
    def captured(self) -> bool:
        return self.connected is C and self.pending is N

    @property
    def released(self) -> bool:
        return self.connected is R and self.pending is N


def availability(q: CaptureQueue, ready: bool) -> DeviceAvailabilityState:
    if q.pending is C:
        return A.CAPTURING
    if q.pending is R:
        return A.RELEASING
    if q.pending is X:
        return {C: A.CAPTURING, R: A.RELEASING}.get(q.target, A.UNKNOWN)
    if q.target is not N:
        if q.connected is q.target:
            if q.target is C:
                return A.READY if ready else A.CAPTURED
            return A.RELEASED
        return A.CAPTURING if q.target is C else A.RELEASING
    if q.connected is C:
        return A.READY if ready else A.CAPTURED
    return A.RELEASED if q.connected is R else A.INITIAL


_CONNECTIVITY = {
    A.CAPTURING: CS.CONNECTING, A.CAPTURED: CS.CONNECTED, A.READY: CS.READY,
    A.NOT_READY: CS.NOT_READY, A.RELEASING: CS.DISCONNECTING, A.RELEASED: CS.DISCONNECTED,
    A.INITIAL: CS.INITIAL, A.UNKNOWN: CS.UNKNOWN,
}


def connectivity(state: DeviceAvailabilityState, q: CaptureQueue | None = None) -> ConnectivityState:
    """The deprecated view; any pending cancel is "unknown" (the caller repeats the last sent)."""
    if q is not None and q.pending is X:
        return CS.UNKNOWN
    return _CONNECTIVITY[state]


@dataclass
class RetryWindow:
    """Delay before each new connect attempt of one capture episode (C.9)."""

    started: float | None = None

    def delay(self, now: float) -> float:
        if self.started is None:
            self.started = now
            return 0.0
        elapsed = now - self.started
        if elapsed < 300:
            return 0.0
        if elapsed < 1800:
            return 15.0
        return 60.0

    def reset(self) -> None:
        self.started = None


def btid_path(directory: str | Path, suffix: str, address: str) -> Path:
    digits = re.sub(r"[^0-9A-Fa-f]", "", address or "")
    if len(digits) != 12:
        raise ValueError(f"address {address!r} does not give 12 hex digits for a .btid file")
    if not suffix.startswith("."):
        suffix = "." + suffix
    return Path(directory) / (digits + suffix)


def btid_supported() -> bool:
    return sys.platform.startswith("linux")


def write_btid(directory: str | Path, suffix: str, address: str) -> Path:
    """The address exactly as used, no trailing newline (C.11)."""
    path = btid_path(directory, suffix, address)
    path.write_text(address)
    return path


def remove_btid(directory: str | Path, suffix: str, address: str) -> None:
    btid_path(directory, suffix, address).unlink(missing_ok=True)
