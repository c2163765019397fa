"""Event payloads: frozen dataclasses that serialise to exactly pyDE1 2.0's MQTT JSON.

Build with keywords (``StateUpdate(state="Espresso", ..., arrival_time=t)``), publish
``event.to_json()`` on ``event.topic(root)``, rebuild with ``decode(payload_dict)``
or ``SomeClass.from_dict(...)``. See ``base.Event`` for the common keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyde1.events.base import COMMON_LEADING_KEYS, COMMON_TRAILING_KEYS, Event, EventDecodeError
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
from pyde1.events.payloads import (
    SCALE_SENDERS,
    SENDER_BLUEDOT,
    SENDER_BLUETOOTH_SCANNER,
    SENDER_DE1,
    SENDER_FLOW_SEQUENCER,
    SENDER_SCALE_PROCESSOR,
    AutoTareNotification,
    BlueDOTUpdate,
    ConnectivityChange,
    DeviceAvailability,
    FirmwareUpload,
    ScaleButtonPress,
    ScaleChange,
    ScaleTareSeen,
    ScaleWeightUpdate,
    ScanDevice,
    ScanResults,
    SequencerGateNotification,
    ShotSampleUpdate,
    ShotSampleWithVolumesUpdate,
    StateUpdate,
    StopAtNotification,
    WaterLevelUpdate,
    WeightAndFlowUpdate,
)

# Published classes in the order of the MQTT topic list (api-contract §2.2).
PUBLISHED_CLASSES: dict[str, type[Event]] = {cls.__name__: cls for cls in (
    StateUpdate, ShotSampleWithVolumesUpdate, WaterLevelUpdate, WeightAndFlowUpdate,
    ScaleTareSeen, ScaleButtonPress, ScaleChange, SequencerGateNotification,
    StopAtNotification, AutoTareNotification, ScanResults, FirmwareUpload,
    DeviceAvailability, ConnectivityChange, BlueDOTUpdate,
)}

INTERNAL_CLASSES: dict[str, type[Event]] = {cls.__name__: cls for cls in (
    ShotSampleUpdate, ScaleWeightUpdate,
)}

EVENT_CLASSES: dict[str, type[Event]] = {**PUBLISHED_CLASSES, **INTERNAL_CLASSES}


def decode(payload: Mapping[str, Any], *, strict: bool = True) -> Event:
    """Rebuild any event from its payload dict, choosing the class by its ``class`` key."""
    if not isinstance(payload, Mapping):
        raise EventDecodeError(
            "event", None, f"payload must be an object, got {type(payload).__name__}")
    if "class" not in payload:
        raise EventDecodeError("event", "class", "missing")
    cls = EVENT_CLASSES.get(payload["class"]) if isinstance(payload["class"], str) else None
    if cls is None:
        raise EventDecodeError("event", "class", f"unknown payload class {payload['class']!r}")
    return cls.from_dict(payload, strict=strict)


__all__ = [
    "COMMON_LEADING_KEYS", "COMMON_TRAILING_KEYS", "EVENT_CLASSES", "INTERNAL_CLASSES",
    "PUBLISHED_CLASSES", "SCALE_SENDERS", "SENDER_BLUEDOT", "SENDER_BLUETOOTH_SCANNER",
    "SENDER_DE1", "SENDER_FLOW_SEQUENCER", "SENDER_SCALE_PROCESSOR",
    "AutoTareAction", "AutoTareNotification", "BlueDOTUpdate", "ConnectivityChange",
    "ConnectivityState", "DeviceAvailability", "DeviceAvailabilityState", "DeviceRole", "Event",
    "EventDecodeError", "FirmwareUpload", "FirmwareUploadState", "GateAction", "ScaleButtonPress",
    "ScaleChange", "ScaleTareSeen", "ScaleWeightUpdate", "ScanDevice", "ScanResults",
    "SequencerGateName", "SequencerGateNotification", "ShotSampleUpdate",
    "ShotSampleWithVolumesUpdate", "StateUpdate", "StopAtAction", "StopAtNotification",
    "StopAtType", "TemperatureUnit", "WaterLevelUpdate", "WeightAndFlowUpdate", "decode",
]
