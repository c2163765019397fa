"""Rules of the Visualizer uploader (api-contract §6), without I/O.

:class:`ShotTracker` follows the MQTT packets of one espresso sequence and says when it is
finished; :func:`upload_report` is the retained ``<root>/VisualizerUpload`` payload;
:func:`retry_delay` the backoff between attempts.

Fixed with respect to pyDE1 2.0: the shot URL has two slashes (Appendix A13).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

UPLOAD_URL = "https://visualizer.coffee/api/shots/upload"
SHOT_URL = "https://visualizer.coffee/shots/{id}"
REPORT_TOPIC = "VisualizerUpload"
SUBSCRIBED_CLASSES = ("StateUpdate", "SequencerGateNotification")
UPLOAD_TIMEOUT = 5.0
MAX_RETRY_DELAY = 600.0
#: Server errors (5xx, 429) are retried this many times in all, then reported as failed.
SERVER_ERROR_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class FinishedShot:
    sequence_id: str
    flow_start: float
    pour_start: float
    flow_end: float

    @property
    def flow_seconds(self) -> float:
        return self.flow_end - self.flow_start


class ShotTracker:
    """Tracks espresso sequences from ``StateUpdate`` and ``SequencerGateNotification`` payloads."""

    def __init__(self) -> None:
        self.sequence_id: str | None = None
        self.flow_start = self.pour_start = self.flow_end = 0.0
        self.errors: list[str] = []

    def on_payload(self, event_class: str, payload: Mapping[str, Any]) -> FinishedShot | None:
        if event_class == "SequencerGateNotification":
            return self._gate(payload)
        if event_class == "StateUpdate" and self.sequence_id is not None:
            if payload.get("substate") == "Pour" and payload.get("previous_substate") != "Pour":
                self.pour_start = _time(payload)
        return None

    def _gate(self, p: Mapping[str, Any]) -> FinishedShot | None:
        if p.get("action") != "set":
            return None
        name, sid = p.get("name"), p.get("sequence_id")
        if self.sequence_id is None:
            if name == "sequence_start" and p.get("active_state") == "Espresso" and isinstance(sid, str):
                self.sequence_id = sid
                self.flow_start = self.pour_start = self.flow_end = 0.0
            return None
        if sid != self.sequence_id:
            self.errors.append(f"gate {name} of sequence {sid} while tracking {self.sequence_id}; "
                               f"{self.sequence_id} is not uploaded")
            self.sequence_id = None
            # A new espresso start right away is tracked (pyDE1 drops it; that loses a shot).
            return self._gate(p) if name == "sequence_start" else None
        if name == "sequence_flow_begin":
            self.flow_start = _time(p)
        elif name == "sequence_flow_end":
            self.flow_end = _time(p)
        elif name == "sequence_complete":
            done = FinishedShot(self.sequence_id, self.flow_start, self.pour_start, self.flow_end)
            self.sequence_id = None
            return done
        return None


def too_short(shot: FinishedShot, min_flow_time: float | None) -> bool:
    return bool(min_flow_time) and shot.flow_seconds < float(min_flow_time)


def shot_url(visualizer_id: Any) -> str:
    return SHOT_URL.format(id=visualizer_id)


def upload_report(shot: FinishedShot, url: str | None, success: bool) -> dict[str, Any]:
    """The ``<root>/VisualizerUpload`` payload (keys in pyDE1's order; no class/version)."""
    return {"sequence_id": shot.sequence_id, "flow_start": shot.flow_start, "pour_start": shot.pour_start,
            "flow_end": shot.flow_end, "url": url, "success": success}


def retry_delay(hold_off: float, attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: ``hold_off`` doubled per failure, capped."""
    return min(MAX_RETRY_DELAY, max(0.0, float(hold_off)) * 2 ** max(0, attempt - 1))


def _time(p: Mapping[str, Any]) -> float:
    value = p.get("event_time")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
