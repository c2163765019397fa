"""Logging as pyDE1 users know it: file and stderr formats and levels from the config,
written by one writer thread, with the logging thread's name where pyDE1 had its process."""

from __future__ import annotations

import logging
import threading

import pytest

from actors.logsetup import setup_logging, stop_logging
from pyde1.config import load_config_text


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    yield
    stop_logging()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_file_gets_info_with_thread_names_and_stderr_only_warnings(tmp_path, capsys, restore_root):
    config = load_config_text(f"logging:\n  LOG_DIRECTORY: {tmp_path}\n  LOG_FILENAME: t.log\n"
                              "  LOGGERS:\n    root.chatty: ERROR\n", environ={})
    info = setup_logging(config.logging)
    assert info["file"] == str(tmp_path / "t.log")
    log = logging.getLogger("pyde1.test")
    worker = threading.Thread(target=lambda: log.info("from a worker"), name="DE1-7")
    worker.start()
    worker.join()
    log.warning("something to see")
    logging.getLogger("chatty").warning("kept quiet by LOGGERS")
    stop_logging()  # flushes the queue
    text = (tmp_path / "t.log").read_text()
    assert " INFO [DE1-7] pyde1.test: from a worker" in text
    assert " WARNING [MainThread] pyde1.test: something to see" in text
    assert "kept quiet" not in text
    err = capsys.readouterr().err
    assert "WARNING [MainThread] pyde1.test: something to see" in err and "from a worker" not in err


def test_unwritable_log_directory_falls_back_to_stderr(tmp_path, capsys, restore_root):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    config = load_config_text(f"logging:\n  LOG_DIRECTORY: {blocker}/sub\n", environ={})
    info = setup_logging(config.logging)
    stop_logging()
    assert info["file"] is None
    assert "cannot open log file" in capsys.readouterr().err


def test_log_file_follows_logrotate_within_a_second(tmp_path):
    import logging as _logging

    from actors.logsetup import LogFileHandler

    now = [100.0]
    path = tmp_path / "pyde1.log"
    handler = LogFileHandler(path, clock=lambda: now[0])
    handler.setFormatter(_logging.Formatter("%(message)s"))

    def emit(text: str) -> None:
        handler.handle(_logging.LogRecord("t", _logging.INFO, __file__, 1, text, None, None))

    try:
        emit("one")
        path.rename(tmp_path / "pyde1.log.1")  # what logrotate does (create mode)
        now[0] += 0.5
        emit("two")  # within the second: still the rotated file, nothing lost
        now[0] += 0.6
        emit("three")  # the check is due: a new file
        assert (tmp_path / "pyde1.log.1").read_text().split() == ["one", "two"]
        assert path.read_text().split() == ["three"]
    finally:
        handler.close()
