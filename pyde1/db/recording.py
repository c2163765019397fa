"""What to write, and when: the recording state machine of the database writer (api-contract §3.4).

Driven only by the notifications themselves, as pyDE1's writer is driven by its controller:

* No sequence: every storable notification goes into a rolling buffer that keeps, per
  class, the last ``BUFFER_DEPTH`` events *and* every event of the last
  ``pre_sequence_seconds`` seconds. Nothing is written.
* ``sequence_start`` gate set: the master ``sequence`` row is inserted, the buffer is
  written with the new ``sequence_id`` (gate notifications only when they already carry
  that id: the eight ``clear`` packets sent just before the start), then the start gate.
* During the sequence: every storable notification is written with its ``sequence_id``;
  ``set`` gates fill the master row (``sequence_flow_begin`` → ``start_flow``,
  ``sequence_flow_end`` → ``end_flow``, ``sequence_complete`` → ``end_sequence``).
* ``sequence_complete`` set (or a watchdog): recording stops; the writer commits at once.

The machine produces operations (plain frozen values); the writer actor applies them in
order, batching many into one transaction. Pure: the caller passes times.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyde1.db.mapping import BUFFER_DEPTH, CLASS_TABLE, row_from_payload
from pyde1.db.schema import DUMMY_ID

GATE_CLASS = "SequencerGateNotification"
START, FLOW_BEGIN, FLOW_END, COMPLETE = ("sequence_start", "sequence_flow_begin",
                                         "sequence_flow_end", "sequence_complete")
SEQUENCE_COLUMN_FOR_GATE = {FLOW_BEGIN: "start_flow", FLOW_END: "end_flow", COMPLETE: "end_sequence"}
# DE1 availability states after which "the profile uploaded in this connection" is unknown.
_DE1_GONE_STATES = frozenset({"releasing", "released", "initial"})


# -- operations ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InsertRow:
    table: str
    row: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class InsertSequence:
    """The master row; ignored if a row with that id already exists."""
    row: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class UpdateSequence:
    sequence_id: str
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SequenceFinished:
    """Recording of ``sequence_id`` stopped; ``complete`` is False when a watchdog or a newer
    sequence ended it before its ``sequence_complete`` gate."""
    sequence_id: str
    complete: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class InsertProfile:
    """A profile row; the first insert of an id wins (same bytes, same id)."""
    row: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PutHkv:
    header: str | None
    key: str
    value: str | None


Operation = InsertRow | InsertSequence | UpdateSequence | SequenceFinished | InsertProfile | PutHkv


# -- the state machine ---------------------------------------------------------------------------

@dataclass(slots=True)
class _Buffered:
    order: int
    event_time: float
    payload: Mapping[str, Any]


@dataclass
class Recorder:
    """Turns notification payload dicts (``event.to_dict()``) into write operations."""

    pre_sequence_seconds: float = 5.0
    depths: Mapping[str, int] = field(default_factory=lambda: dict(BUFFER_DEPTH))
    max_buffered_per_class: int = 2000
    #: A sequence still open this long after its start is closed (the sequencer has its own,
    #: shorter watchdog; this one only guards against a lost ``sequence_complete``).
    max_sequence_seconds: float = 900.0

    sequence_id: str | None = None
    sequence_started: float | None = None
    #: Id of the profile last uploaded to the DE1 in the current connection (None: unknown).
    profile_id: str | None = None
    #: ``persist_hkv`` ('last_profile', 'id'): the fallback for the master row.
    last_profile_id: str = DUMMY_ID
    #: Resource snapshots to put into the next master row (api-contract §3.3 ``resource_*``).
    pending_resources: dict[str, str] = field(default_factory=dict)
    #: Ids of sequences whose master row is still open in the file (a writer restarted
    #: mid-shot): recording resumes at the next gate that carries one of them.
    resumable: set[str] = field(default_factory=set)
    resumable_starts: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._buffers: dict[str, deque[_Buffered]] = {cls: deque() for cls in CLASS_TABLE}
        self._order = itertools.count()
        self._newest = float("-inf")
        self._now = 0.0
        self._started_clock = 0.0

    # -- inputs -------------------------------------------------------------------------------
    def profile_uploaded(self, profile_id: str) -> None:
        self.profile_id = profile_id
        self.last_profile_id = profile_id

    def on_payload(self, payload: Mapping[str, Any], now: float | None = None) -> list[Operation]:
        """Operations for one notification payload (possibly none). ``now`` is the caller's
        clock (the same one it passes to ``check_watchdog``); without it the watchdog
        measures in event time."""
        cls = payload.get("class")
        if cls not in CLASS_TABLE:
            return []
        event_time = _time_of(payload)
        self._now = event_time if now is None else now
        self._newest = max(self._newest, event_time)
        if cls == "DeviceAvailability" and payload.get("role") == "de1" \
                and payload.get("state") in _DE1_GONE_STATES:
            self.profile_id = None
        if cls == GATE_CLASS:
            return self._on_gate(payload, event_time)
        if self.sequence_id is None:
            self._buffer(cls, payload, event_time)
            return []
        return [self._insert(payload, self.sequence_id)]

    def check_watchdog(self, now: float) -> list[Operation]:
        """Close a sequence left open for ``max_sequence_seconds`` (lost completion gate)."""
        if self.sequence_id is None or self.sequence_started is None:
            return []
        if now - self._started_clock < self.max_sequence_seconds:
            return []
        return self._finish(False, f"no sequence_complete within {self.max_sequence_seconds:g} s")

    # -- gates --------------------------------------------------------------------------------
    def _on_gate(self, payload: Mapping[str, Any], event_time: float) -> list[Operation]:
        name, action, sid = payload.get("name"), payload.get("action"), payload.get("sequence_id")
        if not isinstance(sid, str) or not sid:
            raise ValueError("SequencerGateNotification: key 'sequence_id': missing or empty")
        if name == START and action == "set" and sid != self.sequence_id:
            ops: list[Operation] = []
            if self.sequence_id is not None:
                ops += self._finish(False, f"sequence {sid} started before this one completed")
            ops += self._start(payload, sid, event_time)
            return ops
        if self.sequence_id is None and sid in self.resumable:
            return self._resume(payload, sid, event_time)
        if self.sequence_id is None or sid != self.sequence_id:
            # Not ours: the clears sent just before a new start carry the new id; keep them
            # for that sequence's pre-history.
            self._buffer(GATE_CLASS, payload, event_time)
            return []
        ops = [self._insert(payload, sid)]
        column = SEQUENCE_COLUMN_FOR_GATE.get(name) if action == "set" else None
        if column is not None:
            ops.append(UpdateSequence(sid, {column: payload.get("event_time")}))
        if name == COMPLETE and action == "set":
            ops += self._finish(True)
        return ops

    def _start(self, gate: Mapping[str, Any], sid: str, event_time: float) -> list[Operation]:
        known = self.profile_id is not None
        master = {
            "id": sid,
            "active_state": gate.get("active_state"),
            "start_sequence": gate.get("event_time"),
            "profile_id": self.profile_id if known else self.last_profile_id,
            "profile_assumed": 0 if known else 1,
        }
        master.update(self.pending_resources)
        self.pending_resources = {}
        ops: list[Operation] = [InsertSequence(master)]
        ops += [self._insert(b.payload, sid) for b in self._prehistory(sid, event_time)]
        ops.append(self._insert(gate, sid))
        self.sequence_id = sid
        self.sequence_started = event_time
        self._started_clock = self._now
        return ops

    def _resume(self, gate: Mapping[str, Any], sid: str, event_time: float) -> list[Operation]:
        """Continue a sequence whose master row exists: what the buffer holds of it, then on."""
        self.resumable.discard(sid)
        since = self.resumable_starts.pop(sid, None)
        ops: list[Operation] = [self._insert(b.payload, sid) for b in self._prehistory(sid, event_time)
                                if since is None or b.event_time >= since]
        self.sequence_id = sid
        self.sequence_started = event_time
        self._started_clock = self._now
        return ops + self._on_gate(gate, event_time)

    def _finish(self, complete: bool, reason: str = "") -> list[Operation]:
        sid = self.sequence_id
        self.sequence_id = None
        self.sequence_started = None
        return [] if sid is None else [SequenceFinished(sid, complete, reason)]

    # -- buffer -------------------------------------------------------------------------------
    def _buffer(self, cls: str, payload: Mapping[str, Any], event_time: float) -> None:
        buf = self._buffers[cls]
        buf.append(_Buffered(next(self._order), event_time, payload))
        depth = self.depths.get(cls, 0)
        horizon = self._newest - self.pre_sequence_seconds
        while len(buf) > depth and (buf[0].event_time < horizon or len(buf) > self.max_buffered_per_class):
            buf.popleft()

    def _prehistory(self, sid: str, start_time: float) -> list[_Buffered]:
        horizon = start_time - self.pre_sequence_seconds
        chosen: list[_Buffered] = []
        for cls, buf in self._buffers.items():
            depth = self.depths.get(cls, 0)
            items = list(buf)
            for index, item in enumerate(items):
                recent = item.event_time >= horizon or index >= len(items) - depth
                if not recent:
                    continue
                if cls == GATE_CLASS and item.payload.get("sequence_id") != sid:
                    continue
                chosen.append(item)
            buf.clear()
        chosen.sort(key=lambda b: (b.event_time, b.order))
        return chosen

    def buffered(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    @staticmethod
    def _insert(payload: Mapping[str, Any], sid: str) -> InsertRow:
        table, row = row_from_payload(payload, sid)
        return InsertRow(table, row)


def _time_of(payload: Mapping[str, Any]) -> float:
    value = payload.get("event_time")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{payload.get('class')}: key 'event_time': expected a number, got {value!r}")
    return float(value)
