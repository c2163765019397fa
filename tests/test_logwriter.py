"""The log's batching writer: one write and one flush per batch and output, each output's
own level, nothing queued lost at stop, tracebacks kept as text."""

from __future__ import annotations

import io
import logging
import queue
import threading

import pytest

from actors.logsetup import LogFileHandler
from actors.logwriter import BatchingLogWriter, RecordHandoff


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.flushes = 0

    def write(self, s: str) -> int:
        self.writes += 1
        return super().write(s)

    def flush(self) -> None:
        self.flushes += 1


def _logger(name: str, handoff: logging.Handler) -> logging.Logger:
    log = logging.getLogger(name)
    log.handlers[:] = [handoff]
    log.propagate = False
    log.setLevel(logging.DEBUG)
    return log


@pytest.fixture
def rig():
    records: queue.SimpleQueue = queue.SimpleQueue()
    info, warnings = _CountingStream(), _CountingStream()
    to_info, to_warnings = logging.StreamHandler(info), logging.StreamHandler(warnings)
    to_info.setLevel(logging.INFO)
    to_warnings.setLevel(logging.WARNING)
    for h in (to_info, to_warnings):
        h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    # A long delay: everything logged below lands in one batch, written at stop.
    writer = BatchingLogWriter(records, [to_info, to_warnings], delay=30.0)
    writer.start()
    log = _logger("test.logwriter", RecordHandoff(records))
    yield log, writer, info, warnings
    if writer.is_alive():
        writer.stop()


def test_a_burst_is_one_write_per_output_and_stop_writes_everything(rig):
    log, writer, info, warnings = rig
    for i in range(500):
        log.info("line %d", i)
    log.debug("kept by nobody")
    log.warning("look %s", "here")
    writer.stop()
    assert not writer.is_alive()
    lines = info.getvalue().splitlines()
    assert lines[0] == "INFO test.logwriter: line 0" and lines[499] == "INFO test.logwriter: line 499"
    assert lines[500:] == ["WARNING test.logwriter: look here"]
    assert warnings.getvalue().splitlines() == ["WARNING test.logwriter: look here"]
    assert (info.writes, info.flushes, warnings.writes, warnings.flushes) == (1, 1, 1, 1)


def test_arguments_are_merged_when_logged_not_when_written(rig):
    log, writer, info, _ = rig
    state = {"phase": "before"}
    log.info("state %s", state)
    state["phase"] = "after"  # the writer only runs at stop, after this change
    writer.stop()
    assert info.getvalue() == "INFO test.logwriter: state {'phase': 'before'}\n"


def test_a_traceback_is_written_as_text(rig):
    log, writer, info, _ = rig
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("it failed")
    writer.stop()
    text = info.getvalue()
    assert text.startswith("ERROR test.logwriter: it failed\nTraceback")
    assert "ValueError: boom" in text


class _PickyFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if "poison" in record.getMessage():
            raise RuntimeError("this formatter cannot write that")
        return super().format(record)


def test_a_record_that_cannot_be_formatted_does_not_lose_the_others(rig, capsys):
    log, writer, info, _ = rig
    writer.outputs[0].setFormatter(_PickyFormatter("%(message)s"))
    log.info("fine before")
    log.info("poison")
    log.info("fine after")
    writer.stop()
    assert info.getvalue().splitlines() == ["fine before", "fine after"]
    assert "--- Logging error ---" in capsys.readouterr().err


class _FlushSignallingFile(LogFileHandler):
    """The writer flushes once per batch written: an event to wait on, with a deadline."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.flushed = threading.Event()

    def flush(self) -> None:
        super().flush()
        self.flushed.set()


def test_lines_reach_the_file_without_a_stop_and_follow_logrotate(tmp_path):
    records: queue.SimpleQueue = queue.SimpleQueue()
    path = tmp_path / "pyde1.log"
    now = [0.0]
    handler = _FlushSignallingFile(path, clock=lambda: now[0])
    handler.setFormatter(logging.Formatter("%(message)s"))
    writer = BatchingLogWriter(records, [handler], delay=0.01)
    writer.start()
    log = _logger("test.logwriter.file", RecordHandoff(records))
    try:
        log.info("one")
        assert handler.flushed.wait(10), "the writer did not write in time"
        assert path.read_text() == "one\n"
        handler.flushed.clear()
        path.rename(tmp_path / "pyde1.log.1")
        now[0] += 2  # the once-a-second logrotate check is due
        log.info("two")
        assert handler.flushed.wait(10), "the writer did not write in time"
        assert path.read_text() == "two\n"
        assert (tmp_path / "pyde1.log.1").read_text() == "one\n"
    finally:
        writer.stop()
        handler.close()


@pytest.mark.parametrize("created", [1675628682.0, 1675628682.0626736, 1675628682.999, 1675628683.001, 59.5])
def test_cached_asctime_is_what_logging_writes(created):
    from actors.logwriter import SecondCachingFormatter

    fmt = "%(asctime)s %(levelname)s %(message)s"
    ours, theirs = SecondCachingFormatter(fmt), logging.Formatter(fmt)
    for t in (created - 1, created, created):  # a cached second, then the same second again
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
        record.created, record.msecs = t, int((t - int(t)) * 1000)
        assert ours.format(record) == theirs.format(record)


def test_a_configured_date_format_is_used_as_given():
    from actors.logwriter import SecondCachingFormatter

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
    record.created = 1675628682.5
    assert SecondCachingFormatter("%(asctime)s", datefmt="%Y").format(record) == \
        logging.Formatter("%(asctime)s", datefmt="%Y").format(record)
