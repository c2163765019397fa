"""Scripted actor tests: record what goes over the bus and wait for it with a deadline."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from support.waiting import wait_until


class EventRecorder:
    """Collects every event published on a bus (or of the given types) in order.

    ``wait_for`` blocks on a condition variable until a matching event arrives or the
    deadline passes; it never polls with sleeps.
    """

    def __init__(self, bus, event_types: tuple[type, ...] = ()) -> None:
        self._bus = bus
        self._cond = threading.Condition()
        self.events: list[Any] = []
        bus.add_callback(self._on_event, event_types)

    def _on_event(self, event: Any) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def close(self) -> None:
        self._bus.remove_callback(self._on_event)

    def of_type(self, cls: type) -> list[Any]:
        with self._cond:
            return [e for e in self.events if isinstance(e, cls)]

    def wait_for(self, cls: type = object, predicate: Callable[[Any], bool] = lambda e: True,
                 timeout: float = 5.0, start: int = 0) -> Any:
        """Return the first event (from index ``start``) of ``cls`` matching ``predicate``."""
        return wait_until(
            self._cond,
            lambda: next((e for e in self.events[start:] if isinstance(e, cls) and predicate(e)), None),
            timeout,
            lambda: f"no {cls.__name__} matching within {timeout} s; last seen: "
                    f"{[type(e).__name__ for e in self.events[-20:]]}")

    def wait_count(self, cls: type, n: int, timeout: float = 5.0) -> list[Any]:
        def enough() -> list[Any] | None:
            found = [e for e in self.events if isinstance(e, cls)]
            return found if len(found) >= n else None

        return wait_until(self._cond, enough, timeout,
                          lambda: f"only {len(self.of_type(cls))} of {n} {cls.__name__} within {timeout} s")
