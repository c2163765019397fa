"""Samples lost: the ShotSamples the simulator sent in each shot, against what the bus
delivered and what the database recorded (matched by the DE1's 16-bit sample_time)."""

from __future__ import annotations

from typing import Any


def compare(stats: dict[str, Any], db_rows: list[tuple[str, int]] | None, completed: int) -> dict[str, Any]:
    """``stats``: a control ``{"op": "stats", "samples": true}`` answer; ``db_rows``:
    (sequence_id, sample_time) of every recorded shot sample, or None without a database;
    ``completed``: the number of shots (from the first) to judge (the last may be running)."""
    sent_shots = {int(k): set(v) for k, v in stats["sim"].get("shots", {}).items()}
    bus_shots = [set(v) for v in stats["bus"].get("shots", [])]
    by_sequence: dict[str, set[int]] = {}
    for sid, t in db_rows or []:
        by_sequence.setdefault(sid, set()).add(int(t))
    out = {"shots": 0, "sent": 0, "bus_delivered": 0, "bus_lost": 0, "db_recorded": 0, "db_lost": 0,
           "db_shots_matched": 0, "per_shot": []}
    for index in sorted(sent_shots):
        if index >= completed:
            continue
        sent = sent_shots[index]
        bus = max(bus_shots, key=lambda s: len(s & sent), default=set())
        db = max(by_sequence.values(), key=lambda s: len(s & sent), default=set())
        row = {"shot": index, "sent": len(sent), "bus_lost": len(sent - bus),
               "db_lost": len(sent - db) if db_rows is not None else None}
        out["shots"] += 1
        out["sent"] += len(sent)
        out["bus_delivered"] += len(sent & bus)
        out["bus_lost"] += row["bus_lost"]
        if db_rows is not None:
            out["db_recorded"] += len(sent & db)
            out["db_lost"] += row["db_lost"]
            out["db_shots_matched"] += bool(sent & db)
        out["per_shot"].append(row)
    if db_rows is None:
        out["db_recorded"] = out["db_lost"] = None
    return out


def db_samples(service) -> list[tuple[str, int]] | None:
    """(sequence_id, sample_time) of every recorded shot sample in a sequence."""
    try:
        return [(sid, t) for sid, t in service.db_query(
            "SELECT sequence_id, sample_time FROM shot_sample_with_volume_update "
            "WHERE sequence_id IS NOT NULL AND sequence_id != 'dummy' AND sample_time IS NOT NULL")]
    except Exception:
        return None
