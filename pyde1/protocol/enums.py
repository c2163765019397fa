"""Enumerations and bit fields of the DE1 protocol.

Member names are the names pyDE1 publishes (MQTT/HTTP/database use them as strings), so
``MachineState.Espresso.name == "Espresso"`` and ``Substate.Error_NaN.name == "Error_NaN"``.
"""

from __future__ import annotations

import enum

__all__ = [
    "MachineState", "Substate", "FlowPhase", "FLOW_STATES", "is_flow_state", "flow_phase",
    "machine_state_from_code", "substate_from_code", "is_error_state",
    "FrameFlag", "MAX_VOL_FLAG", "TAIL_IGNORE_PREINFUSION_FLAG", "SteamSetting",
    "CalTarget", "CalCommand", "CAL_WRITE_KEY", "CAL_READ_KEY",
    "FWMapFirstError", "FW_SLOT",
    "V13Model", "GHCInfo", "AppFeatureFlag", "RefillKit",
    "FirmwareModel", "FirmwareConfig", "BoardVersion", "TotalVolumeOrWeight",
]


class MachineState(enum.IntEnum):
    """StateInfo byte 0 and RequestedState codes. ``UNKNOWN`` never appears on the wire."""

    Sleep = 0x00
    GoingToSleep = 0x01
    Idle = 0x02
    Busy = 0x03
    Espresso = 0x04
    Steam = 0x05
    HotWater = 0x06
    ShortCal = 0x07
    SelfTest = 0x08
    LongCal = 0x09
    Descale = 0x0A
    FatalError = 0x0B
    Init = 0x0C
    NoRequest = 0x0D
    SkipToNext = 0x0E
    HotWaterRinse = 0x0F
    SteamRinse = 0x10
    Refill = 0x11
    Clean = 0x12
    InBootLoader = 0x13
    AirPurge = 0x14
    SchedIdle = 0x15
    UNKNOWN = -1


class Substate(enum.IntEnum):
    """StateInfo byte 1. ``UNKNOWN`` (199) and ``ERROR_UNKNOWN`` (299) never appear on the wire."""

    NoState = 0
    HeatWaterTank = 1
    HeatWaterHeater = 2
    StabilizeMixTemp = 3
    PreInfuse = 4
    Pour = 5
    Flush = 6
    Steaming = 7
    DescaleInit = 8
    DescaleFillGroup = 9
    DescaleReturn = 10
    DescaleGroup = 11
    DescaleSteam = 12
    CleanInit = 13
    CleanFillGroup = 14
    CleanSoak = 15
    CleanGroup = 16
    PausedRefill = 17
    PausedSteam = 18
    UserNotPresent = 19
    SteamPuff = 20
    UNKNOWN = 199
    Error_NaN = 200
    Error_Inf = 201
    Error_Generic = 202
    Error_ACC = 203
    Error_TSensor = 204
    Error_PSensor = 205
    Error_WLevel = 206
    Error_DIP = 207
    Error_Assertion = 208
    Error_Unsafe = 209
    Error_InvalidParm = 210
    Error_Flash = 211
    Error_OOM = 212
    Error_Deadline = 213
    Error_HiCurrent = 214
    Error_LoCurrent = 215
    Error_BootFill = 216
    ERROR_UNKNOWN = 299

    @property
    def is_error(self) -> bool:
        return self >= 200


_PSEUDO_STATES = {MachineState.UNKNOWN}
_PSEUDO_SUBSTATES = {Substate.UNKNOWN, Substate.ERROR_UNKNOWN}


def machine_state_from_code(code: int) -> MachineState:
    """Wire code to state; unrecognised codes become ``UNKNOWN`` (as pyDE1 publishes them)."""
    try:
        state = MachineState(code)
    except ValueError:
        return MachineState.UNKNOWN
    return MachineState.UNKNOWN if state in _PSEUDO_STATES else state


def substate_from_code(code: int) -> Substate:
    """Wire code to substate; unknown codes become ``UNKNOWN`` (< 200) or ``ERROR_UNKNOWN``."""
    try:
        sub = Substate(code)
    except ValueError:
        sub = None
    if sub is None or sub in _PSEUDO_SUBSTATES:
        return Substate.UNKNOWN if code < 200 else Substate.ERROR_UNKNOWN
    return sub


FLOW_STATES = frozenset({MachineState.Espresso, MachineState.Steam, MachineState.HotWater,
                         MachineState.HotWaterRinse})


def is_flow_state(state: MachineState) -> bool:
    return state in FLOW_STATES


def is_error_state(state: MachineState, substate: Substate) -> bool:
    return state == MachineState.FatalError or substate >= 200


class FlowPhase(enum.Enum):
    before = "before"
    during = "during"
    after = "after"


# Union of de1app's and pyDE1's tables (docs/protocol.md): de1app counts NoState ("starting")
# as before; pyDE1 adds the steam substates to during.
_PHASE_OF_SUBSTATE = {
    Substate.NoState: FlowPhase.before,
    Substate.HeatWaterTank: FlowPhase.before,
    Substate.HeatWaterHeater: FlowPhase.before,
    Substate.StabilizeMixTemp: FlowPhase.before,
    Substate.PreInfuse: FlowPhase.during,
    Substate.Pour: FlowPhase.during,
    Substate.Steaming: FlowPhase.during,
    Substate.PausedSteam: FlowPhase.during,
    Substate.Flush: FlowPhase.after,
}


def flow_phase(state: MachineState, substate: Substate) -> FlowPhase | None:
    """Phase of a flow; ``None`` outside flow states or for substates without a phase."""
    if not is_flow_state(state):
        return None
    return _PHASE_OF_SUBSTATE.get(substate)


class FrameFlag(enum.IntFlag):
    """ShotFrame byte 1. A clear bit means the opposite (CtrlP, DontCompare, DC_LT, ...)."""

    CtrlF = 0x01            # flow priority (clear: pressure priority)
    DoCompare = 0x02        # exit early when the comparison is true
    DC_GT = 0x04            # compare "greater than" (clear: less than)
    DC_CompF = 0x08         # compare flow (clear: pressure)
    TMixTemp = 0x10         # target mix temperature (clear: basket temperature)
    Interpolate = 0x20      # ramp over the frame (clear: jump)
    IgnoreLimit = 0x40      # ignore the header's MinimumPressure / MaximumFlow
    DC_ComparePower = 0x80  # Bengle protocol v2 only; never set for a DE1


MAX_VOL_FLAG = 0x0400                  # set by de1app in every frame MaxVol (meaning undocumented)
TAIL_IGNORE_PREINFUSION_FLAG = 0x8000  # documented in the tail; de1app never sends it


class SteamSetting(enum.IntFlag):
    """ShotSettings byte 0 (clear bits: SlowStart, LowPower)."""

    HighPower = 0x40
    FastStart = 0x80


class CalTarget(enum.IntEnum):
    CalFlow = 0
    CalPressure = 1
    CalTemp = 2
    CalError = 255


class CalCommand(enum.IntEnum):
    Read = 0
    Write = 1
    Reset = 2
    ReadFactory = 3


CAL_WRITE_KEY = 0xCAFEF00D  # required for Write and Reset
CAL_READ_KEY = 1            # what de1app sends for reads (pyDE1 sends 0)


class FWMapFirstError(enum.IntEnum):
    """Special FirstError values of FWMapRequest; any other response value is an address."""

    Ignore = 0x000000       # request: ignore (used with an erase)
    NoneFound = 0xFFFFFD    # response: no (remaining) errors
    ReportNext = 0xFFFFFE   # request: report next block needing repair
    ReportFirst = 0xFFFFFF  # request: report first block needing repair


FW_SLOT = 1  # firmware slot every client erases and maps


class V13Model(enum.IntEnum):
    """MMR V13_MODEL (0x80000C), de1app's numbering."""

    UNSET = 0
    DE1 = 1
    DE1PLUS = 2
    DE1PRO = 3
    DE1XL = 4
    DE1CAFE = 5
    DE1XXL = 6
    DE1XXXL = 7


class GHCInfo(enum.IntFlag):
    """MMR GHC_INFO (0x80381C)."""

    LED_CONTROLLER_PRESENT = 0x00000001
    TOUCH_CONTROLLER_PRESENT = 0x00000002
    GHC_ACTIVE = 0x00000004
    FACTORY_MODE = 0x80000000


class AppFeatureFlag(enum.IntFlag):
    """MMR APP_FEATURE_FLAGS (0x803858)."""

    USER_PRESENT = 0x1


class RefillKit(enum.IntEnum):
    """MMR REFILL_KIT_PRESENT (0x80385C): tri-state as de1app and ReaPrime use it."""

    ABSENT = 0
    PRESENT = 1
    AUTO_DETECT = 2


class FirmwareModel(enum.IntEnum):
    """Firmware-header ``Models`` enum (not seen on the wire)."""

    Model_Plus = 1
    Model_Pro = 2
    Model_CAFE = 4


class FirmwareConfig(enum.IntFlag):
    """Firmware-header ``Config`` flags (not seen on the wire)."""

    LowPowerHeater = 0x1
    CFG_Refill = 0x2
    Voltage_120V = 0x4


class BoardVersion(enum.IntEnum):
    PRE_H = 0
    H = 1


class TotalVolumeOrWeight(enum.IntEnum):
    UseVolume = 0x0000
    UseWeight = 0x8000
