"""The simulated DE1's memory-mapped registers (de1-ble-protocol.md §5).

Raw 32-bit values, stored as the firmware would; reads return little-endian words. Writes
are trimmed the way the reference warns real firmware does (so clients must trust the
read-back, not their own value). Registers past the firmware's last one read as zero, and on
firmware before 1265 reading PREF_GHC_MCI / MAX_SHOT_PRESS hangs the read path, as it did on
real machines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HW_CONFIG = 0x800000
MODEL = 0x800004
CPU_BOARD_MODEL = 0x800008
V13_MODEL = 0x80000C
CPU_FIRMWARE_BUILD = 0x800010
DEBUG_LEN = 0x802800
DEBUG_BUFFER = 0x802804
DEBUG_CONFIG = 0x803804
FAN_THRESHOLD = 0x803808
TANK_TEMP = 0x80380C
HEATER_UP1_FLOW = 0x803810
HEATER_UP2_FLOW = 0x803814
WATER_HEATER_IDLE_TEMP = 0x803818
GHC_INFO = 0x80381C
PREF_GHC_MCI = 0x803820
MAX_SHOT_PRESS = 0x803824
TARGET_STEAM_FLOW = 0x803828
STEAM_START_SECS = 0x80382C
SERIAL_NUMBER = 0x803830
HEATER_VOLTAGE = 0x803834
HEATER_UP2_TIMEOUT = 0x803838
CAL_FLOW_EST = 0x80383C
FLUSH_FLOW_RATE = 0x803840
FLUSH_TEMP = 0x803844
FLUSH_TIMEOUT = 0x803848
HOT_WATER_FLOW_RATE = 0x80384C
STEAM_PURGE_MODE = 0x803850
ALLOW_USB_CHARGING = 0x803854
APP_FEATURE_FLAGS = 0x803858
REFILL_KIT_PRESENT = 0x80385C
USER_PRESENT = 0x803860

READ_ONLY = frozenset({HW_CONFIG, MODEL, CPU_BOARD_MODEL, V13_MODEL, CPU_FIRMWARE_BUILD, DEBUG_LEN,
                       DEBUG_CONFIG, GHC_INFO, SERIAL_NUMBER})

# (low, high) raw limits the simulated firmware trims writes to.
_TRIM = {
    FAN_THRESHOLD: (0, 60),
    TANK_TEMP: (0, 95),
    TARGET_STEAM_FLOW: (40, 250),
    STEAM_START_SECS: (0, 400),
    CAL_FLOW_EST: (130, 2000),
    FLUSH_FLOW_RATE: (10, 100),
    FLUSH_TEMP: (200, 1000),
    FLUSH_TIMEOUT: (0, 3000),
    STEAM_PURGE_MODE: (0, 1),
    ALLOW_USB_CHARGING: (0, 1),
    REFILL_KIT_PRESENT: (0, 2),
    USER_PRESENT: (0, 1),
}


def last_register(build: int) -> int:
    if build < 1250:
        return HEATER_UP2_TIMEOUT
    if build < 1283:
        return CAL_FLOW_EST
    return USER_PRESENT


def default_registers(build: int, ghc_info: int = 0) -> dict[int, int]:
    return {
        HW_CONFIG: 0xFFFFFFFF, MODEL: 0xFFFFFFFF, CPU_BOARD_MODEL: 1300, V13_MODEL: 2,
        CPU_FIRMWARE_BUILD: build, DEBUG_LEN: 0, DEBUG_CONFIG: 0,
        FAN_THRESHOLD: 50, TANK_TEMP: 0, HEATER_UP1_FLOW: 20, HEATER_UP2_FLOW: 40,
        WATER_HEATER_IDLE_TEMP: 990, GHC_INFO: ghc_info, PREF_GHC_MCI: 0, MAX_SHOT_PRESS: 0,
        TARGET_STEAM_FLOW: 70, STEAM_START_SECS: 70, SERIAL_NUMBER: 0x0012614E,
        HEATER_VOLTAGE: 230, HEATER_UP2_TIMEOUT: 10, CAL_FLOW_EST: 1000,
        FLUSH_FLOW_RATE: 60, FLUSH_TEMP: 850, FLUSH_TIMEOUT: 200, HOT_WATER_FLOW_RATE: 40,
        STEAM_PURGE_MODE: 0, ALLOW_USB_CHARGING: 1, APP_FEATURE_FLAGS: 0,
        REFILL_KIT_PRESENT: 2, USER_PRESENT: 0,
    }


class RegisterHang(Exception):
    """The read touched a register that hangs this firmware's MMR path."""


@dataclass
class RegisterFile:
    build: int
    ghc_info: int = 0
    values: dict[int, int] = field(default_factory=dict)
    writes: list[tuple[int, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.values:
            self.values = default_registers(self.build, self.ghc_info)

    @property
    def last(self) -> int:
        return last_register(self.build)

    def word(self, address: int) -> int:
        if 0x803804 <= address <= 0x803FFF and address > self.last:
            return 0
        return self.values.get(address, 0)

    def read(self, address: int, words: int) -> bytes:
        """``words`` little-endian words from ``address`` (zero past the end of a region)."""
        if self.build < 1265:
            for a in (PREF_GHC_MCI, MAX_SHOT_PRESS):
                if address <= a < address + 4 * words:
                    raise RegisterHang(f"firmware {self.build} hangs reading 0x{a:06X}")
        return b"".join(self.word(address + 4 * i).to_bytes(4, "little") for i in range(words))

    def write(self, address: int, data: bytes) -> None:
        """Store a register write (value = the LE bytes given, zero-extended)."""
        self.writes.append((address, bytes(data)))
        if address in READ_ONLY or not (0x803804 <= address <= self.last):
            return
        raw = int.from_bytes(bytes(data[:4]).ljust(4, b"\0"), "little")
        low, high = _TRIM.get(address, (0, 0xFFFFFFFF))
        self.values[address] = max(low, min(high, raw))

    def scaled(self, address: int, scale: float) -> float:
        return self.word(address) * scale
