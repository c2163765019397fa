"""Schemas of ``pyde1-visualizer.conf`` and ``pyde1-replay.conf`` (pyDE1 2.0 keys only)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from .fields import ENV_PREFIXES, ConfigFile, key, redefault, section
from .kinds import Boolean, LogLevel, Nullable, Number, Text
from .schema import (DatabaseSection, LogFormats, LoggingSection, LogHandlers,
                     MqttClientSection, SECONDS)

VISUALIZER_LOGFILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
VISUALIZER_STDERR_FORMAT = "%(levelname)s %(name)s: %(message)s"
TOOL_LOGGERS = {"MQTTClient": "INFO", "root.aiosqlite": "INFO", "root.asyncio": "INFO"}


@dataclass(frozen=True)
class VisualizerSection:
    USERNAME: str = key("you@example.com", Text(), "Visualizer login (e-mail address)")
    PASSWORD: str = key("your password or upload token here", Text(),
                        "Visualizer password or upload token")
    MIN_FLOW_TIME: float | None = key(10.0, Nullable(SECONDS), "seconds of flow a shot needs to "
                                      "be uploaded; null or 0 = upload every shot")
    RETRY_HOLD_OFF: float = key(10.0, Number(0), "seconds to wait before retrying after a "
                                "connection error")


@dataclass(frozen=True)
class VisualizerMqtt(MqttClientSection):
    CLIENT_ID_PREFIX: str = redefault(MqttClientSection, "CLIENT_ID_PREFIX", "pyde1-visualizer")


@dataclass(frozen=True)
class ToolDatabase:
    FILENAME: str = redefault(DatabaseSection, "FILENAME", DatabaseSection.FILENAME)


@dataclass(frozen=True)
class VisualizerLogFormats(LogFormats):
    LOGFILE: str = redefault(LogFormats, "LOGFILE", VISUALIZER_LOGFILE_FORMAT)
    MQTT: str = key(VISUALIZER_LOGFILE_FORMAT, Text(), "accepted; unused (no MQTT log feed)")
    STDERR: str = redefault(LogFormats, "STDERR", VISUALIZER_STDERR_FORMAT)


@dataclass(frozen=True)
class ToolLogHandlers(LogHandlers):
    MQTT: str | int = key("ERROR", LogLevel(), "accepted; unused (no MQTT log feed)")


@dataclass(frozen=True)
class VisualizerLogging(LoggingSection):
    LOG_FILENAME: str | None = redefault(LoggingSection, "LOG_FILENAME", "visualizer.log")
    formatters: VisualizerLogFormats = section(VisualizerLogFormats, "log line formats")
    handlers: ToolLogHandlers = section(ToolLogHandlers, "levels of the log outputs "
                                        "(MQTT is accepted but unused)")
    LOGGERS: MappingProxyType = redefault(LoggingSection, "LOGGERS", TOOL_LOGGERS)


@dataclass(frozen=True)
class VisualizerConfig(ConfigFile):
    """Everything ``pyde1-run-visualizer`` reads from ``pyde1-visualizer.conf``."""

    DEFAULT_PATH = "/usr/local/etc/pyde1/pyde1-visualizer.conf"
    ENV_PREFIX = ENV_PREFIXES["pyde1-run-visualizer"]
    PROGRAM = "pyde1-run-visualizer"

    visualizer: VisualizerSection = section(VisualizerSection, "Visualizer account and upload rules")
    mqtt: VisualizerMqtt = section(VisualizerMqtt, "MQTT broker connection (as in pyde1.conf)")
    database: ToolDatabase = section(ToolDatabase, "the database written by pyde1-run (same host, "
                                     "same user)")
    logging: VisualizerLogging = section(VisualizerLogging, "log file and stderr output")


@dataclass(frozen=True)
class ReplayMqtt:
    TOPIC_ROOT: str = redefault(MqttClientSection, "TOPIC_ROOT", "KEpyDE1", "topic prefix the "
                                "sequence is replayed under (pyde1-replay -t overrides it)")
    CLIENT_ID_PREFIX: str = redefault(MqttClientSection, "CLIENT_ID_PREFIX", "pyde1-replay")
    BROKER_HOSTNAME: str = redefault(MqttClientSection, "BROKER_HOSTNAME", "::1")
    BROKER_PORT: int = redefault(MqttClientSection, "BROKER_PORT", 1883)
    TRANSPORT: str = redefault(MqttClientSection, "TRANSPORT", "tcp")
    KEEPALIVE: int = redefault(MqttClientSection, "KEEPALIVE", 60)
    USERNAME: str | None = redefault(MqttClientSection, "USERNAME", None)
    PASSWORD: str | None = redefault(MqttClientSection, "PASSWORD", None)
    DEBUG: bool = key(False, Boolean(), "accepted; unused by pyde1-replay")
    TLS_CONTEXT: str | None = key(None, Nullable(Text()), "accepted; unused (replay has no TLS)")


@dataclass(frozen=True)
class ReplaySequence:
    ID: str | None = key(None, Nullable(Text()), "id of the sequence to replay (pyde1-replay -s "
                         "overrides it)")


@dataclass(frozen=True)
class ReplayLogging(LoggingSection):
    LOG_FILENAME: str | None = redefault(LoggingSection, "LOG_FILENAME", "replay.log")
    handlers: ToolLogHandlers = section(ToolLogHandlers, "levels of the log outputs "
                                        "(MQTT is accepted but unused)")
    LOGGERS: MappingProxyType = redefault(LoggingSection, "LOGGERS", {})


@dataclass(frozen=True)
class ReplayConfig(ConfigFile):
    """Everything ``pyde1-replay`` reads from ``pyde1-replay.conf``."""

    DEFAULT_PATH = "/usr/local/etc/pyde1/pyde1-replay.conf"
    ENV_PREFIX = ENV_PREFIXES["pyde1-replay"]
    PROGRAM = "pyde1-replay"

    mqtt: ReplayMqtt = section(ReplayMqtt, "MQTT broker to replay to")
    sequence: ReplaySequence = section(ReplaySequence, "what to replay")
    database: ToolDatabase = section(ToolDatabase, "the database to read (opened read-only)")
    logging: ReplayLogging = section(ReplayLogging, "log file and stderr output")

