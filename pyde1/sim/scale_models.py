"""The simulated scale families: each speaks one family's bytes with the encoders of
``pyde1.scales``, over the physics of :class:`pyde1.sim.scales.SimScale`; ``make_sim_scale``
builds one by its ``simulator.SCALE`` name."""

from __future__ import annotations

from pyde1.scales import acaia, bookoo, decent, felicita, skale
from pyde1.scales.base import ScaleFamily
from pyde1.sim.peripheral import GattCharacteristicSpec, GattError, GattServiceSpec
from pyde1.sim.scales import MassSource, ScaleBehaviour, SimScale

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
