"""The tests' one waiting helper: returns what was found, fails with the caller's message."""

from __future__ import annotations

import threading

import pytest

from support.waiting import wait_until


def test_returns_what_another_thread_provides():
    cond, items = threading.Condition(), []

    def produce() -> None:
        with cond:
            items.append("x")
            cond.notify_all()

    threading.Thread(target=produce).start()
    assert wait_until(cond, lambda: items[0] if items else None, 5.0, lambda: "never") == "x"


def test_falsy_results_count_as_found_and_a_timeout_raises_the_callers_message():
    cond = threading.Condition()
    assert wait_until(cond, lambda: [], 0.0, lambda: "unused") == []
    with pytest.raises(AssertionError, match="^nothing came$"):
        wait_until(cond, lambda: None, 0.01, lambda: "nothing came")
