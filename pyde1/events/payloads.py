"""Every event payload class of pyDE1 2.0 (api-contract §2.4), plus two internal ones.

Own fields are declared in wire order; the common keys live on ``Event``.
Field types drive validation: ``float`` accepts any JSON number (ints kept as
ints), ``int`` only integers, enums their member or its wire string, and
``tuple[X, ...]`` a list or tuple.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pyde1.events.base import Event, EventDecodeError
from pyde1.events.enums import (
    AutoTareAction,
    ConnectivityState,
    DeviceAvailabilityState,
    DeviceRole,
    FirmwareUploadState,
    GateAction,
    SequencerGateName,
    StopAtAction,
    StopAtType,
    TemperatureUnit,
)

_payload = dataclasses.dataclass(frozen=True, slots=True, kw_only=True)

# Sender names (api-contract §2.3). Scale and device classes send under their own class name.
SENDER_DE1 = "DE1"
SENDER_SCALE_PROCESSOR = "ScaleProcessor"
SENDER_FLOW_SEQUENCER = "FlowSequencerImpl"
SENDER_BLUETOOTH_SCANNER = "BluetoothScanner"
SENDER_BLUEDOT = "BlueDOT"
# pyDE1's scale class names, then the families pyde1 adds (Decent, Bookoo, Acaia Cinco).
SCALE_SENDERS = ("AtomaxSkaleII", "AcaiaAcaia", "AcaiaLunar", "AcaiaProch", "AcaiaPearlS",
                 "AcaiaPyxis", "FelicitaArc", "GenericScale", "DecentScale", "BookooScale",
                 "AcaiaCinco")


# -- DE1 ---------------------------------------------------------------------------------------

@_payload
class StateUpdate(Event):
    """DE1 StateInfo notification. States/substates are API_MachineStates/API_Substates names."""

    VERSION = "1.0.0"
    DEFAULT_SENDER = SENDER_DE1

    state: str
    substate: str
    previous_state: str
    previous_substate: str
    is_error_state: bool


@_payload
class ShotSampleUpdate(Event):
    """Internal: one decoded DE1 ShotSample before volume estimation. Never published."""

    VERSION = "1.0.0"  # our own; pyDE1 never puts this class on the wire
    PUBLISHED = False
    DEFAULT_SENDER = SENDER_DE1

    sample_time: int
    group_pressure: float
    group_flow: float
    mix_temp: float
    head_temp: float
    set_mix_temp: float
    set_head_temp: float
    set_group_pressure: float
    set_group_flow: float
    frame_number: int
    steam_temp: float
    de1_time: float


@_payload
class ShotSampleWithVolumesUpdate(Event):
    """A ShotSample with the sequence's estimated volumes (published form)."""

    VERSION = "1.2.0"
    DEFAULT_SENDER = SENDER_DE1

    sample_time: int
    group_pressure: float
    group_flow: float
    mix_temp: float
    head_temp: float
    set_mix_temp: float
    set_head_temp: float
    set_group_pressure: float
    set_group_flow: float
    frame_number: int
    steam_temp: float
    de1_time: float
    volume_preinfuse: float
    volume_pour: float
    volume_total: float
    volume_by_frames: tuple[float, ...]

    @classmethod
    def from_sample(cls, sample: ShotSampleUpdate, *, volume_preinfuse: float, volume_pour: float,
                    volume_total: float, volume_by_frames: tuple[float, ...] | list[float],
                    create_time: float | None = None) -> ShotSampleWithVolumesUpdate:
        """The published form of ``sample``: same sample fields, arrival time and sender."""
        sample_fields = {key: getattr(sample, key) for key in ShotSampleUpdate.field_names()}
        return cls(arrival_time=sample.arrival_time, create_time=create_time, sender=sample.sender,
                   volume_preinfuse=volume_preinfuse, volume_pour=volume_pour,
                   volume_total=volume_total, volume_by_frames=volume_by_frames, **sample_fields)


@_payload
class WaterLevelUpdate(Event):
    VERSION = "1.0.0"
    DEFAULT_SENDER = SENDER_DE1

    level: float
    start_fill_level: float


@_payload
class FirmwareUpload(Event):
    VERSION = "1.0.0"
    DEFAULT_SENDER = SENDER_DE1

    state: FirmwareUploadState
    uploaded: int | None
    total: int | None


# -- scales ------------------------------------------------------------------------------------

@_payload
class ScaleWeightUpdate(Event):
    """Internal: a raw weight report from a scale, before processing. Never published.

    ``scale_time`` is the arrival time corrected for the scale's sensor lag.
    """

    VERSION = "1.0.0"  # our own; pyDE1 never puts this class on the wire
    PUBLISHED = False

    weight: float
    scale_time: float


@_payload
class WeightAndFlowUpdate(Event):
    VERSION = "1.0.0"
    DEFAULT_SENDER = SENDER_SCALE_PROCESSOR

    scale_time: float
    current_weight: float
    current_weight_time: float
    average_flow: float
    average_flow_time: float
    median_weight: float
    median_weight_time: float
    median_flow: float
    median_flow_time: float


@_payload
class ScaleTareSeen(Event):
    """The weight came close enough to zero after a tare request. No own fields."""

    VERSION = "1.0.0"


@_payload
class ScaleButtonPress(Event):
    VERSION = "1.0.0"

    button: int


@_payload
class ScaleChange(Event):
    """The scale's class or name was set after connecting (pyDE1 2.0 sends role 'unknown')."""

    VERSION = "1.1.0"

    state: DeviceAvailabilityState
    role: DeviceRole
    id: str
    name: str


# -- flow sequencer ----------------------------------------------------------------------------

@_payload
class SequencerGateNotification(Event):
    VERSION = "1.1.0"
    DEFAULT_SENDER = SENDER_FLOW_SEQUENCER

    name: SequencerGateName
    action: GateAction
    sequence_id: str
    active_state: str | None


@_payload
class StopAtNotification(Event):
    VERSION = "1.1.0"
    DEFAULT_SENDER = SENDER_FLOW_SEQUENCER

    stop_at: StopAtType
    action: StopAtAction
    target_value: float | None
    current_value: float | None
    active_state: str
    current_frame: int | None


@_payload
class AutoTareNotification(Event):
    VERSION = "1.0.0"
    DEFAULT_SENDER = SENDER_FLOW_SEQUENCER

    action: AutoTareAction


# -- Bluetooth and devices ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ScanDevice:
    """One device found by a scan, as listed in ScanResults.devices."""

    address: str
    name: str | None
    rssi: int

    def __post_init__(self) -> None:
        def bad(key: str, expected: str) -> EventDecodeError:
            value = getattr(self, key)
            return EventDecodeError("ScanDevice", key, f"expected {expected}, got {value!r}")

        if not isinstance(self.address, str):
            raise bad("address", "a string")
        if self.name is not None and not isinstance(self.name, str):
            raise bad("name", "a string or null")
        if isinstance(self.rssi, bool) or not isinstance(self.rssi, int):
            raise bad("rssi", "an integer")

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "name": self.name, "rssi": self.rssi}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> ScanDevice:
        for key in ("address", "name", "rssi"):
            if key not in payload:
                raise EventDecodeError("ScanDevice", key, "missing")
        return cls(address=payload["address"], name=payload["name"], rssi=payload["rssi"])


@_payload
class ScanResults(Event):
    VERSION = "1.0.0"
    DEFAULT_SENDER = SENDER_BLUETOOTH_SCANNER

    role: DeviceRole | None
    scanning: bool
    devices: tuple[ScanDevice, ...]


@_payload
class DeviceAvailability(Event):
    """Capture/release state of a device; sender is the device's class name."""

    VERSION = "1.1.0"

    state: DeviceAvailabilityState
    role: DeviceRole
    id: str
    name: str


@_payload
class ConnectivityChange(Event):
    """Deprecated companion of DeviceAvailability; sender is the device's class name."""

    VERSION = "1.1.0"

    state: ConnectivityState
    id: str
    name: str


@_payload
class BlueDOTUpdate(Event):
    VERSION = "1.0.0"
    DEFAULT_SENDER = SENDER_BLUEDOT

    temperature: float
    high_alarm: float
    units: TemperatureUnit
    alarm_byte: str
    name: str
