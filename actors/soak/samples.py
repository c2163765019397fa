"""Samples lost: the ShotSamples the simulator sent in each shot, against what the bus
delivered and what the database recorded.

A sample is identified on the bus and in the database by (sample_time, arrival_time): the
DE1's 16-bit sample counter and the time the Bluetooth actor stamped on it, which the
database stores unchanged. That pair is unique, so a sample recorded under the previous
sequence (sequences end when the next one starts at high speed-ups) is still found.

*Acknowledged* samples are those the bus delivered while a sequence was recording (its
arrival between the sequence's start and end): the database owes exactly those.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ShotSamples:
    """One shot as the soak saw it: what the simulator sent, what the bus delivered."""

    sent: set[int] = field(default_factory=set)
    delivered: dict[int, float] = field(default_factory=dict)   # sample_time -> arrival_time

    def add_stats(self, stats: dict[str, Any]) -> None:
        """Merge a control ``stats(samples=True, clear=True)`` answer into this shot."""
        for times in stats["sim"].get("shots", {}).values():
            self.sent.update(int(t) for t in times)
        for shot in stats["bus"].get("shots", []):
            for t, arrival in shot.items():
                self.delivered.setdefault(int(t), float(arrival))


class Recorded:
    """The database's shot samples and sequence windows, for look-ups."""

    def __init__(self, rows: list[tuple[int, float]], windows: list[tuple[float, float | None]]) -> None:
        self.pairs = {(int(t), float(a)) for t, a in rows if t is not None and a is not None}
        spans = sorted((float(s), float("inf") if e is None else float(e)) for s, e in windows if s is not None)
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def recording_at(self, when: float) -> bool:
        i = bisect.bisect_right(self.starts, when) - 1
        return any(self.starts[j] <= when <= self.ends[j] for j in range(max(0, i - 2), i + 1))

    @classmethod
    def from_service(cls, service) -> "Recorded | None":
        try:
            rows = service.db_query("SELECT sample_time, arrival_time FROM shot_sample_with_volume_update "
                                    "WHERE sequence_id IS NOT NULL AND sequence_id != 'dummy'")
            windows = service.db_query("SELECT start_sequence, end_sequence FROM sequence WHERE id != 'dummy'")
        except Exception:
            return None
        return cls(rows, windows)


def judge(shot: ShotSamples, recorded: Recorded | None) -> dict[str, Any]:
    out: dict[str, Any] = {"sent": len(shot.sent), "delivered": len(shot.delivered),
                           "bus_lost": len(shot.sent - set(shot.delivered))}
    if recorded is None:
        out.update(acknowledged=None, recorded=None, db_lost=None)
        return out
    acknowledged = [(t, a) for t, a in shot.delivered.items() if recorded.recording_at(a)]
    missing = [(t, a) for t, a in acknowledged if (t, a) not in recorded.pairs]
    out.update(acknowledged=len(acknowledged),
               recorded=sum((t, a) in recorded.pairs for t, a in shot.delivered.items()),
               db_lost=len(missing), db_missing_examples=missing[:5])
    return out


def compare(stats: dict[str, Any], recorded: Recorded | None) -> dict[str, Any]:
    """Totals over every finished shot in one control ``stats(samples=True)`` answer."""
    sent_shots = stats["sim"].get("shots", {})
    completed = stats["sim"]["shots_completed"]
    shot = ShotSamples()
    shot.add_stats({"sim": {"shots": {k: v for k, v in sent_shots.items() if int(k) < completed}},
                    "bus": stats["bus"]})
    shot.delivered = {t: a for t, a in shot.delivered.items() if t in shot.sent}
    result = judge(shot, recorded)
    result["shots"] = sum(int(k) < completed for k in sent_shots)
    return result
