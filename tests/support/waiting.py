"""Waiting in tests without sleeping: on a condition variable, with a deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(cond: threading.Condition, find: Callable[[], T | None], timeout: float,
               failure: Callable[[], str]) -> T:
    """What ``find`` returns once it is not None. ``find`` runs with ``cond`` held, at once and
    after every notify; after ``timeout`` seconds, AssertionError(``failure()``) (also built
    with ``cond`` held, so it can show what did arrive)."""
    deadline = time.monotonic() + timeout
    with cond:
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(failure())
            cond.wait(remaining)
