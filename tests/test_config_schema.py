"""The schemas: defaults as in pyDE1 2.0 (api-contract §4), our additions, generated docs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pyde1.config import (SCHEMAS, Config, ReplayConfig, VisualizerConfig, load_config,
                          response_timeout, thaw)
from pyde1.config.fields import walk
from pyde1.config.kinds import Invalid
from pyde1.config.render import FILES, configuration_markdown, example_file

ROOT = Path(__file__).resolve().parent.parent
LOGFILE = "%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s"
STDERR = "%(levelname)s [%(processName)s] %(name)s: %(message)s"

# Written out from the reference tables (§4.2), not from the schema.
PYDE1_DEFAULTS = {
    "mqtt.TOPIC_ROOT": "pyDE1", "mqtt.CLIENT_ID_PREFIX": "pyde1", "mqtt.BROKER_HOSTNAME": "::1",
    "mqtt.BROKER_PORT": 1883, "mqtt.TRANSPORT": "tcp", "mqtt.KEEPALIVE": 60,
    "mqtt.USERNAME": None, "mqtt.PASSWORD": None, "mqtt.DEBUG": False, "mqtt.TLS": False,
    "mqtt.TLS_CA_CERTS": None, "mqtt.TLS_CERTFILE": None, "mqtt.TLS_KEYFILE": None,
    "mqtt.TLS_CERT_REQS": None, "mqtt.TLS_VERSION": None, "mqtt.TLS_CIPHERS": None,
    "http.SERVER_HOST": "", "http.SERVER_PORT": 1234, "http.SERVER_ROOT": "/",
    "http.PATCH_SIZE_LIMIT": 16384, "http.ASYNC_TIMEOUT": 1.0, "http.PROFILE_TIMEOUT": 4.5,
    "http.FIRMWARE_TIMEOUT": 15, "http.PRUNE_EMPTY_NODES": True, "http.RESPONSE_TIMEOUT": None,
    "logging.LOG_DIRECTORY": "/var/log/pyde1/", "logging.LOG_FILENAME": "pyde1.log",
    "logging.formatters.STYLE": "%", "logging.formatters.LOGFILE": LOGFILE,
    "logging.formatters.MQTT": LOGFILE, "logging.formatters.STDERR": STDERR,
    "logging.handlers.LOGFILE": "INFO", "logging.handlers.MQTT": "ERROR",
    "logging.handlers.STDERR": "WARNING",
    "logging.LOGGERS": {"root.aiosqlite": "INFO", "root.asyncio": "INFO", "root.bleak": "INFO"},
    "bluetooth.SCAN_TIME": 5, "bluetooth.CONNECT_TIMEOUT": 10, "bluetooth.DISCONNECT_TIMEOUT": 5,
    "bluetooth.SCAN_CACHE_EXPIRY": 300, "bluetooth.RECONNECT_RETRY_COUNT": 10,
    "bluetooth.RECONNECT_GAP": 10, "bluetooth.ID_FILE_DIRECTORY": "/var/lib/pyde1/",
    "bluetooth.ID_FILE_SUFFIX": ".btid",
    "database.FILENAME": "/var/lib/pyde1/pyde1.sqlite3", "database.BACKUP_TIMEOUT": 120,
    "de1.LINE_FREQUENCY": 60, "de1.MAX_WAIT_FOR_READY_EVENTS": 4.0,
    "de1.CUUID_LOCK_WAIT_TIMEOUT": 2, "de1.SEQUENCE_WATCHDOG_TIMEOUT": 270,
    "de1.DEFAULT_AUTO_OFF_TIME": None, "de1.STOP_AT_WEIGHT_ADJUST": -0.07,
    "de1.API_STOP_IGNORES_CHECKS": False, "de1.PATCH_ON_CONNECT": None,
    "de1.bump_resist.FLOW_THRESHOLD": 10.0, "de1.bump_resist.FLOW_MULTIPLIER": 1.1,
    "de1.bump_resist.SUB_MEDIAN_WEIGHT": True, "de1.bump_resist.USE_MEDIAN_WEIGHT_ALWAYS": False,
    "de1.bump_resist.USE_MEDIAN_FLOW_ALWAYS": False,
    "steam.STOP_LAG": 1.0, "steam.SKIP_INITIAL_SECONDS": 4.0, "steam.MAX_SAMPLES_FOR_ESTIMATE": 5,
    "steam.IDLE_SECONDS_PER_SAMPLE": 10,
    "acaia.INTERACTION_STYLE": None, "acaia.REQUIRES_HEARTBEAT": None, "acaia.HEARTBEAT_PERIOD": None,
}

# Keys the brief asked for, with their defaults.
PYDE1_ADDITIONS = {
    "bluetooth.BACKEND": "bleak",
    "simulator.SPEEDUP": 1.0, "simulator.SEED": 1, "simulator.SCALE": "skale",
    "simulator.THERMOMETER": True,
    "http.API_TOKENS": (), "http.ALLOWED_ORIGINS": (), "http.MAX_BODY_BYTES": 1048576,
    "http.THREADS": 8, "http.BACKLOG": 1024,
    "mqtt.QUEUE_LIMIT": 10000, "mqtt.HA_DISCOVERY": False, "mqtt.HA_DISCOVERY_PREFIX": "homeassistant",
    "supervisor.MAX_RESTARTS": 5, "supervisor.RESTART_WINDOW": 60, "supervisor.BACKOFF_INITIAL": 0.5,
    "supervisor.BACKOFF_MAX": 10, "supervisor.STOP_TIMEOUT": 5,
}

VISUALIZER_DEFAULTS = {
    "visualizer.USERNAME": "you@example.com",
    "visualizer.PASSWORD": "your password or upload token here",
    "visualizer.MIN_FLOW_TIME": 10, "visualizer.RETRY_HOLD_OFF": 10,
    "mqtt.CLIENT_ID_PREFIX": "pyde1-visualizer", "mqtt.TOPIC_ROOT": "pyDE1",
    "mqtt.BROKER_PORT": 1883, "database.FILENAME": "/var/lib/pyde1/pyde1.sqlite3",
    "logging.LOG_DIRECTORY": "/var/log/pyde1/", "logging.LOG_FILENAME": "visualizer.log",
    "logging.formatters.LOGFILE": "%(asctime)s %(levelname)s %(name)s: %(message)s",
    "logging.formatters.STDERR": "%(levelname)s %(name)s: %(message)s",
    "logging.handlers.LOGFILE": "INFO", "logging.handlers.STDERR": "WARNING",
    "logging.LOGGERS": {"MQTTClient": "INFO", "root.aiosqlite": "INFO", "root.asyncio": "INFO"},
}

REPLAY_DEFAULTS = {
    "mqtt.TOPIC_ROOT": "KEpyDE1", "mqtt.CLIENT_ID_PREFIX": "pyde1-replay",
    "mqtt.BROKER_HOSTNAME": "::1", "mqtt.BROKER_PORT": 1883, "mqtt.TRANSPORT": "tcp",
    "mqtt.KEEPALIVE": 60, "mqtt.USERNAME": None, "mqtt.PASSWORD": None, "mqtt.DEBUG": False,
    "mqtt.TLS_CONTEXT": None, "sequence.ID": None,
    "database.FILENAME": "/var/lib/pyde1/pyde1.sqlite3", "logging.LOG_FILENAME": "replay.log",
    "logging.handlers.LOGFILE": "INFO", "logging.handlers.STDERR": "WARNING",
    "logging.LOGGERS": {},
}


def value_at(config, path: str):
    for part in path.split("."):
        config = getattr(config, part)
    return thaw(config) if not isinstance(config, (str, int, float, type(None))) else config


def leaf_paths(schema) -> set[str]:
    return {entry.path for entry in walk(schema) if entry.section is None}


@pytest.mark.parametrize("schema, expected", [
    (Config, PYDE1_DEFAULTS), (Config, PYDE1_ADDITIONS),
    (VisualizerConfig, VISUALIZER_DEFAULTS), (ReplayConfig, REPLAY_DEFAULTS),
], ids=["pyde1", "pyde1-additions", "visualizer", "replay"])
def test_defaults_equal_the_reference(schema, expected):
    config = schema()
    mismatches = {path: value_at(config, path) for path, value in expected.items()
                  if value_at(config, path) != (list(value) if isinstance(value, tuple) else value)}
    assert mismatches == {}


def test_every_pyde1_key_is_in_the_schema_and_additions_are_marked_new():
    new_paths = {entry.path for entry in walk(Config) if entry.new and entry.section is None}
    new_sections = {entry.path for entry in walk(Config) if entry.new and entry.section is not None}
    pyde1_keys = set(PYDE1_DEFAULTS)
    assert pyde1_keys <= leaf_paths(Config)
    assert new_paths.isdisjoint(pyde1_keys)
    assert set(PYDE1_ADDITIONS) <= new_paths | {p for p in leaf_paths(Config)
                                                if p.split(".")[0] in new_sections}
    # Everything else that is not pyDE1's is marked as an addition.
    unmarked = leaf_paths(Config) - pyde1_keys - new_paths
    assert {p for p in unmarked if p.split(".")[0] not in new_sections} == set()


def test_replay_keys_are_exactly_pyde1s():
    assert leaf_paths(ReplayConfig) - {"logging.formatters.MQTT", "logging.handlers.MQTT",
                                       "logging.formatters.STYLE", "logging.LOG_DIRECTORY",
                                       "logging.formatters.LOGFILE", "logging.formatters.STDERR"} \
        == set(REPLAY_DEFAULTS)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.__name__)
def test_every_key_has_help_and_its_default_passes_its_own_check(schema):
    for entry in walk(schema):
        assert entry.help and len(entry.help) < 200, entry.path
        if entry.section is None:
            assert entry.kind.check(thaw(entry.default)) == entry.default, entry.path


def test_numbers_are_floats_and_integers_are_ints():
    config = Config()
    assert isinstance(config.bluetooth.SCAN_TIME, float)
    assert isinstance(config.http.FIRMWARE_TIMEOUT, float)
    assert isinstance(config.mqtt.BROKER_PORT, int)


def test_kinds_reject_booleans_as_numbers():
    kind = next(e.kind for e in walk(Config) if e.path == "http.SERVER_PORT")
    with pytest.raises(Invalid):
        kind.check(True)


def test_config_is_immutable_and_comparable():
    config = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.mqtt = None
    with pytest.raises(TypeError):
        config.logging.LOGGERS["root.bleak"] = "DEBUG"
    assert Config() == config


def test_response_timeout_is_computed_as_pyde1_does():
    assert response_timeout(Config()) == pytest.approx(16.1)
    http = dataclasses.replace(Config().http, RESPONSE_TIMEOUT=3.0)
    assert response_timeout(dataclasses.replace(Config(), http=http)) == 3.0
    slow_profile = dataclasses.replace(Config().http, PROFILE_TIMEOUT=20.0)
    assert response_timeout(dataclasses.replace(Config(), http=slow_profile)) == pytest.approx(23.1)


# -- generated documentation and example files --------------------------------------------------

def test_configuration_doc_matches_the_schema():
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == configuration_markdown(), (
        "docs/configuration.md drifted: run "
        "`.venv/bin/python -m pyde1.config.render doc > docs/configuration.md`")


def test_configuration_doc_lists_every_key():
    doc = configuration_markdown()
    for schema in SCHEMAS:
        for entry in walk(schema):
            assert f"`{entry.path if entry.section else entry.name}`" in doc, entry.path


@pytest.mark.parametrize("which, conf", [("pyde1", "pyde1.conf"),
                                         ("visualizer", "pyde1-visualizer.conf"),
                                         ("replay", "pyde1-replay.conf")])
def test_example_conf_matches_the_schema_and_loads_to_the_defaults(which, conf):
    path = ROOT / "conf" / conf
    assert path.read_text() == example_file(FILES[which]), (
        f"conf/{conf} drifted: run `.venv/bin/python -m pyde1.config.render conf {which} > conf/{conf}`")
    schema = FILES[which]
    config = load_config(str(path), environ={}, schema=schema)
    assert config == schema()
    assert config.warnings == ()
    text = path.read_text()
    for entry in walk(schema):
        assert f"{entry.name}:" in text, entry.path
