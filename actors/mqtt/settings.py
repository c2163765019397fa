"""What the MQTT bridge needs from the configuration, as one frozen value.

Built from ``config.mqtt`` and ``config.logging`` by attribute access (missing keys take
pyDE1's defaults), or directly in tests and benchmarks (``MqttSettings(port=...)``).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LOG_FORMAT = "%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s"

#: Status topics besides the bridge's own (``status/mqtt/notification``) and the log
#: feed's (``status/mqtt/logging``): topic suffix -> the role whose liveness it reports
#: (None: the service itself, i.e. Here for as long as the bridge runs), and the suffix
#: pyDE1 gives that client's id.
DEFAULT_STATUS_ROLES: tuple[tuple[str, str | None], ...] = (
    ("controller", None),
    ("http", "http"),
    ("db_recorder", "database"),
)
CLIENT_ID_SUFFIXES = {"notification": "", "logging": "LogMQTT", "controller": "Controller",
                      "http": "InboundAPI", "db_recorder": "DatabaseLogger"}


class MqttSettingsError(ValueError):
    """A configuration value the bridge cannot use; names the key."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(f"mqtt.{key}: {reason}")


def _get(section: Any, name: str, default: Any) -> Any:
    if section is None:
        return default
    if isinstance(section, Mapping):
        value = section.get(name, default)
    else:
        value = getattr(section, name, default)
    return default if value is None and default is not None else value


def _level(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else default


def _ssl_constant(key: str, value: Any, prefix: str) -> int | None:
    """``CERT_REQUIRED`` / ``PROTOCOL_TLS_CLIENT`` / a number -> the ssl module constant."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    name = str(value)
    found = getattr(ssl, name if name.startswith(prefix) else prefix + name, None)
    if not isinstance(found, int):
        raise MqttSettingsError(key, f"unknown value {value!r} (expected an ssl.{prefix}* name or a number)")
    return found


@dataclass(frozen=True)
class MqttSettings:
    topic_root: str = "pyDE1"
    client_id_prefix: str = "pyde1"
    host: str = "::1"
    port: int = 1883
    transport: str = "tcp"
    keepalive: int = 60
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # kept out of logs
    tls: bool = False
    tls_ca_certs: str | None = None
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    tls_cert_reqs: int | None = None
    tls_version: int | None = None
    tls_ciphers: str | None = None
    #: Messages kept per connection while the broker is unreachable (oldest dropped first).
    queue_limit: int = 10000
    reconnect_delay_min: float = 1.0
    reconnect_delay_max: float = 120.0
    ha_discovery: bool = False
    ha_discovery_prefix: str = "homeassistant"
    #: Seconds between two ``<root>/ha/state`` updates caused by measurements.
    ha_state_interval: float = 1.0
    #: Publish ``log`` and ``log/record`` (records at ``log_level`` and above).
    log_feed: bool = True
    log_level: int = logging.ERROR
    log_format: str = DEFAULT_LOG_FORMAT
    #: Log records waiting for the bridge beyond this are dropped (and counted).
    log_backlog: int = 1000
    status_roles: tuple[tuple[str, str | None], ...] = DEFAULT_STATUS_ROLES
    #: The DE1's and the scale processor's events on connections of their own (bridge.py).
    express_connections: bool = True
    #: Method of the "de1" role's actor that takes a ``de1/mode`` value (``Sleep`` / ``Wake``).
    de1_mode_method: str = "set_mode"
    #: Appended to every client id (tests running several services in one process).
    client_id_suffix: str = ""
    hostname: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    def __post_init__(self) -> None:
        if self.transport not in ("tcp", "websockets"):
            raise MqttSettingsError("TRANSPORT", f"expected 'tcp' or 'websockets', got {self.transport!r}")
        if not self.topic_root or any(c in self.topic_root for c in "+#\x00"):
            raise MqttSettingsError("TOPIC_ROOT", f"expected a topic without '+', '#' or NUL, got {self.topic_root!r}")
        if self.queue_limit < 0:
            raise MqttSettingsError("QUEUE_LIMIT", f"must not be negative, got {self.queue_limit}")
        if not 0 < self.reconnect_delay_min <= self.reconnect_delay_max:
            raise MqttSettingsError("RECONNECT_DELAY_MIN",
                                    "must be positive and not above RECONNECT_DELAY_MAX")

    def client_id(self, link: str) -> str:
        """pyDE1's form ``<prefix>@<hostname>[<pid>]<suffix>``."""
        suffix = CLIENT_ID_SUFFIXES.get(link, link)
        return f"{self.client_id_prefix}@{self.hostname}[{self.pid}]{suffix}{self.client_id_suffix}"

    def status_topic(self, link: str) -> str:
        if link in ("notification", "logging"):
            return f"{self.topic_root}/status/mqtt/{link}"
        return f"{self.topic_root}/status/{link}"

    def apply_credentials(self, client: Any) -> None:
        """Give a paho client the user name, password and TLS set-up of these settings (the
        bridge's links and the stand-alone tools connect to the same broker the same way)."""
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        if not self.tls:
            return
        tls_args = {"ca_certs": self.tls_ca_certs, "certfile": self.tls_certfile, "keyfile": self.tls_keyfile,
                    "cert_reqs": self.tls_cert_reqs, "tls_version": self.tls_version, "ciphers": self.tls_ciphers}
        try:
            client.tls_set(**{k: v for k, v in tls_args.items() if v is not None})
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise MqttSettingsError("TLS", "cannot set up TLS with TLS_CA_CERTS / TLS_CERTFILE / "
                                    f"TLS_KEYFILE / TLS_VERSION / TLS_CIPHERS: {exc}") from exc

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> MqttSettings:
        """From ``config.mqtt`` / ``config.logging`` (absent sections and keys: defaults)."""
        mqtt = getattr(config, "mqtt", None) if not isinstance(config, Mapping) else config.get("mqtt")
        log = getattr(config, "logging", None) if not isinstance(config, Mapping) else config.get("logging")
        d = cls.__dataclass_fields__
        values: dict[str, Any] = {
            "topic_root": _get(mqtt, "TOPIC_ROOT", d["topic_root"].default),
            "client_id_prefix": _get(mqtt, "CLIENT_ID_PREFIX", d["client_id_prefix"].default),
            "host": _get(mqtt, "BROKER_HOSTNAME", d["host"].default),
            "port": int(_get(mqtt, "BROKER_PORT", d["port"].default)),
            "transport": _get(mqtt, "TRANSPORT", d["transport"].default),
            "keepalive": int(_get(mqtt, "KEEPALIVE", d["keepalive"].default)),
            "username": _get(mqtt, "USERNAME", None),
            "password": _get(mqtt, "PASSWORD", None),
            "tls": bool(_get(mqtt, "TLS", False)),
            "tls_ca_certs": _get(mqtt, "TLS_CA_CERTS", None),
            "tls_certfile": _get(mqtt, "TLS_CERTFILE", None),
            "tls_keyfile": _get(mqtt, "TLS_KEYFILE", None),
            "tls_cert_reqs": _ssl_constant("TLS_CERT_REQS", _get(mqtt, "TLS_CERT_REQS", None), "CERT_"),
            "tls_version": _ssl_constant("TLS_VERSION", _get(mqtt, "TLS_VERSION", None), "PROTOCOL_"),
            "tls_ciphers": _get(mqtt, "TLS_CIPHERS", None),
            "queue_limit": int(_get(mqtt, "QUEUE_LIMIT", d["queue_limit"].default)),
            "reconnect_delay_min": float(_get(mqtt, "RECONNECT_DELAY_MIN", d["reconnect_delay_min"].default)),
            "reconnect_delay_max": float(_get(mqtt, "RECONNECT_DELAY_MAX", d["reconnect_delay_max"].default)),
            "express_connections": bool(_get(mqtt, "EXPRESS_CONNECTIONS", True)),
            "ha_discovery": bool(_get(mqtt, "HA_DISCOVERY", False)),
            "ha_discovery_prefix": _get(mqtt, "HA_DISCOVERY_PREFIX", d["ha_discovery_prefix"].default),
            "log_level": _level(_get(_get(log, "handlers", None), "MQTT", None), logging.ERROR),
            "log_format": _get(_get(log, "formatters", None), "MQTT", DEFAULT_LOG_FORMAT),
        }
        values.update(overrides)
        return cls(**values)
