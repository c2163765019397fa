"""What every pyde1 actor shares: its context, event dispatch that cannot kill it, and
failure reporting to the supervisor.

An actor receives bus events as ``tell`` messages (frozen dataclasses) in
:meth:`ServiceActor.on_event`. An exception there is a bug or bad input in one event:
it is logged (once per kind per minute) and counted, and the actor keeps running.
Exceptions anywhere else that pykka treats as fatal (``on_start``, a failing
``tell``-ed command) reach :meth:`on_failure`, which tells the supervisor, which
restarts the role with backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pykka

from actors.bus import EventBus, RoleTable
from pyde1.ratelimit import DropCounter


@dataclass(frozen=True)
class ActorFailed:
    """Told to the supervisor by a dying actor."""

    role: str
    actor_urn: str
    reason: str


def tell_later(ref: pykka.ActorRef, delay: float, message: Any) -> threading.Timer:
    """Tell ``message`` to ``ref`` after ``delay`` seconds; returns the started timer so the
    caller can cancel it. An actor that stopped meanwhile simply does not get it: the timer
    thread holds nothing, so it is a daemon and never delays shutdown."""

    def fire() -> None:
        try:
            ref.tell(message)
        except pykka.ActorDeadError:
            pass

    timer = threading.Timer(max(0.0, delay), fire)
    timer.daemon = True
    timer.start()
    return timer


@dataclass(frozen=True)
class ReadyProbe:
    """Asked by the supervisor right after start: answered only once ``on_start`` completed."""


@dataclass
class ServiceContext:
    """Everything an actor may need from the service, passed explicitly (no singletons)."""

    config: Any
    bus: EventBus
    roles: RoleTable
    clock: Callable[[], float] = time.time
    # Filled by the composition root; actors read them, never replace them.
    extras: dict[str, Any] = field(default_factory=dict)
    #: actor urn -> why it died (written by the dying actor, read by the supervisor)
    last_failure: dict[str, str] = field(default_factory=dict)

    def ref(self, role: str) -> pykka.ActorRef | None:
        """The actor playing ``role`` right now (None if absent or restarting)."""
        return self.roles.get(role)

    def proxy(self, role: str):
        ref = self.roles.get(role)
        return None if ref is None else ref.proxy()


class ServiceActor(pykka.ThreadingActor):
    """Base for every pyde1 actor.

    Subclasses set ``subscribes`` (event types to receive; empty means none) and implement
    ``on_event``. Commands are public methods called through a proxy (``ask``) by the layer
    above; they must raise typed errors, which pykka carries back to the caller's future.
    """

    #: Event classes this actor receives from the bus. None: not a bus subscriber.
    subscribes: tuple[type, ...] | None = None

    def __init__(self, ctx: ServiceContext, role: str, **_: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.role = role
        self.log = logging.getLogger(f"pyde1.{role}")
        self.event_errors = DropCounter()
        self.events_handled = 0

    # -- events ---------------------------------------------------------------------------
    def on_receive(self, message: Any) -> Any:
        if isinstance(message, ReadyProbe):
            return True
        try:
            self.on_event(message)
            self.events_handled += 1
        except Exception as exc:  # one bad event must never kill the actor
            kind = f"{type(message).__name__}:{type(exc).__name__}"
            n = self.event_errors.record(kind, self.ctx.clock())
            if n is not None:
                self.log.exception("%s failed on %s (%d such failure(s) since last report)",
                                   self.role, type(message).__name__, n)
        return None

    def on_event(self, event: Any) -> None:
        """Handle one bus event. Override."""

    # -- lifecycle ------------------------------------------------------------------------
    def ready(self) -> bool:
        """Answered once ``on_start`` has completed: the supervisor asks it after starting."""
        return True

    def _handle_failure(self, exception_type, exception_value, traceback) -> None:
        # pykka calls this (and not on_failure) when on_start raises: remember why, so the
        # supervisor's start-up error names the cause. (pykka 4 private hook; covered by
        # tests/test_supervisor.py.)
        self.ctx.last_failure[self.actor_urn] = f"{exception_type.__name__}: {exception_value}"
        super()._handle_failure(exception_type, exception_value, traceback)

    def on_failure(self, exception_type, exception_value, traceback) -> None:
        reason = f"{exception_type.__name__}: {exception_value}"
        self.log.error("actor %s died: %s", self.role, reason)
        # The supervisor may be busy starting this very actor: leave the reason where its
        # start-up check can read it, so the error says why, not just "failed".
        self.ctx.last_failure[self.actor_urn] = reason
        sup = self.ctx.roles.get("supervisor")
        if sup is not None:
            sup.tell(ActorFailed(self.role, self.actor_urn, reason))

    def health(self) -> dict[str, Any]:
        """Liveness summary for /health; subclasses extend it."""
        return {
            "role": self.role,
            "class": type(self).__name__,
            "alive": True,
            "events_handled": self.events_handled,
            "event_errors": self.event_errors.as_dict(),
        }
