"""A plain paho client for the stand-alone programs (replay, visualizer): MQTT v5, the
settings of their config file, a connection the caller can wait for with a deadline."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from actors.mqtt.settings import MqttSettings

logger = logging.getLogger("pyde1.tools.mqtt")


class BrokerError(RuntimeError):
    """The broker could not be reached or refused the connection."""


class ToolClient:
    """One connection. ``on_connected`` runs in paho's thread after every (re)connect."""

    def __init__(self, settings: MqttSettings, *, on_connected: Callable[[mqtt.Client], None] | None = None,
                 on_message: Callable[[str, bytes], None] | None = None) -> None:
        self.settings = settings
        self.connected = threading.Event()
        self.refused: str | None = None
        self._on_connected = on_connected
        self._on_message = on_message
        s = settings
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=s.client_id(""), protocol=mqtt.MQTTv5,
                             transport=s.transport)
        s.apply_credentials(client)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._connect_cb
        client.on_disconnect = self._disconnect_cb
        client.on_message = self._message_cb
        self.client = client

    def start(self, timeout: float = 10.0) -> None:
        """Connect and start paho's thread; raise BrokerError if not connected within ``timeout``."""
        s = self.settings
        try:
            self.client.connect_async(s.host, s.port, keepalive=s.keepalive)
        except (OSError, ValueError) as exc:
            raise BrokerError(f"cannot connect to the MQTT broker {s.host}:{s.port}: {exc}") from exc
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.stop()
            why = self.refused or "no answer"
            raise BrokerError(f"MQTT broker {s.host}:{s.port} not reachable within {timeout:g} s ({why})")

    def stop(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def _connect_cb(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.refused = str(reason_code)
            logger.error("MQTT broker refused the connection: %s", reason_code)
            return
        logger.info("connected to the MQTT broker %s:%s", self.settings.host, self.settings.port)
        if self._on_connected is not None:
            self._on_connected(client)
        self.connected.set()

    def _disconnect_cb(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if reason_code.is_failure:
            logger.warning("MQTT connection lost (%s); reconnecting", reason_code)

    def _message_cb(self, client, userdata, message) -> None:
        if self._on_message is not None:
            try:
                self._on_message(message.topic, message.payload)
            except Exception:  # one bad message must not stop the program
                logger.exception("failed to handle a message on %s", message.topic)
