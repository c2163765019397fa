"""The packets ``pyde1-replay`` publishes for a recorded sequence (api-contract §2.9, §5.3).

* Only six classes are replayed: ShotSampleWithVolumesUpdate, WeightAndFlowUpdate,
  StateUpdate, WaterLevelUpdate, ConnectivityChange, SequencerGateNotification.
* Keys are the stored columns (``sequence_id`` only for gates), then ``class`` and
  ``shifted`` (the offset added to the times); values come back as stored
  (``is_error_state`` "0"/"1", ``volume_by_frames`` as text).
* Every Unix-time column (name ending in ``_time``) is shifted by the same offset so the
  replay starts ``lead`` seconds after launch. ``sample_time`` also ends in ``_time`` but is
  the DE1's 16-bit half-cycle clock, not a Unix time: it is left as stored (pyDE1 shifted
  it too, turning it into nonsense).
* The stored sequence id is replaced by a fresh one, so clients do not mix the replay with
  the original.
* ConnectivityChange rows get pyDE1's made-up ``id``/``name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyde1.db.mapping import TABLE_CLASS, TABLE_COLUMNS

REPLAYED_TABLES = ("shot_sample_with_volume_update", "weight_and_flow_update", "state_update",
                   "water_level_update", "connectivity_change", "sequencer_gate_notification")
NOT_SHIFTED = frozenset({"sample_time"})
DEFAULT_LEAD = 5.0
FAKE_DE1 = ("DE1", "D9:B2:48:aa:bb:cc")
FAKE_SCALE = ("Skale", "CF:75:75:aa:bb::cc")  # sic, as pyDE1 2.0 sends it


@dataclass(frozen=True, slots=True)
class Packet:
    at: float                  # shifted event_time: when to publish (Unix seconds)
    event_class: str
    payload: Mapping[str, Any]

    def topic(self, root: str) -> str:
        return f"{root}/{self.event_class}"


def time_columns(table: str) -> tuple[str, ...]:
    return tuple(c for c in TABLE_COLUMNS[table] if c.endswith("_time") and c not in NOT_SHIFTED)


def plan_replay(tables: Mapping[str, list[Mapping[str, Any]]], new_sequence_id: str, launch: float,
                lead: float = DEFAULT_LEAD) -> list[Packet]:
    """Packets in publication order, the first one due at ``launch + lead``."""
    picked = [(t, row) for t in REPLAYED_TABLES for row in tables.get(t, ())
              if row.get("event_time") is not None]
    if not picked:
        return []
    first = min(float(row["event_time"]) for _, row in picked)
    shift = launch + lead - first
    packets = []
    for order, (table, row) in enumerate(picked):
        payload = replay_payload(table, row, new_sequence_id, shift)
        packets.append((payload["event_time"], order, Packet(payload["event_time"], TABLE_CLASS[table], payload)))
    packets.sort(key=lambda p: (p[0], p[1]))
    return [p for _, _, p in packets]


def replay_payload(table: str, row: Mapping[str, Any], new_sequence_id: str, shift: float) -> dict[str, Any]:
    shifted = set(time_columns(table))
    out: dict[str, Any] = {}
    for column in TABLE_COLUMNS[table]:
        if column == "sequence_id":
            if table == "sequencer_gate_notification":
                out[column] = new_sequence_id
            continue
        value = row.get(column)
        if column in shifted and value is not None:
            value = float(value) + shift
        out[column] = value
    if table == "connectivity_change":
        name, address = FAKE_DE1 if row.get("sender") == "DE1" else FAKE_SCALE
        out["id"], out["name"] = address, name
    out["class"] = TABLE_CLASS[table]
    out["shifted"] = shift
    return out
