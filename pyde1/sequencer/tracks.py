"""The life of one stop rule within a sequence, and the sequence's gates.

Each stop type (E.12) goes, per sequence: ``disabled`` (or ``de1 controlled``) at start,
perhaps ``enabled`` when it is armed, perhaps ``triggered``, and a final ``disabled`` when
flow ends or the sequence is cut short. :class:`StopTrack` keeps that straight so no type
ever sends two finals or a ``triggered`` twice.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from pyde1.events import GateAction, SequencerGateName, SequencerGateNotification, StopAtType

G = SequencerGateName
#: Gates in the order they are cleared at every sequence start (and normally set).
GATE_ORDER: tuple[SequencerGateName, ...] = (
    G.SEQUENCE_START, G.SEQUENCE_FLOW_BEGIN, G.SEQUENCE_EXPECT_DROPS, G.SEQUENCE_EXIT_PREINFUSE,
    G.SEQUENCE_FLOW_END, G.SEQUENCE_FLOW_STATE_EXIT, G.SEQUENCE_LAST_DROPS, G.SEQUENCE_COMPLETE)


def new_sequence_id() -> str:
    return str(uuid.uuid4())


class TrackPhase(enum.Enum):
    DONE = "done"          # not used in this sequence, or finished (final notification sent)
    WAITING = "waiting"    # will be armed by a later gate
    ARMED = "armed"        # deciding on every input


@dataclass
class StopTrack:
    kind: StopAtType
    phase: TrackPhase = TrackPhase.DONE
    triggered: bool = False
    armed_at: float = 0.0

    @property
    def armed(self) -> bool:
        return self.phase is TrackPhase.ARMED

    @property
    def open(self) -> bool:
        """Still owes a final ``disabled``."""
        return self.phase is not TrackPhase.DONE


@dataclass
class Sequence:
    """One flow sequence: its id, the flow state that started it, its gates and times."""

    id: str
    active_state: str | None
    start_time: float
    running: bool = True
    gates: set[SequencerGateName] = field(default_factory=set)
    flow_begin_time: float | None = None
    flow_end_time: float | None = None

    def has(self, gate: SequencerGateName) -> bool:
        return gate in self.gates

    def notification(self, gate: SequencerGateName, action: GateAction,
                     now: float) -> SequencerGateNotification:
        return SequencerGateNotification(name=gate, action=action, sequence_id=self.id,
                                         active_state=self.active_state,
                                         arrival_time=now, create_time=now, event_time=now)
