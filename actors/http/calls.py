"""Asking other actors from a request thread: one deadline per request, typed answers.

Every ask goes through a proxy looked up at call time (a restarted actor is found), waits at
most until the request's deadline, and turns what can go wrong into an ``ApiError``:

* no actor plays the role (not built, gave up, restarting) → 503 naming the device and why;
* the actor has no such method (its part is not finished) → 501 naming role and method;
* the deadline passes → 504; the late answer, if any, goes to a future nobody reads, so it can
  never be taken for another request's answer (pyDE1's defect A4);
* the actor raised → the status its class maps to (``pyde1.api.errors.status_for``).
"""

from __future__ import annotations

import concurrent.futures
import time
from typing import Any

import pykka

from pyde1.api import errors
from pyde1.api.errors import ApiError

#: How devices are named in messages.
DEVICE_NAMES = {"de1": "DE1", "scale": "Scale", "thermometer": "Thermometer",
                "bluetooth": "Bluetooth", "database": "Database", "sequencer": "FlowSequencer",
                "mqtt": "MQTT"}


def device_name(role: str) -> str:
    return DEVICE_NAMES.get(role, role)


class ProxyCache:
    """One proxy per actor, reused across requests: building a pykka proxy introspects the
    actor's attributes, which costs more than the ask itself. Keyed by the actor's URN, so a
    restarted actor gets a fresh proxy."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self._proxies: dict[str, Any] = {}

    def get(self, role: str):
        ref = self.ctx.roles.get(role)
        if ref is None:
            return None
        proxy = self._proxies.get(ref.actor_urn)
        if proxy is None:
            if len(self._proxies) > 64:  # actors come and go (restarts): never grow unbounded
                self._proxies.clear()
            proxy = self._proxies[ref.actor_urn] = ref.proxy()
        return proxy


class Caller:
    """Asks made on behalf of one request, all bounded by one deadline."""

    def __init__(self, ctx, timeout: float, why_absent=None, proxies: ProxyCache | None = None) -> None:
        self.ctx = ctx
        self.proxies = proxies or ProxyCache(ctx)
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self._why_absent = why_absent or (lambda role: "no actor plays this role")

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def has(self, role: str) -> bool:
        return self.ctx.roles.get(role) is not None

    def proxy(self, role: str):
        try:
            proxy = self.proxies.get(role)
        except pykka.ActorDeadError:
            proxy = None
        if proxy is None:
            raise errors.device_unavailable(device_name(role), self._why_absent(role))
        return proxy

    def _member(self, role: str, name: str):
        proxy = self.proxy(role)
        try:
            return getattr(proxy, name)
        except AttributeError:
            cls = type(proxy).__name__
            try:
                cls = proxy.actor_ref.actor_class.__name__
            except AttributeError:
                pass
            raise ApiError.of(501, "NotImplementedError",
                              f"the {role} actor ({cls}) has no {name}: not available in this build") from None
        except pykka.ActorDeadError:
            raise errors.device_unavailable(device_name(role), "its actor just stopped") from None

    def start(self, role: str, method: str, *args: Any, **kwargs: Any) -> pykka.Future:
        """Send the ask now (a method call, or the read of an attribute); collect the answer
        later with ``wait``, so several reads overlap."""
        member = self._member(role, method)
        if not callable(member):
            return member  # an attribute: the proxy already sent the read
        try:
            return member(*args, **kwargs)
        except pykka.ActorDeadError:
            raise errors.device_unavailable(device_name(role), "its actor just stopped") from None

    def wait(self, future: pykka.Future, role: str, what: str, resolve: bool = True) -> Any:
        """The answer; an answer that is itself a future is waited for too unless ``resolve``
        is false (the Bluetooth actor answers with futures)."""
        try:
            value = future.get(timeout=self.remaining())
        except pykka.Timeout:
            raise errors.timed_out(f"{device_name(role)} ({what})", self.timeout) from None
        except pykka.ActorDeadError:
            raise errors.device_unavailable(device_name(role), "its actor stopped") from None
        except ApiError:
            raise
        except Exception as exc:  # the actor's own typed error, carried back by pykka
            raise errors.from_exception(exc) from None
        if resolve and isinstance(value, concurrent.futures.Future):
            # Some actors answer with a future of their own (the Bluetooth actor's commands).
            return self.wait_concurrent(value, role, what)
        return value

    def wait_concurrent(self, future: concurrent.futures.Future, role: str, what: str) -> Any:
        try:
            return future.result(timeout=self.remaining())
        except concurrent.futures.TimeoutError:
            raise errors.timed_out(f"{device_name(role)} ({what})", self.timeout) from None
        except Exception as exc:
            raise errors.from_exception(exc) from None

    def ask(self, role: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.wait(self.start(role, method, *args, **kwargs), role, method)

    def attr(self, role: str, name: str) -> Any:
        """An attribute or property of the actor (read in the actor's thread)."""
        return self.wait(self._member(role, name), role, name)
