"""History queries on the writer's own connection (for the HTTP gateway, through the
writer's ask methods). Plain functions over the models; results are plain dicts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import peewee as pw

from pyde1.db.schema import DUMMY_ID, SEQUENCE

MAX_PAGE = 500
RESOURCE_COLUMNS = tuple(c.name for c in SEQUENCE if c.name.startswith("resource_"))


def resource_values(resources: Mapping[str, Any]) -> dict[str, str]:
    """Check resource column names; store text as is, anything else as compact JSON."""
    out: dict[str, str] = {}
    for key, value in resources.items():
        if key not in RESOURCE_COLUMNS:
            raise ValueError(f"unknown sequence resource column {key!r} (known: {', '.join(RESOURCE_COLUMNS)})")
        out[key] = value if isinstance(value, str) or value is None else json.dumps(value)
    return out


def last_sequence_id(models: Mapping[str, type[pw.Model]]) -> str | None:
    seq = models["sequence"]
    row = (seq.select(seq.id).where(seq.id != DUMMY_ID)
           .order_by(seq.start_sequence.desc(nulls="LAST")).limit(1).dicts().first())
    return None if row is None else row["id"]


def list_sequences(models: Mapping[str, type[pw.Model]], limit: int = 20, offset: int = 0,
                   active_state: str | None = None) -> dict[str, Any]:
    """Newest first: ``{"total", "limit", "offset", "sequences": [row, ...]}``."""
    for name, value in (("limit", limit), ("offset", offset)):
        # Below 2**63: SQLite's integers are 64-bit (a larger offset was an OverflowError).
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise ValueError(f"{name} must be an integer >= 0 and below 2**63, got {value!r}")
    if limit > MAX_PAGE:
        raise ValueError(f"limit must be at most {MAX_PAGE}, got {limit}")
    seq = models["sequence"]
    query = seq.select().where(seq.id != DUMMY_ID)
    if active_state is not None:
        query = query.where(seq.active_state == active_state)
    total = query.count()
    rows = list(query.order_by(seq.start_sequence.desc(nulls="LAST")).limit(limit).offset(offset).dicts())
    return {"total": total, "limit": limit, "offset": offset, "sequences": rows}


def sequence(models: Mapping[str, type[pw.Model]], sequence_id: str) -> dict[str, Any] | None:
    seq = models["sequence"]
    return seq.select().where(seq.id == sequence_id).dicts().first()


def profile(models: Mapping[str, type[pw.Model]], profile_id: str) -> dict[str, Any] | None:
    prof = models["profile"]
    row = prof.select().where(prof.id == profile_id).dicts().first()
    if row is not None and isinstance(row.get("source"), str):
        row["source"] = row["source"].encode()  # the seed row stores its source as TEXT
    return row
