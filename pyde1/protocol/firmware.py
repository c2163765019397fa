"""DE1 firmware images: header parsing, validation and the upload plan as pure steps.

The image starts with a 64-byte little-endian header (``T_FirmwareHeader``). The whole file,
header included, is written byte for byte from offset 0 through WriteToMMR in 16-byte chunks,
after erasing slot 1 with FWMapRequest; a FWMapRequest "report first error" then asks the DE1 to
verify it. The checksum algorithms are not documented (not plain CRC-32), so validation checks
structure only; the DE1 verifies the image itself.

The DE1 actor drives the plan: ``FirmwareUploadPlan.steps()`` yields ``Write``, ``AwaitFWMap``,
``EnableNotify`` and ``Pause`` steps in order; ``WriteChunks`` stands for the long run of chunk
writes (iterate it to get each ``MMRWrite``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from pyde1.protocol.enums import MachineState
from pyde1.protocol.errors import FirmwareImageError
from pyde1.protocol.mmr_packets import MAX_DATA, MMRWrite
from pyde1.protocol.packets import FWMapRequest, RequestedState
from pyde1.protocol.uuids import full_uuid

__all__ = ["BOARD_MARKER_DE1", "HEADER_SIZE", "FirmwareHeader", "FirmwareImage", "Write",
           "WriteChunks", "AwaitFWMap", "EnableNotify", "Pause", "FirmwareUploadPlan",
           "erase_complete", "verify_result", "VerifyResult", "MAX_IMAGE_SIZE"]

HEADER_SIZE = 64
BOARD_MARKER_DE1 = 0xDE100001
MAX_IMAGE_SIZE = 0x100000  # the external flash region is 1 MiB
FAN_THRESHOLD_FOR_UPDATE = 60


@dataclass(frozen=True)
class FirmwareHeader:
    checksum: int       # CheckSum of the encrypted remainder
    board_marker: int   # 0xDE100001 for a DE1
    version: int        # firmware build number
    byte_count: int     # image body bytes, ignoring padding
    cpu_bytes: int      # first cpu_bytes of the body are for the CPU, the rest for BLE
    unused: int
    dc_sum: int         # checksum of the decrypted image
    iv: bytes           # 32-byte initialisation vector
    h_sum: int          # checksum of the header

    @classmethod
    def parse(cls, data: bytes) -> "FirmwareHeader":
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise FirmwareImageError(f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) < HEADER_SIZE:
            raise FirmwareImageError(f"{len(data)} bytes is shorter than the "
                                     f"{HEADER_SIZE}-byte header")

        def word(offset: int) -> int:
            return int.from_bytes(data[offset:offset + 4], "little")

        return cls(word(0), word(4), word(8), word(12), word(16), word(20), word(24),
                   data[28:60], word(60))

    def encode(self) -> bytes:
        words = (self.checksum, self.board_marker, self.version, self.byte_count,
                 self.cpu_bytes, self.unused, self.dc_sum)
        head = b"".join(w.to_bytes(4, "little") for w in words)
        return head + bytes(self.iv).ljust(32, b"\0")[:32] + self.h_sum.to_bytes(4, "little")

    def problems(self, file_size: int, expected_build: int | None = None) -> list[str]:
        """Every structural problem found (empty list: the header is plausible)."""
        out = []
        if self.board_marker != BOARD_MARKER_DE1:
            out.append(f"BoardMarker 0x{self.board_marker:08X} is not a DE1's "
                       f"(0x{BOARD_MARKER_DE1:08X})")
        if expected_build is not None and self.version != expected_build:
            out.append(f"Version {self.version} differs from the expected build {expected_build}")
        if not 0 < self.byte_count <= file_size - HEADER_SIZE:
            out.append(f"ByteCount {self.byte_count} is not within 1..{file_size - HEADER_SIZE}")
        if not 0 < self.cpu_bytes <= self.byte_count:
            out.append(f"CPUBytes {self.cpu_bytes} is not within 1..ByteCount")
        if self.unused != 0:
            out.append(f"Unused is {self.unused}, expected 0")
        for name, value in (("CheckSum", self.checksum), ("DCSum", self.dc_sum),
                            ("HSum", self.h_sum)):
            if value == 0:
                out.append(f"{name} is zero")
        if not any(self.iv):
            out.append("IV is all zero")
        return out

    def to_dict(self) -> dict:
        return {"CheckSum": f"0x{self.checksum:08X}", "BoardMarker": f"0x{self.board_marker:08X}",
                "Version": self.version, "ByteCount": self.byte_count,
                "CPUBytes": self.cpu_bytes, "Unused": self.unused,
                "DCSum": f"0x{self.dc_sum:08X}", "IV": self.iv.hex(),
                "HSum": f"0x{self.h_sum:08X}"}


@dataclass(frozen=True)
class FirmwareImage:
    header: FirmwareHeader
    data: bytes  # the whole file, header included

    @classmethod
    def parse(cls, data: bytes, expected_build: int | None = None) -> "FirmwareImage":
        """Parse and validate; raises ``FirmwareImageError`` listing every problem."""
        header = FirmwareHeader.parse(data)
        data = bytes(data)
        problems = header.problems(len(data), expected_build)
        if len(data) > MAX_IMAGE_SIZE:
            problems.append(f"{len(data)} bytes exceeds the {MAX_IMAGE_SIZE}-byte flash region")
        if problems:
            raise FirmwareImageError("; ".join(problems))
        return cls(header, data)

    @property
    def build(self) -> int:
        return self.header.version

    @property
    def chunk_count(self) -> int:
        return -(-len(self.data) // MAX_DATA)

    def chunk(self, index: int, padded: bool = True) -> MMRWrite:
        offset = index * MAX_DATA
        if not 0 <= offset < len(self.data):
            raise IndexError(f"chunk {index} outside 0..{self.chunk_count - 1}")
        return MMRWrite.firmware_chunk(offset, self.data[offset:offset + MAX_DATA], padded)

    def chunks(self, padded: bool = True) -> Iterator[MMRWrite]:
        for index in range(self.chunk_count):
            yield self.chunk(index, padded)


# --- plan steps ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Write:
    uuid: str
    payload: bytes
    description: str


@dataclass(frozen=True)
class WriteChunks:
    """Write every chunk in order, one in flight at a time (write-with-response)."""

    image: FirmwareImage
    padded: bool = True

    @property
    def uuid(self) -> str:
        return full_uuid(MMRWrite.CHARACTERISTIC)

    def __len__(self) -> int:
        return self.image.chunk_count

    def __iter__(self) -> Iterator[Write]:
        for packet in self.image.chunks(self.padded):
            yield Write(self.uuid, packet.encode(), f"firmware chunk at 0x{packet.address:06X}")


@dataclass(frozen=True)
class EnableNotify:
    uuid: str


@dataclass(frozen=True)
class AwaitFWMap:
    """Wait for FWMapRequest notifications until ``condition`` (a function name here) holds."""

    condition: str    # "erase_complete" or "verify_result"
    timeout_s: float


@dataclass(frozen=True)
class Pause:
    seconds: float
    reason: str


def erase_complete(notification: FWMapRequest) -> bool:
    """The erase is finished: FWToErase back to 0 (FWToErase ≠ 0 means still erasing)."""
    return notification.fw_to_erase == 0


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    first_bad_address: int | None


def verify_result(notification: FWMapRequest) -> VerifyResult:
    """Interpret the answer to "report first error": FFFFFD = image complete."""
    if notification.verified_ok:
        return VerifyResult(True, None)
    return VerifyResult(False, notification.first_error)


@dataclass(frozen=True)
class FirmwareUploadPlan:
    """de1app's procedure, with the erase wait made explicit (wait for FWToErase = 0)."""

    image: FirmwareImage
    erase_timeout_s: float = 30.0
    verify_timeout_s: float = 30.0
    settle_before_verify_s: float = 1.0
    padded: bool = True

    def steps(self) -> Iterator[object]:
        fw_map = full_uuid(FWMapRequest.CHARACTERISTIC)
        yield Write(full_uuid(RequestedState.CHARACTERISTIC),
                    RequestedState(MachineState.Sleep).encode(), "put the DE1 to sleep")
        yield Write(full_uuid(MMRWrite.CHARACTERISTIC),
                    MMRWrite.register("FAN_THRESHOLD", FAN_THRESHOLD_FOR_UPDATE).encode(),
                    "fan threshold 60 °C during the update")
        yield EnableNotify(fw_map)
        yield Write(fw_map, FWMapRequest.erase().encode(), "erase firmware slot 1")
        yield AwaitFWMap("erase_complete", self.erase_timeout_s)
        yield WriteChunks(self.image, self.padded)
        yield Pause(self.settle_before_verify_s, "let the last write settle")
        yield EnableNotify(fw_map)
        yield Write(fw_map, FWMapRequest.report_first_error().encode(), "verify the image")
        yield AwaitFWMap("verify_result", self.verify_timeout_s)
