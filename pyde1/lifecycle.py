"""Internal events about the runtime itself (not pyDE1 notifications; never sent to MQTT
under a pyDE1 topic). The supervisor publishes them so health checks and tests can see
restarts and give-ups as they happen."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class LifecycleKind(enum.Enum):
    STARTED = "started"
    FAILED = "failed"
    RESTARTED = "restarted"
    GAVE_UP = "gave_up"
    REPLACED = "replaced"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ActorLifecycle:
    role: str
    actor_class: str
    kind: LifecycleKind
    reason: str = ""
    attempt: int = 0
    event_time: float = 0.0
    PUBLISHED = False


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """Bounded restarts with exponential backoff: at most ``max_restarts`` within
    ``window`` seconds, waiting ``initial * 2**n`` (capped at ``maximum``) before each."""

    max_restarts: int = 5
    window: float = 60.0
    initial: float = 0.5
    maximum: float = 10.0

    def delay(self, attempt: int) -> float:
        return min(self.maximum, self.initial * (2 ** max(0, attempt - 1)))

    def allows(self, recent_failure_times: list[float], now: float) -> bool:
        recent = [t for t in recent_failure_times if now - t <= self.window]
        return len(recent) <= self.max_restarts
