"""Auto-off: put the DE1 to sleep after some idle minutes (devices-and-sequencing F.2).

The DE1 reports its state only on change, so "idle" means "no state change for that long".
pyDE1 polls every 60 s; here the deadline is exact. Unlike pyDE1, a running sequence (a long
steam, say) is never interrupted, and a request that did not take is repeated after
``retry`` seconds rather than on every poll.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyde1.protocol.enums import MachineState as S


@dataclass
class AutoOff:
    retry: float = 60.0
    state: S = S.UNKNOWN
    state_seen: bool = False
    last_change: float = 0.0
    de1_ready: bool | None = None
    requested_at: float | None = None

    def state_changed(self, state: S, now: float) -> None:
        self.state, self.state_seen, self.last_change = state, True, now
        self.requested_at = None

    def due(self, minutes: float | None, sequence_running: bool) -> float | None:
        """When the DE1 should be put to sleep, or None if it should not be."""
        if not minutes or not self.state_seen or self.de1_ready is False or sequence_running:
            return None
        if self.state in (S.Sleep, S.GoingToSleep):
            return None
        due = self.last_change + minutes * 60.0
        if self.requested_at is not None:
            due = max(due, self.requested_at + self.retry)
        return due

    def fire(self, minutes: float | None, sequence_running: bool, now: float) -> bool | None:
        """None if nothing is due; else whether Idle must be requested before Sleep."""
        due = self.due(minutes, sequence_running)
        if due is None or now < due:
            return None
        self.requested_at = now
        return self.state not in (S.Idle, S.GoingToSleep, S.Refill)
