"""The thermometer role: a ThermoWorks BlueDOT (devices-and-sequencing.md B.1, C.10).

Every update with a probe plugged in becomes a BlueDOTUpdate on the bus (temperature and
high alarm in the BlueDOT's own units, which the user sets on the device). The report rate
follows the DE1: fast (1 s) while steaming, ``steam.IDLE_SECONDS_PER_SAMPLE`` otherwise, and
slow (60 s) just before the thermometer is released when the DE1 goes to sleep. After
connecting it waits up to 2.5 s for the first report and "beeps" (sets the high alarm to
freezing for a second) so the user sees it connected.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from actors.base import tell_later
from actors.ble.capture import C, R
from actors.ble.messages import BleError, BleNotification, ConnectInfo
from actors.ble.settings import cfg
from actors.managed_device import ManagedDeviceActor
from pyde1 import bluedot
from pyde1.bluedot import BlueDOTError, BlueDOTReport
from pyde1.events import BlueDOTUpdate, DeviceRole, StateUpdate

FIRST_REPORT_WAIT = 2.5
BEEP_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class _RestoreAlarm:
    generation: int
    value: int


class BlueDOT(ManagedDeviceActor):
    device_role = DeviceRole.THERMOMETER
    subscribes = (StateUpdate,)
    notify_uuids = ()          # subscribed in initialise, before the first interval write

    def __init__(self, ctx, role: str = "thermometer", simulate: Any = None,
                 idle_interval: float | None = None, **kwargs: Any) -> None:
        super().__init__(ctx, role, **kwargs)
        self.simulate = simulate
        self.idle_interval = int(idle_interval or cfg(ctx.config, "steam", "IDLE_SECONDS_PER_SAMPLE", 10))
        self.last_report: BlueDOTReport | None = None
        self.de1_state: str | None = None
        self.interval: int | None = None
        self.reports = 0
        self.bad_packets: Counter[str] = Counter()
        self._generation = 0
        self._timers: list[threading.Timer] = []

    # -- lifecycle ------------------------------------------------------------------------
    def on_start(self) -> None:
        if self.simulate is not None:
            from actors.devices import ensure_simulated
            ensure_simulated(self.ctx, self.simulate, self.ble_role)
        super().on_start()

    def on_stop(self) -> None:
        self._cancel_timers()
        super().on_stop()

    def _cancel_timers(self) -> None:
        self._generation += 1
        for t in self._timers:
            t.cancel()
        self._timers = []

    def initialise(self, info: ConnectInfo) -> None:
        self.last_report = None
        if info.name and info.name != info.address:
            self.device_name = info.name
        self.link.start_notify([bluedot.UPDATES])
        first = None
        try:
            packets = self.link.exchange(bluedot.INTERVAL, bluedot.encode_interval(bluedot.FAST_INTERVAL),
                                         bluedot.UPDATES, lambda p: len(p) >= 1, timeout=FIRST_REPORT_WAIT)
            first = bluedot.decode_update(packets[0])
        except (BleError, BlueDOTError) as exc:
            self.log.warning("%s: no first report within %.1f s (%s); skipping the connection beep",
                             self.role, FIRST_REPORT_WAIT, exc)
        self.interval = bluedot.FAST_INTERVAL
        if first is not None:
            self._beep(first)
        if self.de1_state != "Steam":
            self._set_interval(self.idle_interval)

    def _beep(self, first: BlueDOTReport) -> None:
        """Show freezing as the alarm for a second, then put the user's alarm back."""
        self.link.write(bluedot.HIGH_ALARM, bluedot.encode_high_alarm(bluedot.freezing(first.units)),
                        response=False)
        timer = tell_later(self.actor_ref, BEEP_SECONDS, _RestoreAlarm(self._generation, first.high_alarm))
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]

    def on_link_lost(self) -> None:
        self._cancel_timers()
        self.interval = None

    # -- public commands ------------------------------------------------------------------
    def request_release(self) -> str:
        if self.ready:
            self._set_interval(bluedot.SLOW_INTERVAL)    # quiet while released (B.1 release)
        return super().request_release()

    def set_interval(self, seconds: float) -> None:
        """Seconds between reports (the sequencer may ask; the rate also follows the DE1)."""
        data = bluedot.encode_interval(seconds)          # BlueDOTError (a ValueError) if out of range
        if self.ready:
            self._set_interval(data[0])

    def set_high_alarm(self, degrees: float) -> None:
        """The high alarm (the steam-to-temperature target) in the BlueDOT's units."""
        if not self.ready:
            raise BleError(f"cannot set the high alarm: the thermometer is not ready ({self.availability()})")
        try:
            data = bluedot.encode_high_alarm(degrees)
        except BlueDOTError as exc:
            raise ValueError(str(exc)) from None
        self.link.write(bluedot.HIGH_ALARM, data, response=False)

    def health(self) -> dict[str, Any]:
        out = super().health()
        r = self.last_report
        out.update(reports=self.reports, interval=self.interval, bad_packets=dict(self.bad_packets),
                   temperature=r.temperature if r else None, units=r.units.value if r else None,
                   probe_connected=r.probe_connected if r else None)
        return out

    # -- messages -------------------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        if isinstance(event, _RestoreAlarm):
            if event.generation == self._generation and self.queue.connected is C:
                self._write_quietly(bluedot.HIGH_ALARM, bluedot.encode_high_alarm(event.value))
        else:
            super().on_event(event)

    def on_notification(self, msg: BleNotification) -> None:
        if msg.uuid != bluedot.UPDATES:
            return
        try:
            report = bluedot.decode_update(msg.data)
        except BlueDOTError as exc:
            self.bad_packets["update"] += 1
            n = self.event_errors.record("bad update", self.ctx.clock())
            if n is not None:
                self.log.warning("%s: dropped a bad update: %s [%d since last report]", self.role, exc, n)
            return
        self.last_report = report
        self.reports += 1
        if not report.probe_connected:
            n = self.event_errors.record("no probe", self.ctx.clock())
            if n is not None:
                self.log.warning("%s: no probe plugged into %s", self.role, self.name)
            return     # not a reading: steam-to-temperature must not see it (B.1)
        self.ctx.bus.publish(BlueDOTUpdate(temperature=report.temperature, high_alarm=report.high_alarm,
                                           units=report.units, alarm_byte=report.alarm_hex,
                                           name=self.device_name or self.name, arrival_time=msg.arrival_time))

    def _follow_de1(self, ev: StateUpdate) -> None:
        """C.10 for the thermometer: release (slowly) when the DE1 sleeps, capture otherwise;
        report fast while it steams."""
        was, self.de1_state = self.de1_state, ev.state
        if not self.address:
            return
        if ev.state == "Sleep":
            if self.queue.target is not R:
                self.request_release()
            return
        if not self.ready:
            if self.queue.target is not C:
                self.request_capture()
            return
        if ev.state == "Steam" and was != "Steam":
            self._set_interval(bluedot.FAST_INTERVAL)
        elif ev.state != "Steam" and was == "Steam":
            self._set_interval(self.idle_interval)

    def _set_interval(self, seconds: int) -> None:
        if self.interval != seconds and self._write_quietly(bluedot.INTERVAL, bluedot.encode_interval(seconds)):
            self.interval = seconds

    def _write_quietly(self, uuid: str, data: bytes) -> bool:
        try:
            self.link.write(uuid, data, response=False)
            return True
        except BleError as exc:
            self.log.warning("%s: write to %s failed: %s", self.role, uuid, exc)
            return False
