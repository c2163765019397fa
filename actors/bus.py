"""The event bus: events go up with ``tell`` to whichever actor holds a role *now*.

Subscriptions name a role, not an actor reference. The reference is looked up in
the :class:`RoleTable` at send time, so an actor that the supervisor restarted (or
replaced with another class) keeps receiving the events its role subscribed to,
and nothing ever holds a stale reference to a dead actor.

The bus is a plain thread-safe object, not an actor: publishing is a dictionary
lookup and one ``tell`` per subscriber, so it never blocks the publisher (a device
actor handling a BLE notification) on a slow consumer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pykka

logger = logging.getLogger(__name__)


class RoleTable:
    """Role name -> the actor currently playing it. Written only by the supervisor."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs: dict[str, pykka.ActorRef] = {}

    def set(self, role: str, ref: pykka.ActorRef | None) -> None:
        with self._lock:
            if ref is None:
                self._refs.pop(role, None)
            else:
                self._refs[role] = ref

    def get(self, role: str) -> pykka.ActorRef | None:
        with self._lock:
            ref = self._refs.get(role)
        if ref is not None and not ref.is_alive():
            return None
        return ref

    def roles(self) -> list[str]:
        with self._lock:
            return list(self._refs)


@dataclass(frozen=True, slots=True)
class _Subscription:
    role: str
    event_types: tuple[type, ...]  # empty: every event

    def wants(self, event: object) -> bool:
        return not self.event_types or isinstance(event, self.event_types)


class EventBus:
    """Fan events out to subscribed roles with ``tell``; never blocks, never raises to the sender."""

    def __init__(self, roles: RoleTable, clock: Callable[[], float] = time.time) -> None:
        self._roles = roles
        self._clock = clock
        self._lock = threading.Lock()
        self._subscriptions: tuple[_Subscription, ...] = ()
        self._callbacks: tuple[tuple[Callable[[object], None], tuple[type, ...]], ...] = ()
        self.published = 0
        self.delivered = 0
        # Events for a role with no live actor (e.g. during a restart) are counted, not queued:
        # a restarted actor starts from fresh state and re-reads what it needs.
        self.undeliverable: Counter[str] = Counter()

    def subscribe(self, role: str, event_types: Iterable[type] = ()) -> None:
        """Deliver events of ``event_types`` (all when empty) to the actor holding ``role``."""
        sub = _Subscription(role, tuple(event_types))
        with self._lock:
            self._subscriptions = tuple(s for s in self._subscriptions if s.role != role) + (sub,)

    def unsubscribe(self, role: str) -> None:
        with self._lock:
            self._subscriptions = tuple(s for s in self._subscriptions if s.role != role)

    def add_callback(self, callback: Callable[[object], None], event_types: Iterable[type] = ()) -> None:
        """Call ``callback(event)`` in the publisher's thread, before the subscribers' tells. For
        cheap hooks that never block (counters, a test's queue, the MQTT bridge's express lane,
        which only writes to a non-blocking socket); anything else should be an actor role."""
        with self._lock:
            self._callbacks = self._callbacks + ((callback, tuple(event_types)),)

    def remove_callback(self, callback: Callable[[object], None]) -> None:
        with self._lock:
            # ==, not is: each ``obj.method`` is a new bound-method object, equal to the last.
            self._callbacks = tuple(c for c in self._callbacks if c[0] != callback)

    def subscribers(self) -> list[str]:
        return [s.role for s in self._subscriptions]

    def publish(self, event: object) -> int:
        """Send ``event`` to every interested subscriber; returns how many received it."""
        self.published += 1
        count = 0
        # Tuples are replaced, never mutated, so iterating without the lock is safe.
        # Callbacks first: the MQTT bridge's express lane writes to the broker before the
        # subscribers' threads, woken by the tells below, compete with it for the GIL.
        for callback, types in self._callbacks:
            if types and not isinstance(event, types):
                continue
            try:
                callback(event)
                count += 1
            except Exception:  # a broken hook must not break the publisher
                logger.exception("bus callback %r failed on %s", callback, type(event).__name__)
        for sub in self._subscriptions:
            if not sub.wants(event):
                continue
            ref = self._roles.get(sub.role)
            if ref is None:
                self.undeliverable[sub.role] += 1
                continue
            try:
                ref.tell(event)
                count += 1
            except pykka.ActorDeadError:
                self.undeliverable[sub.role] += 1
        self.delivered += count
        return count

    def stats(self) -> dict:
        return {
            "published": self.published,
            "delivered": self.delivered,
            "undeliverable": dict(self.undeliverable),
            "subscribers": self.subscribers(),
        }
