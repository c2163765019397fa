"""MMR (memory-mapped register) table, value codecs and firmware feature flags.

Register contents are 32-bit little-endian words (the address inside ReadFromMMR/WriteToMMR
packets is big-endian; see ``mmr_packets``). ``Register.decode(raw)`` turns a raw word into a
value; ``Register.encode(value)`` does the reverse, rounding half away from zero (truncation, as
some clients do, can lose a count: 1.15 × 100 = 114.999…).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from typing import Any

from pyde1.protocol.enums import AppFeatureFlag, GHCInfo, RefillKit, V13Model
from pyde1.protocol.errors import EncodeError, UnknownRegisterError
from pyde1.protocol.fixed import round_half_away

__all__ = ["Kind", "Register", "REGISTERS", "register", "register_at", "register_containing",
           "FeatureFlags", "last_mmr0x80", "register_exists", "ghc_active", "ghc_required",
           "heater_voltage_nominal", "heater_voltage_explicit", "DEBUG_BUFFER_START",
           "DEBUG_BUFFER_END", "WORD_MAX", "FLASH_END", "MMR_BASE"]

WORD_MAX = 0xFFFFFFFF
MMR_BASE = 0x800000
FLASH_END = 0x0FFFFF
DEBUG_BUFFER_START = 0x802804
DEBUG_BUFFER_END = 0x803803  # inclusive


class Kind(enum.Enum):
    RAW = "raw"        # shown as hex; nobody decodes it
    INT = "int"        # plain integer
    SCALED = "scaled"  # value = raw / divisor
    ENUM = "enum"      # an IntEnum of enums.py
    FLAGS = "flags"    # an IntFlag of enums.py
    BOOL = "bool"      # 0 / 1
    TEXT = "text"      # debug log bytes


@dataclass(frozen=True)
class Register:
    address: int
    name: str                 # pyDE1 name
    kind: Kind
    readable: bool = True
    writable: bool = False
    divisor: int = 1          # SCALED: value = raw / divisor
    unit: str = ""
    enum_type: type | None = None
    min_fw: int | None = None           # pyDE1's gating
    length: int = 4                     # bytes
    never_read_alone: bool = False      # hazard: hangs some firmware when read on its own
    read_always: bool = False           # can change without being written
    reaprime_name: str = ""
    description: str = ""

    def decode(self, raw: int) -> Any:
        """Raw little-endian word (unsigned) to value."""
        if self.kind is Kind.SCALED:
            return raw / self.divisor
        if self.kind is Kind.BOOL:
            return raw != 0
        if self.kind in (Kind.ENUM, Kind.FLAGS):
            try:
                return self.enum_type(raw)
            except ValueError:
                return raw  # unknown code: keep the number
        return raw

    def encode(self, value: Any) -> int:
        """Value to raw word; raises ``EncodeError`` for values that do not fit or are wrong."""
        field = f"MMR {self.name}"
        if isinstance(value, bool):
            if self.kind not in (Kind.BOOL, Kind.ENUM):
                raise EncodeError(field, value, "a boolean is not a valid value")
            value = int(value)
        if not isinstance(value, (int, float)):
            raise EncodeError(field, value, "not a number")
        if value != value or value in (float("inf"), float("-inf")):
            raise EncodeError(field, value, "not a finite number")
        if self.kind is Kind.SCALED:
            raw = round_half_away(value * self.divisor)
        else:
            if value != int(value):
                raise EncodeError(field, value, "must be a whole number")
            raw = int(value)
        if self.kind is Kind.ENUM:
            try:
                self.enum_type(raw)
            except ValueError:
                raise EncodeError(field, value, f"not a {self.enum_type.__name__} value") from None
        if not 0 <= raw <= WORD_MAX:
            raise EncodeError(field, value, "does not fit an unsigned 32-bit register")
        return raw

    def to_json(self, raw: int) -> Any:
        value = self.decode(raw)
        if self.kind is Kind.RAW:
            return f"0x{raw:08X}"
        if isinstance(value, enum.Flag):
            return int(value)
        if isinstance(value, enum.Enum):
            return value.name
        return value


_R = dict(readable=True, writable=False)
_RW = dict(readable=True, writable=True)

REGISTERS: tuple[Register, ...] = (
    Register(0x800000, "HW_CONFIG", Kind.RAW, reaprime_name="hwConfig",
             description="hardware configuration"),
    Register(0x800004, "MODEL", Kind.RAW, reaprime_name="model", description="model word"),
    Register(0x800008, "CPU_BOARD_MODEL", Kind.SCALED, divisor=1000,
             reaprime_name="cpuBoardModel", description="CPU board version (1.1, 1.3)"),
    Register(0x80000C, "V13_MODEL", Kind.ENUM, enum_type=V13Model, reaprime_name="v13Model",
             description="machine model"),
    Register(0x800010, "CPU_FIRMWARE_BUILD", Kind.INT, reaprime_name="cpuFirmwareBuild",
             read_always=False, description="CPU firmware build number; basis of feature flags"),
    Register(0x802800, "DEBUG_LEN", Kind.INT, read_always=True, reaprime_name="debugLen",
             description="valid characters in the debug buffer; reading pauses debug logging"),
    Register(DEBUG_BUFFER_START, "DEBUG_BUFFER", Kind.TEXT, length=0x1000, read_always=True,
             reaprime_name="debugBuffer", description="last 4 KiB of debug output"),
    Register(0x803804, "DEBUG_CONFIG", Kind.RAW, reaprime_name="debugConfig",
             description="BLE debug config; reading restarts logging"),
    Register(0x803808, "FAN_THRESHOLD", Kind.INT, **_RW, unit="°C", reaprime_name="fanThreshold",
             description="fan switch-on temperature"),
    Register(0x80380C, "TANK_TEMP", Kind.INT, **_RW, unit="°C", reaprime_name="tankTemp",
             description="tank-water temperature threshold; 0 = no preheat"),
    Register(0x803810, "HEATER_UP1_FLOW", Kind.SCALED, **_RW, divisor=10, unit="ml/s",
             reaprime_name="heaterUp1Flow", description="heater warm-up phase 1 flow"),
    Register(0x803814, "HEATER_UP2_FLOW", Kind.SCALED, **_RW, divisor=10, unit="ml/s",
             reaprime_name="heaterUp2Flow", description="heater warm-up phase 2 flow"),
    Register(0x803818, "WATER_HEATER_IDLE_TEMP", Kind.SCALED, **_RW, divisor=10, unit="°C",
             reaprime_name="waterHeaterIdleTemp", description="water-heater idle temperature"),
    Register(0x80381C, "GHC_INFO", Kind.FLAGS, enum_type=GHCInfo, reaprime_name="ghcInfo",
             description="group-head controller info"),
    Register(0x803820, "PREF_GHC_MCI", Kind.RAW, never_read_alone=True,
             description="not implemented in firmware; never read on its own"),
    Register(0x803824, "MAX_SHOT_PRESS", Kind.RAW, never_read_alone=True,
             description="not implemented in firmware; never read on its own"),
    Register(0x803828, "TARGET_STEAM_FLOW", Kind.SCALED, **_RW, divisor=100, unit="ml/s",
             reaprime_name="targetSteamFlow", description="target steam flow"),
    Register(0x80382C, "STEAM_START_SECS", Kind.SCALED, **_RW, divisor=100, unit="s",
             reaprime_name="steamStartSecs", description="seconds of high steam flow at start"),
    Register(0x803830, "SERIAL_NUMBER", Kind.INT, reaprime_name="serialN",
             description="serial number"),
    Register(0x803834, "HEATER_VOLTAGE", Kind.INT, **_RW, unit="V", reaprime_name="heaterV",
             description="nominal heater voltage 0/120/230, +1000 when set explicitly"),
    Register(0x803838, "HEATER_UP2_TIMEOUT", Kind.SCALED, **_RW, divisor=10, unit="s",
             reaprime_name="heaterUp2Timeout", description="warm-up phase 2 timeout"),
    Register(0x80383C, "CAL_FLOW_EST", Kind.SCALED, **_RW, divisor=1000, min_fw=1250,
             reaprime_name="calFlowEst", description="flow-estimate calibration multiplier"),
    Register(0x803840, "FLUSH_FLOW_RATE", Kind.SCALED, **_RW, divisor=10, unit="ml/s",
             min_fw=1283, reaprime_name="flushFlowRate", description="flush flow rate"),
    Register(0x803844, "FLUSH_TEMP", Kind.SCALED, **_RW, divisor=10, unit="°C", min_fw=1283,
             reaprime_name="flushTemp", description="flush temperature"),
    Register(0x803848, "FLUSH_TIMEOUT", Kind.SCALED, **_RW, divisor=10, unit="s", min_fw=1283,
             reaprime_name="flushTimeout", description="flush duration"),
    Register(0x80384C, "HOT_WATER_FLOW_RATE", Kind.SCALED, **_RW, divisor=10, unit="ml/s",
             min_fw=1283, reaprime_name="hotWaterFlowRate", description="hot-water flow rate"),
    Register(0x803850, "STEAM_PURGE_MODE", Kind.BOOL, **_RW, min_fw=1320,
             reaprime_name="steamPurgeMode", description="two GHC taps to stop steam"),
    Register(0x803854, "ALLOW_USB_CHARGING", Kind.BOOL, **_RW, min_fw=1320, read_always=True,
             reaprime_name="allowUSBCharging", description="tablet USB charging outlet"),
    Register(0x803858, "APP_FEATURE_FLAGS", Kind.FLAGS, **_RW, enum_type=AppFeatureFlag,
             min_fw=1320, reaprime_name="appFeatureFlags", description="features the app knows"),
    Register(0x80385C, "REFILL_KIT_PRESENT", Kind.ENUM, **_RW, enum_type=RefillKit,
             min_fw=1320, reaprime_name="refillKitPresent",
             description="refill kit: 0 absent, 1 present, 2 auto-detect"),
    Register(0x803860, "USER_PRESENT", Kind.BOOL, **_RW, min_fw=1320, read_always=True,
             reaprime_name="userPresent", description="write 1: a user is present"),
)

LAST_KNOWN = 0x803860

_BY_ADDRESS = {r.address: r for r in REGISTERS}
_BY_NAME = {r.name.lower(): r for r in REGISTERS}
_BY_NAME.update({r.reaprime_name.lower(): r for r in REGISTERS if r.reaprime_name})


def register(key: "int | str | Register") -> Register:
    """Look a register up by address, name (pyDE1 or ReaPrime spelling) or pass it through."""
    if isinstance(key, Register):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        found = _BY_ADDRESS.get(key)
    elif isinstance(key, str):
        found = _BY_NAME.get(key.strip().lower())
    else:
        found = None
    if found is None:
        raise UnknownRegisterError(key)
    return found


def register_at(address: int) -> Register | None:
    """The register starting at ``address``, or ``None``."""
    return _BY_ADDRESS.get(address)


def register_containing(address: int) -> Register | None:
    """The register whose bytes include ``address`` (the debug buffer spans 4 KiB)."""
    found = _BY_ADDRESS.get(address)
    if found is None and DEBUG_BUFFER_START <= address <= DEBUG_BUFFER_END:
        return _BY_ADDRESS[DEBUG_BUFFER_START]
    return found


# --- firmware-dependent facts --------------------------------------------------------------

def last_mmr0x80(fw: int) -> int:
    """Highest configuration register that exists (and may be read) on firmware ``fw``."""
    if fw < 1250:
        return 0x803838
    if fw < 1283:
        return 0x80383C
    return LAST_KNOWN


def register_exists(reg: "int | str | Register", fw: int | None) -> bool | None:
    """Whether the register may be accessed on firmware ``fw`` (None: build not yet known)."""
    reg = register(reg)
    if reg.address < 0x803804:
        return True
    if fw is None:
        return None
    if reg.min_fw is not None and fw < reg.min_fw:
        return False
    return reg.address <= last_mmr0x80(fw)


def ghc_active(ghc_info: int) -> bool:
    """pyDE1/ReaPrime test: bit 0x04 — the app must not start flows."""
    return bool(ghc_info & GHCInfo.GHC_ACTIVE)


def ghc_required(ghc_info: int) -> bool:
    """Conservative union of de1app's rule (value not in {0,1,2,4}) and the 0x04 bit test."""
    return ghc_info not in (0, 1, 2, 4) or ghc_active(ghc_info)


def heater_voltage_explicit(raw: int) -> bool:
    """The +1000 marker: the voltage was set explicitly."""
    return raw >= 1000


def heater_voltage_nominal(raw: int) -> int | None:
    """120, 230 or ``None`` (unknown) from the HEATER_VOLTAGE register."""
    volts = raw - 1000 if raw >= 1000 else raw
    if 90 <= volts <= 150:
        return 120
    if 180 <= volts <= 260:
        return 230
    return None


@dataclass(frozen=True)
class FeatureFlags:
    """Features derived from CPU_FIRMWARE_BUILD. Every flag is ``None`` until it is known."""

    fw_version: int | None = None
    last_mmr0x80: int | None = None
    safe_to_read_mmr_continuous: bool | None = None
    skip_to_next: bool | None = None
    rinse_control: bool | None = None
    sched_idle: bool | None = None
    steam_purge_mode: bool | None = None
    allow_usb_charging: bool | None = None
    app_feature_flag_user_present: bool | None = None
    refill_kit_present: bool | None = None
    user_present: bool | None = None
    # Constant decisions (pyDE1): never read these registers alone, do not use hot-water flow.
    mmr_pref_ghc_mci: bool = False
    mmr_max_shot_press: bool = False
    hot_water_flow_control: bool = False

    @classmethod
    def from_build(cls, fw: int | None) -> "FeatureFlags":
        if fw is None:
            return cls()
        at_1320 = fw >= 1320
        return cls(
            fw_version=fw,
            last_mmr0x80=last_mmr0x80(fw),
            safe_to_read_mmr_continuous=fw >= 1265,
            skip_to_next=fw >= 1260,
            rinse_control=fw >= 1283,
            sched_idle=fw >= 1293,
            steam_purge_mode=at_1320,
            allow_usb_charging=at_1320,
            app_feature_flag_user_present=at_1320,
            refill_kit_present=at_1320,
            user_present=at_1320,
        )

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
