"""The simulated DE1's firmware flash and calibration store (de1-ble-protocol.md §3.7, §3.16, §7).

Flash: an erase takes simulated time; image bytes arrive as WriteToMMR writes at offsets
below 0x100000; a verify request (FWMapRequest FirstError FFFFFF / FFFFFE) reports the first
16-byte block of the image that was never written, or FFFFFD when the image is complete.
The image length comes from its own header (64 bytes + ByteCount).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyde1.protocol.enums import CalCommand, CalTarget
from pyde1.protocol.packets import Calibration

BLOCK = 16
HEADER_SIZE = 64
BOARD_MARKER = 0xDE100001
NONE_FOUND = 0xFFFFFD
REPORT_NEXT = 0xFFFFFE
REPORT_FIRST = 0xFFFFFF
CAL_WRITE_KEY = 0xCAFEF00D


@dataclass
class Flash:
    erase_seconds: float = 2.0
    blocks: dict[int, bytes] = field(default_factory=dict)
    erasing_until: float | None = None
    erased: bool = False
    _last_reported: int = -1
    installed_version: int | None = None

    def start_erase(self, now: float) -> None:
        self.blocks.clear()
        self.erasing_until = now + self.erase_seconds
        self.erased = False
        self._last_reported = -1

    def erase_finished(self, now: float) -> bool:
        """True exactly once, when a running erase completes."""
        if self.erasing_until is not None and now >= self.erasing_until:
            self.erasing_until = None
            self.erased = True
            return True
        return False

    @property
    def erasing(self) -> bool:
        return self.erasing_until is not None

    def write(self, offset: int, data: bytes) -> bool:
        """Store image bytes; refused (False) while erasing or before an erase."""
        if self.erasing or not self.erased:
            return False
        for i in range(0, len(data)):
            block, pos = divmod(offset + i, BLOCK)
            current = bytearray(self.blocks.get(block, b"\xff" * BLOCK))
            current[pos] = data[i]
            self.blocks[block] = bytes(current)
        return True

    def image_size(self) -> int | None:
        head = b"".join(self.blocks.get(i, b"") for i in range(HEADER_SIZE // BLOCK))
        if len(head) < HEADER_SIZE:
            return None
        if int.from_bytes(head[4:8], "little") != BOARD_MARKER:
            return None
        return HEADER_SIZE + int.from_bytes(head[12:16], "little")

    def verify(self, first_error: int) -> int:
        """Address of the first (or next) block needing repair, or NONE_FOUND."""
        size = self.image_size()
        if size is None:
            return 0
        start = 0 if first_error == REPORT_FIRST else self._last_reported + 1
        for block in range(start, (size + BLOCK - 1) // BLOCK):
            if block not in self.blocks:
                self._last_reported = block
                return block * BLOCK
        head = b"".join(self.blocks[i] for i in range(HEADER_SIZE // BLOCK))
        self.installed_version = int.from_bytes(head[8:12], "little")
        return NONE_FOUND


@dataclass
class CalibrationStore:
    """Per target (flow, pressure, temperature): (reported, measured) now and from the factory."""

    current: dict[int, tuple[float, float]] = field(
        default_factory=lambda: {0: (1.0, 1.0), 1: (1.0, 1.0), 2: (0.0, 0.0)})
    factory: dict[int, tuple[float, float]] = field(
        default_factory=lambda: {0: (1.0, 1.0), 1: (1.0, 1.0), 2: (0.0, 0.0)})

    def handle(self, p: Calibration) -> Calibration:
        """The notification answering request ``p``."""
        def error() -> Calibration:
            return Calibration(0, p.command, CalTarget.CalError, 0.0, 0.0)

        target = int(p.target)
        if target not in self.current:
            return error()
        if p.command == CalCommand.Read:
            return Calibration(0, p.command, p.target, *self.current[target])
        if p.command == CalCommand.ReadFactory:
            return Calibration(0, p.command, p.target, *self.factory[target])
        if p.write_key != CAL_WRITE_KEY:
            return error()
        if p.command == CalCommand.Write:
            self.current[target] = (p.reported, p.measured)
        else:
            self.current[target] = self.factory[target]
        return Calibration(0, p.command, p.target, *self.current[target])
