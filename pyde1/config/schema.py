"""Schema of ``pyde1.conf``: every key of pyDE1 2.0 with its default, plus pyde1's own keys
(marked ``new=True``). Section attributes are lower case, leaf keys keep pyDE1's upper-case
names: ``config.mqtt.TOPIC_ROOT``, ``config.de1.bump_resist.FLOW_THRESHOLD``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from .fields import ENV_PREFIXES, ConfigFile, key, section
from .kinds import (Boolean, Choice, Either, Integer, JsonMapping, LevelMap, LogLevel,
                    Nullable, Number, Text, TextList, matches)

PORT = Integer(0, 65535)
POSITIVE_SECONDS = Number(0, low_open=True)
SECONDS = Number(0)
PATH = Text(matches(r".+", "expected a non-empty path"), type_name="path")
LOG_FILENAME_PATTERN = r"[a-zA-Z0-9._-]+"
BT_ADDRESS = Text(matches(r"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}", "expected an address like "
                          "D1:5E:00:00:00:01"), type_name="address")

TOPIC = Text(matches(r"[^+#\x00]+", "expected a non-empty topic without '+', '#' or NUL"),
                  type_name="topic")
URL_PREFIX = Text(matches(r"/(.*/)?", "expected a path that starts and ends with '/'"),
                   type_name="str /…/")

DEFAULT_LOGFILE_FORMAT = "%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s"
DEFAULT_STDERR_FORMAT = "%(levelname)s [%(processName)s] %(name)s: %(message)s"


@dataclass(frozen=True)
class MqttClientSection:
    """The MQTT keys pyDE1 2.0 has (shared with pyde1-visualizer.conf)."""

    TOPIC_ROOT: str = key("pyDE1", TOPIC, "prefix of every topic pyde1 publishes")
    CLIENT_ID_PREFIX: str = key(
        "pyde1", Text(), "start of the MQTT client id, followed by @<hostname>[<pid>]")
    BROKER_HOSTNAME: str = key("::1", Text(), "host name or address of the MQTT broker")
    BROKER_PORT: int = key(1883, PORT, "TCP port of the MQTT broker")
    TRANSPORT: str = key("tcp", Choice("tcp", "websockets"), "how to reach the broker")
    KEEPALIVE: int = key(60, Integer(0, 65535), "seconds between MQTT keep-alive pings")
    USERNAME: str | None = key(None, Nullable(Text()), "broker user name; null = no authentication")
    PASSWORD: str | None = key(None, Nullable(Text()), "broker password (used with USERNAME)")
    DEBUG: bool = key(False, Boolean(), "paho debug logging (pyde1-visualizer only; pyde1-run ignores it)")
    TLS: bool = key(False, Boolean(), "connect with TLS, using the TLS_* keys below")
    TLS_CA_CERTS: str | None = key(None, Nullable(Text()), "CA certificate file; null = system CAs")
    TLS_CERTFILE: str | None = key(None, Nullable(Text()), "client certificate file")
    TLS_KEYFILE: str | None = key(None, Nullable(Text()), "client private key file")
    TLS_CERT_REQS: int | str | None = key(
        None, Nullable(Either(Integer(0, 2), Choice("CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED"))),
        "server certificate check (ssl.CERT_* name or number); null = required")
    TLS_VERSION: int | str | None = key(
        None, Nullable(Either(Integer(0), Text())),
        "TLS protocol (ssl.PROTOCOL_* name or number); null = library default")
    TLS_CIPHERS: str | None = key(None, Nullable(Text()), "allowed ciphers (OpenSSL list); null = default")


@dataclass(frozen=True)
class MqttSection(MqttClientSection):
    QUEUE_LIMIT: int = key(10000, Integer(0), "messages kept while the broker is unreachable "
                           "(oldest dropped first); 0 = keep none", new=True)
    RECONNECT_DELAY_MIN: float = key(1.0, POSITIVE_SECONDS,
                                     "seconds before the first reconnect attempt", new=True)
    RECONNECT_DELAY_MAX: float = key(120.0, POSITIVE_SECONDS,
                                     "longest wait between reconnect attempts", new=True)
    EXPRESS_CONNECTIONS: bool = key(
        True, Boolean(), "publish the DE1's and the scale processor's events on a connection each "
        "(lower latency under load; order kept per publisher, not across them)", new=True)
    HA_DISCOVERY: bool = key(False, Boolean(), "publish Home Assistant MQTT discovery entries", new=True)
    HA_DISCOVERY_PREFIX: str = key("homeassistant", TOPIC,
                                   "topic prefix Home Assistant listens on for discovery", new=True)

    def consistency(self) -> list[tuple[str, str]]:
        if self.RECONNECT_DELAY_MAX < self.RECONNECT_DELAY_MIN:
            return [("RECONNECT_DELAY_MAX", "must not be less than RECONNECT_DELAY_MIN "
                     f"({self.RECONNECT_DELAY_MIN})")]
        return []


@dataclass(frozen=True)
class HttpSection:
    SERVER_HOST: str = key("", Text(), "bind address ('' = all IPv4 interfaces); also the host "
                           "PATCH_ON_CONNECT talks to (localhost when empty)")
    SERVER_PORT: int = key(1234, PORT, "TCP port of the HTTP API (0 = any free port)")
    SERVER_ROOT: str = key("/", URL_PREFIX, "path prefix of every resource")
    PATCH_SIZE_LIMIT: int = key(16384, Integer(1), "largest PATCH/PUT body in bytes (firmware excepted)")
    ASYNC_TIMEOUT: float = key(1.0, POSITIVE_SECONDS, "seconds a device command may take by default")
    PROFILE_TIMEOUT: float = key(4.5, POSITIVE_SECONDS, "seconds for a profile upload or selection")
    FIRMWARE_TIMEOUT: float = key(15.0, POSITIVE_SECONDS, "seconds for a firmware upload to start")
    PRUNE_EMPTY_NODES: bool = key(True, Boolean(), "leave missing and write-only values out of GET "
                                  "results (false = NaN placeholders; deprecated)")
    RESPONSE_TIMEOUT: float | None = key(
        None, Nullable(SECONDS), "seconds the API waits for an answer; null or 0 = computed (16.1 s "
        "with the default timeouts)")
    API_TOKENS: tuple[str, ...] = key(
        [], TextList(), "bearer tokens allowed to call the API; empty = no authentication", new=True)
    ALLOWED_ORIGINS: tuple[str, ...] = key(
        [], TextList(), "origins allowed by CORS ('*' = any); empty = no CORS headers", new=True)
    MAX_BODY_BYTES: int = key(1048576, Integer(1), "largest request body of any kind in bytes "
                              "(firmware uploads included)", new=True)
    THREADS: int = key(8, Integer(1, 256), "waitress worker threads", new=True)
    CONNECTION_LIMIT: int = key(100, Integer(1), "most simultaneous HTTP connections", new=True)
    BACKLOG: int = key(1024, Integer(1), "listen backlog of the HTTP socket", new=True)
    CHANNEL_TIMEOUT: float = key(120.0, POSITIVE_SECONDS,
                                 "seconds an idle HTTP connection stays open", new=True)


# logging.Formatter refuses a %-style format without a single %(name)s field; check it here
# so such a file is reported with the others instead of crashing the start-up.
LOG_FORMAT = Text(matches(r"(?s).*%\(\w+\)[#0+ -]*(\*|\d+)?(\.(\*|\d+))?[diouxXeEfFgGcrsa].*",
                          "expected a %-style log format with at least one field, e.g. %(message)s"),
                  type_name="log format")


@dataclass(frozen=True)
class LogFormats:
    STYLE: str = key("%", Choice("%"), "format style; only '%' is supported (as in pyDE1)")
    LOGFILE: str = key(DEFAULT_LOGFILE_FORMAT, LOG_FORMAT, "line format of the log file")
    MQTT: str = key(DEFAULT_LOGFILE_FORMAT, LOG_FORMAT, "line format of <root>/log")
    STDERR: str = key(DEFAULT_STDERR_FORMAT, LOG_FORMAT, "line format on stderr (the journal)")


@dataclass(frozen=True)
class LogHandlers:
    LOGFILE: str | int = key("INFO", LogLevel(), "lowest level written to the log file")
    MQTT: str | int = key("ERROR", LogLevel(), "lowest level published on <root>/log")
    STDERR: str | int = key("WARNING", LogLevel(), "lowest level written to stderr")


@dataclass(frozen=True)
class LoggingSection:
    LOG_DIRECTORY: str = key("/var/log/pyde1/", PATH, "directory of the log file, also served "
                             "by the logs and log/{id} resources; created if missing")
    # pyDE1's code default was null (no log file) while its packaged file said pyde1.log;
    # every installed pyDE1 logged to a file, so that is our default too.
    LOG_FILENAME: str | None = key("pyde1.log", Nullable(Text()), "log file name; null = no log "
                                   "file. Only names of [a-zA-Z0-9._-] can be fetched over HTTP")
    formatters: LogFormats = section(LogFormats, "log line formats")
    handlers: LogHandlers = section(LogHandlers, "levels of the three log outputs")
    LOGGERS: MappingProxyType = key(
        {"root.aiosqlite": "INFO", "root.asyncio": "INFO", "root.bleak": "INFO"}, LevelMap(),
        "level per logger: root.<name> = third-party logger <name>, other names are pyde1's")

    def advice(self) -> list[tuple[str, str]]:
        if self.LOG_FILENAME is not None and not re.fullmatch(LOG_FILENAME_PATTERN, self.LOG_FILENAME):
            return [("LOG_FILENAME", "the logs resource cannot serve this file (names of "
                     f"{LOG_FILENAME_PATTERN} only)")]
        return []


@dataclass(frozen=True)
class BluetoothSection:
    SCAN_TIME: float = key(5.0, POSITIVE_SECONDS, "seconds one scan lasts")
    CONNECT_TIMEOUT: float = key(10.0, POSITIVE_SECONDS, "seconds to wait for a connection")
    DISCONNECT_TIMEOUT: float = key(5.0, POSITIVE_SECONDS, "seconds to wait for a disconnection")
    SCAN_CACHE_EXPIRY: float = key(300.0, SECONDS, "accepted for compatibility; unused (as in pyDE1 2.0)")
    RECONNECT_RETRY_COUNT: int = key(10, Integer(0), "accepted for compatibility; unused (as in pyDE1 2.0)")
    RECONNECT_GAP: float = key(10.0, SECONDS, "accepted for compatibility; unused (as in pyDE1 2.0)")
    ID_FILE_DIRECTORY: str = key("/var/lib/pyde1/", PATH, "where the .btid files of connected "
                                 "devices are kept (for clean-up after a crash)")
    ID_FILE_SUFFIX: str = key(".btid", Text(), "file name suffix of those files")
    CONNECT_ATTEMPTS: int = key(3, Integer(1), "connection attempts per connect request before "
                                "it fails", new=True)
    CONNECT_BACKOFF: float = key(0.5, POSITIVE_SECONDS, "seconds before the second attempt "
                                 "(doubled for each further one)", new=True)
    CONNECT_BACKOFF_MAX: float = key(4.0, POSITIVE_SECONDS, "longest wait between attempts",
                                     new=True)
    BACKEND: str = key("bleak", Choice("bleak", "simulator"),
                       "real Bluetooth (bleak) or the built-in simulator", new=True)
    ADAPTER: str | None = key(None, Nullable(Text()), "Bluetooth adapter to use (e.g. hci1); "
                              "null = the system default", new=True)


@dataclass(frozen=True)
class DatabaseSection:
    FILENAME: str = key("/var/lib/pyde1/pyde1.sqlite3", PATH, "SQLite database of shots and profiles")
    BACKUP_TIMEOUT: float = key(120.0, POSITIVE_SECONDS, "seconds allowed for the automatic backup")
    PRE_SEQUENCE_SECONDS: float = key(5.0, SECONDS, "seconds of events before a sequence starts "
                                      "that are recorded with it", new=True)
    COMMIT_INTERVAL: float = key(0.5, Number(0.01, 1.0), "longest time, in seconds, a recorded "
                                 "event waits for its commit during a shot", new=True)


@dataclass(frozen=True)
class BumpResist:
    FLOW_THRESHOLD: float = key(10.0, Number(0), "g/s; a scale flow above this is taken as a bump")
    FLOW_MULTIPLIER: float = key(1.1, Number(0, low_open=True), "then use this times the DE1's flow")
    SUB_MEDIAN_WEIGHT: bool = key(True, Boolean(), "and use the median weight during a bump")
    USE_MEDIAN_WEIGHT_ALWAYS: bool = key(False, Boolean(), "always use the median weight")
    USE_MEDIAN_FLOW_ALWAYS: bool = key(False, Boolean(), "always use the median flow")


@dataclass(frozen=True)
class De1Section:
    LINE_FREQUENCY: int = key(60, Choice(50, 60), "mains frequency in Hz (for volume estimates)")
    MAX_WAIT_FOR_READY_EVENTS: float = key(4.0, POSITIVE_SECONDS, "seconds to wait for the "
                                           "first register reads after connecting")
    CUUID_LOCK_WAIT_TIMEOUT: float = key(2.0, POSITIVE_SECONDS, "seconds to wait for a busy "
                                         "characteristic (added to timeouts during firmware upload)")
    SEQUENCE_WATCHDOG_TIMEOUT: float = key(270.0, POSITIVE_SECONDS, "seconds after which a "
                                           "sequence is forced to complete")
    DEFAULT_AUTO_OFF_TIME: float | None = key(None, Nullable(SECONDS), "minutes without a state "
                                              "change before sleeping the DE1; null or 0 = never")
    STOP_AT_WEIGHT_ADJUST: float = key(-0.07, Number(), "seconds added to the predicted "
                                       "stop-at-weight moment (larger = more in the cup)")
    API_STOP_IGNORES_CHECKS: bool = key(False, Boolean(), "de1/mode Stop always asks for Idle, "
                                        "whatever the state")
    PATCH_ON_CONNECT: MappingProxyType | None = key(
        None, Nullable(JsonMapping()), "mapping PATCHed to de1 each time the DE1 becomes ready, "
        "e.g. {setting: {fan_threshold: {temperature: 40}}}")
    bump_resist: BumpResist = section(BumpResist, "how scale bumps are filtered out of "
                                      "stop-at-weight")


@dataclass(frozen=True)
class SteamSection:
    STOP_LAG: float = key(1.0, SECONDS, "seconds steam-to-temperature stops early")
    SKIP_INITIAL_SECONDS: float = key(4.0, SECONDS, "seconds of readings ignored after steam starts")
    MAX_SAMPLES_FOR_ESTIMATE: int = key(5, Integer(1), "readings used to estimate the time to target")
    IDLE_SECONDS_PER_SAMPLE: int = key(10, Integer(1), "seconds between thermometer reports "
                                       "when not steaming")


@dataclass(frozen=True)
class AcaiaSection:
    INTERACTION_STYLE: str | None = key(None, Nullable(Choice("classic", "lunar")),
                                        "force the Acaia protocol variant; null = by model")
    REQUIRES_HEARTBEAT: bool | None = key(None, Nullable(Boolean()),
                                          "force heartbeats on or off; null = by model")
    HEARTBEAT_PERIOD: float | None = key(None, Nullable(POSITIVE_SECONDS),
                                         "seconds between heartbeats; null = 5")


@dataclass(frozen=True)
class SimulatorSection:
    SPEEDUP: float = key(1.0, POSITIVE_SECONDS, "simulated time runs this many times faster")
    SEED: int = key(1, Integer(), "random seed of the simulated devices (same seed, same run)")
    SCALE: str = key("skale", Choice("skale", "acaia", "acaia_pyxis", "felicita", "decent",
                                     "bookoo", "none"), "simulated scale model (none = no scale)")
    THERMOMETER: bool = key(True, Boolean(), "simulate a BlueDOT thermometer")
    DE1_ADDRESS: str = key("D1:5E:00:00:00:01", BT_ADDRESS, "Bluetooth address the simulated DE1 "
                           "advertises")
    FIRMWARE_BUILD: int = key(1333, Integer(0), "firmware build number the simulated DE1 reports")
    START_STATE: str = key("Sleep", Text(matches(r"[A-Za-z]+", "expected a DE1 state name")),
                           "DE1 state the simulation starts in (e.g. Sleep, Idle)")


@dataclass(frozen=True)
class SupervisorSection:
    MAX_RESTARTS: int = key(5, Integer(0), "restarts of one failed actor allowed within "
                            "RESTART_WINDOW before giving up")
    RESTART_WINDOW: float = key(60.0, POSITIVE_SECONDS, "seconds over which restarts are counted")
    BACKOFF_INITIAL: float = key(0.5, POSITIVE_SECONDS, "seconds before the first restart "
                                 "(doubled for each further one)")
    BACKOFF_MAX: float = key(10.0, POSITIVE_SECONDS, "longest wait before a restart")
    START_TIMEOUT: float = key(10.0, POSITIVE_SECONDS, "seconds an actor may take to start")
    STOP_TIMEOUT: float = key(5.0, POSITIVE_SECONDS, "seconds each actor may take to stop")

    def consistency(self) -> list[tuple[str, str]]:
        if self.BACKOFF_MAX < self.BACKOFF_INITIAL:
            return [("BACKOFF_MAX", f"must not be less than BACKOFF_INITIAL ({self.BACKOFF_INITIAL})")]
        return []


@dataclass(frozen=True)
class Config(ConfigFile):
    """Everything ``pyde1-run`` reads from ``pyde1.conf``."""

    DEFAULT_PATH = "/usr/local/etc/pyde1/pyde1.conf"
    ENV_PREFIX = ENV_PREFIXES["pyde1-run"]
    PROGRAM = "pyde1-run"

    mqtt: MqttSection = section(MqttSection, "MQTT broker connection and topics")
    http: HttpSection = section(HttpSection, "HTTP API server")
    logging: LoggingSection = section(LoggingSection, "log file, stderr and MQTT log output")
    bluetooth: BluetoothSection = section(BluetoothSection, "Bluetooth scanning and connections")
    database: DatabaseSection = section(DatabaseSection, "shot and profile database")
    de1: De1Section = section(De1Section, "DE1 behaviour")
    steam: SteamSection = section(SteamSection, "steam to temperature with a BlueDOT thermometer")
    acaia: AcaiaSection = section(AcaiaSection, "Acaia scale overrides (development aids)")
    simulator: SimulatorSection = section(SimulatorSection, "simulated devices (bluetooth.BACKEND: "
                                          "simulator or pyde1-run --simulate)", new=True)
    supervisor: SupervisorSection = section(SupervisorSection, "restarting failed actors and "
                                            "stopping the service", new=True)


def response_timeout(config: Config) -> float:
    """The API's wait for an answer: ``http.RESPONSE_TIMEOUT`` if set, else long enough for a
    scan-and-connect or a profile upload during a firmware upload (pyDE1's rule)."""
    if config.http.RESPONSE_TIMEOUT:
        return config.http.RESPONSE_TIMEOUT
    http, bt = config.http, config.bluetooth
    connect = bt.SCAN_TIME + bt.CONNECT_TIMEOUT + http.ASYNC_TIMEOUT
    profile = http.PROFILE_TIMEOUT + http.ASYNC_TIMEOUT + config.de1.CUUID_LOCK_WAIT_TIMEOUT
    return max(connect, profile) + 0.1
