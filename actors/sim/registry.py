"""The simulated air: peripherals, their links to simulated bleak clients, time and faults.

A :class:`SimRegistry` holds every simulated peripheral (pure models from ``pyde1.sim``).
It is attached to the Bluetooth actor's asyncio loop, where one driver task advances every
model's simulated time (``speedup`` times faster than real time; ``speedup=0`` means as
fast as the loop can go) and delivers queued notifications to the subscribed client.
Everything that touches a model runs in that loop; other threads use the ``*_threadsafe``
methods or :meth:`SimRegistry.call`.

Fault injection per device (:class:`Faults`): refuse the next N connections, drop the link
now or when a condition on the model becomes true, delay / reorder / corrupt / truncate
notifications, stop answering reads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bleak.exc import BleakError

from pyde1.sim.peripheral import SimPeripheral

logger = logging.getLogger("pyde1.sim")


@dataclass
class Faults:
    refuse_connections: int = 0
    #: drop the link as soon as this returns True for the model (checked every tick)
    drop_when: Callable[[Any], bool] | None = None
    notification_delay: float = 0.0          # real seconds added to every notification
    reorder_probability: float = 0.0         # chance a notification swaps with the next
    corrupt_probability: float = 0.0         # chance one byte is flipped
    truncate_probability: float = 0.0        # chance the packet loses its tail
    stalled_reads: frozenset[str] | None = None   # uuids whose reads never answer; empty = all
    seed: int = 1

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def stalls(self, uuid: str) -> bool:
        return self.stalled_reads is not None and (not self.stalled_reads or uuid in self.stalled_reads)


@dataclass
class LinkStats:
    connects: int = 0
    refused: int = 0
    drops: int = 0
    notifications: int = 0
    corrupted: int = 0
    truncated: int = 0


class SimDevice:
    """One simulated peripheral in the air, with at most one central connected."""

    def __init__(self, registry: "SimRegistry", model: SimPeripheral) -> None:
        self.registry = registry
        self.model = model
        self.faults = Faults()
        self.stats = LinkStats()
        self.client = None  # the SimBleakClient connected now
        self._subscriptions: dict[str, Callable[[bytearray], None]] = {}
        self._held: tuple[str, bytes] | None = None
        #: (real monotonic time, uuid, data) of recent deliveries, for latency measurements
        self.emitted: list[tuple[float, str, bytes]] = []
        self.record_emissions = False

    @property
    def address(self) -> str:
        return self.model.address

    @property
    def connected(self) -> bool:
        return self.client is not None

    # -- link (loop thread) ---------------------------------------------------------------
    def accept(self, client) -> None:
        if self.faults.refuse_connections > 0:
            self.faults.refuse_connections -= 1
            self.stats.refused += 1
            raise BleakError(f"simulated {self.model.name} {self.address}: connection refused "
                             "(le-connection-abort-by-local)")
        if self.client is not None and self.client is not client:
            raise BleakError(f"simulated {self.address} is already connected to another central")
        self.client = client
        self.stats.connects += 1
        self.model.on_connect()

    def detach(self, client) -> None:
        if self.client is client:
            self.client = None
            self._subscriptions.clear()
            self._held = None
            self.model.on_disconnect()

    def drop_link(self) -> None:
        """The radio link is lost: the client sees an unsolicited disconnect."""
        client = self.client
        if client is None:
            return
        self.stats.drops += 1
        self.detach(client)
        client._link_lost()

    def subscribe(self, uuid: str, callback: Callable[[bytearray], None]) -> None:
        self._subscriptions[uuid] = callback

    def unsubscribe(self, uuid: str) -> None:
        self._subscriptions.pop(uuid, None)

    async def read(self, uuid: str) -> bytes:
        if self.faults.stalls(uuid):
            await asyncio.Event().wait()  # never answers; the caller's timeout ends it
        return self.model.read(uuid)

    async def write(self, uuid: str, data: bytes) -> None:
        self.model.write(uuid, bytes(data))
        self.deliver()

    # -- time and notifications (loop thread) --------------------------------------------
    def advance(self, dt: float) -> None:
        self.model.advance(dt)
        if self.faults.drop_when is not None and self.client is not None:
            try:
                due = self.faults.drop_when(self.model)
            except Exception:  # a broken test predicate must not stop the air
                logger.exception("drop_when predicate failed")
                due = False
            if due:
                self.faults.drop_when = None
                self.deliver()
                self.drop_link()
        self.deliver()

    def deliver(self) -> None:
        for note in self.model.drain():
            self._send(note.uuid, note.data)

    def inject(self, uuid: str, data: bytes) -> None:
        """Send raw bytes as a notification, bypassing the model (bad packets, tests)."""
        self._send(uuid, bytes(data), faults=False)

    def _send(self, uuid: str, data: bytes, faults: bool = True) -> None:
        if self.client is None or uuid not in self._subscriptions:
            return
        f = self.faults
        if faults and data:
            if f.corrupt_probability and f.rng.random() < f.corrupt_probability:
                pos = f.rng.randrange(len(data))
                data = data[:pos] + bytes([data[pos] ^ 0xFF]) + data[pos + 1:]
                self.stats.corrupted += 1
            if f.truncate_probability and f.rng.random() < f.truncate_probability:
                data = data[:f.rng.randrange(len(data))]
                self.stats.truncated += 1
            if f.reorder_probability and self._held is None and f.rng.random() < f.reorder_probability:
                self._held = (uuid, data)
                return
        self._emit(uuid, data, f.notification_delay if faults else 0.0)
        if self._held is not None and faults:
            held, self._held = self._held, None
            self._emit(*held, f.notification_delay)

    def _emit(self, uuid: str, data: bytes, delay: float) -> None:
        callback = self._subscriptions.get(uuid)
        if callback is None:
            return
        self.stats.notifications += 1
        if self.record_emissions:
            self.emitted.append((time.monotonic(), uuid, data))
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self._emit_later, uuid, data)
        else:
            callback(bytearray(data))

    def _emit_later(self, uuid: str, data: bytes) -> None:
        callback = self._subscriptions.get(uuid)
        if callback is not None:
            callback(bytearray(data))

    # -- from other threads -------------------------------------------------------------
    def drop_link_threadsafe(self) -> None:
        self.registry.call(self.drop_link)

    def inject_threadsafe(self, uuid: str, data: bytes) -> None:
        self.registry.call(lambda: self.inject(uuid, data))


class SimRegistry:
    """Every simulated peripheral, and the task that runs their clocks."""

    def __init__(self, speedup: float = 1.0, max_step: float = 0.25) -> None:
        self.speedup = speedup
        self.max_step = max_step  # simulated seconds per driver iteration at most
        self._devices: dict[str, SimDevice] = {}
        self._lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._driver: asyncio.Task | None = None
        self.sim_seconds = 0.0

    def add(self, model: SimPeripheral) -> SimDevice:
        device = SimDevice(self, model)
        with self._lock:
            self._devices[model.address.upper()] = device
        return device

    def get(self, address: str) -> SimDevice | None:
        with self._lock:
            return self._devices.get(address.upper())

    def devices(self) -> list[SimDevice]:
        with self._lock:
            return list(self._devices.values())

    # -- running in a loop ------------------------------------------------------------------
    async def attach(self) -> None:
        """Start the clock in the running loop (the Bluetooth actor's)."""
        self.loop = asyncio.get_running_loop()
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive(), name="pyde1-sim-clock")

    async def detach(self) -> None:
        task, self._driver = self._driver, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        for device in self.devices():
            device.drop_link()
        self.loop = None

    async def _drive(self) -> None:
        last = time.monotonic()
        while True:
            tick = min((d.model.tick for d in self.devices()), default=0.05)
            if self.speedup and self.speedup > 0:
                await asyncio.sleep(max(0.001, tick / self.speedup))
                now = time.monotonic()
                step = min(self.max_step, (now - last) * self.speedup)
                last = now
            else:
                await asyncio.sleep(0)
                step = tick
            self.sim_seconds += step
            for device in self.devices():
                try:
                    device.advance(step)
                except Exception:  # a model bug must not stop every other device
                    logger.exception("simulated %s failed", device.model.name)

    def call(self, fn: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Run ``fn`` in the simulator's loop and return its result (any thread but the loop's)."""
        loop = self.loop
        if loop is None:
            return fn()
        if _running_in(loop):
            return fn()
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the caller
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout)


def _running_in(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
