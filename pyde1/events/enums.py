"""Enumerations carried in event payloads.

Each member's ``.value`` is the exact string pyDE1 2.0 writes on the wire
(api-contract §1.9, §2.4); payloads serialise members by value. DE1 machine
states and substates are *not* here: payloads carry them as their names (plain
``str``) so this package does not depend on the protocol package.
"""

from __future__ import annotations

import enum


class SequencerGateName(enum.Enum):
    """Gates of a flow sequence, in the order they are normally set (§2.4.8)."""

    SEQUENCE_START = "sequence_start"
    SEQUENCE_FLOW_BEGIN = "sequence_flow_begin"
    SEQUENCE_EXPECT_DROPS = "sequence_expect_drops"
    SEQUENCE_EXIT_PREINFUSE = "sequence_exit_preinfuse"
    SEQUENCE_FLOW_END = "sequence_flow_end"
    SEQUENCE_LAST_DROPS = "sequence_last_drops"
    SEQUENCE_FLOW_STATE_EXIT = "sequence_flow_state_exit"
    SEQUENCE_COMPLETE = "sequence_complete"


class GateAction(enum.Enum):
    SET = "set"
    CLEAR = "clear"


class StopAtType(enum.Enum):
    TIME = "time"
    VOLUME = "volume"
    WEIGHT = "weight"
    MOVE_ON_WEIGHT = "move on by weight"
    STEAM_TEMPERATURE = "steam to temperature"


class StopAtAction(enum.Enum):
    ENABLED = "enabled"
    TRIGGERED = "triggered"
    DISABLED = "disabled"
    DE1_CONTROLLED = "de1 controlled"


class AutoTareAction(enum.Enum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DeviceRole(enum.Enum):
    DE1 = "de1"
    SCALE = "scale"
    THERMOMETER = "thermometer"
    OTHER = "other"
    UNKNOWN = "unknown"


class DeviceAvailabilityState(enum.Enum):
    INITIAL = "initial"
    UNKNOWN = "unknown"
    CAPTURING = "capturing"
    CAPTURED = "captured"
    READY = "ready"
    NOT_READY = "not ready"  # a space, unlike ConnectivityState.NOT_READY
    RELEASING = "releasing"
    RELEASED = "released"


class ConnectivityState(enum.Enum):
    INITIAL = "initial"
    UNKNOWN = "unknown"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    READY = "ready"
    NOT_READY = "not_ready"  # an underscore, unlike DeviceAvailabilityState.NOT_READY
    DISCONNECTING = "disconnecting"
    DISCONNECTED = "disconnected"


class FirmwareUploadState(enum.Enum):
    STARTING = "starting"
    UPLOADING = "uploading"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class TemperatureUnit(enum.Enum):
    """Display units of a BlueDOT thermometer."""

    CELSIUS = "C"
    FAHRENHEIT = "F"
