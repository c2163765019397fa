"""Counting bad input without flooding the log.

Every dropped packet or rejected message is counted; the log gets one line per kind
per window (a minute by default) that says how many were dropped since the last line.
Pure: the caller passes the time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class DropCounter:
    window: float = 60.0
    counts: Counter = field(default_factory=Counter)
    _last_logged: dict = field(default_factory=dict)
    _since_log: Counter = field(default_factory=Counter)

    def record(self, kind: str, now: float) -> int | None:
        """Count one drop of ``kind``. Returns the number of drops to report if a log line is
        due now (the first of a kind, then at most one per window), else None."""
        self.counts[kind] += 1
        self._since_log[kind] += 1
        last = self._last_logged.get(kind)
        if last is None or now - last >= self.window:
            self._last_logged[kind] = now
            n = self._since_log[kind]
            self._since_log[kind] = 0
            return n
        return None

    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


@dataclass
class TokenBucket:
    """At most ``rate`` takes per second on average and ``burst`` at once. Pure: the caller
    passes the time (and locks, if several threads share one)."""

    rate: float
    burst: float
    tokens: float = -1.0  # full on first use
    _stamp: float | None = None

    def take(self, now: float) -> bool:
        """Spend one token if there is one; False: over the rate, try later."""
        if self._stamp is None:
            self.tokens = self.burst
        else:
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self._stamp) * self.rate)
        self._stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
