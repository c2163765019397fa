"""Tare requests and tare-seen detection (reference A.0.4 rules 1-3, part D.5).

A scale actor owns one :class:`TareTracker`: it asks :meth:`request` before sending its
tare command (requests closer than 0.25 s are dropped), and passes every report to
:meth:`observe`, which says when the tare was seen (publish ScaleTareSeen, which makes
the scale processor clear its history), when it timed out (log, no event), and whether
hold-at-tare (auto-tare) wants another tare now.
"""

from __future__ import annotations

import enum

TARE_THRESHOLD_G = 0.05
TARE_TIMEOUT_S = 1.0
MIN_TARE_INTERVAL_S = 0.25  # 2.5 x the nominal 0.1 s period


class TareOutcome(enum.Enum):
    NONE = "none"
    SEEN = "seen"
    TIMED_OUT = "timed out"


class TareTracker:
    def __init__(self, threshold: float = TARE_THRESHOLD_G, timeout: float = TARE_TIMEOUT_S,
                 min_interval: float = MIN_TARE_INTERVAL_S) -> None:
        self.threshold = threshold
        self.timeout = timeout
        self.min_interval = min_interval
        self.hold_at_tare = False
        self.requested = False
        self.last_sent: float | None = None

    def request(self, now: float) -> bool:
        """True: send the tare command now (and it is recorded as sent). False: too soon."""
        if self.last_sent is not None and now - self.last_sent <= self.min_interval:
            return False
        self.last_sent = now
        self.requested = True
        return True

    def observe(self, arrival_time: float, weight: float) -> TareOutcome:
        if not self.requested:
            return TareOutcome.NONE
        if self.last_sent is not None and arrival_time - self.last_sent > self.timeout:
            self.requested = False
            return TareOutcome.TIMED_OUT
        if abs(weight) < self.threshold:
            self.requested = False
            return TareOutcome.SEEN
        return TareOutcome.NONE

    def wants_tare(self, weight: float) -> bool:
        """Hold-at-tare: a report away from zero asks for a tare (rate-limited by request)."""
        return self.hold_at_tare and abs(weight) > self.threshold
