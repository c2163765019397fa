"""The supervisor: the only thing that creates, restarts, replaces and stops actors.

- start in dependency order (each actor's ``on_start`` must finish before its
  dependants start), stop in reverse order with a deadline per actor;
- restart a failed actor after a backoff, at most ``max_restarts`` per window, then
  give up on that role and report it (the rest of the service keeps running);
- replace a role's actor with another class (a generic scale identified as an Acaia):
  the role name, and so its bus subscriptions, stay; only the actor behind it changes.

Everything it does is published as :class:`ActorLifecycle` on the bus and logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pykka

from actors.base import ActorFailed, ReadyProbe, ServiceActor, ServiceContext, tell_later
from pyde1.lifecycle import ActorLifecycle, LifecycleKind, RestartPolicy

logger = logging.getLogger("pyde1.supervisor")


class StartupError(RuntimeError):
    """An actor could not start; the service must not run half-built."""


@dataclass(frozen=True)
class ActorSpec:
    role: str
    actor_class: type[ServiceActor]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    #: A required actor that fails to start aborts the service; an optional one is reported absent.
    required: bool = True


@dataclass
class _RoleState:
    spec: ActorSpec
    ref: pykka.ActorRef | None = None
    failures: list[float] = field(default_factory=list)
    restarts: int = 0
    last_error: str = ""
    gave_up: bool = False
    generation: int = 0


@dataclass(frozen=True)
class _RestartDue:
    role: str
    generation: int


def start_order(specs: Sequence[ActorSpec]) -> list[ActorSpec]:
    """Topological order of ``specs`` by ``depends_on`` (stable for independent ones)."""
    by_role = {s.role: s for s in specs}
    for s in specs:
        for dep in s.depends_on:
            if dep not in by_role:
                raise StartupError(f"actor {s.role!r} depends on unknown role {dep!r}")
    ordered: list[ActorSpec] = []
    state: dict[str, str] = {}

    def visit(spec: ActorSpec, path: tuple[str, ...]) -> None:
        mark = state.get(spec.role)
        if mark == "done":
            return
        if mark == "visiting":
            raise StartupError("dependency cycle: " + " -> ".join(path + (spec.role,)))
        state[spec.role] = "visiting"
        for dep in spec.depends_on:
            visit(by_role[dep], path + (spec.role,))
        state[spec.role] = "done"
        ordered.append(spec)

    for s in specs:
        visit(s, ())
    return ordered


class Supervisor(pykka.ThreadingActor):
    def __init__(self, ctx: ServiceContext, specs: Sequence[ActorSpec],
                 policy: RestartPolicy = RestartPolicy(), start_timeout: float = 10.0,
                 stop_timeout: float = 5.0) -> None:
        super().__init__()
        self.ctx = ctx
        self.policy = policy
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._order = start_order(specs)
        self._roles: dict[str, _RoleState] = {s.role: _RoleState(s) for s in self._order}
        self._timers: list[threading.Timer] = []
        self._stopping = False

    # -- start / stop ---------------------------------------------------------------------
    def on_start(self) -> None:
        self.ctx.roles.set("supervisor", self.actor_ref)

    def start_all(self) -> dict[str, str]:
        """Start every role in dependency order. Returns role -> "running" | "absent: why"."""
        result: dict[str, str] = {}
        for spec in self._order:
            try:
                self._start_role(self._roles[spec.role])
                result[spec.role] = "running"
            except StartupError as exc:
                if spec.required:
                    logger.critical("cannot start %s: %s; stopping what was started", spec.role, exc)
                    self.stop_all()
                    raise
                logger.warning("%s is absent: %s", spec.role, exc)
                self._roles[spec.role].gave_up = True
                self._roles[spec.role].last_error = str(exc)
                result[spec.role] = f"absent: {exc}"
        return result

    def _start_role(self, st: _RoleState) -> None:
        spec = st.spec
        try:
            ref = spec.actor_class.start(self.ctx, role=spec.role, **dict(spec.kwargs))
        except Exception as exc:  # __init__ raised: the actor never existed
            raise StartupError(f"{spec.actor_class.__name__}: {type(exc).__name__}: {exc}") from exc
        # The role points at the new actor at once: whatever it publishes from on_start (a
        # device saying "ready") may make others call it, and those calls and the events of
        # its subscriptions wait in its mailbox until on_start is done.
        self.ctx.roles.set(spec.role, ref)
        subscribes = getattr(spec.actor_class, "subscribes", None)
        if subscribes is not None:
            self.ctx.bus.subscribe(spec.role, subscribes)
        else:
            self.ctx.bus.unsubscribe(spec.role)
        try:
            ref.ask(ReadyProbe(), timeout=self.start_timeout)
        except pykka.ActorDeadError as exc:
            self.ctx.roles.set(spec.role, None)
            why = self.ctx.last_failure.pop(ref.actor_urn, "see the log above")
            raise StartupError(f"{spec.actor_class.__name__} failed to start: {why}") from exc
        except pykka.Timeout as exc:
            self.ctx.roles.set(spec.role, None)
            ref.stop(block=False)
            raise StartupError(f"{spec.actor_class.__name__} did not start within {self.start_timeout} s") from exc
        st.ref = ref
        st.generation += 1
        logger.info("started %s (%s)", spec.role, spec.actor_class.__name__)
        self._publish(spec, LifecycleKind.STARTED)

    def stop_all(self) -> dict[str, str]:
        """Stop every role in reverse start order, waiting ``stop_timeout`` for each."""
        self._stopping = True
        for t in self._timers:
            t.cancel()
        result: dict[str, str] = {}
        for spec in reversed(self._order):
            st = self._roles[spec.role]
            result[spec.role] = self._stop_role(st)
        return result

    def _stop_role(self, st: _RoleState) -> str:
        ref, st.ref = st.ref, None
        if ref is None:
            return "not running"
        self.ctx.roles.set(st.spec.role, None)
        try:
            ref.stop(block=True, timeout=self.stop_timeout)
        except pykka.Timeout:
            logger.error("%s did not stop within %s s; leaving it behind", st.spec.role, self.stop_timeout)
            return "timeout"
        except pykka.ActorDeadError:
            return "already dead"
        logger.info("stopped %s", st.spec.role)
        return "stopped"

    # -- failures and restarts ------------------------------------------------------------
    def on_receive(self, message: Any) -> Any:
        if isinstance(message, ActorFailed):
            self._on_failed(message)
        elif isinstance(message, _RestartDue):
            self._on_restart_due(message)
        return None

    def _on_failed(self, msg: ActorFailed) -> None:
        self.ctx.last_failure.pop(msg.actor_urn, None)
        st = self._roles.get(msg.role)
        if st is None or self._stopping:
            return
        if st.ref is not None and st.ref.actor_urn != msg.actor_urn:
            return  # an old generation's death; the role already has a new actor
        now = self.ctx.clock()
        st.ref = None
        self.ctx.roles.set(msg.role, None)
        st.failures = [t for t in st.failures if now - t <= self.policy.window] + [now]
        st.last_error = msg.reason
        self._publish(st.spec, LifecycleKind.FAILED, msg.reason, len(st.failures))
        if not self.policy.allows(st.failures, now):
            st.gave_up = True
            logger.critical("%s failed %d times within %s s; not restarting it (last: %s)",
                            msg.role, len(st.failures), self.policy.window, msg.reason)
            self._publish(st.spec, LifecycleKind.GAVE_UP, msg.reason, len(st.failures))
            return
        delay = self.policy.delay(len(st.failures))
        logger.warning("%s failed (%s); restarting in %.1f s (attempt %d of %d)", msg.role,
                       msg.reason, delay, len(st.failures), self.policy.max_restarts)
        self._schedule(_RestartDue(msg.role, st.generation), delay)

    def _schedule(self, message: Any, delay: float) -> None:
        self._timers = [t for t in self._timers if t.is_alive()] + [
            tell_later(self.actor_ref, delay, message)]

    def _on_restart_due(self, msg: _RestartDue) -> None:
        st = self._roles.get(msg.role)
        if st is None or self._stopping or st.generation != msg.generation or st.ref is not None:
            return
        try:
            self._start_role(st)
        except StartupError as exc:
            self._on_failed(ActorFailed(msg.role, "", str(exc)))
            return
        st.restarts += 1
        self._publish(st.spec, LifecycleKind.RESTARTED, st.last_error, st.restarts)

    # -- replacing a role's class ---------------------------------------------------------
    def replace(self, role: str, actor_class: type[ServiceActor],
                kwargs: Mapping[str, Any] | None = None) -> str:
        """Stop ``role``'s actor and start ``actor_class`` in its place (same role name, same
        subscriptions). Never call with ``.get()`` from the actor being replaced."""
        st = self._roles.get(role)
        if st is None:
            raise KeyError(f"unknown role {role!r}")
        if self._stopping:
            # A replace queued behind stop_all must not start an actor nobody will stop.
            logger.info("not replacing %s with %s: the service is stopping", role, actor_class.__name__)
            return st.spec.actor_class.__name__
        old = st.spec.actor_class.__name__
        self._stop_role(st)
        st.spec = replace(st.spec, actor_class=actor_class,
                          kwargs=dict(st.spec.kwargs if kwargs is None else kwargs))
        st.failures.clear()
        st.gave_up = False
        self._start_role(st)
        logger.info("replaced %s: %s -> %s", role, old, actor_class.__name__)
        self._publish(st.spec, LifecycleKind.REPLACED, f"{old} -> {actor_class.__name__}")
        return actor_class.__name__

    # -- reporting ------------------------------------------------------------------------
    def status(self) -> dict[str, dict[str, Any]]:
        out = {}
        for role, st in self._roles.items():
            out[role] = {
                "class": st.spec.actor_class.__name__,
                "alive": bool(st.ref is not None and st.ref.is_alive()),
                "restarts": st.restarts,
                "recent_failures": len(st.failures),
                "last_error": st.last_error,
                "gave_up": st.gave_up,
            }
        return out

    def _publish(self, spec: ActorSpec, kind: LifecycleKind, reason: str = "", attempt: int = 0) -> None:
        self.ctx.bus.publish(ActorLifecycle(spec.role, spec.actor_class.__name__, kind, reason,
                                            attempt, self.ctx.clock()))
