"""ReadFromMMR (a005) and WriteToMMR (a006) packets, multi-word reads and the standard read plan.

Packet header: Len (1 byte), Address (U24 big-endian); data words are little-endian U32.
A read *request* carries Len = words − 1; a read *response* carries Len = number of valid data
bytes (≤ 16) and its own address, so a request for more than four words is answered by several
responses. ``MMRReadCollector`` gathers them; ``MMRReadResponse.for_words`` produces them (for
the simulator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from pyde1.protocol.codec import Packet, as_bytes
from pyde1.protocol.errors import EncodeError
from pyde1.protocol.fixed import Clamp
from pyde1.protocol.mmr import (
    DEBUG_BUFFER_START, Kind, Register, WORD_MAX, last_mmr0x80, register, register_containing,
)

__all__ = ["MMRReadRequest", "MMRReadResponse", "MMRWrite", "MMRReadCollector",
           "PACKET_SIZE", "MAX_DATA", "MAX_READ_WORDS", "standard_read_requests",
           "firmware_build_request"]

PACKET_SIZE = 20
MAX_DATA = 16
MAX_READ_WORDS = 256
ADDRESS_MAX = 0xFFFFFF


def _check_address(name: str, address: int) -> None:
    if isinstance(address, bool) or not isinstance(address, int) or not 0 <= address <= ADDRESS_MAX:
        raise EncodeError(f"{name}.Address", address, "must be an integer 0..0xFFFFFF")


def _header(length: int, address: int) -> bytes:
    return bytes([length]) + address.to_bytes(3, "big")


@dataclass(frozen=True)
class MMRReadRequest(Packet):
    """Ask for ``words`` consecutive 32-bit words starting at ``address``."""

    address: int
    words: int = 1

    CHARACTERISTIC = "a005"
    NAME = "ReadFromMMR"

    @classmethod
    def for_registers(cls, first: "int | str | Register",
                      last: "int | str | Register | None" = None) -> "MMRReadRequest":
        start = register(first).address
        end = register(last).address if last is not None else start
        return cls(start, (end - start) // 4 + 1)

    @property
    def addresses(self) -> tuple[int, ...]:
        return tuple(self.address + 4 * i for i in range(self.words))

    @classmethod
    def decode(cls, data: bytes) -> "MMRReadRequest":
        data = as_bytes(cls.NAME, data)
        cls._check_length(data, 4, PACKET_SIZE)
        return cls(int.from_bytes(data[1:4], "big"), data[0] + 1)

    def encode_clamped(self) -> tuple[bytes, tuple[Clamp, ...]]:
        _check_address(self.NAME, self.address)
        if isinstance(self.words, bool) or not isinstance(self.words, int) or \
                not 1 <= self.words <= MAX_READ_WORDS:
            raise EncodeError("ReadFromMMR.Len", self.words, "words must be 1..256")
        return _header(self.words - 1, self.address).ljust(PACKET_SIZE, b"\0"), ()

    def to_dict(self) -> dict[str, Any]:
        return {"Len": self.words - 1, "Address": f"0x{self.address:06X}", "Words": self.words}


@dataclass(frozen=True)
class MMRReadResponse(Packet):
    """One notification of register data: ``data`` starts at ``address``."""

    address: int
    data: bytes

    CHARACTERISTIC = "a005"
    NAME = "ReadFromMMR"

    @classmethod
    def decode(cls, data: bytes) -> "MMRReadResponse":
        data = as_bytes(cls.NAME, data)
        cls._check_length(data, 4, PACKET_SIZE)
        length = data[0]
        if length > MAX_DATA:
            raise cls._fail(data, f"Len {length} exceeds {MAX_DATA} data bytes")
        if len(data) < 4 + length:
            raise cls._fail(data, f"Len {length} needs {4 + length} bytes")
        return cls(int.from_bytes(data[1:4], "big"), bytes(data[4:4 + length]))

    def encode_clamped(self) -> tuple[bytes, tuple[Clamp, ...]]:
        _check_address(self.NAME, self.address)
        if not isinstance(self.data, (bytes, bytearray)) or len(self.data) > MAX_DATA:
            raise EncodeError("ReadFromMMR.Data", self.data, f"must be at most {MAX_DATA} bytes")
        payload = _header(len(self.data), self.address) + bytes(self.data)
        return payload.ljust(PACKET_SIZE, b"\0"), ()

    @classmethod
    def for_words(cls, address: int, raw_words: Iterable[int]) -> list["MMRReadResponse"]:
        """Responses the DE1 sends for consecutive words starting at ``address`` (4 per packet)."""
        words = list(raw_words)
        for raw in words:
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= WORD_MAX:
                raise EncodeError("ReadFromMMR.Data", raw, "word must be 0..0xFFFFFFFF")
        out = []
        for i in range(0, len(words), 4):
            chunk = b"".join(w.to_bytes(4, "little") for w in words[i:i + 4])
            out.append(cls(address + 4 * i, chunk))
        return out

    def words(self) -> tuple[tuple[int, int], ...]:
        """(address, raw little-endian U32) for each whole word in the data."""
        return tuple((self.address + i, int.from_bytes(self.data[i:i + 4], "little"))
                     for i in range(0, len(self.data) - len(self.data) % 4, 4))

    def registers(self) -> dict[str, Any]:
        """Each word by register name with its decoded value (JSON-able).

        Debug-buffer data is shown as text; words at unknown addresses as ``0xADDRESS``.
        """
        out: dict[str, Any] = {}
        for address, raw in self.words():
            reg = register_containing(address)
            if reg is None:
                out[f"0x{address:06X}"] = f"0x{raw:08X}"
            elif reg.kind is Kind.TEXT:
                offset = address - DEBUG_BUFFER_START
                text = raw.to_bytes(4, "little").decode("latin-1")
                out[f"{reg.name}+{offset}"] = text
            else:
                out[reg.name] = reg.to_json(raw)
        return out

    def to_dict(self) -> dict[str, Any]:
        return self.registers()


@dataclass(frozen=True)
class MMRWrite(Packet):
    """Write 1–16 bytes at ``address`` (a register, or a firmware-image offset)."""

    address: int
    data: bytes
    padded: bool = field(default=True, compare=False)  # pad to 20 bytes (de1app, pyDE1)

    CHARACTERISTIC = "a006"
    NAME = "WriteToMMR"

    @classmethod
    def word(cls, address: int, raw: int) -> "MMRWrite":
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= WORD_MAX:
            raise EncodeError("WriteToMMR.Data", raw, "word must be 0..0xFFFFFFFF")
        return cls(address, raw.to_bytes(4, "little"))

    @classmethod
    def register(cls, reg: "int | str | Register", value: Any) -> "MMRWrite":
        """Write ``value`` to a register, encoded with the register's scale (Len 4)."""
        reg = register(reg)
        if not reg.writable:
            raise EncodeError(f"MMR {reg.name}", value, "register is read-only")
        return cls.word(reg.address, reg.encode(value))

    @classmethod
    def firmware_chunk(cls, offset: int, chunk: bytes, padded: bool = True) -> "MMRWrite":
        return cls(offset, bytes(chunk), padded)

    @classmethod
    def decode(cls, data: bytes) -> "MMRWrite":
        data = as_bytes(cls.NAME, data)
        cls._check_length(data, 5, PACKET_SIZE)
        length = data[0]
        if not 1 <= length <= MAX_DATA:
            raise cls._fail(data, f"Len {length} is not 1..{MAX_DATA}")
        if len(data) < 4 + length:
            raise cls._fail(data, f"Len {length} needs {4 + length} bytes")
        return cls(int.from_bytes(data[1:4], "big"), bytes(data[4:4 + length]),
                   len(data) == PACKET_SIZE)

    def encode_clamped(self) -> tuple[bytes, tuple[Clamp, ...]]:
        _check_address(self.NAME, self.address)
        if not isinstance(self.data, (bytes, bytearray)) or not 1 <= len(self.data) <= MAX_DATA:
            raise EncodeError("WriteToMMR.Data", self.data, f"must be 1..{MAX_DATA} bytes")
        payload = _header(len(self.data), self.address) + bytes(self.data)
        return (payload.ljust(PACKET_SIZE, b"\0") if self.padded else payload), ()

    @property
    def raw_word(self) -> int:
        """The data as a little-endian word (short data is zero-extended)."""
        return int.from_bytes(self.data[:4].ljust(4, b"\0"), "little")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Len": len(self.data), "Address": f"0x{self.address:06X}",
                               "Data": self.data.hex()}
        reg = register_containing(self.address)
        if reg is not None and reg.kind is not Kind.TEXT and self.address == reg.address:
            out[reg.name] = reg.to_json(self.raw_word)
        return out


class MMRReadCollector:
    """Collects the words of one multi-word read from its responses (any order, any split)."""

    def __init__(self, request: MMRReadRequest):
        self.request = request
        self._wanted = set(request.addresses)
        self.values: dict[int, int] = {}

    def feed(self, response: MMRReadResponse) -> list[tuple[int, int]]:
        """Take one response; return the (address, raw) words it contributed to this read."""
        new = [(a, raw) for a, raw in response.words() if a in self._wanted]
        for address, raw in new:
            self.values[address] = raw
        return new

    @property
    def missing(self) -> tuple[int, ...]:
        return tuple(sorted(self._wanted - self.values.keys()))

    @property
    def complete(self) -> bool:
        return not self.missing

    def retry_requests(self) -> list[MMRReadRequest]:
        """One single-word request per missing word (hazardous registers excluded)."""
        out = []
        for address in self.missing:
            reg = register_containing(address)
            if reg is not None and reg.never_read_alone:
                continue
            out.append(MMRReadRequest(address, 1))
        return out


def firmware_build_request() -> MMRReadRequest:
    """First read after connecting: CPU_FIRMWARE_BUILD alone; everything else depends on it."""
    return MMRReadRequest.for_registers("CPU_FIRMWARE_BUILD")


def standard_read_requests(fw: int) -> list[MMRReadRequest]:
    """The reads after the build is known (issue them one after another, not concurrently).

    Identity block, then the configuration registers up to the last one this firmware has;
    before 1265 PREF_GHC_MCI and MAX_SHOT_PRESS are skipped (reading them hangs the firmware).
    """
    last = last_mmr0x80(fw)
    requests = [MMRReadRequest.for_registers("HW_CONFIG", "V13_MODEL")]
    if fw >= 1265:
        requests.append(MMRReadRequest(0x803808, (last - 0x803808) // 4 + 1))
    else:
        requests.append(MMRReadRequest.for_registers("FAN_THRESHOLD", "GHC_INFO"))
        requests.append(MMRReadRequest(0x803828, (last - 0x803828) // 4 + 1))
    return requests
