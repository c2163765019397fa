"""``pyde1-run-visualizer``: upload finished espresso shots to visualizer.coffee (api-contract §6).

    pyde1-run-visualizer [-c C] [--console] [--level LEVEL]

Threads: paho's network thread feeds MQTT packets to a :class:`ShotTracker` and queues
finished shots; one worker thread builds each shot file from the database (read-only) and
uploads it with requests. A connection error, a timeout or a server error (5xx, 429) is
retried with a doubling hold-off (``visualizer.RETRY_HOLD_OFF``); a client error (4xx) or
a shot file that cannot be built is reported as failed. No failure stops the uploader.
Every final outcome is published, retained, on ``<root>/VisualizerUpload``.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import logging
import signal
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from actors.db.reader import open_readonly, shot_file_text
from actors.mqtt.settings import MqttSettings, MqttSettingsError
from actors.tools.mqttclient import BrokerError, ToolClient
from actors.tools.program import add_logging_options, load_program_config
from pyde1.db.errors import DatabaseOpenError, IncompleteSequenceError
from pyde1.db.visualizer import (
    REPORT_TOPIC, SERVER_ERROR_ATTEMPTS, SUBSCRIBED_CLASSES, UPLOAD_TIMEOUT, UPLOAD_URL, FinishedShot,
    ShotTracker, retry_delay, shot_url, too_short, upload_report,
)

logger = logging.getLogger("pyde1.visualizer")
BUILD_TRIES = 10
BUILD_PAUSE = 0.1


@dataclass
class _Job:
    shot: FinishedShot
    attempt: int = 0


class _Retry(Exception):
    """Try this upload again later."""


class Uploader:
    def __init__(self, config: Any, *, upload_url: str = UPLOAD_URL, timeout: float = UPLOAD_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        self.config = config
        v = config.visualizer
        self.auth = (v.USERNAME, v.PASSWORD)
        self.min_flow_time = v.MIN_FLOW_TIME
        self.hold_off = float(v.RETRY_HOLD_OFF)
        self.upload_url = upload_url
        self.timeout = timeout
        self.session = session or requests.Session()
        self.settings = MqttSettings.from_config(config)
        self.tracker = ShotTracker()
        self.stats = {"uploaded": 0, "failed": 0, "skipped": 0, "retries": 0}
        self._jobs: list[tuple[float, int, _Job]] = []  # (due, order, job) heap
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._db: sqlite3.Connection | None = None
        self._worker = threading.Thread(target=self._work, name="visualizer-upload", daemon=False)
        topics = tuple(f"{self.settings.topic_root}/{c}" for c in SUBSCRIBED_CLASSES)
        self.mqtt = ToolClient(self.settings, on_message=self._on_message,
                               on_connected=lambda client: [client.subscribe(t, qos=0) for t in topics])

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        self.mqtt.start(timeout)
        self._worker.start()
        logger.info("watching %s/ for finished espresso shots; uploading to %s",
                    self.settings.topic_root, self.upload_url)

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._worker.is_alive():
            self._worker.join(timeout=self.timeout + 5)
        self.mqtt.stop()
        with self._cond:
            if self._jobs:
                logger.warning("%d upload(s) not done (the queue is in memory only)", len(self._jobs))

    # -- input (paho's thread) ------------------------------------------------------------------
    def _on_message(self, topic: str, payload: bytes) -> None:
        event_class = topic.rsplit("/", 1)[-1]
        try:
            data = json.loads(payload)
        except ValueError as exc:  # anyone can publish on the broker: one line, not a traceback
            logger.warning("ignoring %s: not a JSON packet (%s)", topic, exc)
            return
        if not isinstance(data, dict):
            return
        done = self.tracker.on_payload(event_class, data)
        while self.tracker.errors:
            logger.error("%s", self.tracker.errors.pop(0))
        if done is not None:
            self._queue(_Job(done), 0.0)

    def _queue(self, job: _Job, delay: float) -> None:
        with self._cond:
            heapq.heappush(self._jobs, (time.monotonic() + delay, next(self._order), job))
            self._cond.notify_all()

    # -- the worker -----------------------------------------------------------------------------
    def _next_job(self) -> _Job | None:
        with self._cond:
            while not self._stop.is_set():
                if self._jobs:
                    wait = self._jobs[0][0] - time.monotonic()
                    if wait <= 0:
                        return heapq.heappop(self._jobs)[2]
                else:
                    wait = None
                self._cond.wait(wait)
        return None

    def _work(self) -> None:
        try:
            self._work_loop()
        finally:
            self._reset_connection()  # the connection belongs to this thread

    def _work_loop(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                self._process(job)
            except _Retry as exc:
                job.attempt += 1
                delay = retry_delay(self.hold_off, job.attempt)
                self.stats["retries"] += 1
                logger.warning("upload of %s failed (%s); retry %d in %.1f s", job.shot.sequence_id, exc,
                               job.attempt, delay)
                self._queue(job, delay)
            except Exception:  # never let one shot stop the uploader (pyDE1 2.0 did; Appendix A14)
                logger.exception("upload of %s failed", job.shot.sequence_id)
                self._report(job.shot, None, False)

    def _process(self, job: _Job) -> None:
        shot = job.shot
        if too_short(shot, self.min_flow_time):
            self.stats["skipped"] += 1
            logger.info("%s not uploaded: %.1f s of flow is less than MIN_FLOW_TIME %s s",
                        shot.sequence_id, shot.flow_seconds, self.min_flow_time)
            return
        text = self._shot_file(shot.sequence_id)
        if text is None:
            self._report(shot, None, False)
            return
        try:
            response = self.session.post(self.upload_url, files={"file": (f"{shot.sequence_id}.shot", text)},
                                         auth=self.auth, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            if job.attempt + 1 < SERVER_ERROR_ATTEMPTS:
                raise _Retry(f"HTTP {response.status_code} {response.reason}")
        if not response.ok:
            logger.error("Visualizer refused %s: HTTP %d %s: %s", shot.sequence_id, response.status_code,
                         response.reason, response.text[:500])
            self._report(shot, None, False)
            return
        try:
            visualizer_id = response.json()["id"]
        except (ValueError, KeyError, TypeError):
            logger.error("Visualizer accepted %s but its answer has no id: %s", shot.sequence_id, response.text[:500])
            self._report(shot, None, False)
            return
        url = shot_url(visualizer_id)
        logger.info("uploaded %s: %s", shot.sequence_id, url)
        self._report(shot, url, True)

    def _shot_file(self, sequence_id: str) -> str | None:
        """Build the shot file; the master row may lag the MQTT packets by a moment."""
        for attempt in range(BUILD_TRIES):
            try:
                return shot_file_text(self._connection(), sequence_id)
            except IncompleteSequenceError as exc:
                if attempt == BUILD_TRIES - 1 or self._stop.wait(BUILD_PAUSE):
                    logger.error("%s", exc)
                    return None
            except sqlite3.Error as exc:
                self._reset_connection()
                if attempt == BUILD_TRIES - 1 or self._stop.wait(BUILD_PAUSE):
                    logger.error("cannot read %s from the database: %s", sequence_id, exc)
                    return None
        return None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_readonly(self.config.database.FILENAME)
        return self._db

    def _reset_connection(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _report(self, shot: FinishedShot, url: str | None, success: bool) -> None:
        self.stats["uploaded" if success else "failed"] += 1
        payload = json.dumps(upload_report(shot, url, success))
        self.mqtt.client.publish(f"{self.settings.topic_root}/{REPORT_TOPIC}", payload, qos=0, retain=True)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyde1-run-visualizer",
                                description="Upload finished espresso shots to visualizer.coffee.")
    p.add_argument("-c", metavar="C", help="config file (default /usr/local/etc/pyde1/pyde1-visualizer.conf)")
    add_logging_options(p)
    p.add_argument("--upload-url", default=UPLOAD_URL, metavar="URL",
                   help="where to POST shots (default: Visualizer's API; for testing against another server)")
    return p


def main(argv: list[str] | None = None) -> int:
    from pyde1.config import VisualizerConfig

    args = build_parser().parse_args(argv)
    config = load_program_config("pyde1-run-visualizer", args, VisualizerConfig, logger)
    if config is None:
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    try:
        open_readonly(config.database.FILENAME).close()  # fail early on a wrong FILENAME
        uploader = Uploader(config, upload_url=args.upload_url)
        uploader.start()
    except (DatabaseOpenError, BrokerError, MqttSettingsError) as exc:
        logger.critical("%s", exc)
        print(f"pyde1-run-visualizer: {exc}", file=sys.stderr)
        return 1
    try:
        stop.wait()
    finally:
        uploader.stop()
    logger.info("stopped: %s", uploader.stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
