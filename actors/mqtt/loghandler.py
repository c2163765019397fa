"""The ``<root>/log`` and ``<root>/log/record`` feeds: a logging handler that hands each
record to the MQTT bridge and returns at once.

``emit`` formats the record in the logging thread (so the text is what it was when the
record was made) and ``tell``s the bridge: a put on the actor's inbox, never a wait on the
network. A bound on records the bridge has not yet taken keeps a log storm from growing
memory; what goes over it is counted in ``dropped``.

Records from the bridge itself and from paho are not fed back (a failing publish would
log, which would publish, which would fail...).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pykka

from actors.mqtt.messages import LogFeedMessage

RECORD_VERSION = "1.0.0"
EXCLUDED_LOGGERS = ("pyde1.mqtt", "paho")


def record_payload(record: logging.LogRecord, process_name: str | None = None) -> dict[str, Any]:
    """The ``log/record`` JSON object, keys in pyDE1's order."""
    return {
        "version": RECORD_VERSION,
        "created": record.created,
        "levelname": record.levelname,
        "levelno": record.levelno,
        "message": record.getMessage(),
        "name": record.name,
        "process": record.process,
        "processName": process_name if process_name is not None else record.processName,
        "thread": record.thread,
        "threadName": record.threadName,
    }


class MqttLogHandler(logging.Handler):
    def __init__(self, bridge_ref: Any, level: int, fmt: str, backlog: int = 1000) -> None:
        super().__init__(level)
        self.setFormatter(logging.Formatter(fmt))
        self._bridge = bridge_ref
        self._room = threading.BoundedSemaphore(max(1, backlog))
        self.dropped = 0
        self.sent = 0

    def taken(self) -> None:
        """Called by the bridge for every record it took off its inbox."""
        try:
            self._room.release()
        except ValueError:  # more releases than acquires: harmless, keep the bound
            pass

    def emit(self, record: logging.LogRecord) -> None:
        # Runs under the handler's lock, so the counters need no lock of their own.
        if record.name.startswith(EXCLUDED_LOGGERS):
            return
        if not self._room.acquire(blocking=False):
            self.dropped += 1
            return
        try:
            # pyDE1 ran one process per part and logs its name; we run one thread per actor.
            copy = logging.makeLogRecord(record.__dict__)
            copy.processName = threading.current_thread().name
            line = self.format(copy)
            payload = json.dumps(record_payload(copy))
            self._bridge.tell(LogFeedMessage(line, payload))
            self.sent += 1
        except pykka.ActorDeadError:  # the bridge stopped before removing this handler
            self._room.release()
            self.dropped += 1
        except Exception:
            self._room.release()
            self.dropped += 1
            # Never raise into the code that logged; handleError prints only if asked to.
            self.handleError(record)
