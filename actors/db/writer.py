"""The database writer actor (role ``database``): records sequences, keeps profiles and
``persist_hkv``, and answers history queries.

Threads: the actor's own thread owns the SQLite connection (opened in ``on_start``), and a
ticker thread that only ``tell``s it a tick every ``commit_interval / 2`` seconds, so
rows are committed on time even when no event arrives. Publishers never wait on the
disk: they ``tell`` events, the writer batches them into one transaction per
``commit_interval`` (at most a second) and commits at once when a sequence ends.

A write that fails (file locked by another process, disk full, I/O error) keeps its
operations queued, publishes :class:`DatabaseProblem`, and is retried with backoff; each
attempt waits at most ``busy_timeout`` for a lock, so the writer keeps answering asks.
``on_stop`` (SIGTERM) flushes what has arrived.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import peewee as pw
import pykka

from actors.base import ServiceActor, ServiceContext
from actors.db import history
from actors.db.models import build_models
from actors.db.opening import OpenReport, prepare_database
from pyde1.db.errors import DatabaseOpenError
from pyde1.db.events import DatabaseCommitted, DatabaseProblem, SequenceRecorded
from pyde1.db.mapping import CLASS_TABLE, TABLE_COLUMNS
from pyde1.db.recording import (
    InsertProfile, InsertRow, InsertSequence, Operation, PutHkv, Recorder, SequenceFinished,
    UpdateSequence,
)
from pyde1.db.settings import DatabaseSettings
from pyde1.events import PUBLISHED_CLASSES

STORED_EVENT_CLASSES: tuple[type, ...] = tuple(PUBLISHED_CLASSES[c] for c in CLASS_TABLE)
_RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 5.0)
_INSERT_SQL = {t: f"INSERT INTO {t} ({', '.join(c)}) VALUES ({', '.join('?' * len(c))})"
               for t, c in TABLE_COLUMNS.items()}
_WRITE_ERRORS = (pw.PeeweeException, sqlite3.Error, OSError)


@dataclass(frozen=True, slots=True)
class _Tick:
    """Told by the ticker thread: commit what is due, run the watchdog."""


class DatabaseWriter(ServiceActor):
    subscribes = STORED_EVENT_CLASSES

    def __init__(self, ctx: ServiceContext, role: str = "database", *, settings: DatabaseSettings | None = None,
                 **overrides: Any) -> None:
        super().__init__(ctx, role)
        self.settings = settings or DatabaseSettings.from_config(ctx.config, **overrides)
        self.recorder = Recorder(pre_sequence_seconds=self.settings.pre_sequence_seconds)
        self.db = pw.SqliteDatabase(None)
        self.models = build_models(self.db)
        self.open_report: OpenReport | None = None
        self._pending: list[Operation] = []
        self._hkv: dict[tuple[str | None, str], str | None] = {}
        self._known_profiles: set[str] = set()
        self._rows_by_sequence: dict[str, int] = {}
        self._last_flush = time.monotonic()
        self._retry_at = 0.0
        self._failures = 0
        self._last_problem = ""
        self._stats = {"commits": 0, "rows": 0, "dropped": 0, "write_errors": 0,
                       "max_commit_seconds": 0.0, "sequences": 0}
        self._ticker_stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def on_start(self) -> None:
        s = self.settings
        try:
            self.open_report = prepare_database(s.filename, backup_timeout=s.backup_timeout)
        except DatabaseOpenError as exc:
            self.log.critical("%s", exc)
            raise
        self.db.init(s.filename, pragmas={"journal_mode": "wal", "synchronous": "normal",
                                          "busy_timeout": int(s.busy_timeout * 1000)})
        self.db.connect()
        self._load_cache()
        self._ticker = threading.Thread(target=self._tick_loop, name=f"{self.role}-ticker", daemon=True)
        self._ticker.start()
        self.log.info("recording to %s", s.filename)

    def on_stop(self) -> None:
        self._ticker_stop.set()
        deadline = time.monotonic() + 3.0
        while self._pending and not self._flush() and time.monotonic() < deadline:
            self._ticker_stop.wait(0.1)  # short retry pause while stopping (lock or disk)
        if self._pending:
            self.log.error("stopping with %d operation(s) not written: %s", len(self._pending),
                           self._last_problem)
        if not self.db.is_closed():
            self.db.close()

    def on_failure(self, exception_type, exception_value, traceback) -> None:
        self._ticker_stop.set()
        try:
            if not self.db.is_closed():
                self.db.close()
        finally:
            super().on_failure(exception_type, exception_value, traceback)

    def _tick_loop(self) -> None:
        me = self.actor_ref
        interval = max(0.02, self.settings.commit_interval / 2)
        while not self._ticker_stop.wait(interval):
            try:
                me.tell(_Tick())
            except pykka.ActorDeadError:
                return

    # -- events ---------------------------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        if isinstance(event, _Tick):
            self._enqueue(self.recorder.check_watchdog(time.monotonic()))
            self._flush_if_due()
            return
        if not hasattr(event, "to_dict"):
            return
        ops = self.recorder.on_payload(event.to_dict(), time.monotonic())
        if ops:
            self._enqueue(ops)
            if any(isinstance(op, SequenceFinished) for op in ops):
                self._flush_now()
            else:
                self._flush_if_due()

    def _enqueue(self, ops: list[Operation]) -> None:
        if not ops:
            return
        self._pending.extend(ops)
        excess = len(self._pending) - self.settings.max_pending
        if excess > 0:
            self._drop_oldest_rows(excess)

    def _drop_oldest_rows(self, count: int) -> None:
        kept: list[Operation] = []
        dropped = 0
        for op in self._pending:
            if dropped < count and isinstance(op, InsertRow):
                dropped += 1
                continue
            kept.append(op)
        self._pending = kept
        self._stats["dropped"] += dropped
        n = self.event_errors.record("pending-overflow", self.ctx.clock())
        if n is not None:
            self.log.error("write queue full (%d operations): dropped the oldest %d row(s)",
                           self.settings.max_pending, dropped)

    # -- writing --------------------------------------------------------------------------------
    def _flush_if_due(self) -> None:
        if not self._pending:
            return
        now = time.monotonic()
        if now < self._retry_at:
            return
        if now - self._last_flush >= self.settings.commit_interval or len(self._pending) >= self.settings.batch_size:
            self._flush()

    def _flush_now(self) -> bool:
        if self._pending and time.monotonic() >= self._retry_at:
            return self._flush()
        return not self._pending

    def _flush(self) -> bool:
        """Write every pending operation in as few transactions as the batch size allows."""
        while self._pending:
            batch = self._pending[: self.settings.batch_size]
            started = time.monotonic()
            try:
                rows, samples = self._transaction(batch)
            except _WRITE_ERRORS as exc:
                self._write_failed(exc)
                return False
            duration = time.monotonic() - started
            del self._pending[: len(batch)]
            self._committed(batch, rows, samples, duration)
        self._last_flush = time.monotonic()
        return True

    def _transaction(self, batch: list[Operation]) -> tuple[int, int]:
        # Explicit BEGIN/COMMIT rather than atomic(): SQLite rolls back by itself on
        # SQLITE_FULL, and the second rollback would hide the real error.
        self.db.execute_sql("BEGIN")
        try:
            result = self._apply(batch)
            self.db.execute_sql("COMMIT")
        except BaseException:
            conn = self.db.connection()
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise
        return result

    def _apply(self, batch: list[Operation]) -> tuple[int, int]:
        rows = samples = 0
        run: list[Mapping[str, Any]] = []
        run_table = ""
        for op in batch + [None]:  # None flushes the last run of rows
            if isinstance(op, InsertRow) and op.table == run_table:
                run.append(op.row)
                continue
            if run:
                # The hot path: one prepared INSERT per table through the connection's
                # executemany, some 15 times faster than building peewee queries per row.
                columns = TABLE_COLUMNS[run_table]
                self.db.connection().executemany(_INSERT_SQL[run_table],
                                                 [[row.get(c) for c in columns] for row in run])
                rows += len(run)
                if run_table == "shot_sample_with_volume_update":
                    samples += len(run)
                run = []
            if isinstance(op, InsertRow):
                run_table, run = op.table, [op.row]
            elif isinstance(op, InsertSequence):
                self.models["sequence"].insert(dict(op.row)).on_conflict_ignore().execute()
            elif isinstance(op, UpdateSequence):
                seq = self.models["sequence"]
                seq.update(dict(op.values)).where(seq.id == op.sequence_id).execute()
            elif isinstance(op, InsertProfile):
                self.models["profile"].insert(dict(op.row)).on_conflict_ignore().execute()
            elif isinstance(op, PutHkv):
                self.models["persist_hkv"].insert(header=op.header, key=op.key,
                                                  value=op.value).on_conflict_replace().execute()
        return rows, samples

    def _committed(self, batch: list[Operation], rows: int, samples: int, duration: float) -> None:
        now = self.ctx.clock()
        st = self._stats
        st["commits"] += 1
        st["rows"] += rows
        st["max_commit_seconds"] = max(st["max_commit_seconds"], duration)
        if self._failures:
            self.log.warning("writing works again after %d failed attempt(s)", self._failures)
        self._failures = 0
        self._retry_at = 0.0
        for op in batch:
            if isinstance(op, InsertRow):
                sid = op.row.get("sequence_id")
                self._rows_by_sequence[sid] = self._rows_by_sequence.get(sid, 0) + 1
        bus = self.ctx.bus
        bus.publish(DatabaseCommitted(rows, samples, self.recorder.sequence_id, duration, now))
        for op in batch:
            if isinstance(op, SequenceFinished):
                st["sequences"] += 1
                count = self._rows_by_sequence.pop(op.sequence_id, 0)
                if not op.complete:
                    self.log.warning("sequence %s closed early: %s", op.sequence_id, op.reason)
                bus.publish(SequenceRecorded(op.sequence_id, op.complete, count, now))

    def _write_failed(self, exc: BaseException) -> None:
        self._failures += 1
        self._stats["write_errors"] += 1
        delay = _RETRY_DELAYS[min(self._failures, len(_RETRY_DELAYS)) - 1]
        self._retry_at = time.monotonic() + delay
        self._last_problem = f"{type(exc).__name__}: {exc}"
        n = self.event_errors.record(f"write:{type(exc).__name__}:{exc}", self.ctx.clock())
        if n is not None:
            self.log.error("cannot write to %s (%s); %d operation(s) queued, retrying in %.2f s",
                           self.settings.filename, self._last_problem, len(self._pending), delay)
        self.ctx.bus.publish(DatabaseProblem(self._last_problem, len(self._pending), delay, self.ctx.clock()))

    def _load_cache(self) -> None:
        hkv = self.models["persist_hkv"]
        for row in hkv.select(hkv.header, hkv.key, hkv.value).dicts():
            self._hkv[(row["header"], row["key"])] = row["value"]
        last = self._hkv.get(("last_profile", "id"))
        if last:
            self.recorder.last_profile_id = last
        prof = self.models["profile"]
        self._known_profiles = {r["id"] for r in prof.select(prof.id).dicts()}
        # A sequence left open by a previous run that stopped mid-shot (crash, restart by
        # the supervisor) is resumed if its gates keep coming.
        seq = self.models["sequence"]
        recent = self.ctx.clock() - self.recorder.max_sequence_seconds
        for row in seq.select(seq.id, seq.start_sequence).where(
                seq.end_sequence.is_null(), seq.id != "dummy", seq.start_sequence > recent).dicts():
            self.recorder.resumable.add(row["id"])
            self.recorder.resumable_starts[row["id"]] = row["start_sequence"]

    # -- commands (ask) -------------------------------------------------------------------------
    def flush(self) -> bool:
        """Commit everything queued now. False when the file cannot be written at the moment."""
        return self._flush() if self._pending else True

    def hkv_get(self, header: str | None, key: str, default: str | None = None) -> str | None:
        """A ``persist_hkv`` value (small state kept across restarts)."""
        return self._hkv.get((header, key), default)

    def hkv_items(self, header: str | None) -> dict[str, str | None]:
        return {k: v for (h, k), v in self._hkv.items() if h == header}

    def hkv_put(self, header: str | None, key: str, value: Any) -> None:
        """Set a ``persist_hkv`` value (INSERT OR REPLACE); stored as text, committed at once."""
        if not isinstance(key, str) or not key:
            raise ValueError(f"persist_hkv key must be a non-empty string, got {key!r}")
        text = None if value is None else str(value)
        self._hkv[(header, key)] = text
        self._enqueue([PutHkv(header, key, text)])
        self._flush_now()

    def store_profile(self, source: bytes, fingerprint: str, *, title: str | None = None,
                      author: str | None = None, notes: str | None = None,
                      beverage_type: str | None = None, source_format: str = "JSONv2",
                      date_added: float | None = None) -> str:
        """Store a profile once per id (SHA-1 of ``source``); returns the id. Title, author,
        notes and beverage type not given are read from the profile's top-level keys."""
        if not isinstance(source, (bytes, bytearray)):
            raise TypeError(f"profile source must be bytes, got {type(source).__name__}")
        if not isinstance(fingerprint, str) or not fingerprint:
            raise ValueError("profile fingerprint must be a non-empty string")
        pid = hashlib.sha1(bytes(source)).hexdigest()
        if pid not in self._known_profiles:
            from pyde1.db.shotfile import profile_metadata  # stored profiles are rare at start-up

            meta = profile_metadata(bytes(source))
            title = meta["title"] if title is None else title
            author = meta["author"] if author is None else author
            notes = meta["notes"] if notes is None else notes
            beverage_type = meta["beverage_type"] if beverage_type is None else beverage_type
            self._known_profiles.add(pid)
            self._enqueue([InsertProfile({
                "id": pid, "source": bytes(source), "source_format": source_format,
                "fingerprint": fingerprint, "date_added": self.ctx.clock() if date_added is None else date_added,
                "title": title, "author": author, "notes": notes, "beverage_type": beverage_type})])
            self._flush_now()
        return pid

    def profile_uploaded(self, profile_id: str, when: float | None = None) -> None:
        """The DE1 now runs ``profile_id``: master rows of new sequences name it, and
        ``persist_hkv`` ('last_profile', 'id' / 'datetime') remembers it across restarts."""
        self.recorder.profile_uploaded(profile_id)
        t = self.ctx.clock() if when is None else when
        for key, value in (("id", profile_id), ("datetime", str(t))):
            self._hkv[("last_profile", key)] = value
            self._enqueue([PutHkv("last_profile", key, value)])
        self._flush_now()

    def attach_resources(self, resources: Mapping[str, Any], sequence_id: str | None = None) -> None:
        """Resource snapshots for a master row (``resource_*`` columns; non-text values are
        stored as compact JSON). Without ``sequence_id``: for the next sequence to start."""
        values = history.resource_values(resources)
        if sequence_id is None:
            self.recorder.pending_resources.update(values)
        else:
            self._enqueue([UpdateSequence(sequence_id, values)])
            self._flush_now()

    def get_profile(self, profile_id: str) -> dict[str, Any] | None:
        self._flush_now()
        return history.profile(self.models, profile_id)

    def last_sequence_id(self) -> str | None:
        self._flush_now()
        return history.last_sequence_id(self.models)

    def list_sequences(self, limit: int = 20, offset: int = 0,
                       active_state: str | None = None) -> dict[str, Any]:
        self._flush_now()
        return history.list_sequences(self.models, limit, offset, active_state)

    def get_sequence(self, sequence_id: str) -> dict[str, Any] | None:
        self._flush_now()
        return history.sequence(self.models, sequence_id)

    def limit_pages(self, max_pages: int | None) -> int:
        """Fault injection (tests, soak): cap the file at ``max_pages`` pages so writes fail
        with "database or disk is full"; None lifts the cap. Returns the cap in force."""
        value = 1_073_741_823 if max_pages is None else int(max_pages)
        return self.db.execute_sql(f"PRAGMA max_page_count = {value}").fetchone()[0]

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update({
            "filename": self.settings.filename,
            "recording": self.recorder.sequence_id,
            "buffered": self.recorder.buffered(),
            "pending": len(self._pending),
            "writable": self._failures == 0,
            "last_problem": self._last_problem or None,
            **self._stats,
        })
        return out
