"""Codecs of the DE1 characteristics that are not MMR or profile packets.

Every class is a frozen dataclass with ``encode() -> bytes`` (strict: out-of-range fields raise
``EncodeError``), ``encode_clamped()`` (clamps and reports) and ``decode(data)`` (wrong length or
invalid values raise ``DecodeError``). ``to_dict()`` uses the reference's field names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyde1.protocol.codec import Field, Packet, as_bytes
from pyde1.protocol.enums import (
    CAL_READ_KEY, CAL_WRITE_KEY, CalCommand, CalTarget, FWMapFirstError, FW_SLOT, MachineState,
    SteamSetting, Substate, machine_state_from_code, substate_from_code,
)
from pyde1.protocol.errors import EncodeError
from pyde1.protocol.fixed import (
    F8_1_7, S32P16, U8P0, U8P4, U16P0, U16P8, U16P12, U24P0, U24P16, U32P0, U64P0, Clamp,
)

__all__ = ["FirmwareVersion", "Versions", "RequestedState", "SetTime", "FWMapRequest",
           "Temperatures", "ShotSettings", "ShotSample", "StateInfo", "WaterLevels",
           "Calibration"]


# --- a001 Versions ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FirmwareVersion(Packet):
    """One 9-byte version record (BLE module or CPU board)."""

    api_version: int
    release: float
    commits: int
    changes: int
    sha: int

    NAME = "Versions"
    FIELDS = (
        Field("api_version", "APIVersion", U8P0),
        Field("release", "Release", F8_1_7),
        Field("commits", "Commits", U16P0),
        Field("changes", "Changes", U8P0),
        Field("sha", "Sha", U32P0),
    )

    @property
    def sha_text(self) -> str:
        """Upper 28 bits as a 7-digit abbreviated git SHA, then the low nibble in parentheses."""
        return f"{self.sha >> 4:07x}({self.sha & 0xF:x})"

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["Sha"] = f"{self.sha:08x}"
        return out


@dataclass(frozen=True)
class Versions(Packet):
    ble: FirmwareVersion
    lv: FirmwareVersion

    CHARACTERISTIC = "a001"
    NAME = "Versions"

    @classmethod
    def size(cls) -> int:
        return 18

    @classmethod
    def decode(cls, data: bytes) -> "Versions":
        data = as_bytes(cls.NAME, data)
        cls._check_length(data, 18)
        return cls(FirmwareVersion.decode(data[:9]), FirmwareVersion.decode(data[9:]))

    def encode_clamped(self) -> tuple[bytes, tuple[Clamp, ...]]:
        ble, c1 = self.ble.encode_clamped()
        lv, c2 = self.lv.encode_clamped()
        return ble + lv, c1 + c2

    @property
    def mmr_available(self) -> bool:
        """de1app uses MMR only when the BLE API version is above 3."""
        return self.ble.api_version > 3

    def to_dict(self) -> dict[str, Any]:
        return {"BLE": self.ble.to_dict(), "LV": self.lv.to_dict()}


# --- a002 RequestedState ---------------------------------------------------------------------

@dataclass(frozen=True)
class RequestedState(Packet):
    state: MachineState

    CHARACTERISTIC = "a002"
    NAME = "RequestedState"
    FIELDS = (Field("state", "State", U8P0),)

    @classmethod
    def _from_wire(cls, data: bytes, values: dict[str, Any]) -> "RequestedState":
        code = values["state"]
        if machine_state_from_code(code) is MachineState.UNKNOWN:
            raise cls._fail(data, f"unknown state code 0x{code:02X}")
        return cls(MachineState(code))

    def _to_wire(self) -> dict[str, Any]:
        state = self.state
        if not isinstance(state, int) or machine_state_from_code(int(state)) is MachineState.UNKNOWN:
            raise EncodeError("RequestedState.State", state, "not a DE1 state code")
        return {"state": int(state)}


# --- a003 SetTime ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SetTime(Packet):
    timestamp: int  # whole seconds (Unix epoch)

    CHARACTERISTIC = "a003"
    NAME = "SetTime"
    FIELDS = (Field("timestamp", "Timestamp", U64P0),)


# --- a009 FWMapRequest -----------------------------------------------------------------------

@dataclass(frozen=True)
class FWMapRequest(Packet):
    window_increment: int = 0
    fw_to_erase: int = 0
    fw_to_map: int = FW_SLOT
    first_error: int = FWMapFirstError.Ignore

    CHARACTERISTIC = "a009"
    NAME = "FWMapRequest"
    FIELDS = (
        Field("window_increment", "WindowIncrement", U16P0),
        Field("fw_to_erase", "FWToErase", U8P0),
        Field("fw_to_map", "FWToMap", U8P0),
        Field("first_error", "FirstError", U24P0),
    )

    @classmethod
    def erase(cls, slot: int = FW_SLOT) -> "FWMapRequest":
        """Erase request as de1app sends it (FirstError ignored)."""
        return cls(0, slot, slot, FWMapFirstError.Ignore)

    @classmethod
    def report_first_error(cls, slot: int = FW_SLOT) -> "FWMapRequest":
        return cls(0, 0, slot, FWMapFirstError.ReportFirst)

    @classmethod
    def report_next_error(cls, slot: int = FW_SLOT) -> "FWMapRequest":
        return cls(0, 0, slot, FWMapFirstError.ReportNext)

    @property
    def erase_in_progress(self) -> bool:
        return self.fw_to_erase != 0

    @property
    def verified_ok(self) -> bool:
        return self.first_error == FWMapFirstError.NoneFound

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        try:
            out["FirstError"] = FWMapFirstError(self.first_error).name
        except ValueError:
            out["FirstError"] = f"0x{self.first_error:06X}"
        return out


# --- a00a Temperatures -----------------------------------------------------------------------

_HEATERS = (("water_heater", "WaterHeater"), ("steam_heater", "SteamHeater"),
            ("group_heater", "GroupHeater"), ("cold_water", "ColdWater"))


@dataclass(frozen=True)
class Temperatures(Packet):
    water_heater: float
    steam_heater: float
    group_heater: float
    cold_water: float
    target_water_heater: float
    target_steam_heater: float
    target_group_heater: float
    target_cold_water: float

    CHARACTERISTIC = "a00a"
    NAME = "Temperatures"
    FIELDS = tuple(Field(attr, f"Current.{wire}", U16P8) for attr, wire in _HEATERS) + tuple(
        Field(f"target_{attr}", f"Target.{wire}", U16P8) for attr, wire in _HEATERS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "Current": {wire: getattr(self, attr) for attr, wire in _HEATERS},
            "Target": {wire: getattr(self, f"target_{attr}") for attr, wire in _HEATERS},
        }


# --- a00b ShotSettings -----------------------------------------------------------------------

@dataclass(frozen=True)
class ShotSettings(Packet):
    steam_settings: SteamSetting
    target_steam_temp: int       # °C; 0 = steam heater off
    target_steam_length: int     # s
    target_hot_water_temp: int   # °C
    target_hot_water_vol: int    # ml
    target_hot_water_length: int  # s
    target_espresso_vol: int     # ml (legacy)
    target_group_temp: float     # °C

    CHARACTERISTIC = "a00b"
    NAME = "ShotSettings"
    FIELDS = (
        Field("steam_settings", "SteamSettings", U8P0),
        Field("target_steam_temp", "TargetSteamTemp", U8P0),
        Field("target_steam_length", "TargetSteamLength", U8P0),
        Field("target_hot_water_temp", "TargetHotWaterTemp", U8P0),
        Field("target_hot_water_vol", "TargetHotWaterVol", U8P0),
        Field("target_hot_water_length", "TargetHotWaterLength", U8P0),
        Field("target_espresso_vol", "TargetEspressoVol", U8P0),
        Field("target_group_temp", "TargetGroupTemp", U16P8),
    )

    @classmethod
    def _from_wire(cls, data: bytes, values: dict[str, Any]) -> "ShotSettings":
        values["steam_settings"] = SteamSetting(values["steam_settings"])
        return cls(**values)

    def _to_wire(self) -> dict[str, Any]:
        values = super()._to_wire()
        values["steam_settings"] = int(values["steam_settings"])
        return values

    @property
    def steam_heater_off(self) -> bool:
        return self.target_steam_temp == 0


# --- a00d ShotSample -------------------------------------------------------------------------

_SHOT_SAMPLE_EVENT_NAMES = (
    ("sample_time", "SampleTime"), ("group_pressure", "GroupPressure"),
    ("group_flow", "GroupFlow"), ("mix_temp", "MixTemp"), ("head_temp", "HeadTemp"),
    ("set_mix_temp", "SetMixTemp"), ("set_head_temp", "SetHeadTemp"),
    ("set_group_pressure", "SetGroupPressure"), ("set_group_flow", "SetGroupFlow"),
    ("frame_number", "FrameNumber"), ("steam_temp", "SteamTemp"),
)


@dataclass(frozen=True)
class ShotSample(Packet):
    sample_time: int           # AC half-cycles, wraps at 65536
    group_pressure: float      # bar
    group_flow: float          # ml/s
    mix_temp: float            # °C
    head_temp: float           # °C
    set_mix_temp: float        # °C
    set_head_temp: float       # °C
    set_group_pressure: float  # bar
    set_group_flow: float      # ml/s
    frame_number: int
    steam_temp: int            # °C

    CHARACTERISTIC = "a00d"
    NAME = "ShotSample"
    FIELDS = (
        Field("sample_time", "SampleTime", U16P0),
        Field("group_pressure", "GroupPressure", U16P12),
        Field("group_flow", "GroupFlow", U16P12),
        Field("mix_temp", "MixTemp", U16P8),
        Field("head_temp", "HeadTemp", U24P16),
        Field("set_mix_temp", "SetMixTemp", U16P8),
        Field("set_head_temp", "SetHeadTemp", U16P8),
        Field("set_group_pressure", "SetGroupPressure", U8P4),
        Field("set_group_flow", "SetGroupFlow", U8P4),
        Field("frame_number", "FrameNumber", U8P0),
        Field("steam_temp", "SteamTemp", U8P0),
    )

    def to_event_dict(self) -> dict[str, Any]:
        """The fields under the names pyDE1 publishes in ShotSampleWithVolumesUpdate."""
        return {attr: getattr(self, attr) for attr, _ in _SHOT_SAMPLE_EVENT_NAMES}


# --- a00e StateInfo --------------------------------------------------------------------------

@dataclass(frozen=True)
class StateInfo(Packet):
    """Current state and substate.

    Unknown wire codes decode to ``MachineState.UNKNOWN`` / ``Substate.UNKNOWN`` or
    ``Substate.ERROR_UNKNOWN`` (as pyDE1 publishes them); the original code is kept in
    ``raw_state`` / ``raw_substate`` so that re-encoding gives the same bytes.
    """

    state: MachineState
    substate: Substate
    raw_state: int | None = None
    raw_substate: int | None = None

    CHARACTERISTIC = "a00e"
    NAME = "StateInfo"
    FIELDS = (Field("state", "State", U8P0), Field("substate", "SubState", U8P0))

    def __post_init__(self) -> None:
        # Accept plain ints: known codes become enum members, unknown ones keep their code.
        if not isinstance(self.state, MachineState) and isinstance(self.state, int):
            state = machine_state_from_code(self.state)
            if state is MachineState.UNKNOWN and self.raw_state is None:
                object.__setattr__(self, "raw_state", self.state)
            object.__setattr__(self, "state", state)
        if not isinstance(self.substate, Substate) and isinstance(self.substate, int):
            sub = substate_from_code(self.substate)
            if sub in (Substate.UNKNOWN, Substate.ERROR_UNKNOWN) and self.raw_substate is None:
                object.__setattr__(self, "raw_substate", self.substate)
            object.__setattr__(self, "substate", sub)

    @classmethod
    def _from_wire(cls, data: bytes, values: dict[str, Any]) -> "StateInfo":
        return cls(values["state"], values["substate"])

    def _to_wire(self) -> dict[str, Any]:
        if self.raw_state is not None:
            state = self.raw_state
        elif self.state is MachineState.UNKNOWN:
            raise EncodeError("StateInfo.State", self.state, "UNKNOWN has no wire code")
        else:
            state = int(self.state)
        if self.raw_substate is not None:
            sub = self.raw_substate
        elif self.substate in (Substate.UNKNOWN, Substate.ERROR_UNKNOWN):
            raise EncodeError("StateInfo.SubState", self.substate,
                              f"{self.substate.name} has no wire code")
        else:
            sub = int(self.substate)
        return {"state": state, "substate": sub}

    @property
    def is_error(self) -> bool:
        return self.state == MachineState.FatalError or self.substate >= 200

    def to_dict(self) -> dict[str, Any]:
        return {"State": self.state.name, "SubState": self.substate.name}

    def to_event_dict(self) -> dict[str, Any]:
        """The fields pyDE1's StateUpdate derives from the packet itself."""
        return {"state": self.state.name, "substate": self.substate.name}


# --- a011 WaterLevels ------------------------------------------------------------------------

@dataclass(frozen=True)
class WaterLevels(Packet):
    level: float             # mm above the sensor
    start_fill_level: float  # refill threshold, mm

    CHARACTERISTIC = "a011"
    NAME = "WaterLevels"
    FIELDS = (Field("level", "Level", U16P8), Field("start_fill_level", "StartFillLevel", U16P8))

    @classmethod
    def refill_threshold(cls, mm: float) -> "WaterLevels":
        """The write clients send: Level 0, StartFillLevel = threshold (U16P8, ×256)."""
        return cls(0.0, mm)

    def to_event_dict(self) -> dict[str, Any]:
        return {"level": self.level, "start_fill_level": self.start_fill_level}


# --- a012 Calibration ------------------------------------------------------------------------

@dataclass(frozen=True)
class Calibration(Packet):
    write_key: int
    command: CalCommand
    target: CalTarget
    reported: float   # DE1ReportedVal
    measured: float   # MeasuredVal

    CHARACTERISTIC = "a012"
    NAME = "Calibration"
    FIELDS = (
        Field("write_key", "WriteKey", U32P0),
        Field("command", "CalCommand", U8P0),
        Field("target", "CalTarget", U8P0),
        Field("reported", "DE1ReportedVal", S32P16),
        Field("measured", "MeasuredVal", S32P16),
    )

    @classmethod
    def _from_wire(cls, data: bytes, values: dict[str, Any]) -> "Calibration":
        try:
            values["command"] = CalCommand(values["command"])
        except ValueError:
            raise cls._fail(data, f"unknown CalCommand {values['command']}") from None
        try:
            values["target"] = CalTarget(values["target"])
        except ValueError:
            raise cls._fail(data, f"unknown CalTarget {values['target']}") from None
        return cls(**values)

    def _to_wire(self) -> dict[str, Any]:
        values = super()._to_wire()
        for attr, enum_type in (("command", CalCommand), ("target", CalTarget)):
            try:
                values[attr] = int(enum_type(values[attr]))
            except (ValueError, TypeError):
                raise EncodeError(f"Calibration.{enum_type.__name__}", values[attr],
                                  f"not a {enum_type.__name__}") from None
        return values

    @classmethod
    def read(cls, target: CalTarget, factory: bool = False) -> "Calibration":
        """Read request with de1app's WriteKey (1)."""
        command = CalCommand.ReadFactory if factory else CalCommand.Read
        return cls(CAL_READ_KEY, command, target, 0.0, 0.0)

    @classmethod
    def write(cls, target: CalTarget, reported: float, measured: float) -> "Calibration":
        return cls(CAL_WRITE_KEY, CalCommand.Write, target, reported, measured)

    @classmethod
    def reset(cls, target: CalTarget) -> "Calibration":
        return cls(CAL_WRITE_KEY, CalCommand.Reset, target, 0.0, 0.0)

    @property
    def is_error(self) -> bool:
        return self.target == CalTarget.CalError

    @property
    def calibration(self) -> float | None:
        """Ratio (flow, pressure) or difference (temperature) measured against reported."""
        if self.target == CalTarget.CalTemp:
            return self.measured - self.reported
        if self.target in (CalTarget.CalFlow, CalTarget.CalPressure) and self.reported:
            return self.measured / self.reported
        return None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["WriteKey"] = f"{self.write_key:08X}"
        return out


