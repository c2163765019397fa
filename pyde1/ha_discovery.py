"""Home Assistant MQTT discovery: the entity configs, and the state they read.

Home Assistant creates entities from retained JSON configs published under
``<discovery prefix>/<component>/<node id>/<object id>/config``. pyde1 announces
one device (the DE1) with six sensors (machine state, water level, group
temperature, scale weight, last shot time and last shot weight) and one switch
(awake / asleep). Every entity reads one retained JSON document,
``<root>/ha/state``, which :class:`HaStateTracker` folds out of the event stream;
the switch's commands arrive on ``<root>/ha/power/set`` as ``ON`` / ``OFF``.

Availability follows the bridge's own status topic (``<root>/status/mqtt/notification``):
``Here`` is available, ``Gone`` and ``Died`` are not.

Pure: builds dicts and decides what changed; the MQTT bridge does the publishing.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from typing import Any

from pyde1.events import (
    GateAction,
    SequencerGateName,
    SequencerGateNotification,
    ShotSampleWithVolumesUpdate,
    StateUpdate,
    WaterLevelUpdate,
    WeightAndFlowUpdate,
)

DEFAULT_DISCOVERY_PREFIX = "homeassistant"
#: Machine states in which the switch reads OFF (asleep); any other known state is ON.
ASLEEP_STATES = frozenset({"Sleep", "GoingToSleep"})
#: Only espresso sequences are shots (as the Visualizer uploader decides, api-contract §6.1).
SHOT_STATE = "Espresso"


class HaCommandError(ValueError):
    """A payload on a topic the bridge subscribes to that it cannot act on."""

    def __init__(self, topic: str, payload: bytes, reason: str) -> None:
        self.topic = topic
        self.payload = payload
        shown = payload[:40].decode("utf-8", errors="replace")
        super().__init__(f"{topic}: {reason} (payload {shown!r})")


def node_id(topic_root: str) -> str:
    """The discovery node id for a topic root: only ``[A-Za-z0-9_-]`` are allowed there."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", topic_root).strip("_")
    return f"pyde1_{cleaned or 'root'}"


def state_topic(topic_root: str) -> str:
    return f"{topic_root}/ha/state"


def power_command_topic(topic_root: str) -> str:
    return f"{topic_root}/ha/power/set"


def availability_topic(topic_root: str) -> str:
    return f"{topic_root}/status/mqtt/notification"


def birth_topic(discovery_prefix: str) -> str:
    """Where Home Assistant announces itself (``online``) after it starts."""
    return f"{discovery_prefix}/status"


@dataclass(frozen=True, slots=True)
class DiscoveryMessage:
    """One retained discovery config: publish ``payload`` (as JSON) on ``topic``."""

    topic: str
    payload: dict[str, Any]
    component: str
    object_id: str


# object id, name, state key, extra config (units, device class, icon)
_SENSORS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("state", "Machine state", "state", {"icon": "mdi:coffee-maker"}),
    ("water_level", "Water level", "water_level",
     {"unit_of_measurement": "mm", "device_class": "distance", "state_class": "measurement",
      "icon": "mdi:water"}),
    ("group_temperature", "Group temperature", "group_temperature",
     {"unit_of_measurement": "°C", "device_class": "temperature", "state_class": "measurement"}),
    ("scale_weight", "Scale weight", "scale_weight",
     {"unit_of_measurement": "g", "device_class": "weight", "state_class": "measurement"}),
    ("last_shot_time", "Last shot time", "last_shot_time",
     {"unit_of_measurement": "s", "device_class": "duration", "icon": "mdi:timer-outline"}),
    ("last_shot_weight", "Last shot weight", "last_shot_weight",
     {"unit_of_measurement": "g", "device_class": "weight", "icon": "mdi:scale"}),
)


def discovery_messages(topic_root: str, discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX, *,
                       sw_version: str = "", device_name: str = "Decent DE1") -> list[DiscoveryMessage]:
    """Every discovery config pyde1 announces, in a stable order (sensors, then the switch)."""
    node = node_id(topic_root)
    device = {
        "identifiers": [node],
        "name": device_name,
        "manufacturer": "Decent Espresso",
        "model": "DE1",
        "sw_version": sw_version,
    }
    availability = [{
        "topic": availability_topic(topic_root),
        # The status topic says Here / Gone / Died; HA wants exactly two values.
        "value_template": "{{ 'online' if value == 'Here' else 'offline' }}",
        "payload_available": "online",
        "payload_not_available": "offline",
    }]
    origin = {"name": "pyde1", "sw_version": sw_version}
    common = {"state_topic": state_topic(topic_root), "availability": availability,
              "device": device, "origin": origin}

    messages = []
    for object_id, name, key, extra in _SENSORS:
        payload = {
            "name": name,
            "unique_id": f"{node}_{object_id}",
            # A JSON null renders as "None", which HA shows as "unknown".
            "value_template": "{{ value_json.%s }}" % key,
            **common,
            **extra,
        }
        messages.append(DiscoveryMessage(f"{discovery_prefix}/sensor/{node}/{object_id}/config",
                                         payload, "sensor", object_id))
    switch = {
        "name": "Power",
        "unique_id": f"{node}_power",
        "command_topic": power_command_topic(topic_root),
        "payload_on": "ON",
        "payload_off": "OFF",
        "state_on": "ON",
        "state_off": "OFF",
        "value_template": "{{ value_json.power }}",
        "icon": "mdi:power-sleep",
        **common,
    }
    messages.append(DiscoveryMessage(f"{discovery_prefix}/switch/{node}/power/config",
                                     switch, "switch", "power"))
    return messages


def parse_power_command(topic: str, payload: bytes) -> str:
    """``ON`` / ``OFF`` (any case, also ``wake`` / ``sleep``) -> the ``de1/mode`` value
    ``Wake`` / ``Sleep``. Raises HaCommandError for anything else."""
    try:
        text = payload.decode("utf-8").strip().lower()
    except UnicodeDecodeError:
        raise HaCommandError(topic, payload, "not UTF-8 text") from None
    if text in ("on", "wake"):
        return "Wake"
    if text in ("off", "sleep"):
        return "Sleep"
    raise HaCommandError(topic, payload, "expected ON or OFF")


def parse_birth(topic: str, payload: bytes) -> bool:
    """True if Home Assistant says it came ``online`` (configs must be sent again), False for
    ``offline``. Raises HaCommandError for anything else."""
    text = payload.decode("utf-8", errors="replace").strip().lower()
    if text == "online":
        return True
    if text == "offline":
        return False
    raise HaCommandError(topic, payload, "expected online or offline")


def _rounded(value: float, digits: int) -> float | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _iso(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="seconds")


class HaStateTracker:
    """Folds events into the ``<root>/ha/state`` document and rate-limits it.

    ``observe(event, now)`` returns ``0.0`` when the document should be published at once
    (the machine state changed or a shot finished, or the rate limit has passed), a delay
    in seconds when a change waits for the rate limit, or ``None`` when nothing visible
    changed. Call ``published(now)`` after publishing ``to_dict()``.
    """

    def __init__(self, min_interval: float = 1.0) -> None:
        self.min_interval = min_interval
        self._values: dict[str, Any] = {
            "state": None, "substate": None, "power": None, "water_level": None,
            "group_temperature": None, "scale_weight": None, "last_shot_time": None,
            "last_shot_weight": None, "last_shot_end": None,
        }
        self._last_published: float | None = None
        self.pending = False
        # The espresso sequence in progress: its id, flow begin/end times, last weight seen.
        self._shot_id: str | None = None
        self._flow_begin: float | None = None
        self._flow_end: float | None = None
        self._shot_weight: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def published(self, now: float) -> None:
        self._last_published = now
        self.pending = False

    def observe(self, event: object, now: float) -> float | None:
        changes, urgent = self._fold(event)
        if not changes:
            return None
        self._values.update(changes)
        self.pending = True
        if urgent or self._last_published is None:
            return 0.0
        wait = self._last_published + self.min_interval - now
        return max(0.0, wait)

    def _fold(self, event: object) -> tuple[dict[str, Any], bool]:
        """The values ``event`` changes, and whether they must go out at once."""
        v = self._values
        new: dict[str, Any] = {}
        urgent = False
        if isinstance(event, StateUpdate):
            if event.state != v["state"] or event.substate != v["substate"]:
                new = {"state": event.state, "substate": event.substate,
                       "power": "OFF" if event.state in ASLEEP_STATES else "ON"}
                urgent = True
        elif isinstance(event, WaterLevelUpdate):
            level = _rounded(event.level, 1)
            if level != v["water_level"]:
                new = {"water_level": level}
        elif isinstance(event, ShotSampleWithVolumesUpdate):
            temperature = _rounded(event.head_temp, 1)
            if temperature != v["group_temperature"]:
                new = {"group_temperature": temperature}
        elif isinstance(event, WeightAndFlowUpdate):
            weight = _rounded(event.current_weight, 1)
            if self._shot_id is not None:
                self._shot_weight = weight
            if weight != v["scale_weight"]:
                new = {"scale_weight": weight}
        elif isinstance(event, SequencerGateNotification) and event.action is GateAction.SET:
            new = self._gate(event)
            urgent = bool(new)
        return {k: x for k, x in new.items() if v.get(k) != x or k == "last_shot_end"}, urgent

    def _gate(self, gate: SequencerGateNotification) -> dict[str, Any]:
        name = gate.name
        if name is SequencerGateName.SEQUENCE_START:
            if gate.active_state == SHOT_STATE:
                self._shot_id = gate.sequence_id
                self._flow_begin = self._flow_end = self._shot_weight = None
            else:
                self._shot_id = None
            return {}
        if gate.sequence_id != self._shot_id:
            return {}
        if name is SequencerGateName.SEQUENCE_FLOW_BEGIN:
            self._flow_begin = gate.event_time
        elif name is SequencerGateName.SEQUENCE_FLOW_END:
            self._flow_end = gate.event_time
        elif name is SequencerGateName.SEQUENCE_COMPLETE:
            self._shot_id = None
            if self._flow_begin is None:
                return {}  # left the flow state before any flow: not a shot
            end = self._flow_end if self._flow_end is not None else gate.event_time
            return {"last_shot_time": _rounded(max(0.0, end - self._flow_begin), 1),
                    "last_shot_weight": self._shot_weight,
                    "last_shot_end": _iso(end)}
        return {}
