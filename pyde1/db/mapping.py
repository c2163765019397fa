"""Which notification goes to which table, and how a payload becomes a row (api-contract §3.3).

Rows are built from the payload dict an event serialises to (``event.to_dict()``, the
same JSON pyDE1 publishes on MQTT), so the stored values are exactly the wire values:
enum members as their strings, machine states as their names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyde1.db.schema import COMMON_COLUMNS, NOTIFICATION_TABLES

# MQTT class -> table.
CLASS_TABLE: dict[str, str] = {
    "ShotSampleWithVolumesUpdate": "shot_sample_with_volume_update",
    "WeightAndFlowUpdate": "weight_and_flow_update",
    "StateUpdate": "state_update",
    "SequencerGateNotification": "sequencer_gate_notification",
    "StopAtNotification": "stop_at_notification",
    "WaterLevelUpdate": "water_level_update",
    "ScaleTareSeen": "scale_tare_seen",
    "AutoTareNotification": "auto_tare_notification",
    "ScaleButtonPress": "scale_button_press",
    "ConnectivityChange": "connectivity_change",
    "DeviceAvailability": "device_availability",
    "ScaleChange": "scale_change",
    "BlueDOTUpdate": "bluedot_update",
}
TABLE_CLASS: dict[str, str] = {table: cls for cls, table in CLASS_TABLE.items()}

# pyDE1's rolling-buffer depth per class: how many of the latest events of each class
# are written with a sequence that starts (the "pre-history").
BUFFER_DEPTH: dict[str, int] = {
    "ShotSampleWithVolumesUpdate": 5,
    "WeightAndFlowUpdate": 10,
    "StateUpdate": 7,
    "SequencerGateNotification": 16,
    "StopAtNotification": 1,
    "WaterLevelUpdate": 3,
    "ScaleTareSeen": 3,
    "AutoTareNotification": 3,
    "ScaleButtonPress": 3,
    "ConnectivityChange": 8,
    "DeviceAvailability": 12,
    "ScaleChange": 2,
    "BlueDOTUpdate": 10,
}

# Published classes that are deliberately not stored.
NOT_STORED = frozenset({"FirmwareUpload", "ScanResults"})

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(c.name for c in cols) for table, cols in NOTIFICATION_TABLES.items()
}


class RowError(ValueError):
    """A payload that cannot become a row (unknown class, missing key)."""

    def __init__(self, event_class: str, key: str | None, reason: str) -> None:
        self.event_class = event_class
        self.key = key
        where = f"{event_class}: key {key!r}" if key else event_class
        super().__init__(f"{where}: {reason}")


def is_stored(event_class: str) -> bool:
    return event_class in CLASS_TABLE


def table_for(event_class: str) -> str:
    try:
        return CLASS_TABLE[event_class]
    except KeyError:
        raise RowError(event_class, "class", "not a stored notification class") from None


def stored_value(table: str, column: str, value: Any) -> Any:
    """A payload value in the form pyDE1 stores it."""
    if table == "state_update" and column == "is_error_state" and isinstance(value, bool):
        return "1" if value else "0"
    if table == "shot_sample_with_volume_update" and column == "volume_by_frames":
        if isinstance(value, (list, tuple)):
            return repr(list(value))  # Python's text form, e.g. '[0, 0, 0]'
    return value


def row_from_payload(payload: Mapping[str, Any], sequence_id: str | None) -> tuple[str, dict[str, Any]]:
    """(table, column -> value) for one payload dict, recorded under ``sequence_id``.

    Payload keys without a column (``current_frame`` of StopAtNotification, ``role`` of
    ScaleChange, ``class``) are dropped, as pyDE1 drops them.
    """
    event_class = payload.get("class")
    if not isinstance(event_class, str):
        raise RowError("payload", "class", "missing or not a string")
    table = table_for(event_class)
    row: dict[str, Any] = {"sequence_id": sequence_id}
    for column in TABLE_COLUMNS[table][1:]:
        if column not in payload:
            raise RowError(event_class, column, "missing from the payload")
        row[column] = stored_value(table, column, payload[column])
    return table, row


def payload_from_row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The stored row as a replay-style payload: columns in order, then ``class``."""
    out = {c: row[c] for c in TABLE_COLUMNS[table] if c in row}
    out["class"] = TABLE_CLASS[table]
    return out


__all__ = ["BUFFER_DEPTH", "CLASS_TABLE", "COMMON_COLUMNS", "NOT_STORED", "RowError", "TABLE_CLASS",
           "TABLE_COLUMNS", "is_stored", "payload_from_row", "row_from_payload", "stored_value",
           "table_for"]
