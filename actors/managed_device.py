"""Base of every Bluetooth device actor (DE1, scale, thermometer): the managed-device lifecycle.

One long-lived actor per role (devices-and-sequencing.md part C):

* capture / release requests through the two-deep queue (``actors.ble.capture``), one
  connect or disconnect in flight at a time, a newer wish cancelling the one in flight;
* connects go through the Bluetooth actor (bounded attempts with backoff there), and between
  attempts the reference's retry schedule plus a growing pause after failed attempts;
* reconnect after an unsolicited link loss while the target is "captured";
* DeviceAvailability and the deprecated ConnectivityChange on every change, "ready" when the
  role's own initialisation finishes, "not ready" when it is lost;
* optional release when the DE1 goes to sleep and capture when it wakes (scales, thermometers);
* ``.btid`` files on Linux while a device is connecting or connected;
* a class change goes through the supervisor (``replace_with``), never ``__class__``.

Subclasses set ``device_role`` and ``notify_uuids`` and override ``initialise`` (blocking
reads/writes through ``self.link``; raise to abandon the link), ``on_notification`` and
``on_link_lost``.
"""

from __future__ import annotations

import concurrent.futures
import threading
from dataclasses import dataclass
from typing import Any

import pykka

from actors.base import ServiceActor, ServiceContext
from actors.ble.capture import (C, R, X, CaptureQueue, Op, RetryWindow, availability, btid_supported,
                                connectivity, remove_btid, write_btid)
from actors.ble.link import BleLink
from actors.ble.messages import (BleDisconnected, BleError, BleNotConnectedError, BleNotification,
                                 BleUnavailableError, ConnectInfo)
from actors.ble.settings import BleSettings
from pyde1.events import (ConnectivityChange, ConnectivityState, DeviceAvailability,
                          DeviceAvailabilityState, DeviceRole, StateUpdate)

A = DeviceAvailabilityState


class DeviceNoAddressError(BleError):
    def __init__(self, role: str):
        super().__init__(f"no {role} address is set; assign one (or scan) before capturing")


def _failing_later(error: BaseException, delay: float) -> concurrent.futures.Future:
    future: concurrent.futures.Future = concurrent.futures.Future()

    def fail() -> None:
        try:
            future.set_exception(error)
        except concurrent.futures.InvalidStateError:
            pass  # cancelled meanwhile

    timer = threading.Timer(delay, fail)
    timer.daemon = True  # holds nothing: at worst completes a future nobody waits for
    timer.start()
    return future


@dataclass(frozen=True, slots=True)
class _TaskDone:
    generation: int
    op: Op
    future: concurrent.futures.Future


class ManagedDeviceActor(ServiceActor):
    device_role: DeviceRole = DeviceRole.UNKNOWN
    notify_uuids: tuple[str, ...] = ()
    #: scales and thermometers follow the DE1 (C.10); the DE1 itself never does
    release_on_sleep: bool = False
    capture_on_wake: bool = False

    def __init__(self, ctx: ServiceContext, role: str, address: str | None = None,
                 name: str | None = None, capture_on_start: bool = False,
                 settings: BleSettings | None = None, btid_directory: str | None = None,
                 ble_role: str = "bluetooth", **kwargs: Any) -> None:
        super().__init__(ctx, role)
        self.settings = settings or BleSettings.from_config(ctx.config)
        self.address = address or ""
        self.device_name = name
        self.capture_on_start = capture_on_start
        self.btid_directory = btid_directory
        self.ble_role = ble_role
        self.queue = CaptureQueue()
        self.retry = RetryWindow()
        self.failed_tasks = 0
        self.ready = False
        self.link = BleLink(ctx, self.address, ble_role, self.settings.op_timeout)
        self._task: concurrent.futures.Future | None = None
        self._task_generation = 0
        self._last_availability: A | None = None
        self._last_connectivity: ConnectivityState | None = None
        self._btid_warned = False
        self.link_losses = 0
        self.connects = 0
        self._replacing = False

    # -- naming ---------------------------------------------------------------------------
    @property
    def sender(self) -> str:
        return type(self).__name__

    @property
    def name(self) -> str:
        if self.device_name:
            return self.device_name
        return f"{self.sender}_{self.address[-8:] if self.address else 'None'}"

    # -- lifecycle ------------------------------------------------------------------------
    def on_start(self) -> None:
        self._publish_availability(force=True)
        if self.address and self.capture_on_start:
            self.request_capture()

    def on_stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.queue.connected is C or self.queue.pending is C:
            try:
                self.link.wait(self.link.disconnect_async(), self.settings.disconnect_timeout, "disconnect")
            except BleError as exc:
                self.log.warning("could not disconnect %s while stopping: %s", self.address, exc)
        self._btid(False)

    # -- public commands ------------------------------------------------------------------
    def availability(self) -> str:
        return self._availability().value

    def request_capture(self) -> str:
        if not self.address:
            raise DeviceNoAddressError(self.device_role.value)
        self.retry.reset()
        self.failed_tasks = 0
        self._start(self.queue.request(C))
        self._publish_availability()
        return self.availability()

    def request_release(self) -> str:
        self.retry.reset()
        if self.queue.target is not R:
            self._lose_ready()
        self._start(self.queue.request(R))
        self._publish_availability()
        return self.availability()

    def set_address(self, address: str | None, name: str | None = None) -> str:
        """Assign (or forget, with None/"") the device's address. Does not capture (C.7)."""
        address = address or ""
        if address == self.address:
            return "not changed"
        was_linked = self.queue.connected is C or self.queue.pending is C
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.address and was_linked:
            # C.7: release the current device and wait until it is released
            try:
                self.link.wait(self.link.disconnect_async(), self.settings.disconnect_timeout,
                               "disconnect")
            except BleError as exc:
                self.log.warning("%s: could not disconnect %s: %s", self.role, self.address, exc)
            self._btid(False)
        self._task_generation += 1
        self._lose_ready()
        self.on_link_lost()
        self.address = address
        self.device_name = name
        self.link = BleLink(self.ctx, address, self.ble_role, self.settings.op_timeout)
        self.queue.reset()
        self.retry.reset()
        self.failed_tasks = 0
        self._publish_availability(force=True)
        return address

    def assign_by_scan(self, timeout: float | None = None) -> str:
        """``id: "scan"`` (C.13): if connected, keep the device; otherwise take the first
        device of this role that advertises, assign it and request capture."""
        if self.queue.connected is C:
            self.log.warning("%s: already connected to %s; not scanning", self.role, self.address)
            return self.address
        t = timeout or self.settings.scan_time
        found = self.link.wait(self.link.submit("scan", self.device_role, t, True), t + 1.0, "scan")
        if not found:
            return self.address
        self.set_address(found[0].address, found[0].name)
        self.request_capture()
        return self.address

    def replace_with(self, actor_class: type, **kwargs: Any) -> None:
        """Ask the supervisor to restart this role with ``actor_class`` (same role name, so
        subscribers keep receiving). Returns at once: the supervisor stops this actor."""
        sup = self.ctx.roles.get("supervisor")
        if sup is None:
            raise RuntimeError("no supervisor: cannot change the device class")
        args = dict(address=self.address, name=self.device_name, capture_on_start=True,
                    settings=self.settings, btid_directory=self.btid_directory, ble_role=self.ble_role)
        args.update(kwargs)
        self.log.info("%s: changing class %s -> %s", self.role, self.sender, actor_class.__name__)
        self._replacing = True
        sup.proxy().replace(self.role, actor_class, args)  # no .get(): the supervisor stops us

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(address=self.address, name=self.name, availability=self.availability(),
                   queue=str(self.queue), ready=self.ready, connects=self.connects,
                   link_losses=self.link_losses, failed_connect_tasks=self.failed_tasks)
        return out

    # -- hooks for subclasses -------------------------------------------------------------
    def initialise(self, info: ConnectInfo) -> None:
        """Device-specific set-up after a connect (blocking calls through ``self.link``)."""

    def on_notification(self, message: BleNotification) -> None:
        """A notification from this device."""

    def on_link_lost(self) -> None:
        """The link is gone: forget cached device state."""

    # -- message handling -----------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        if isinstance(event, BleNotification):
            if event.address.upper() == self.address.upper():
                self.on_notification(event)
        elif isinstance(event, _TaskDone):
            self._task_done(event)
        elif isinstance(event, BleDisconnected):
            if event.address.upper() == self.address.upper():
                self._link_lost(event.reason)
        elif isinstance(event, StateUpdate):
            self._follow_de1(event)

    def _start(self, op: Op | None) -> None:
        if op is None:
            return
        if op is X:
            if self._task is not None:
                self._task.cancel()
            return
        self._task_generation += 1
        generation = self._task_generation
        delay = 0.0
        try:
            if op is C:
                delay = max(self.retry.delay(self.ctx.clock()),
                            self.settings.backoff(self.failed_tasks) if self.failed_tasks else 0.0)
                if delay:
                    self.log.info("%s: next connect attempt to %s in %.1f s", self.role, self.address, delay)
                self._btid(True)
                future = self.link.connect_async(self.role, self.notify_uuids, delay,
                                                 owner_ref=self.actor_ref)
            else:
                future = self.link.disconnect_async()
        except BleUnavailableError as exc:
            # The Bluetooth actor is restarting: fail this task after a pause, so the queue
            # retries (with the usual backoff) instead of spinning.
            future = _failing_later(exc, max(delay, self.settings.backoff(self.failed_tasks + 1)))
        self._task = future
        me = self.actor_ref

        def done(f: concurrent.futures.Future) -> None:
            try:
                me.tell(_TaskDone(generation, op, f))
            except pykka.ActorDeadError:
                pass

        future.add_done_callback(done)

    def _task_done(self, msg: _TaskDone) -> None:
        if msg.generation != self._task_generation:
            return  # an abandoned task (address changed)
        self._task = None
        f = msg.future
        error = None if f.cancelled() else f.exception()
        link_up = msg.op is C and not f.cancelled() and error is None
        if msg.op is C and error is not None:
            self.failed_tasks += 1
            n = self.event_errors.record(f"connect:{type(error).__name__}", self.ctx.clock())
            if n is not None:
                self.log.warning("%s: %s", self.role, error)
        info = f.result() if link_up else None
        if link_up:
            self.failed_tasks = 0
            self.retry.reset()
            self.connects += 1
            if info.name and info.name != info.address:
                self.device_name = self.device_name or info.name
        op = self.queue.task_finished(link_up)
        if link_up and op is None:
            self._publish_availability()
            self._initialise(info)
        elif not link_up:
            self._btid(self.queue.target is C)
        self._publish_availability()
        self._start(op)
        self._publish_availability()

    def _initialise(self, info: ConnectInfo) -> None:
        self.log.info("%s: connected to %s (%s); initialising", self.role, self.address, self.name)
        try:
            self.initialise(info)
        except BleNotConnectedError as exc:
            self.log.warning("%s: link lost during initialisation: %s", self.role, exc)
            return  # BleDisconnected follows
        except Exception as exc:  # any failure: drop the link and let the queue reconnect
            self.log.error("%s: initialisation failed: %s: %s", self.role, type(exc).__name__, exc)
            self.failed_tasks += 1
            self.link.disconnect_async()
            self._link_lost("initialisation failed")
            return
        if self.queue.captured and not self._replacing:
            self.ready = True
            self.log.info("%s: %s is ready", self.role, self.name)
            self._publish_availability()

    def _link_lost(self, reason: str) -> None:
        if self.queue.connected is not C:
            return
        self.link_losses += 1
        if self.queue.target is C:
            self.log.warning("%s: lost %s (%s); reconnecting", self.role, self.name, reason)
        self._lose_ready()
        self.on_link_lost()
        op = self.queue.link_changed(False)
        self._btid(self.queue.target is C)
        self._publish_availability()
        self._start(op)
        self._publish_availability()

    def _lose_ready(self) -> None:
        if self.ready:
            self.ready = False
            self._emit(A.NOT_READY)

    def _follow_de1(self, ev: StateUpdate) -> None:
        if not self.address:
            return
        if (self.capture_on_wake and ev.previous_state == "Sleep" and ev.state != "Sleep"
                and not self.queue.captured):
            self.request_capture()
        elif self.release_on_sleep and ev.state == "Sleep" and self.queue.target is not R:
            self.request_release()

    # -- publishing -----------------------------------------------------------------------
    def _availability(self) -> A:
        return availability(self.queue, self.ready)

    def _publish_availability(self, force: bool = False) -> None:
        state = self._availability()
        if state is self._last_availability and not force:
            return
        self._emit(state)

    def _emit(self, state: A) -> None:
        self._last_availability = state
        now = self.ctx.clock()
        role = self.device_role
        self.ctx.bus.publish(DeviceAvailability(state=state, role=role, id=self.address, name=self.name,
                                                sender=self.sender, arrival_time=now))
        conn = connectivity(state, self.queue if state is not A.NOT_READY else None)
        if conn is ConnectivityState.UNKNOWN and self._last_connectivity is not None:
            conn = self._last_connectivity
        self._last_connectivity = conn
        self.ctx.bus.publish(ConnectivityChange(state=conn, id=self.address, name=self.name,
                                                sender=self.sender, arrival_time=now))

    def _btid(self, present: bool) -> None:
        if not self.btid_directory or not self.address or not btid_supported():
            return
        try:
            if present:
                write_btid(self.btid_directory, self.settings.id_file_suffix, self.address)
            else:
                remove_btid(self.btid_directory, self.settings.id_file_suffix, self.address)
        except (OSError, ValueError) as exc:
            if not self._btid_warned:
                self._btid_warned = True
                self.log.warning("%s: cannot maintain the .btid file: %s", self.role, exc)
