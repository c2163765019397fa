"""A device actor's handle on its Bluetooth connection.

Wraps the two hops of every operation: the message to the Bluetooth actor (which answers at
once with a ``concurrent.futures.Future``) and the wait for that future with a deadline.
Blocking calls are for a device actor's own commands; ``submit`` returns the future for
pipelines that continue from a done-callback (firmware upload) instead of blocking.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterable
from typing import Any

import pykka

from actors.ble.messages import BleTimeoutError, BleUnavailableError, ConnectInfo

HOP_TIMEOUT = 2.0   # the Bluetooth actor only schedules work: it answers quickly


class BleLink:
    def __init__(self, ctx, address: str, ble_role: str = "bluetooth", op_timeout: float = 2.0) -> None:
        self.ctx = ctx
        self.address = address
        self.ble_role = ble_role
        self.op_timeout = op_timeout
        self._cached: tuple[Any, Any] | None = None

    def _proxy(self):
        ref = self.ctx.roles.get(self.ble_role)
        if ref is None:
            raise BleUnavailableError(f"the {self.ble_role!r} actor is not running")
        if self._cached is None or self._cached[0] is not ref:
            self._cached = (ref, ref.proxy())
        return self._cached[1]

    def submit(self, method: str, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        try:
            return getattr(self._proxy(), method)(*args, **kwargs).get(timeout=HOP_TIMEOUT)
        except pykka.ActorDeadError as exc:
            raise BleUnavailableError(f"the {self.ble_role!r} actor stopped") from exc
        except pykka.Timeout as exc:
            raise BleUnavailableError(f"the {self.ble_role!r} actor did not answer") from exc

    def wait(self, future: concurrent.futures.Future, timeout: float, doing: str) -> Any:
        try:
            return future.result(timeout=timeout + 0.5)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise BleTimeoutError(self.address, doing, timeout) from None

    # -- blocking operations --------------------------------------------------------------
    def read(self, uuid: str, timeout: float | None = None, forward: bool = False) -> bytes:
        t = timeout or self.op_timeout
        return self.wait(self.submit("read", self.address, uuid, t, forward), t, f"read {uuid}")

    def write(self, uuid: str, data: bytes, timeout: float | None = None, response: bool = True) -> None:
        t = timeout or self.op_timeout
        self.wait(self.submit("write", self.address, uuid, bytes(data), response, t), t, f"write {uuid}")

    def exchange(self, write_uuid: str, data: bytes, notify_uuid: str,
                 done: Callable[[list[bytes]], bool], timeout: float | None = None) -> list[bytes]:
        t = timeout or self.op_timeout
        fut = self.submit("exchange", self.address, write_uuid, bytes(data), notify_uuid, done, t)
        return self.wait(fut, t, f"exchange {write_uuid}->{notify_uuid}")

    def start_notify(self, uuids: Iterable[str], timeout: float | None = None) -> None:
        t = timeout or self.op_timeout
        self.wait(self.submit("start_notify", self.address, tuple(uuids)), t, "start notify")

    # -- non-blocking ---------------------------------------------------------------------
    def connect_async(self, owner_role: str, notify: Iterable[str] = (), delay: float = 0.0,
                      attempts: int | None = None, owner_ref=None) -> concurrent.futures.Future:
        return self.submit("connect", self.address, owner_role, tuple(notify), delay, attempts, owner_ref)

    def disconnect_async(self) -> concurrent.futures.Future:
        return self.submit("disconnect", self.address)

    def write_async(self, uuid: str, data: bytes, timeout: float | None = None) -> concurrent.futures.Future:
        return self.submit("write", self.address, uuid, bytes(data), True, timeout or self.op_timeout)


__all__ = ["BleLink", "ConnectInfo"]
