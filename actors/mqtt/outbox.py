"""A bounded queue of messages waiting for the broker (plain object, used by one thread)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import NamedTuple


class OutMessage(NamedTuple):
    topic: str
    payload: str | bytes
    retain: bool = False


class Outbox:
    """Keeps at most ``limit`` messages, oldest first; when full, the oldest is dropped (a
    live feed's newest messages matter most) and counted."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._queue: deque[OutMessage] = deque()
        self.dropped = 0
        self.queued = 0  # every message ever put here

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, message: OutMessage) -> int:
        """Queue ``message``; returns how many messages were dropped to make room (0 or 1)."""
        self.queued += 1
        if self.limit <= 0:
            self.dropped += 1
            return 1
        dropped = 0
        if len(self._queue) >= self.limit:
            self._queue.popleft()
            dropped = 1
        self._queue.append(message)
        self.dropped += dropped
        return dropped

    def take(self) -> list[OutMessage]:
        """Everything queued, oldest first; the outbox is empty afterwards."""
        items = list(self._queue)
        self._queue.clear()
        return items

    def put_back(self, messages: Iterable[OutMessage]) -> None:
        """Return unsent messages to the front, in order (a flush interrupted by a disconnect).
        Never counted twice; if the outbox filled up meanwhile, the oldest go."""
        items = list(messages)
        self._queue.extendleft(reversed(items))
        while len(self._queue) > max(self.limit, 0):
            self._queue.popleft()
            self.dropped += 1
