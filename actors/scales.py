"""The scale role: one actor at a time plays "scale", a generic one until the scale is known.

* :class:`ScaleActor` — the part every scale shares, over a pure codec (``pyde1.scales``):
  notifications → ScaleWeightUpdate (scale time = arrival − the codec's sensor lag),
  ScaleButtonPress, ScaleTareSeen (tare requests and tare-seen detection with
  ``pyde1.scale.TareTracker``; hold-at-tare follows AutoTareNotification), battery,
  heartbeats, and the commands tare / display / timer. Capture, release, reconnect and
  DeviceAvailability come from ``ManagedDeviceActor``.
* :class:`GenericScale` — plays the role while the scale is unknown. When the family is
  learnt (from an advertisement on assignment or scan, or from the name and services after
  connecting) it asks the supervisor to restart the role with the specific class
  (``actors.scale_families``), without waiting for it; a connected link is handed over, so
  the new class's full initialisation runs on the same connection.

Bad packets never stop the actor: they are counted per kind and logged once a minute.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from actors.base import tell_later
from actors.ble.capture import C
from actors.ble.messages import BleError, BleNotification, ConnectInfo
from actors.managed_device import ManagedDeviceActor
from pyde1.events import (AutoTareAction, AutoTareNotification, DeviceAvailabilityState, DeviceRole,
                          ScaleButtonPress, ScaleChange, ScaleTareSeen, ScaleWeightUpdate, StateUpdate)
from pyde1.scale.tare import TareOutcome, TareTracker
from pyde1.scales import (BatteryReading, ButtonReading, InfoReading, ScaleCodec, ScaleCommand,
                          ScaleCommandError, ScaleDecodeError, ScaleFamily, ScaleIdentity, TareAck,
                          WeightReading, codec_for, identify)

HANDSHAKE_WAIT = 2.0        # s to wait for the first weight after a handshake
HANDSHAKE_TRIES = 3


class ScaleError(BleError):
    """A scale command that cannot be carried out now."""


class ScaleNotReadyError(ScaleError):
    def __init__(self, doing: str, state: str) -> None:
        super().__init__(f"cannot {doing}: the scale is not ready ({state})")


@dataclass(frozen=True, slots=True)
class _Later:
    """A delayed message to self: a command's next write, or the heartbeat tick."""

    generation: int
    command: ScaleCommand | None = None   # None: heartbeat tick


class ScaleActor(ManagedDeviceActor):
    device_role = DeviceRole.SCALE
    release_on_sleep = True
    capture_on_wake = True
    subscribes = (StateUpdate, AutoTareNotification)
    notify_uuids = ()     # subscribed in initialise: the Acaia transport is known only then
    #: the family this class speaks; None for the generic scale
    FAMILY: ScaleFamily | None = None

    def __init__(self, ctx, role: str = "scale", simulate: Any = None,
                 heartbeat_period: float | None = None, **kwargs: Any) -> None:
        super().__init__(ctx, role, **kwargs)
        self.simulate = simulate
        self.heartbeat_period = heartbeat_period   # None: the codec's own
        self.codec: ScaleCodec | None = None
        self.tare_tracker = TareTracker()
        self.battery: int | None = None
        self.charging = False
        self.last_weight: tuple[float, float] | None = None   # (grams, arrival time)
        self.weights = 0
        self.bad_packets: Counter[str] = Counter()
        self.write_failures = 0
        self.display_on = True
        self._generation = 0
        self._timers: list[threading.Timer] = []
        self._hand_over = False
        #: whether this class may be assumed when a connected device does not say what it is
        #: (true for the address it was started with; false after an unknown address is set)
        self._assumed = True

    # -- naming: "<Class>: <BLE name>" (C.6) ------------------------------------------------
    @property
    def name(self) -> str:
        return f"{self.sender}: {self.device_name or '(unknown)'}"

    # -- lifecycle ------------------------------------------------------------------------
    def on_start(self) -> None:
        if self.simulate is not None:
            from actors.devices import ensure_simulated
            ensure_simulated(self.ctx, self.simulate, self.ble_role)
        super().on_start()
        if self.address and self.FAMILY is not None:
            self._scale_change()         # the class was adopted for this scale

    def on_stop(self) -> None:
        self._stop_timers()
        if self._hand_over and self.queue.connected is C:
            if self._task is not None:
                self._task.cancel()
            return                        # the next class takes the link over as it is
        super().on_stop()

    def on_failure(self, exception_type, exception_value, traceback) -> None:
        self._stop_timers()
        super().on_failure(exception_type, exception_value, traceback)

    def _stop_timers(self) -> None:
        self._generation += 1
        for timer in self._timers:
            timer.cancel()
        self._timers = []

    # -- public commands ------------------------------------------------------------------
    def tare(self) -> bool:
        """Tare now. False when dropped because the last tare was under 0.25 s ago."""
        self._require_ready("tare")
        return self._tare()

    def display(self, on: bool) -> bool:
        """Display on/off. False when the scale has no display control (a no-op, as pyDE1)."""
        self._require_ready("switch the display")
        try:
            commands = self.codec.display(bool(on))
        except ScaleCommandError:
            return False
        self.display_on = bool(on)
        self._send(commands)
        return True

    def timer(self, action: str) -> None:
        """The scale's own timer: "start", "stop" or "reset"."""
        self._require_ready("use the timer")
        try:
            self._send(self.codec.timer(action))
        except ScaleCommandError as exc:
            raise ScaleError(str(exc)) from None

    def set_hold_at_tare(self, on: bool) -> None:
        """Auto-tare: while on, every report away from zero asks for a tare (A.0.4 rule 3)."""
        self.tare_tracker.hold_at_tare = bool(on)

    def battery_level(self) -> int | None:
        return self.battery

    def scale_id(self) -> dict[str, str | None]:
        return {"id": self.address, "name": self.name}

    def set_address(self, address: str | None, name: str | None = None) -> str:
        """Assign (does not capture) or forget the address.

        Forgetting turns the role back into the generic scale. A new address keeps the
        class for now: the scale's class is settled when it connects (from its name and
        services) by handing the link to the right class. Changing the class here instead
        would race with the capture request an API client sends right after the address."""
        address = address or ""
        if not address and self.FAMILY is not None:
            self.replace_with(GenericScale, address="", name=None, capture_on_start=False,
                              **self._carried())
            return ""
        result = super().set_address(address, name)
        if result != "not changed":
            identity = identify(name) if name else None
            self._assumed = identity is not None and scale_class(identity) is type(self)
            self._scale_change()
        return result

    def assign_by_scan(self, timeout: float | None = None) -> str:
        if self.queue.connected is C:
            return super().assign_by_scan(timeout)
        t = timeout or self.settings.scan_time
        found = self.link.wait(self.link.submit("scan", self.device_role, t, True), t + 1.0, "scan")
        if not found:
            return self.address
        wanted = scale_class(identify(found[0].name))
        if wanted is not type(self):
            self.replace_with(wanted, address=found[0].address, name=found[0].name,
                              capture_on_start=True, **self._carried())
            return found[0].address
        self.set_address(found[0].address, found[0].name)
        self.request_capture()
        return self.address

    def _carried(self) -> dict[str, Any]:
        """Constructor arguments the next class of this role keeps."""
        return {"simulate": self.simulate, "heartbeat_period": self.heartbeat_period}

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(family=self.FAMILY.value if self.FAMILY else None, battery=self.battery,
                   weights=self.weights, bad_packets=dict(self.bad_packets),
                   write_failures=self.write_failures, hold_at_tare=self.tare_tracker.hold_at_tare,
                   last_weight=self.last_weight[0] if self.last_weight else None)
        return out

    # -- connect-time initialisation ------------------------------------------------------
    def initialise(self, info: ConnectInfo) -> None:
        if info.name and info.name != info.address:
            self.device_name = info.name
        identity = identify(self.device_name, info.services)
        self._scale_change()
        if identity is None and (self.FAMILY is None or not self._assumed):
            self._unsupported(info)
            return
        wanted = scale_class(identity) if identity is not None else type(self)
        if wanted is not type(self):
            # A.0.4 rule 5b, with the intent of quirk 6: the new class runs its own full
            # initialisation, on the link this actor hands over.
            self._hand_over = True
            self.replace_with(wanted, name=self.device_name, **self._carried())
            return
        self.codec = codec_for(identity or self.default_identity(info))
        self.codec.reset()
        layout = self.codec.layout()
        if info.services and layout.service not in {s.lower() for s in info.services}:
            raise ScaleError(f"{self.name} has no service {layout.service}; not the expected scale")
        self.link.start_notify(layout.notify)
        settle = getattr(self.codec, "notify_settle", None)
        if settle is not None:
            time.sleep(settle())
        self.handshake()
        if layout.battery_read:
            self._read_battery(layout.battery_read)
        self.display_on = True
        self._schedule_heartbeat()

    def default_identity(self, info: ConnectInfo) -> ScaleIdentity:
        """The identity to use when the name and services do not tell (this class's own)."""
        return ScaleIdentity(self.FAMILY, type(self).__name__)

    def handshake(self) -> None:
        """Write the codec's init commands (with their pauses). Families that only start
        weighing after a command override this to wait for the first weight."""
        self._write_blocking(self.codec.init_commands())

    def handshake_until_weight(self) -> None:
        """Send the init commands, the last one as an exchange that waits for a weight;
        retry a few times (an Acaia may ignore the first ident)."""
        commands = self.codec.init_commands()
        notify_uuid = self.codec.layout().notify[0]
        for attempt in range(1, HANDSHAKE_TRIES + 1):
            self._write_blocking(commands[:-1])
            last = commands[-1]
            try:
                self.link.exchange(last.uuid, last.data, notify_uuid, _weight_seen(type(self.codec), self.codec),
                                   timeout=HANDSHAKE_WAIT)
                return
            except BleError as exc:
                if attempt == HANDSHAKE_TRIES or self.queue.connected is not C:
                    raise ScaleError(f"{self.name} sent no weight after {attempt} handshake(s): {exc}") from exc
                self.log.info("%s: no weight yet after handshake %d; trying again", self.role, attempt)

    def _read_battery(self, uuid: str) -> None:
        try:
            self.battery = self.codec.decode_battery_read(self.link.read(uuid)).percent
        except (BleError, ScaleDecodeError) as exc:
            self.log.info("%s: battery level not read: %s", self.role, exc)

    def _unsupported(self, info: ConnectInfo) -> None:
        self.log.error("%s: %s (%s) is not a supported scale (services %s); releasing it",
                       self.role, info.name or "(unnamed)", info.address, ", ".join(info.services) or "unknown")
        self.request_release()

    def on_link_lost(self) -> None:
        self._stop_timers()
        if self.codec is not None:
            self.codec.reset()
        self.last_weight = None

    # -- notifications --------------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        if isinstance(event, _Later):
            self._on_later(event)
        elif isinstance(event, _WriteFailed):
            self._write_failed(event.command, event.error)
        elif isinstance(event, AutoTareNotification):
            self.set_hold_at_tare(event.action is AutoTareAction.ENABLED)
        else:
            super().on_event(event)

    def on_notification(self, msg: BleNotification) -> None:
        if self.codec is None:
            return
        try:
            readings = self.codec.decode(msg.uuid, msg.data)
        except ScaleDecodeError as exc:
            readings = list(exc.readings)
            self._bad_packet(exc)
        for reading in readings:
            if isinstance(reading, WeightReading):
                self._on_weight(reading.grams, msg.arrival_time)
            elif isinstance(reading, ButtonReading):
                self._on_button(reading, msg.arrival_time)
            elif isinstance(reading, BatteryReading):
                self.battery, self.charging = reading.percent, reading.charging
            elif isinstance(reading, InfoReading):
                n = self.event_errors.record(f"info:{reading.kind}", self.ctx.clock())
                if n is not None:
                    self.log.info("%s: %s message %s", self.role, reading.kind, reading.detail)
            elif isinstance(reading, TareAck):
                self.log.debug("%s: tare acknowledged", self.role)

    def _on_weight(self, grams: float, arrival: float) -> None:
        self.weights += 1
        self.last_weight = (grams, arrival)
        self.ctx.bus.publish(ScaleWeightUpdate(weight=grams, scale_time=arrival - self.codec.SENSOR_LAG,
                                               arrival_time=arrival, sender=self.sender))
        outcome = self.tare_tracker.observe(arrival, grams)
        if outcome is TareOutcome.SEEN:
            self.ctx.bus.publish(ScaleTareSeen(arrival_time=arrival, sender=self.sender))
        elif outcome is TareOutcome.TIMED_OUT:
            self.log.error("%s: tare not seen within %.1f s (reading %.2f g)", self.role,
                           self.tare_tracker.timeout, grams)
        if self.tare_tracker.wants_tare(grams):
            self._tare()

    def _on_button(self, reading: ButtonReading, arrival: float) -> None:
        self.ctx.bus.publish(ScaleButtonPress(button=reading.button, arrival_time=arrival, sender=self.sender))
        if self.tares_on_button(reading):
            self._tare()

    def tares_on_button(self, reading: ButtonReading) -> bool:
        """Whether a button press should make us send a tare (Skale button 1 does)."""
        return False

    def _bad_packet(self, exc: ScaleDecodeError) -> None:
        kind = f"{exc.what}"
        self.bad_packets[kind] += 1
        n = self.event_errors.record(f"bad packet:{kind}", self.ctx.clock())
        if n is not None:
            self.log.warning("%s: dropped a bad packet: %s [%d since last report]", self.role, exc, n)

    # -- writing --------------------------------------------------------------------------
    def _require_ready(self, doing: str) -> None:
        if not self.ready or self.codec is None:
            raise ScaleNotReadyError(doing, self.availability())

    def _tare(self) -> bool:
        if self.codec is None or not self.tare_tracker.request(self.ctx.clock()):
            return False
        self._send(self.codec.tare())
        return True

    def _write_blocking(self, commands: list[ScaleCommand]) -> None:
        for cmd in commands:
            self.link.write(cmd.uuid, cmd.data, response=cmd.response)
            if cmd.pause:
                time.sleep(cmd.pause)

    def _send(self, commands: list[ScaleCommand]) -> None:
        """Write without waiting: the first now, each later one after the previous pause."""
        delay = 0.0
        for cmd in commands:
            if delay <= 0:
                self._write_async(cmd)
            else:
                self._later(delay, _Later(self._generation, cmd))
            delay += cmd.pause

    def _write_async(self, cmd: ScaleCommand) -> None:
        try:
            future = self.link.submit("write", self.address, cmd.uuid, cmd.data, cmd.response,
                                      self.settings.op_timeout)
        except BleError as exc:
            self._write_failed(cmd, exc)
            return
        me = self.actor_ref

        def done(f: concurrent.futures.Future) -> None:
            if not f.cancelled() and f.exception() is not None:
                try:
                    me.tell(_WriteFailed(cmd, f.exception()))
                except Exception:  # stopped meanwhile: nothing to report to
                    pass

        future.add_done_callback(done)

    def _write_failed(self, cmd: ScaleCommand, exc: BaseException) -> None:
        self.write_failures += 1
        n = self.event_errors.record(f"write:{type(exc).__name__}", self.ctx.clock())
        if n is not None:
            self.log.warning("%s: write %s failed: %s", self.role, cmd.data.hex(), exc)

    def _later(self, delay: float, message: Any) -> None:
        self._timers = [t for t in self._timers if t.is_alive()] + [
            tell_later(self.actor_ref, delay, message)]

    def _schedule_heartbeat(self) -> None:
        period = self.heartbeat_period or (self.codec.HEARTBEAT_PERIOD if self.codec else None)
        if period:
            self._later(period, _Later(self._generation))

    def _on_later(self, msg: _Later) -> None:
        if msg.generation != self._generation or self.queue.connected is not C:
            return
        if msg.command is not None:
            self._write_async(msg.command)
            return
        if self.ready and self.codec is not None:
            self._send(self.codec.heartbeat())
        self._schedule_heartbeat()

    # -- events ---------------------------------------------------------------------------
    def _scale_change(self) -> None:
        state = self.availability()
        self.ctx.bus.publish(ScaleChange(state=DeviceAvailabilityState(state), role=DeviceRole.SCALE,
                                         id=self.address, name=self.name, sender=self.sender,
                                         arrival_time=self.ctx.clock()))


@dataclass(frozen=True, slots=True)
class _WriteFailed:
    command: ScaleCommand
    error: BaseException


def _weight_seen(codec_class: type, like: ScaleCodec):
    """A collector for BleLink.exchange: done once the packets decode to a weight. Runs in
    the Bluetooth loop, so it decodes with a codec of its own."""
    codec = codec_class(like.transport) if hasattr(like, "transport") else codec_class()
    uuid = like.layout().notify[0]

    def done(packets: list[bytes]) -> bool:
        try:
            readings = codec.decode(uuid, packets[-1])
        except ScaleDecodeError as exc:
            readings = list(exc.readings)
        return any(isinstance(r, WeightReading) for r in readings)

    return done


class GenericScale(ScaleActor):
    """The scale role before the scale is known: connects, learns the name, hands over.
    A device it cannot identify is released (it could not be read anyway)."""


def scale_class(identity: ScaleIdentity | None) -> type[ScaleActor]:
    """The actor class for an identified scale (GenericScale when unknown)."""
    if identity is None:
        return GenericScale
    from actors.scale_families import class_for
    return class_for(identity)
