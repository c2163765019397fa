"""Logging as pyDE1 users know it: a log file (reopened after logrotate moves it) and
stderr, each with its own format and level from ``config.logging``; per-logger levels
from ``LOGGERS``; ``--console`` / ``--level`` change only stderr.

pyDE1's formats use ``%(processName)s`` because it ran one process per part. We run one
thread per actor, so a filter puts the thread's name there: the log still says which
part of the service wrote each line.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

from actors.logwriter import BatchingLogWriter, RecordHandoff, SecondCachingFormatter

DEFAULT_FORMAT = "%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s"


class _ThreadAsProcess(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.processName = threading.current_thread().name
        return True


class LogFileHandler(logging.handlers.WatchedFileHandler):
    """WatchedFileHandler, checking for logrotate at most once a second instead of with an
    ``os.stat`` before every record: at thousands of access-log lines a second that stat was
    a visible share of the writer thread's time. Lines written in the second after a rotation
    go to the rotated file, which logrotate keeps."""

    CHECK_INTERVAL = 1.0

    def __init__(self, filename, *args, clock=time.monotonic, **kwargs) -> None:
        super().__init__(filename, *args, **kwargs)
        self._clock = clock
        self._checked = clock()

    def reopenIfNeeded(self) -> None:
        now = self._clock()
        if now - self._checked >= self.CHECK_INTERVAL:
            self._checked = now
            super().reopenIfNeeded()


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _level(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else default


_listener: BatchingLogWriter | None = None


def stop_logging() -> None:
    """Write out what is still queued and stop the writer thread (idempotent)."""
    global _listener
    listener, _listener = _listener, None
    if listener is not None:
        listener.stop()


def setup_logging(logging_config: Any, *, console: bool = False, level: str | None = None,
                  log_directory: str | None = None) -> dict[str, Any]:
    """Configure the root logger from ``config.logging``. Returns what was set up (for the
    start-up log line). ``log_directory`` overrides the configured one (the demo uses it)."""
    formatters = _get(logging_config, "formatters")
    handlers = _get(logging_config, "handlers")
    style = _get(formatters, "STYLE", "%") or "%"
    logfile_fmt = _get(formatters, "LOGFILE", DEFAULT_FORMAT) or DEFAULT_FORMAT
    stderr_fmt = _get(formatters, "STDERR", "%(levelname)s [%(processName)s] %(name)s: %(message)s")

    stop_logging()
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    root.setLevel(logging.DEBUG)
    thread_filter = _ThreadAsProcess()
    outputs: list[logging.Handler] = []
    problems: list[str] = []

    stderr = logging.StreamHandler(sys.stderr)
    if console or level:
        stderr.setFormatter(SecondCachingFormatter(logfile_fmt, style=style))
        stderr.setLevel(logging.DEBUG if console and not level else _level(level, logging.INFO))
    else:
        stderr.setFormatter(SecondCachingFormatter(stderr_fmt, style=style))
        stderr.setLevel(_level(_get(handlers, "STDERR"), logging.WARNING))
    outputs.append(stderr)

    result: dict[str, Any] = {"stderr_level": logging.getLevelName(stderr.level), "file": None}
    directory = log_directory or _get(logging_config, "LOG_DIRECTORY")
    filename = _get(logging_config, "LOG_FILENAME")
    if directory and filename:
        path = Path(directory) / filename
        try:
            os.makedirs(directory, exist_ok=True)
            # Reopens the file when logrotate moves it: no signal needed.
            fh = LogFileHandler(path)
        except OSError as exc:
            problems.append(f"cannot open log file {path} ({exc}); logging to stderr only")
        else:
            fh.setFormatter(SecondCachingFormatter(logfile_fmt, style=style))
            fh.setLevel(_level(_get(handlers, "LOGFILE"), logging.INFO))
            outputs.append(fh)
            result["file"] = str(path)

    # Threads that log (actors, HTTP workers) only put the record on a queue; one writer
    # thread formats and writes it, in batches (actors/logwriter.py says why). A log line
    # never makes a worker wait on the disk or on another thread's write.
    records: queue.SimpleQueue = queue.SimpleQueue()
    handoff = RecordHandoff(records)
    handoff.addFilter(thread_filter)  # runs in the logging thread: its name is the one wanted
    handoff.setLevel(min(h.level for h in outputs))  # don't queue what no output keeps
    root.addHandler(handoff)
    global _listener
    _listener = BatchingLogWriter(records, outputs)
    _listener.start()
    atexit.register(stop_logging)
    for problem in problems:
        root.warning(problem)

    # pykka logs every exception it hands to an ask()-er with a traceback at INFO; we log
    # those errors ourselves where they are handled, so keep pykka to warnings.
    logging.getLogger("pykka").setLevel(logging.WARNING)
    loggers = _get(logging_config, "LOGGERS") or {}
    for name, lvl in dict(loggers).items():
        # pyDE1 configs name loggers "root.bleak"; the logger itself is "bleak".
        logger_name = name[5:] if name.startswith("root.") else name
        logging.getLogger(logger_name).setLevel(_level(lvl, logging.INFO))
    return result
