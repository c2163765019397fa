"""Acaia scales, both transports (devices-and-sequencing.md A.2).

* IPS ("classic": ACAIA, ACAIAL1, PROCH): service ``1820``, one characteristic ``2a80`` for
  notifications and commands, written without response.
* Pyxis-style ("lunar": Lunar 2021, Pearl S, Pearl 2021, Pyxis, Cinco): the ``49535343-…``
  service with separate notify and write characteristics.

Frames start ``EF DD``, byte 2 is the message type. Incoming frames carry a length byte L
(byte 3, counting itself) and a two-byte checksum over bytes 3 … 3+L−1: low byte of the sum of
the even-position bytes, then of the odd-position ones. Frames may be split across or packed
into notifications, so :class:`AcaiaStream` keeps a buffer and bounds every frame by its
length, resynchronising on the next header after anything malformed (a short frame read into
the next one once gave a 356 g projected stop).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from pyde1.scales.base import (BatteryReading, ButtonReading, GattLayout, InfoReading, Reading,
                               ScaleCodec, ScaleCommand, ScaleDecodeError, ScaleFamily, TareAck,
                               TimerReading, WeightReading, check_timer_action, same_uuid, uuid16)

HEADER = b"\xef\xdd"
IPS_SERVICE = uuid16("1820")
IPS_CHAR = uuid16("2a80")
PYXIS_SERVICE = "49535343-fe7d-4ae5-8fa9-9fafd205e455"
PYXIS_NOTIFY = "49535343-1e4d-4bd9-ba61-23c647249616"
PYXIS_WRITE = "49535343-8841-43f4-a8d4-ecbe34729bb3"

# message types (byte 2)
T_SYSTEM, T_TARE, T_GET_SETTINGS, T_INFO, T_SETTINGS = 0x00, 0x04, 0x06, 0x07, 0x08
T_CONFIG, T_IDENT, T_EVENT, T_TIMER, T_ODD = 0x0A, 0x0B, 0x0C, 0x0D, 0x20
# event types (byte 4 of an event frame)
E_WEIGHT, E_TIMER, E_KEY, E_ACK = 0x05, 0x07, 0x08, 0x0B
# inner record tags and their body lengths (A.2.7)
RECORD_LENGTHS = {0x05: 6, 0x06: 1, 0x07: 3, 0x08: 1, 0x0B: 2}
KEY_TARE, KEY_TIMER_START, KEY_TIMER_RESET, KEY_TIMER_STOP = 0x00, 0x08, 0x09, 0x0A

MAX_LENGTH = 64           # an L above this is impossible: resynchronise
MAX_BUFFER = 512          # never hold more than this waiting for a frame to complete
LENIENT_AFTER = 8         # bad checksums in a row, none ever good: the scale does not use them


class AcaiaTransport(enum.Enum):
    IPS = "ips"
    PYXIS = "pyxis"


def checksum(body: bytes) -> bytes:
    return bytes([sum(body[0::2]) & 0xFF, sum(body[1::2]) & 0xFF])


def frame(msg_type: int, body: bytes) -> bytes:
    """An outgoing command: header, type, body, checksum over the body."""
    return HEADER + bytes([msg_type]) + bytes(body) + checksum(bytes(body))


def incoming_frame(msg_type: int, payload: bytes) -> bytes:
    """A frame as the scale sends it: length byte L = len(payload) + 1, then the checksum."""
    body = bytes([len(payload) + 1]) + bytes(payload)
    return frame(msg_type, body)


# -- commands (A.2.4) -------------------------------------------------------------------------
IDENT_IPS = frame(T_IDENT, b"\x2d" * 15)
IDENT_PYXIS = frame(T_IDENT, b"012345678901234")
NOTIFICATION_REQUEST = bytes.fromhex("efdd0c09000101020205030415 06".replace(" ", ""))
HEARTBEAT = frame(T_SYSTEM, b"\x02\x00")
TARE = frame(T_TARE, bytes(15))             # the 20-byte form, sent three times
TARE_SHORT = frame(T_TARE, b"\x00")          # the 6-byte form other clients send
GET_SETTINGS = frame(T_GET_SETTINGS, bytes(16))
TARE_REPEATS, TARE_GAP = 3, 0.1              # one tare is unreliable on Lunar hardware
TIMER_CODES = {"start": 0, "reset": 1, "stop": 2}


def timer_command(action: str, sequence: int = 0) -> bytes:
    code = TIMER_CODES[check_timer_action(action)]
    n = sequence & 0xFF
    return HEADER + bytes([T_TIMER, n, code, n, code])


def config_command(setting: int, value: int, sequence: int = 0) -> bytes:
    n = sequence & 0xFF
    return HEADER + bytes([T_CONFIG, n, setting & 0xFF, value & 0xFF, (n + value) & 0xFF, setting & 0xFF])


# -- scale-side frames (for the simulator and tests) ------------------------------------------

def encode_weight_body(grams: float, exponent: int = 2, unstable: bool = False) -> bytes:
    if not 1 <= exponent <= 4:
        raise ValueError(f"exponent must be 1..4, not {exponent}")
    magnitude = int(round(abs(grams) * 10 ** exponent))
    if magnitude >= 1 << 24:
        raise ValueError(f"{grams} g does not fit 24 bits at exponent {exponent}")
    flags = (0x02 if grams < 0 and magnitude else 0) | (0x01 if unstable else 0)
    return magnitude.to_bytes(3, "little") + bytes([0, exponent, flags])


def weight_event(grams: float, exponent: int = 2, unstable: bool = False,
                 battery: int | None = None, timer: tuple[int, int, int] | None = None) -> bytes:
    payload = bytes([E_WEIGHT]) + encode_weight_body(grams, exponent, unstable)
    if battery is not None:
        payload += bytes([0x06, battery & 0xFF])
    if timer is not None:
        payload += bytes([0x07, *timer])
    return incoming_frame(T_EVENT, payload)


def settings_frame(battery: int, units: int = 2, auto_off: int = 0, beep: int = 1,
                   capacity: int = 1, timer_running: bool = False) -> bytes:
    b = (battery & 0x7F) | (0x80 if timer_running else 0)
    return incoming_frame(T_SETTINGS, bytes([b, units, 0, auto_off, 0, beep, 0, capacity, 0]))


def key_event(code: int, grams: float = 0.0) -> bytes:
    return incoming_frame(T_EVENT, bytes([E_KEY, code, 0x05]) + encode_weight_body(grams))


def ack_event(ack_id: int, result: int, grams: float | None = None) -> bytes:
    payload = bytes([E_ACK, ack_id & 0xFF, result & 0xFF])
    if grams is not None:
        payload += b"\x05" + encode_weight_body(grams)
    return incoming_frame(T_EVENT, payload)


NOT_CONNECTED_INFO = bytes.fromhex("efdd070702190100050121 08".replace(" ", ""))
POWER_UP_ODD = bytes.fromhex("efdd20080800")


# -- decoding ---------------------------------------------------------------------------------

def _error(what: str, reason: str, data: bytes) -> ScaleDecodeError:
    return ScaleDecodeError(ScaleFamily.ACAIA, what, reason, data)


def decode_weight_body(body: bytes) -> WeightReading:
    if len(body) < 6:
        raise _error("weight", f"weight body needs 6 bytes, got {len(body)}", body)
    magnitude = body[0] | body[1] << 8 | body[2] << 16
    exponent = body[4]
    if not 1 <= exponent <= 4:
        raise _error("weight", f"decimal exponent must be 1..4, got {exponent}", body)
    grams = magnitude / 10 ** exponent
    if body[5] & 0x02:
        grams = -grams
    return WeightReading(grams, stable=not body[5] & 0x01)


def decode_records(chain: bytes) -> list[Reading]:
    """Tag + body records (A.2.7): 05 weight, 06 battery, 07 timer. Stops at an unknown tag
    or a record cut short (what follows cannot be trusted)."""
    out: list[Reading] = []
    i = 0
    while i < len(chain):
        tag = chain[i]
        size = RECORD_LENGTHS.get(tag)
        if size is None or i + 1 + size > len(chain):
            break
        body = chain[i + 1:i + 1 + size]
        if tag == 0x05:
            out.append(decode_weight_body(body))
        elif tag == 0x06 and body[0] & 0x7F <= 100:
            out.append(BatteryReading(body[0] & 0x7F))
        elif tag == 0x07:
            out.append(TimerReading(body[0] * 60 + body[1] + body[2] / 10))
        i += 1 + size
    return out


def decode_frame(data: bytes) -> list[Reading]:
    """One complete, length-bounded frame (checksum already checked or not required)."""
    msg_type = data[2]
    if msg_type == T_ODD:
        return [InfoReading("power", data.hex())]
    length = data[3]
    payload = data[4:3 + length]
    if msg_type == T_EVENT:
        if not payload:
            raise _error("event", "event frame without an event type", data)
        event, rest = payload[0], payload[1:]
        if event == E_WEIGHT:
            if len(rest) < 6:
                raise _error("weight", f"weight event needs L >= 8, got {length}", data)
            return [decode_weight_body(rest[:6])] + [r for r in decode_records(rest[6:])
                                                       if not isinstance(r, WeightReading)]
        if event == E_KEY:
            if not rest:
                raise _error("key", "key event without a key code", data)
            return [ButtonReading(rest[0])]
        if event == E_ACK:
            # byte 0 ack id, byte 1 packed result, then optional records (weight inside)
            readings = decode_records(rest[2:]) if len(rest) > 2 else []
            return [r for r in readings if isinstance(r, WeightReading)]
        if event == E_TIMER and len(rest) >= 3:
            return [TimerReading(rest[0] * 60 + rest[1] + rest[2] / 10)]
        return []
    if msg_type == T_SETTINGS:
        if not payload:
            raise _error("settings", "settings frame without a battery byte", data)
        level = payload[0] & 0x7F
        return [BatteryReading(level)] if level <= 100 else []
    if msg_type == T_INFO:
        return [InfoReading("info", data.hex())]
    if msg_type == T_TARE:
        return [TareAck()]
    return []


class AcaiaStream:
    """Reassembles frames from notifications (A.2.9) and decodes them."""

    def __init__(self, verify_checksum: bool = True) -> None:
        self.buffer = bytearray()
        self.verify = verify_checksum
        self.frames = 0
        self.discarded_bytes = 0
        self.bad_checksums = 0
        self._good_checksums = 0
        self._bad_streak = 0

    def reset(self) -> None:
        self.buffer.clear()

    def feed(self, data: bytes) -> tuple[list[Reading], list[ScaleDecodeError]]:
        self.buffer += data
        readings: list[Reading] = []
        errors: list[ScaleDecodeError] = []
        buf = self.buffer
        while buf:
            start = buf.find(HEADER)
            if start < 0:
                keep = 1 if buf[-1] == HEADER[0] else 0   # a lone trailing EF may start a frame
                self.discarded_bytes += len(buf) - keep
                del buf[:len(buf) - keep]
                break
            if start:
                self.discarded_bytes += start
                del buf[:start]
            if len(buf) < 4:
                break
            if buf[2] == T_ODD:
                if len(buf) < 6:
                    break
                readings += decode_frame(bytes(buf[:6]))
                del buf[:6]
                continue
            length = buf[3]
            if length < 2 or length > MAX_LENGTH:
                errors.append(_error("frame", f"impossible length byte {length}", bytes(buf[:4])))
                del buf[:2]
                continue
            total = length + 5
            if len(buf) < total:
                if len(buf) > MAX_BUFFER:
                    errors.append(_error("frame", "buffer overflow waiting for a frame", bytes(buf[:8])))
                    del buf[:2]
                    continue
                break
            one = bytes(buf[:total])
            if not self._checksum_accepted(one, length):
                errors.append(_error("frame", "checksum mismatch", one))
                del buf[:2]      # the header may have been junk: rescan from inside the frame
                continue
            del buf[:total]
            self.frames += 1
            try:
                readings += decode_frame(one)
            except ScaleDecodeError as exc:
                errors.append(exc)
        return readings, errors

    def _checksum_accepted(self, one: bytes, length: int) -> bool:
        if checksum(one[3:3 + length]) == one[3 + length:5 + length]:
            self._good_checksums += 1
            self._bad_streak = 0
            return True
        self.bad_checksums += 1
        self._bad_streak += 1
        if self.verify and self._good_checksums == 0 and self._bad_streak >= LENIENT_AFTER:
            self.verify = False   # A.2.2: some older scales do not follow the checksum contract
        return not self.verify


def transport_for(name: str | None, services: Iterable[str] = ()) -> AcaiaTransport:
    """By the discovered services when known (the robust choice), else by the name."""
    found = {s.lower() for s in services}
    if PYXIS_SERVICE in found:
        return AcaiaTransport.PYXIS
    if IPS_SERVICE in found:
        return AcaiaTransport.IPS
    upper = (name or "").upper()
    return AcaiaTransport.IPS if upper.startswith(("ACAIA", "PROCH")) else AcaiaTransport.PYXIS


class AcaiaCodec(ScaleCodec):
    FAMILY = ScaleFamily.ACAIA
    NOMINAL_PERIOD = 0.1
    SENSOR_LAG = 0.38
    HAS_BUTTONS = True
    HEARTBEAT_PERIOD = 3.0

    def __init__(self, transport: AcaiaTransport = AcaiaTransport.PYXIS,
                 verify_checksum: bool = True) -> None:
        self.transport = transport
        self.stream = AcaiaStream(verify_checksum)
        self._timer_sequence = 0

    @property
    def WRITE_RESPONSE(self) -> bool:  # type: ignore[override]
        return self.transport is AcaiaTransport.PYXIS

    def layout(self) -> GattLayout:
        if self.transport is AcaiaTransport.IPS:
            return GattLayout(IPS_SERVICE, (IPS_CHAR,), IPS_CHAR)
        return GattLayout(PYXIS_SERVICE, (PYXIS_NOTIFY,), PYXIS_WRITE)

    def reset(self) -> None:
        self.stream.reset()

    def decode(self, uuid: str, data: bytes) -> list[Reading]:
        if not same_uuid(uuid, self.layout().notify[0]):
            raise _error("notification", f"unexpected characteristic {uuid}", data)
        readings, errors = self.stream.feed(bytes(data))
        if errors:
            first = errors[0]
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ScaleDecodeError(ScaleFamily.ACAIA, first.what, first.reason + more, first.data,
                                   tuple(readings))
        return readings

    def ident(self) -> bytes:
        return IDENT_IPS if self.transport is AcaiaTransport.IPS else IDENT_PYXIS

    def notify_settle(self) -> float:
        """Seconds to wait after enabling notifications before the handshake (ReaPrime)."""
        return 0.1 if self.transport is AcaiaTransport.IPS else 0.5

    def init_commands(self) -> list[ScaleCommand]:
        return [self._command(self.ident(), 0.2), self._command(NOTIFICATION_REQUEST, 0.1),
                self._command(HEARTBEAT)]

    def tare(self) -> list[ScaleCommand]:
        return [self._command(TARE, TARE_GAP) for _ in range(TARE_REPEATS)]

    def heartbeat(self) -> list[ScaleCommand]:
        out = [self._command(HEARTBEAT)]
        if self.transport is AcaiaTransport.PYXIS:
            out.insert(0, self._command(self.ident()))
        out.append(self._command(GET_SETTINGS))   # answered with the battery level
        return out

    def timer(self, action: str) -> list[ScaleCommand]:
        return [self._command(timer_command(action, 0))]
