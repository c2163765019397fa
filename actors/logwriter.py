"""The log's one writer thread, and the hand-off the logging threads use to reach it.

Logging threads (actors, HTTP workers) only merge a record's message and put the record on a
queue. The writer wakes for the first record, waits ``delay`` for more, then formats the whole
batch and writes it with one ``write`` and one ``flush`` per output. Why not
``logging.handlers.QueueListener``: it handles one record per wake-up, and with 64 HTTP
clients each access-log line woke the writer, which then took the GIL from the request
threads twice (record, flush). Measured with 64 clients on ``GET version`` (20 s, shot
running): the access log cost ~100 µs of every request, 2,400-2,800 against 3,400-4,000
requests/s with it silenced, far more than its formatting (~16 µs). Batching keeps the line
and drops most of those wake-ups.

A line reaches the file at most ``delay`` (50 ms) after it was logged; ``stop`` writes out
everything still queued.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
import threading
import time
from typing import Sequence

_STOP = object()


class SecondCachingFormatter(logging.Formatter):
    """``%(asctime)s`` with the ``strftime`` done once per second instead of once per record
    (most of the formatting cost of an access-log line; the milliseconds are still the
    record's own). Only for the default date format; a configured ``datefmt`` is left alone."""

    _cached: tuple[int, str] | None = None

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached = self._cached
        if cached is None or cached[0] != second:
            cached = (second, time.strftime(self.default_time_format, self.converter(record.created)))
            self._cached = cached
        return self.default_msec_format % (cached[1], record.msecs)


class RecordHandoff(logging.handlers.QueueHandler):
    """QueueHandler without the copy: a record has one consumer here (the writer), so the
    message is merged into the record itself. Merging happens now, in the logging thread,
    because the arguments may be objects that change before the writer gets to them."""

    _exceptions = logging.Formatter()

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.message = record.getMessage()
        record.msg, record.args = record.message, None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self._exceptions.formatException(record.exc_info)
            record.exc_info = None  # tracebacks hold frames; the text is what is written
        return record


class BatchingLogWriter(threading.Thread):
    """Drains ``records`` in batches into ``outputs`` (each output keeps its own level)."""

    def __init__(self, records: queue.SimpleQueue, outputs: Sequence[logging.Handler],
                 delay: float = 0.05) -> None:
        super().__init__(name="log-writer", daemon=True)
        self.records = records
        self.outputs = list(outputs)
        self.delay = delay
        self._stopping = threading.Event()  # ends the wait for a batch at once

    def run(self) -> None:
        stopping = False
        while not stopping:
            first = self.records.get()
            if first is _STOP:
                stopping = True
                batch = []
            else:
                self._stopping.wait(self.delay)  # let a burst gather: one wake-up and one write
                batch = [first]
            while True:
                try:
                    record = self.records.get_nowait()
                except queue.Empty:
                    break
                if record is _STOP:
                    stopping = True
                else:
                    batch.append(record)
            if batch:
                self.write(batch)

    def write(self, batch: list[logging.LogRecord]) -> None:
        for output in self.outputs:
            wanted = [r for r in batch if r.levelno >= output.level and output.filter(r)]
            if not wanted:
                continue
            if isinstance(output, logging.StreamHandler):
                self._write_stream(output, wanted)
            else:
                for record in wanted:
                    output.handle(record)

    @staticmethod
    def _write_stream(output: logging.StreamHandler, records: list[logging.LogRecord]) -> None:
        output.acquire()
        try:
            lines = []
            for record in records:
                try:
                    lines.append(output.format(record) + output.terminator)
                except Exception:
                    output.handleError(record)  # one bad record (format error) must not lose the batch
            reopen = getattr(output, "reopenIfNeeded", None)  # WatchedFileHandler: logrotate
            if reopen is not None:
                reopen()
            if output.stream is None and isinstance(output, logging.FileHandler):
                output.stream = output._open()
            output.stream.write("".join(lines))
            output.flush()
        except Exception:
            output.handleError(records[-1])
        finally:
            output.release()

    def stop(self, timeout: float = 5.0) -> None:
        """Write out everything queued before this call, then end the thread."""
        self.records.put(_STOP)
        self._stopping.set()
        self.join(timeout)
