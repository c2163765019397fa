"""The Bluetooth actor: one asyncio loop, in a thread of its own, owns every bleak object.

Device actors call the public methods through a proxy. Each method only *schedules* a
coroutine in the loop (``asyncio.run_coroutine_threadsafe``) and returns the resulting
``concurrent.futures.Future`` at once, so the actor's mailbox never waits on the radio and a
slow connect never delays another device's write. Notifications and unsolicited disconnects
are told, as frozen messages, to whichever actor plays the owning role when they arrive.
Nothing in the loop ever waits on a pykka future.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from actors.base import ServiceActor, ServiceContext
from actors.ble.messages import (BleConnectError, BleDisconnected, BleGattError, BleNotConnectedError,
                                 BleNotification, BleScanError, BleTimeoutError, ConnectInfo)
from actors.ble.roles import matches_role, parse_role
from actors.ble.settings import BleSettings
from pyde1.events import ScanDevice, ScanResults

Collector = Callable[[list[bytes]], bool]


@dataclass
class _Exchange:
    uuid: str
    done: Collector
    future: asyncio.Future
    packets: list[bytes] = field(default_factory=list)


@dataclass
class _Link:
    address: str
    owner_role: str
    client: Any
    name: str
    owner_ref: Any = None   # used only while the role is not (yet) in the role table
    exchanges: list[_Exchange] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one GATT operation at a time


class BluetoothActor(ServiceActor):
    def __init__(self, ctx: ServiceContext, role: str = "bluetooth", settings: BleSettings | None = None,
                 sim_registry=None, **_: Any) -> None:
        super().__init__(ctx, role)
        self.settings = settings or BleSettings.from_config(ctx.config)
        self.sim_registry = sim_registry
        if self.settings.backend == "simulator" or sim_registry is not None:
            if sim_registry is None:
                raise ValueError("bluetooth.BACKEND is 'simulator' but no simulator registry was given")
            from actors.sim.backend import SimBleakClient, SimBleakScanner
            self._client_backend, self._scanner_backend = SimBleakClient, SimBleakScanner
            self._backend_kwargs: dict[str, Any] = {"sim_registry": sim_registry}
        elif self.settings.backend == "bleak":
            self._client_backend = self._scanner_backend = None
            self._backend_kwargs = {"bluez": {"adapter": self.settings.adapter}} if self.settings.adapter else {}
        else:
            raise ValueError(f"bluetooth.BACKEND must be 'bleak' or 'simulator', not {self.settings.backend!r}")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._links: dict[str, _Link] = {}
        self._scan_task: asyncio.Task | None = None
        self.stats: Counter[str] = Counter()
        self.undeliverable: Counter[str] = Counter()

    # -- lifecycle ------------------------------------------------------------------------
    def on_start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="pyde1-ble-loop")
        self._thread.start()
        if self.sim_registry is not None:
            self._submit(self.sim_registry.attach()).result(timeout=5)
        self.log.info("Bluetooth loop running (%s backend)",
                      "simulator" if self.sim_registry is not None else "bleak")

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def on_stop(self) -> None:
        self._shutdown()

    def on_failure(self, exception_type, exception_value, traceback) -> None:
        self._shutdown()
        super().on_failure(exception_type, exception_value, traceback)

    def _shutdown(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            fut = asyncio.run_coroutine_threadsafe(self._close_all(), loop)
            fut.result(timeout=self.settings.disconnect_timeout + 1)
        except Exception as exc:  # stopping anyway; say what was left behind
            self.log.warning("Bluetooth shutdown was not clean: %s: %s", type(exc).__name__, exc)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive():
                self.log.error("Bluetooth loop thread did not stop within 5 s")
                return
        loop.close()

    async def _close_all(self) -> None:
        # Cancel every operation in flight (connects, reads, scans) so that no caller waits
        # forever on a future of a loop that is about to stop.
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current
                   and not t.get_name().startswith("pyde1-sim")]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for link in list(self._links.values()):
            await self._disconnect_link(link)
            # The owner must not go on believing it is connected: after a restart of this
            # actor it reconnects through the new one.
            self._tell(link, BleDisconnected(link.address, "the Bluetooth actor stopped", self.ctx.clock()))
        if self.sim_registry is not None:
            await self.sim_registry.detach()

    def _submit(self, coro) -> concurrent.futures.Future:
        loop = self._loop
        if loop is None:
            coro.close()
            fut: concurrent.futures.Future = concurrent.futures.Future()
            fut.set_exception(BleGattError("the Bluetooth loop is not running"))
            return fut
        return asyncio.run_coroutine_threadsafe(coro, loop)

    # -- public commands (each returns a concurrent.futures.Future) -----------------------
    def connect(self, address: str, owner_role: str, notify: Iterable[str] = (),
                delay: float = 0.0, attempts: int | None = None,
                owner_ref=None) -> concurrent.futures.Future:
        """Connect (bounded attempts with backoff), subscribe ``notify``; result ConnectInfo.
        Messages go to whoever plays ``owner_role`` when they arrive; ``owner_ref`` only
        covers the moment before the supervisor has entered a starting actor in the table."""
        return self._submit(self._connect(address, owner_role, tuple(notify), delay,
                                          attempts or self.settings.connect_attempts, owner_ref))

    def disconnect(self, address: str) -> concurrent.futures.Future:
        return self._submit(self._disconnect(address))

    def read(self, address: str, uuid: str, timeout: float | None = None,
             forward: bool = False) -> concurrent.futures.Future:
        """Read a characteristic. With ``forward`` the value is also told to the owner as a
        BleNotification, in order with the notifications (for values that change by themselves,
        such as StateInfo, so a read never overtakes a newer notification)."""
        return self._submit(self._gatt(address, "read", uuid, None, timeout, forward))

    def write(self, address: str, uuid: str, data: bytes, response: bool = True,
              timeout: float | None = None) -> concurrent.futures.Future:
        return self._submit(self._gatt(address, "write" if response else "write-no-response",
                                       uuid, bytes(data), timeout))

    def exchange(self, address: str, write_uuid: str, data: bytes, notify_uuid: str,
                 done: Collector, timeout: float | None = None) -> concurrent.futures.Future:
        """Write, then collect notifications of ``notify_uuid`` until ``done(packets)``.
        The notifications still go to the owner as usual. Result: the collected packets."""
        return self._submit(self._exchange(address, write_uuid, bytes(data), notify_uuid, done, timeout))

    def start_notify(self, address: str, uuids: Iterable[str]) -> concurrent.futures.Future:
        return self._submit(self._start_notify(address, tuple(uuids)))

    def scan(self, role=None, timeout: float | None = None, first_match: bool = False) -> concurrent.futures.Future:
        """Scan for devices of ``role`` (None: any), publishing ScanResults; result the list."""
        return self._submit(self._scan(parse_role(role), timeout or self.settings.scan_time, first_match))

    def connected(self) -> dict[str, str]:
        """address -> owner role of every link (a snapshot)."""
        return {a: link.owner_role for a, link in list(self._links.items())}

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(backend="simulator" if self.sim_registry is not None else "bleak",
                   loop_running=self._loop is not None and self._loop.is_running(),
                   links=self.connected(), stats=dict(self.stats),
                   undeliverable=dict(self.undeliverable))
        return out

    # -- connections (loop thread) --------------------------------------------------------
    async def _connect(self, address: str, owner: str, notify: tuple[str, ...], delay: float,
                       attempts: int, owner_ref=None) -> ConnectInfo:
        if delay > 0:
            await asyncio.sleep(delay)
        key = address.upper()
        link = self._links.get(key)
        if link is not None and link.client.is_connected:
            link.owner_role, link.owner_ref = owner, owner_ref
            await self._subscribe(link, notify)
            return ConnectInfo(address, link.name, _service_uuids(link.client), 0)
        last: BaseException | None = None
        attempt = 0
        while attempt < attempts:
            attempt += 1
            self.stats["connect_attempts"] += 1
            client = BleakClient(address, disconnected_callback=self._on_disconnected,
                                 timeout=self.settings.connect_timeout,
                                 backend=self._client_backend, **self._backend_kwargs)
            try:
                await asyncio.wait_for(client.connect(), self.settings.connect_timeout)
            except asyncio.CancelledError:
                await self._quiet_disconnect(client)
                raise
            except (asyncio.TimeoutError, BleakError, OSError) as exc:
                last = exc
                self.stats["connect_failures"] += 1
                await self._quiet_disconnect(client)
                if isinstance(exc, BleakError) and "InProgress" in str(exc):
                    attempt -= 1  # the stack was busy: not a real attempt (C.9 step 4)
                    await asyncio.sleep(0.2)
                    continue
                self.log.info("connect to %s failed (attempt %d of %d): %s: %s", address, attempt,
                              attempts, type(exc).__name__, exc or "timeout")
                if attempt < attempts:
                    await asyncio.sleep(self.settings.backoff(attempt))
                continue
            name = getattr(client, "name", None) or address
            link = _Link(address, owner, client, name, owner_ref)
            self._links[key] = link
            try:
                await self._subscribe(link, notify)
            except BaseException:
                await self._disconnect_link(link)
                raise
            self.stats["connects"] += 1
            return ConnectInfo(address, name, _service_uuids(client), attempt)
        raise BleConnectError(address, attempts, last)

    async def _subscribe(self, link: _Link, uuids: tuple[str, ...]) -> None:
        for uuid in uuids:
            await link.client.start_notify(uuid, self._notify_callback(link))

    async def _start_notify(self, address: str, uuids: tuple[str, ...]) -> None:
        await self._subscribe(self._link(address, "start notify"), uuids)

    def _notify_callback(self, link: _Link):
        def on_notify(characteristic, data: bytearray) -> None:
            self._on_notification(link, characteristic.uuid, bytes(data))
        return on_notify

    def _on_notification(self, link: _Link, uuid: str, data: bytes) -> None:
        self.stats["notifications"] += 1
        for ex in list(link.exchanges):
            if ex.uuid == uuid and not ex.future.done():
                ex.packets.append(data)
                try:
                    finished = ex.done(ex.packets)
                except Exception as exc:  # a collector that cannot read the packet: fail the exchange
                    ex.future.set_exception(BleGattError(f"unexpected answer on {uuid}: {exc}"))
                    continue
                if finished:
                    ex.future.set_result(list(ex.packets))
        message = BleNotification(link.address, uuid, data, self.ctx.clock())
        self._tell(link, message)

    def _tell(self, link: _Link, message: Any) -> None:
        role = link.owner_role
        ref = self.ctx.roles.get(role)
        if ref is None and link.owner_ref is not None and link.owner_ref.is_alive():
            ref = link.owner_ref
        if ref is None:
            self.undeliverable[role] += 1
            return
        try:
            ref.tell(message)
        except Exception:  # the owner died between lookup and tell
            self.undeliverable[role] += 1

    def _on_disconnected(self, client) -> None:
        key = client.address.upper()
        link = self._links.get(key)
        if link is None or link.client is not client:
            return
        del self._links[key]
        self.stats["link_losses"] += 1
        for ex in link.exchanges:
            if not ex.future.done():
                ex.future.set_exception(BleNotConnectedError(link.address, "waiting for " + ex.uuid))
        self.log.warning("lost the link to %s (%s)", link.address, link.name)
        self._tell(link, BleDisconnected(link.address, "link lost", self.ctx.clock()))

    async def _disconnect(self, address: str) -> None:
        link = self._links.get(address.upper())
        if link is not None:
            await self._disconnect_link(link)

    async def _disconnect_link(self, link: _Link) -> None:
        if self._links.get(link.address.upper()) is link:
            del self._links[link.address.upper()]
        for ex in link.exchanges:
            if not ex.future.done():
                ex.future.set_exception(BleNotConnectedError(link.address, "disconnecting"))
        await self._quiet_disconnect(link.client)

    async def _quiet_disconnect(self, client) -> None:
        try:
            await asyncio.wait_for(client.disconnect(), self.settings.disconnect_timeout)
        except Exception as exc:  # already gone, or the stack is confused: nothing more to do
            self.log.debug("disconnect %s: %s: %s", client.address, type(exc).__name__, exc)

    def _link(self, address: str, doing: str) -> _Link:
        link = self._links.get(address.upper())
        if link is None or not link.client.is_connected:
            raise BleNotConnectedError(address, doing)
        return link

    # -- GATT operations ------------------------------------------------------------------
    async def _gatt(self, address: str, op: str, uuid: str, data: bytes | None,
                    timeout: float | None, forward: bool = False) -> bytes | None:
        timeout = timeout or self.settings.op_timeout
        link = self._link(address, f"{op} {uuid}")
        try:
            async with link.lock:
                if data is None:
                    result = bytes(await asyncio.wait_for(link.client.read_gatt_char(uuid), timeout))
                    self.stats["reads"] += 1
                    if forward:
                        self._tell(link, BleNotification(link.address, uuid, result, self.ctx.clock()))
                    return result
                await asyncio.wait_for(
                    link.client.write_gatt_char(uuid, data, response=op == "write"), timeout)
                self.stats["writes"] += 1
                return None
        except asyncio.TimeoutError:
            self.stats["timeouts"] += 1
            raise BleTimeoutError(address, f"{op} {uuid}", timeout) from None
        except BleakError as exc:
            if not link.client.is_connected:
                raise BleNotConnectedError(address, f"{op} {uuid}") from exc
            raise BleGattError(f"{op} {uuid} on {address}: {exc}") from exc

    async def _exchange(self, address: str, write_uuid: str, data: bytes, notify_uuid: str,
                        done: Collector, timeout: float | None) -> list[bytes]:
        timeout = timeout or self.settings.op_timeout
        link = self._link(address, f"write {write_uuid}")
        ex = _Exchange(notify_uuid, done, asyncio.get_running_loop().create_future())
        link.exchanges.append(ex)
        try:
            await self._gatt(address, "write", write_uuid, data, timeout)
            return await asyncio.wait_for(asyncio.shield(ex.future), timeout)
        except asyncio.TimeoutError:
            self.stats["timeouts"] += 1
            raise BleTimeoutError(address, f"waiting for {notify_uuid} after writing {write_uuid}",
                                  timeout) from None
        finally:
            if ex in link.exchanges:
                link.exchanges.remove(ex)

    # -- scanning -------------------------------------------------------------------------
    async def _scan(self, role, timeout: float, first_match: bool) -> list[ScanDevice]:
        previous = self._scan_task
        if previous is not None and not previous.done():
            previous.cancel()
            try:
                await previous
            except (asyncio.CancelledError, Exception):
                pass
        self._scan_task = asyncio.current_task()
        found: dict[str, ScanDevice] = {}
        first = asyncio.Event()
        publish = self.ctx.bus.publish

        def on_advertisement(device, adv) -> None:
            name = adv.local_name or device.name
            if not matches_role(role, name):
                return
            entry = ScanDevice(address=device.address, name=name, rssi=adv.rssi)
            if found.get(device.address) == entry:
                return
            if first_match and found:
                return
            found[device.address] = entry
            if first_match:
                first.set()
            else:
                publish(ScanResults(role=role, scanning=True, devices=tuple(found.values())))

        publish(ScanResults(role=role, scanning=True, devices=()))
        scanner = BleakScanner(on_advertisement, backend=self._scanner_backend, **self._backend_kwargs)
        try:
            try:
                await scanner.start()
            except BleakError as exc:
                raise BleScanError(f"cannot start a scan: {exc}") from exc
            self.stats["scans"] += 1
            try:
                await asyncio.wait_for(first.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        finally:
            try:
                await scanner.stop()
            except Exception as exc:  # stopping a scan that failed to start
                self.log.debug("scanner stop: %s", exc)
            publish(ScanResults(role=role, scanning=False, devices=tuple(found.values())))
        return list(found.values())


def _service_uuids(client) -> tuple[str, ...]:
    try:
        return tuple(s.uuid for s in client.services)
    except Exception:  # services not resolved (some stacks): not needed by the callers
        return ()
