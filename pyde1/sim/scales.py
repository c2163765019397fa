"""Simulated Bluetooth scales: the physics of a cup on a load cell, and each family's bytes.

What lands on the pan comes from a *mass source*, a callable giving the cumulative mass (g)
that has left the machine (the simulator wires the DE1 model's ``cup_ml`` in). The scale
model adds what real scales add on the way to the app:

* transit from spout to cup (a short first-order lag) — with the DE1's own pressure decay
  this gives the post-stop drip;
* the scale's sensor lag (a pure delay of the load), noise that grows with the stream hitting
  the cup (a still pan is quiet), and the display resolution;
* its own report clock (period with jitter; the Skale's bursts on a 150 ms clock);
* tare after a short delay; display and timer commands; buttons; battery;
* faults, scheduled in simulated time: a spike, a frozen reading, a bump on the cup, a late
  tare, a dropped link.

Everything runs in simulated seconds and draws randomness from the model's seeded RNG.
Each subclass speaks one family's protocol using the encoders of ``pyde1.scales``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pyde1.scales import acaia, bookoo, decent, felicita, skale
from pyde1.scales.base import ScaleFamily
from pyde1.sim.peripheral import GattCharacteristicSpec, GattError, GattServiceSpec, SimPeripheral

MassSource = Callable[[], float]
SUBSTEP = 0.01        # s of physics per step
HISTORY_S = 3.0       # load history kept for the sensor lag


@dataclass
class ScaleBehaviour:
    """Physical and timing parameters of one simulated scale (defaults from the shot corpus:
    pour noise 0.05-0.12 g, still pan ~0.02 g, post-stop drip 0.6-0.8 s of flow)."""

    period: float = 0.1               # s between weight samples
    jitter: float = 0.15              # fraction of the period, uniform +-
    miss_probability: float = 0.02    # a sample that is never sent
    sensor_lag: float = 0.2           # s from load to report
    transit_tau: float = 0.03         # s, spout to cup
    noise_still: float = 0.015        # g (sigma) on a still pan
    noise_per_flow: float = 0.03      # g (sigma) per g/s landing in the cup
    resolution: float = 0.1           # g
    tare_delay: float = 0.15          # s from the command to a zeroed reading
    burst_clock: float | None = None  # s; reports are delivered in bursts on this clock
    hiccup_probability: float = 0.0   # a burst tick that delivers nothing (a 2x gap)
    battery: int = 80                 # percent


@dataclass
class _Fault:
    kind: str
    at: float
    value: float = 0.0
    duration: float = 0.0


@dataclass
class ScaleLog:
    """What the model did, for tests: commands understood, tares applied, faults fired."""

    commands: list[tuple[float, str]] = field(default_factory=list)
    tares: list[float] = field(default_factory=list)
    faults: list[tuple[float, str]] = field(default_factory=list)
    samples: int = 0
    sent: int = 0


class SimScale(SimPeripheral):
    FAMILY: ScaleFamily
    DEFAULT_NAME = "scale"
    streams_without_handshake = True

    def __init__(self, name: str | None = None, address: str = "5C:A1:E5:00:00:01", seed: int = 0,
                 mass_source: MassSource | None = None, behaviour: ScaleBehaviour | None = None,
                 cup_grams: float = 0.0, advertised_services: tuple[str, ...] = ()) -> None:
        super().__init__(name=name or self.DEFAULT_NAME, address=address, seed=seed,
                         advertised_services=advertised_services, tick=0.05)
        self.b = behaviour or self.default_behaviour()
        self.mass_source = mass_source or (lambda: 0.0)
        self.cup_grams = cup_grams            # the empty cup (and anything else on the pan)
        self.offset = cup_grams               # tared with the cup on it
        self.in_cup = 0.0                     # beverage that has landed
        self._source_last = 0.0
        self._source_last = self._source()
        self._history: deque[tuple[float, float, float]] = deque()   # (t, load, in cup)
        self._next_sample = self.b.period
        self._next_burst = self.b.burst_clock or 0.0
        self._pending: list[tuple[str, bytes]] = []
        self._faults: list[_Fault] = []
        self._tare_at: float | None = None
        self._late_tare: float | None = None
        self._frozen: float | None = None
        self._last_reading = 0.0
        self.connected = False
        self.streaming = self.streams_without_handshake
        self.display_on = True
        self.timer_running = False
        self.battery = self.b.battery
        self.drop_requested = False
        self.log = ScaleLog()
        self._record(0.0)

    # -- things to override -------------------------------------------------------------
    def default_behaviour(self) -> ScaleBehaviour:
        return ScaleBehaviour()

    def encode_weight(self, grams: float, stable: bool) -> list[tuple[str, bytes]]:
        raise NotImplementedError

    def button_notification(self, button: int) -> list[tuple[str, bytes]]:
        return []

    # -- physics --------------------------------------------------------------------------
    def _source(self) -> float:
        try:
            return float(self.mass_source())
        except Exception:  # a broken hook must not stop the air; a real scale reads nothing new
            return self._source_last

    def load(self) -> float:
        """What is on the pan now (cup + beverage + any bump)."""
        return self.cup_grams + self.in_cup + self._bump_now()

    def _bump_now(self) -> float:
        total = 0.0
        for f in self._faults:
            if f.kind == "bump" and f.at <= self.sim_time < f.at + f.duration:
                total += f.value * math.sin(math.pi * (self.sim_time - f.at) / f.duration)
        return total

    def _record(self, load: float) -> None:
        self._history.append((self.sim_time, load, self.in_cup))
        while self._history and self._history[0][0] < self.sim_time - HISTORY_S:
            self._history.popleft()

    def load_at(self, t: float, column: int = 1) -> float:
        """The pan's load (column 2: the beverage in the cup) at simulated time ``t``, linear
        between recorded steps."""
        h = self._history
        if not h:
            return self.load() if column == 1 else self.in_cup
        if t <= h[0][0]:
            return h[0][column]
        prev = h[0]
        for item in h:
            if item[0] >= t:
                span = item[0] - prev[0]
                if span <= 0:
                    return item[column]
                return prev[column] + (item[column] - prev[column]) * (t - prev[0]) / span
            prev = item
        return h[-1][column]

    def seen_load(self) -> float:
        """The load as the scale's electronics see it now (sensor lag applied)."""
        return self.load_at(self.sim_time - self.b.sensor_lag)

    def displayed_weight(self) -> float:
        """The noiseless reading the scale would report now."""
        return self.seen_load() - self.offset

    def inflow(self) -> float:
        """g/s landing in the cup around the time the scale is looking at."""
        t = self.sim_time - self.b.sensor_lag
        return max(0.0, (self.load_at(t, 2) - self.load_at(t - 0.1, 2)) / 0.1)

    def advance(self, dt: float) -> None:
        end = self.sim_time + dt
        source_start, source_end = self._source_last, self._source()
        if source_end < source_start - 0.5:
            self.in_cup = 0.0              # the machine started over: a fresh, empty cup
            source_start = source_end
        self._source_last = source_end
        start = self.sim_time
        while self.sim_time < end - 1e-12:
            step = min(SUBSTEP, end - self.sim_time)
            self.sim_time += step
            frac = (self.sim_time - start) / dt if dt > 0 else 1.0
            poured = source_start + (source_end - source_start) * frac
            self.in_cup += (poured - self.in_cup) * (1 - math.exp(-step / max(self.b.transit_tau, 1e-6)))
            self._record(self.load())
            self._step_events()
        self._faults = [f for f in self._faults if f.at + f.duration >= self.sim_time - 1.0]

    def _step_events(self) -> None:
        now = self.sim_time
        if self._tare_at is not None and now >= self._tare_at:
            self._tare_at = None
            self.offset = self.seen_load()
            self.log.tares.append(now)
        for f in self._faults:
            if f.kind == "drop" and f.at <= now and not f.duration:
                f.duration = 1e-9     # fired (a drop due while disconnected is moot)
                self.drop_requested = self.connected
                self.log.faults.append((now, "drop"))
        if self.connected:
            self.on_tick(now)
        if now >= self._next_sample:
            b = self.b
            self._next_sample += b.period * (1 + self.rng.uniform(-b.jitter, b.jitter))
            self._sample()
        if self.b.burst_clock and now >= self._next_burst:
            self._next_burst += self.b.burst_clock
            if self._pending and self.rng.random() >= self.b.hiccup_probability:
                for uuid, data in self._pending:
                    self.notify(uuid, data)
                self._pending = []

    def on_tick(self, now: float) -> None:
        """Per-step protocol housekeeping while connected (heartbeat timeouts)."""

    def _sample(self) -> None:
        self.log.samples += 1
        if not (self.connected and self.streaming):
            return
        if self.rng.random() < self.b.miss_probability:
            return
        b = self.b
        sigma = b.noise_still + b.noise_per_flow * self.inflow()
        value = self.displayed_weight() + self.rng.gauss(0.0, sigma)
        now = self.sim_time
        for f in self._faults:
            if f.kind == "freeze" and f.at <= now < f.at + f.duration:
                if self._frozen is None:
                    self._frozen = self._last_reading
                    self.log.faults.append((now, "freeze"))
                value = self._frozen
                break
        else:
            self._frozen = None
        stable = self.inflow() < 0.05
        for f in self._faults:
            if f.kind == "spike" and f.at <= now and not f.duration:
                f.duration = 1e-9
                value += f.value
                stable = False
                self.log.faults.append((now, "spike"))
        reading = round(value / b.resolution) * b.resolution
        if self._frozen is None:
            self._last_reading = reading
        self._send_weight(reading, stable)

    def _send_weight(self, grams: float, stable: bool) -> None:
        self.log.sent += 1
        for uuid, data in self.encode_weight(grams, stable):
            if self.b.burst_clock:
                self._pending.append((uuid, data))
            else:
                self.notify(uuid, data)

    # -- actions the scale takes on commands ----------------------------------------------
    def request_tare(self) -> None:
        delay = self.b.tare_delay
        if self._late_tare is not None:
            delay, self._late_tare = self._late_tare, None
        self._tare_at = self.sim_time + delay

    def _command(self, what: str) -> None:
        self.log.commands.append((self.sim_time, what))

    def press_button(self, button: int = 1) -> None:
        """A finger on one of the scale's buttons."""
        for uuid, data in self.button_notification(button):
            self.notify(uuid, data)

    # -- scripting (tests, scenarios) -------------------------------------------------------
    def place(self, grams: float) -> None:
        """Put something on the pan (a cup: 180) or take it off (negative)."""
        self.cup_grams += grams

    def spike(self, grams: float, after: float = 0.0) -> None:
        self._faults.append(_Fault("spike", self.sim_time + after, grams))

    def freeze(self, duration: float, after: float = 0.0) -> None:
        self._faults.append(_Fault("freeze", self.sim_time + after, 0.0, duration))

    def bump(self, grams: float = 15.0, duration: float = 0.4, after: float = 0.0) -> None:
        self._faults.append(_Fault("bump", self.sim_time + after, grams, duration))

    def late_tare(self, delay: float = 1.5) -> None:
        self._late_tare = delay

    def drop_link(self, after: float = 0.0) -> None:
        self._faults.append(_Fault("drop", self.sim_time + after))

    def take_drop_request(self) -> bool:
        """True once after a scheduled drop fell due (the registry then drops the link)."""
        due, self.drop_requested = self.drop_requested, False
        return due

    # -- link -----------------------------------------------------------------------------
    def on_connect(self) -> None:
        self.connected = True
        self.streaming = self.streams_without_handshake
        self.drop_requested = False
        self._pending = []

    def on_disconnect(self) -> None:
        self.connected = False
        self.streaming = self.streams_without_handshake
        self._pending = []


# -- the families -------------------------------------------------------------------------------

def _char(uuid: str, *props: str) -> GattCharacteristicSpec:
    return GattCharacteristicSpec(uuid, tuple(props))


class SimSkale(SimScale):
    FAMILY = ScaleFamily.SKALE
    DEFAULT_NAME = "Skale"

    def default_behaviour(self) -> ScaleBehaviour:
        # 10 Hz samples delivered in bursts on a 150 ms clock, with 300 ms hiccups.
        return ScaleBehaviour(period=0.1, jitter=0.05, miss_probability=0.0, sensor_lag=0.15,
                              resolution=0.1, burst_clock=0.15, hiccup_probability=0.08)

    def services(self) -> tuple[GattServiceSpec, ...]:
        return (GattServiceSpec(skale.SERVICE, (_char(skale.COMMAND, "write", "write-without-response"),
                                                _char(skale.WEIGHT, "notify"),
                                                _char(skale.BUTTONS, "notify"))),
                GattServiceSpec(skale.BATTERY_SERVICE, (_char(skale.BATTERY_LEVEL, "read"),)))

    def read(self, uuid: str) -> bytes:
        if uuid == skale.BATTERY_LEVEL:
            return bytes([self.battery])
        raise GattError(f"{uuid} is not readable")

    def write(self, uuid: str, data: bytes) -> None:
        if uuid != skale.COMMAND:
            raise GattError(f"{uuid} is not writable")
        for byte in data[:1]:
            if byte == skale.TARE:
                self._command("tare")
                self.request_tare()
            elif byte in (skale.DISPLAY_ON, skale.DISPLAY_OFF):
                self.display_on = byte == skale.DISPLAY_ON
                self._command("display on" if self.display_on else "display off")
            elif byte in (skale.SHOW_WEIGHT, skale.UNITS_GRAMS, skale.UNITS_OUNCES):
                self._command(f"setting {byte:02x}")
            elif byte in skale.TIMER.values():
                self.timer_running = byte == skale.TIMER["start"]
                self._command(f"timer {byte:02x}")

    def encode_weight(self, grams: float, stable: bool) -> list[tuple[str, bytes]]:
        return [(skale.WEIGHT, skale.encode_weight(grams))]

    def button_notification(self, button: int) -> list[tuple[str, bytes]]:
        return [(skale.BUTTONS, bytes([button]))]


class SimAcaia(SimScale):
    FAMILY = ScaleFamily.ACAIA
    DEFAULT_NAME = "LUNAR-123456"
    streams_without_handshake = False

    def __init__(self, name: str | None = None, transport: acaia.AcaiaTransport | None = None,
                 **kwargs) -> None:
        self.transport = transport or acaia.transport_for(name or self.DEFAULT_NAME)
        self._buffer = b""
        super().__init__(name=name, **kwargs)
        self.identified = False
        self.heartbeats = 0

    def default_behaviour(self) -> ScaleBehaviour:
        ips = self.transport is acaia.AcaiaTransport.IPS
        return ScaleBehaviour(period=0.09 if ips else 0.12, jitter=0.2, miss_probability=0.05,
                              sensor_lag=0.2, resolution=0.01 if ips else 0.1)

    @property
    def notify_uuid(self) -> str:
        return acaia.IPS_CHAR if self.transport is acaia.AcaiaTransport.IPS else acaia.PYXIS_NOTIFY

    def services(self) -> tuple[GattServiceSpec, ...]:
        if self.transport is acaia.AcaiaTransport.IPS:
            return (GattServiceSpec(acaia.IPS_SERVICE, (_char(acaia.IPS_CHAR, "write-without-response",
                                                              "notify"),)),)
        return (GattServiceSpec(acaia.PYXIS_SERVICE, (
            _char(acaia.PYXIS_NOTIFY, "write", "notify"),
            _char(acaia.PYXIS_WRITE, "write", "write-without-response"))),)

    def write(self, uuid: str, data: bytes) -> None:
        writable = acaia.IPS_CHAR if self.transport is acaia.AcaiaTransport.IPS else acaia.PYXIS_WRITE
        if uuid != writable:
            raise GattError(f"{uuid} is not the command characteristic")
        self._buffer = (self._buffer + bytes(data))[-256:]
        while True:
            start = self._buffer.find(acaia.HEADER)
            if start < 0 or len(self._buffer) < start + 3:
                break
            self._buffer = self._buffer[start:]
            kind = self._buffer[2]
            size = {acaia.T_IDENT: 20, acaia.T_SYSTEM: 7, acaia.T_GET_SETTINGS: 21,
                    acaia.T_TIMER: 7, acaia.T_CONFIG: 8, acaia.T_EVENT: 14}.get(kind)
            if kind == acaia.T_TARE:
                size = 20 if len(self._buffer) >= 20 and self._buffer[3:20] == bytes(17) else 6
            if size is None:
                self._buffer = self._buffer[2:]
                continue
            if len(self._buffer) < size:
                break
            self._handle(kind, self._buffer[:size])
            self._buffer = self._buffer[size:]

    def _handle(self, kind: int, cmd: bytes) -> None:
        if kind == acaia.T_IDENT:
            self.identified = True
            self._command("ident")
        elif kind == acaia.T_EVENT:
            self._command("notification request")
            if self.identified:
                self.streaming = True
        elif kind == acaia.T_SYSTEM:
            self.heartbeats += 1
            self._command("heartbeat")
        elif kind == acaia.T_TARE:
            self._command("tare")
            self.request_tare()
        elif kind == acaia.T_GET_SETTINGS:
            self._command("get settings")
            self.notify(self.notify_uuid, acaia.settings_frame(self.battery))
        elif kind == acaia.T_TIMER:
            self.timer_running = cmd[4] == 0
            self._command(f"timer {cmd[4]}")
        elif kind == acaia.T_CONFIG:
            self._command(f"config {cmd[4]:02x}={cmd[5]:02x}")

    def encode_weight(self, grams: float, stable: bool) -> list[tuple[str, bytes]]:
        exponent = 2 if self.b.resolution < 0.1 else 1
        return [(self.notify_uuid, acaia.weight_event(grams, exponent, unstable=not stable))]

    def button_notification(self, button: int) -> list[tuple[str, bytes]]:
        if button == acaia.KEY_TARE:
            self.request_tare()
        return [(self.notify_uuid, acaia.key_event(button, self.displayed_weight()))]

    def on_connect(self) -> None:
        super().on_connect()
        self.identified = False
        self._buffer = b""


class SimFelicita(SimScale):
    FAMILY = ScaleFamily.FELICITA
    DEFAULT_NAME = "FELICITA"

    def default_behaviour(self) -> ScaleBehaviour:
        return ScaleBehaviour(period=0.1, jitter=0.1, sensor_lag=0.25, resolution=0.1)

    def services(self) -> tuple[GattServiceSpec, ...]:
        return (GattServiceSpec(felicita.SERVICE, (_char(felicita.CHAR, "read", "write", "notify"),)),)

    def write(self, uuid: str, data: bytes) -> None:
        if uuid != felicita.CHAR:
            raise GattError(f"{uuid} is not writable")
        for byte in bytes(data[:1]):
            letter = bytes([byte])
            if letter == felicita.TARE:
                self._command("tare")
                self.request_tare()
            elif letter in felicita.TIMER.values():
                self.timer_running = letter == felicita.TIMER_START
                self._command(f"timer {letter.decode()}")

    def encode_weight(self, grams: float, stable: bool) -> list[tuple[str, bytes]]:
        return [(felicita.CHAR, felicita.encode_weight(grams, self.battery))]


class SimDecentScale(SimScale):
    """A Half Decent Scale: weighs once a command arrived; wants a heartbeat every 5 s unless
    an LED/tare command with byte 5 = 00 turned that off."""

    FAMILY = ScaleFamily.DECENT
    DEFAULT_NAME = "Decent Scale"
    streams_without_handshake = False
    HEARTBEAT_TIMEOUT = 5.0

    def __init__(self, name: str | None = None, **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.heartbeat_required = True
        self._last_heartbeat = 0.0

    def default_behaviour(self) -> ScaleBehaviour:
        return ScaleBehaviour(period=0.1, jitter=0.05, sensor_lag=0.2, resolution=0.1,
                              noise_per_flow=0.04)

    def services(self) -> tuple[GattServiceSpec, ...]:
        return (GattServiceSpec(decent.SERVICE, (_char(decent.DATA, "read", "notify"),
                                                 _char(decent.COMMAND, "write", "write-without-response"))),)

    def read(self, uuid: str) -> bytes:
        if uuid == decent.DATA:
            return decent.encode_weight(self.displayed_weight())
        raise GattError(f"{uuid} is not readable")

    def write(self, uuid: str, data: bytes) -> None:
        if uuid != decent.COMMAND:
            raise GattError(f"{uuid} is not writable")
        cmd = bytes(data)
        if len(cmd) != 7 or cmd[0] != 0x03 or decent.xor_all(cmd[:6]) != cmd[6]:
            self._command(f"ignored {cmd.hex()}")
            return
        self.streaming = True
        self._last_heartbeat = self.sim_time
        op, a, b, flag = cmd[1], cmd[2], cmd[3], cmd[5]
        if op == 0x0F:
            self._command("tare")
            self.request_tare()
            self.notify(decent.DATA, decent.encode_tare_ack())
            if flag == 0:
                self.heartbeat_required = False
        elif op == 0x0A and a in (0x00, 0x01):
            self.display_on = a == 0x01
            self._command("led on" if self.display_on else "led off")
            if flag == 0:
                self.heartbeat_required = False
            self.notify(decent.DATA, decent.encode_status(self.battery))
        elif op == 0x0A and a == 0x03 and b == 0xFF:
            self._command("heartbeat")
        elif op == 0x0A and a == 0x04:
            self.streaming = b == 0x00
            self._command("wake" if self.streaming else "soft sleep")
        elif op == 0x0A and a == 0x02:
            self._command("power off")
            self.drop_requested = True
        elif op == 0x0B:
            self.timer_running = a == 0x03
            self._command(f"timer {a:02x}")

    def on_tick(self, now: float) -> None:
        if self.heartbeat_required and now - self._last_heartbeat > self.HEARTBEAT_TIMEOUT:
            self.log.faults.append((now, "heartbeat timeout"))
            self._last_heartbeat = now
            self.drop_requested = True

    def on_connect(self) -> None:
        super().on_connect()
        self.heartbeat_required = True
        self._last_heartbeat = self.sim_time

    def encode_weight(self, grams: float, stable: bool) -> list[tuple[str, bytes]]:
        ms = int(self.sim_time * 1000)
        stamp = (ms // 60000 % 256, ms // 1000 % 60, ms % 1000 // 4)
        return [(decent.DATA, decent.encode_weight(grams, stable, stamp))]

    def button_notification(self, button: int) -> list[tuple[str, bytes]]:
        return [(decent.DATA, decent.encode_button(button))]


class SimBookoo(SimScale):
    FAMILY = ScaleFamily.BOOKOO
    DEFAULT_NAME = "BOOKOO_SC 123456"

    def default_behaviour(self) -> ScaleBehaviour:
        return ScaleBehaviour(period=0.1, jitter=0.1, sensor_lag=0.2, resolution=0.1)

    def services(self) -> tuple[GattServiceSpec, ...]:
        return (GattServiceSpec(bookoo.SERVICE, (_char(bookoo.DATA, "notify"),
                                                 _char(bookoo.COMMAND, "write"))),)

    def write(self, uuid: str, data: bytes) -> None:
        if uuid != bookoo.COMMAND:
            raise GattError(f"{uuid} is not writable")
        op = bookoo.parse_command(data)
        if op in (bookoo.OP_TARE, bookoo.OP_TARE_AND_START):
            self._command("tare")
            self.request_tare()
        if op in (bookoo.OP_TIMER_START, bookoo.OP_TIMER_STOP, bookoo.OP_TIMER_RESET, bookoo.OP_TARE_AND_START):
            self.timer_running = op in (bookoo.OP_TIMER_START, bookoo.OP_TARE_AND_START)
            self._command(f"timer {op:02x}")
        if op is None:
            self._command(f"ignored {bytes(data).hex()}")

    def encode_weight(self, grams: float, stable: bool) -> list[tuple[str, bytes]]:
        return [(bookoo.DATA, bookoo.encode_weight(grams, self.battery, int(self.sim_time * 1000),
                                                    self.inflow()))]


SIM_SCALES: dict[str, type[SimScale]] = {
    "skale": SimSkale, "acaia": SimAcaia, "acaia_pyxis": SimAcaia, "felicita": SimFelicita,
    "decent": SimDecentScale, "bookoo": SimBookoo,
}


def make_sim_scale(kind: str, address: str = "5C:A1:E5:00:00:01", seed: int = 0,
                   mass_source: MassSource | None = None, **kwargs) -> SimScale:
    """A simulated scale by its ``simulator.SCALE`` name (skale, acaia, acaia_pyxis, ...)."""
    try:
        cls = SIM_SCALES[kind]
    except KeyError:
        raise ValueError(f"unknown simulated scale {kind!r}; expected one of "
                         f"{', '.join(sorted(SIM_SCALES))}") from None
    if kind == "acaia":
        kwargs.setdefault("name", "ACAIAL1234")
        kwargs.setdefault("transport", acaia.AcaiaTransport.IPS)
    elif kind == "acaia_pyxis":
        kwargs.setdefault("name", "PYXIS-123456")
        kwargs.setdefault("transport", acaia.AcaiaTransport.PYXIS)
    return cls(address=address, seed=seed, mass_source=mass_source, **kwargs)
