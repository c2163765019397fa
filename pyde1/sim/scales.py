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
Each subclass (``pyde1.sim.scale_models``) speaks one family's protocol using the encoders
of ``pyde1.scales``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pyde1.scales.base import ScaleFamily
from pyde1.sim.peripheral import SimPeripheral

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
