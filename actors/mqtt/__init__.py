"""The MQTT bridge: pyDE1 2.0's MQTT API (events, update packets, log feeds, status
topics with wills) plus optional Home Assistant discovery. See docs/mqtt.md."""

from __future__ import annotations

from typing import Any

from actors.mqtt.bridge import UPDATE_AREAS, MqttBridge, UnknownUpdateArea
from actors.mqtt.messages import MqttLinkState
from actors.mqtt.settings import MqttSettings, MqttSettingsError
from actors.supervisor import ActorSpec

ROLE = "mqtt"


def mqtt_spec(config: Any, **overrides: Any) -> ActorSpec:
    """The bridge's spec for the supervisor. Optional: if it cannot start (say a TLS file is
    missing) the service runs without MQTT and says so; a broker that is down or refuses
    is not a start failure (the bridge keeps retrying)."""
    settings = MqttSettings.from_config(config, **overrides)
    return ActorSpec(role=ROLE, actor_class=MqttBridge, kwargs={"settings": settings}, required=False)


__all__ = ["ROLE", "UPDATE_AREAS", "MqttBridge", "MqttLinkState", "MqttSettings", "MqttSettingsError",
           "UnknownUpdateArea", "mqtt_spec"]
