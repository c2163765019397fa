"""Internal events the database writer publishes on the bus (never sent to MQTT).

They let health checks, the benchmark and tests see commits and write problems as they
happen, without asking the writer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DatabaseCommitted:
    """One transaction reached the file."""

    rows: int                    # notification rows in this commit
    samples: int                 # of which shot_sample_with_volume_update rows
    sequence_id: str | None      # the sequence being recorded (None between sequences)
    duration: float              # seconds spent in the transaction
    event_time: float
    PUBLISHED = False


@dataclass(frozen=True, slots=True)
class DatabaseProblem:
    """A write failed (locked file, full disk, ...). The rows stay queued and are retried."""

    reason: str
    pending: int                 # operations waiting to be written
    retry_in: float              # seconds until the next attempt
    event_time: float
    PUBLISHED = False


@dataclass(frozen=True, slots=True)
class SequenceRecorded:
    """A sequence's rows and its completed master row are committed."""

    sequence_id: str
    complete: bool               # False: closed by a watchdog or a newer sequence
    rows: int                    # notification rows written for it
    event_time: float
    PUBLISHED = False
