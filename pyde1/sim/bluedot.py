"""A simulated ThermoWorks BlueDOT with its probe in a milk pitcher.

The pitcher warms while the machine steams (``steaming`` hook, wired to the DE1 model) at a
rate that falls as the milk approaches the steam's limit, and cools slowly towards the room
otherwise; each new steaming session after a pause starts with a fresh, cold pitcher. The
BlueDOT reports every ``interval`` seconds (the value written to its Interval
characteristic) in whole degrees of its display units, with the high alarm, the alarm byte
and its own address, exactly as ``pyde1.bluedot`` decodes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pyde1.bluedot import (HIGH_ALARM, INTERVAL, LOW_ALARM, SERVICE, UNITS, UPDATES, BlueDOTError,
                           decode_one_byte, encode_update)
from pyde1.events import TemperatureUnit
from pyde1.sim.peripheral import GattCharacteristicSpec, GattError, GattServiceSpec, SimPeripheral

FRIDGE_C, ROOM_C = 5.0, 21.0
STEAM_LIMIT_C = 95.0          # milk never gets hotter than this under the wand
STEAM_RATE = 0.045            # 1/s: ~1.8 °C/s from the fridge, slowing near the limit
COOLING_TAU = 900.0           # s
NEW_PITCHER_AFTER = 30.0      # s without steam: the next session is a new, cold pitcher


def _to_units(celsius: float, units: TemperatureUnit) -> float:
    return celsius * 9 / 5 + 32 if units is TemperatureUnit.FAHRENHEIT else celsius


class SimBlueDOT(SimPeripheral):
    def __init__(self, name: str = "BlueDOT", address: str = "B1:0E:D0:00:00:01", seed: int = 0,
                 steaming: Callable[[], bool] | None = None, units: TemperatureUnit = TemperatureUnit.CELSIUS,
                 high_alarm: int | None = None, interval: int = 1, milk_c: float = FRIDGE_C) -> None:
        super().__init__(name=name, address=address, seed=seed, tick=0.05)
        self.steaming = steaming or (lambda: False)
        self.units = units
        self.high_alarm = high_alarm if high_alarm is not None else round(_to_units(65.0, units))
        self.low_alarm = 0
        self.interval = interval
        self.milk_c = milk_c
        self.probe_connected = True
        self.alarm_disabled = False
        self.alarm_silenced = False
        self.connected = False
        self.reports = 0
        self.writes: list[tuple[float, str, bytes]] = []
        self._next_report = float(interval)
        self._since_steam = 0.0

    # -- GATT -----------------------------------------------------------------------------
    def services(self) -> tuple[GattServiceSpec, ...]:
        def char(uuid: str, *props: str) -> GattCharacteristicSpec:
            return GattCharacteristicSpec(uuid, tuple(props))

        return (GattServiceSpec(SERVICE, (char(UPDATES, "notify"), char(INTERVAL, "read", "write"),
                                          char(HIGH_ALARM, "read", "write"),
                                          char(LOW_ALARM, "read", "write"), char(UNITS, "read"))),)

    def read(self, uuid: str) -> bytes:
        values = {INTERVAL: self.interval, HIGH_ALARM: self.high_alarm, LOW_ALARM: self.low_alarm,
                  UNITS: 1 if self.units is TemperatureUnit.FAHRENHEIT else 0}
        if uuid not in values:
            raise GattError(f"{uuid} is not readable")
        return bytes([values[uuid] & 0xFF])

    def write(self, uuid: str, data: bytes) -> None:
        self.writes.append((self.sim_time, uuid, bytes(data)))
        try:
            value = decode_one_byte(bytes(data), "write")
        except BlueDOTError as exc:
            raise GattError(str(exc)) from None
        if uuid == INTERVAL:
            self.interval = max(1, value)
            self._next_report = min(self._next_report, self.sim_time + self.interval)
        elif uuid == HIGH_ALARM:
            self.high_alarm = value
        elif uuid == LOW_ALARM:
            self.low_alarm = value
        else:
            raise GattError(f"{uuid} is not writable")

    # -- physics and reports --------------------------------------------------------------
    def advance(self, dt: float) -> None:
        super().advance(dt)
        if self.steaming():
            if self._since_steam > NEW_PITCHER_AFTER:
                self.milk_c = FRIDGE_C
            self._since_steam = 0.0
            self.milk_c += (STEAM_LIMIT_C - self.milk_c) * (1 - math.exp(-STEAM_RATE * dt))
        else:
            self._since_steam += dt
            self.milk_c += (ROOM_C - self.milk_c) * (1 - math.exp(-dt / COOLING_TAU))
        if self.sim_time >= self._next_report:
            self._next_report = self.sim_time + self.interval
            if self.connected:
                self.notify(UPDATES, self.update())

    def temperature(self) -> int:
        """The probe reading in display units, whole degrees (with a little sensor noise)."""
        return round(_to_units(self.milk_c + self.rng.gauss(0.0, 0.15), self.units))

    def update(self) -> bytes:
        self.reports += 1
        temp = self.temperature()
        sounding = self.probe_connected and not self.alarm_disabled and temp >= self.high_alarm
        return encode_update(temp if self.probe_connected else 0, self.high_alarm, self.units,
                             self.address, self.probe_connected, sounding, self.alarm_silenced,
                             self.alarm_disabled)

    def on_connect(self) -> None:
        self.connected = True

    def on_disconnect(self) -> None:
        self.connected = False
