"""What the sequencer rules ask the runtime to do. The rules return these in order; the actor
carries them out (publish on the bus, call the DE1, scale or thermometer actor).

Every command carries ``trigger_time``: the arrival time of the input that caused it (a scale
report, a DE1 sample) or the deadline that fired, so the actor can measure how long the
decision took to reach the device.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pyde1.events import Event, StopAtType
from pyde1.stopat import LeadState


@dataclass(frozen=True, slots=True)
class Publish:
    event: Event


@dataclass(frozen=True, slots=True)
class StopFlow:
    """Stop the flow now (the DE1 goes to Idle, through its own ending)."""

    reason: StopAtType
    trigger_time: float
    #: True when a scheduled deadline fired rather than an arriving report.
    scheduled: bool = False


@dataclass(frozen=True, slots=True)
class SkipToNext:
    """Move the espresso profile on to the next frame (move-on-by-weight)."""

    frame: int
    trigger_time: float


@dataclass(frozen=True, slots=True)
class EndSteam:
    """Steam-to-temperature reached: end steaming (the DE1 goes to its puff phase)."""

    trigger_time: float


@dataclass(frozen=True, slots=True)
class Tare:
    """Tare the scale (auto-tare holds the cup at zero until drops are expected)."""


@dataclass(frozen=True, slots=True)
class SleepDE1:
    """Auto-off: put the DE1 to sleep; ``via_idle`` asks for Idle first."""

    via_idle: bool


class DeviceFollow(enum.Enum):
    RELEASE = "release"
    CAPTURE = "capture"


@dataclass(frozen=True, slots=True)
class FollowDE1:
    """Release the scale and thermometer when the DE1 sleeps, capture them when it wakes."""

    what: DeviceFollow


@dataclass(frozen=True, slots=True)
class ThermometerRate:
    """Fast reports (1 s) while steaming to temperature, normal (10 s) otherwise."""

    seconds: float


@dataclass(frozen=True, slots=True)
class LeadLearned:
    """A shot taught the setup's drip: keep the new belief (database ``persist_hkv``)."""

    lead: LeadState


@dataclass(frozen=True, slots=True)
class Log:
    level: str        # "info", "warning", "error"
    message: str


Action = (Publish | StopFlow | SkipToNext | EndSteam | Tare | SleepDE1 | FollowDE1 | ThermometerRate
          | LeadLearned | Log)
