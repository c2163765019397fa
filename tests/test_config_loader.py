"""Loading configuration files: pyDE1 2.0's own files, broken files, environment overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pyde1.config import (Config, ConfigError, ConfigProblem, ReplayConfig, VisualizerConfig,
                          load_config, load_config_text, override_config, thaw)

DATA = Path(__file__).resolve().parent / "data" / "config"
NO_ENV: dict[str, str] = {}


@pytest.fixture
def corpus(shared_dir: Path) -> Path:
    path = shared_dir / "corpus" / "pyde1-config"
    if not path.is_dir():
        pytest.skip(f"../shared is absent or has no corpus/pyde1-config ({path})")
    return path


def problems_of(excinfo: pytest.ExceptionInfo[ConfigError]) -> list[tuple[str, int | None]]:
    return [(p.path, p.line) for p in excinfo.value.problems]


# -- pyDE1 2.0's own files ------------------------------------------------------------------

@pytest.mark.corpus
def test_pyde1_conf_from_pyde1_loads_unchanged(corpus):
    config = load_config(str(corpus / "pyde1.conf"), environ=NO_ENV)
    assert config.source == str(corpus / "pyde1.conf")
    assert config.logging.LOG_FILENAME == "pyde1.log"          # as the packaged file says
    assert config.mqtt.BROKER_HOSTNAME == "::1"
    assert config.http.SERVER_HOST == ""
    assert config.de1.STOP_AT_WEIGHT_ADJUST == -0.07
    assert dict(config.logging.LOGGERS) == {"root.aiosqlite": "INFO", "root.asyncio": "INFO",
                                            "root.bleak": "INFO"}
    # Its bluetooth section holds only comments: pyDE1 warns and keeps the defaults.
    assert [(w.path, w.line) for w in config.warnings] == [("bluetooth", 83)]
    assert config.bluetooth == Config().bluetooth
    # The packaged file restates the defaults (our LOG_FILENAME default is its value).
    assert config.logging == Config().logging
    assert config.mqtt == Config().mqtt and config.http == Config().http


@pytest.mark.corpus
def test_visualizer_conf_from_pyde1_loads_unchanged(corpus):
    config = load_config(str(corpus / "pyde1-visualizer.conf"), environ=NO_ENV,
                         schema=VisualizerConfig)
    assert isinstance(config, VisualizerConfig)
    assert config.visualizer.USERNAME == "you@example.com"
    assert config.visualizer.MIN_FLOW_TIME == 10
    assert config.mqtt.CLIENT_ID_PREFIX == "pyde1-visualizer"
    assert config.logging.formatters.STDERR == "%(levelname)s %(name)s: %(message)s"
    assert dict(config.logging.LOGGERS) == {"MQTT": "INFO", "root.aiosqlite": "INFO",
                                            "root.asyncio": "INFO"}
    assert [(w.path, w.line) for w in config.warnings] == [("mqtt", 45), ("database", 62)]


@pytest.mark.corpus
def test_replay_conf_from_pyde1_loads_unchanged(corpus):
    config = load_config(str(corpus / "pyde1-replay.conf"), environ=NO_ENV, schema=ReplayConfig)
    assert config.sequence.ID == "87f17aa1-ea0a-41e7-aac0-fd042f9729db"
    assert config.mqtt.TOPIC_ROOT == "KEpyDE1"
    assert config.logging.handlers.STDERR == "DEBUG"
    assert config.logging.formatters.STDERR == "%(asctime)s %(levelname)s %(name)s: %(message)s"
    assert config.warnings == ()


@pytest.mark.corpus
def test_pyde1_conf_is_rejected_by_the_replay_schema(corpus):
    # Each program has its own schema: pyde1.conf's http section means nothing to replay.
    with pytest.raises(ConfigError) as excinfo:
        load_config(str(corpus / "pyde1.conf"), environ=NO_ENV, schema=ReplayConfig)
    assert ("http", 28) in problems_of(excinfo)


# -- broken files -----------------------------------------------------------------------------

BROKEN_EXPECTED = [
    ("mqtt.BROKER_PORT", 4, "expected an integer 0..65535, got 'abc'"),
    ("mqtt.TRANSPORT", 5, "expected one of tcp, websockets, got 'udp'"),
    ("mqtt.BROKR_HOSTNAME", 6, "unknown key; did you mean BROKER_HOSTNAME?"),
    ("mqtt.KEEPALIVE", 8, "duplicate key (first on line 7)"),
    ("http.SERVER_PORT", 10, "expected an integer 0..65535, got 70000"),
    ("http.SERVER_ROOT", 11, "expected a path that starts and ends with '/', got 'api'"),
    ("http.API_TOKENS[1]", 12, "expected a non-empty string, got ''"),
    ("logging.handlers.STDERR", 15, None),
    ("logging.LOGGERS.root.bleak", 17, None),
    ("de1", 18, "expected a mapping of keys, got 5"),
    ("Steam", 19, "unknown section; did you mean steam?"),
    ("steam.STOP_LAG", 22, "expected a number >= 0, got -1"),
    ("acaia.REQUIRES_HEARTBEAT", 25, "expected true or false, got 'maybe'"),
    ("supervisor.BACKOFF_MAX", 28, "must not be less than BACKOFF_INITIAL (20.0)"),
    ("database.BACKUP_COMPRESSION_UTILITY", 30, "unknown key"),
    ("simulator.SEED", 33, "expected an integer, got 1.5"),
]


def test_broken_file_reports_every_problem_with_path_and_line():
    path = str(DATA / "broken.conf")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ=NO_ENV)
    error = excinfo.value
    assert [(p, line) for p, line, _ in BROKEN_EXPECTED] == problems_of(excinfo)
    for problem, (_, _, message) in zip(error.problems, BROKEN_EXPECTED):
        if message is not None:
            assert problem.message == message
    assert "VERBOSE" in error.problems[8].message and "DEBUG" in error.problems[8].message
    lines = str(error).splitlines()
    assert len(lines) == len(BROKEN_EXPECTED)
    assert lines[0] == f"{path}:4: mqtt.BROKER_PORT: expected an integer 0..65535, got 'abc'"
    assert all(line.startswith(f"{path}:") for line in lines)
    # Problems are plain (path, line, message) tuples.
    assert tuple(error.problems[0]) == ("mqtt.BROKER_PORT", 4,
                                        "expected an integer 0..65535, got 'abc'")


def test_choices_ignore_case_and_store_the_canonical_spelling():
    config = load_config_text("simulator:\n  SCALE: Acaia_PYXIS\nbluetooth:\n  BACKEND: SIMULATOR\n"
                              "logging:\n  handlers:\n    STDERR: debug\n", environ=NO_ENV)
    assert config.simulator.SCALE == "acaia_pyxis"
    assert config.bluetooth.BACKEND == "simulator"
    assert config.logging.handlers.STDERR == "DEBUG"


def test_yaml_syntax_error_gives_the_parser_line():
    path = str(DATA / "syntax-error.conf")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ=NO_ENV)
    [problem] = excinfo.value.problems
    assert problem.path == ""
    assert problem.line == 4
    assert problem.message.startswith("YAML syntax error")
    assert str(excinfo.value).startswith(f"{path}:4: YAML syntax error")


@pytest.mark.parametrize("text, line, fragment", [
    ("mqtt: [unclosed\n", 2, "YAML syntax error"),
    ("---\na: 1\n---\nb: 2\n", 3, "single document"),
    ("mqtt:\n  TOPIC_ROOT: *nowhere\n", 2, "undefined alias"),
    ("mqtt:\n  TOPIC_ROOT: a\x01b\n", 2, "#x0001"),
])
def test_unreadable_yaml_is_one_problem_with_a_line(text, line, fragment):
    with pytest.raises(ConfigError) as excinfo:
        load_config_text(text, filename="x.conf", environ=NO_ENV)
    [problem] = excinfo.value.problems
    assert problem.line == line
    assert fragment in problem.message


@pytest.mark.parametrize("text, path, fragment", [
    ("de1:\n  LINE_FREQUENCY: !!int abc\n", "de1.LINE_FREQUENCY", "unreadable value"),
    ("de1:\n  PATCH_ON_CONNECT: {when: 2021-02-30}\n", "de1.PATCH_ON_CONNECT", "unreadable"),
    ("de1:\n  PATCH_ON_CONNECT: {when: 2021-02-03}\n", "de1.PATCH_ON_CONNECT.when", "JSON"),
    ("de1:\n  PATCH_ON_CONNECT: {x: .nan}\n", "de1.PATCH_ON_CONNECT.x", "finite"),
    ("mqtt:\n  [a]: 1\n", "mqtt", "keys must be names"),
    ("mqtt:\n  TOPIC_ROOT: 'a/#'\n", "mqtt.TOPIC_ROOT", "without '+', '#'"),
    ("mqtt:\n  USERNAME: 1234\n", "mqtt.USERNAME", "put it in quotes"),
    ("mqtt:\n  KEEPALIVE: true\n", "mqtt.KEEPALIVE", "expected an integer"),
    ("de1:\n  STOP_AT_WEIGHT_ADJUST: .inf\n", "de1.STOP_AT_WEIGHT_ADJUST", "a number"),
    ("de1:\n  LINE_FREQUENCY: 55\n", "de1.LINE_FREQUENCY", "one of 50, 60"),
    ("http:\n  RESPONSE_TIMEOUT: 1e999999\n", "http.RESPONSE_TIMEOUT", "a number"),
    ("[1, 2]\n", "", "mapping of sections"),
])
def test_bad_values_are_named_by_path(text, path, fragment):
    with pytest.raises(ConfigError) as excinfo:
        load_config_text(text, environ=NO_ENV)
    assert [p.path for p in excinfo.value.problems] == [path]
    assert fragment in excinfo.value.problems[0].message
    assert excinfo.value.problems[0].line is not None


def test_underscore_keys_anchors_and_merge_keys():
    config = load_config(str(DATA / "anchors.conf"), environ=NO_ENV)
    assert config.http.ASYNC_TIMEOUT == 2.0 and isinstance(config.http.ASYNC_TIMEOUT, float)
    assert config.http.PROFILE_TIMEOUT == 7.0      # the explicit key wins over the merged one
    assert config.http.SERVER_PORT == 8080
    assert config.warnings == ()


def test_empty_file_and_empty_sections_give_defaults_with_warnings():
    assert load_config_text("", environ=NO_ENV) == Config()
    empty = load_config_text("# nothing\n---\n", environ=NO_ENV)
    assert [w.message for w in empty.warnings] == ["config file is empty; using built-in defaults"]
    config = load_config_text("mqtt:\nhttp: {}\nde1:\n  bump_resist:\n", filename="f.conf",
                              environ=NO_ENV)
    assert config == Config()
    assert [(w.path, w.line) for w in config.warnings] == [("mqtt", 1), ("http", 2),
                                                           ("de1.bump_resist", 4)]
    assert config.warning_lines()[0] == "f.conf:1: mqtt: section is empty; using its defaults"


def test_mappings_are_replaced_whole_and_frozen():
    config = load_config_text(
        "logging:\n  LOGGERS:\n    Controller: debug\n"
        "de1:\n  PATCH_ON_CONNECT:\n    setting:\n      fan_threshold: {temperature: 40}\n"
        "    list: [1, {a: b}]\n", environ=NO_ENV)
    assert dict(config.logging.LOGGERS) == {"Controller": "DEBUG"}
    patch = config.de1.PATCH_ON_CONNECT
    assert thaw(patch) == {"setting": {"fan_threshold": {"temperature": 40}}, "list": [1, {"a": "b"}]}
    with pytest.raises(TypeError):
        patch["setting"]["fan_threshold"]["temperature"] = 50          # read-only all the way
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.de1.LINE_FREQUENCY = 50


def test_loggers_with_every_entry_commented_out_means_none():
    # pyDE1's packaged file says: "If there are no entries here, comment-out LOGGERS entirely".
    config = load_config_text("logging:\n  LOGGERS:\n    # root.bleak: DEBUG\n", environ=NO_ENV)
    assert dict(config.logging.LOGGERS) == {}


# -- file locations ---------------------------------------------------------------------------

def test_file_named_with_c_must_exist(tmp_path):
    missing = str(tmp_path / "nope.conf")
    with pytest.raises(ConfigError) as excinfo:
        load_config(missing, environ=NO_ENV)
    assert str(excinfo.value) == f"{missing}: config file not found"


def test_missing_default_file_gives_defaults_and_a_warning(tmp_path):
    absent = str(tmp_path / "pyde1.conf")
    config = load_config(environ=NO_ENV, default_path=absent)
    assert config == Config()
    assert config.source is None
    assert [w.message for w in config.warnings] == [
        f"config file {absent} not found; using built-in defaults"]
    assert absent in config.warning_lines()[0]


def test_present_default_file_is_read(tmp_path):
    path = tmp_path / "pyde1.conf"
    path.write_text("mqtt:\n  TOPIC_ROOT: kitchen\n")
    config = load_config(environ=NO_ENV, default_path=str(path))
    assert config.mqtt.TOPIC_ROOT == "kitchen"
    assert config.source == str(path)


def test_default_locations_are_pyde1s():
    assert Config.DEFAULT_PATH == "/usr/local/etc/pyde1/pyde1.conf"
    assert VisualizerConfig.DEFAULT_PATH == "/usr/local/etc/pyde1/pyde1-visualizer.conf"
    assert ReplayConfig.DEFAULT_PATH == "/usr/local/etc/pyde1/pyde1-replay.conf"


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        load_config(str(tmp_path), environ=NO_ENV)                     # a directory
    assert "cannot read config file" in str(excinfo.value)
    latin = tmp_path / "latin1.conf"
    latin.write_bytes(b"mqtt:\n  TOPIC_ROOT: caf\xe9\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(str(latin), environ=NO_ENV)
    assert problems_of(excinfo) == [("", 2)]


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.conf"
    path.write_bytes("\ufeffmqtt:\n  TOPIC_ROOT: café\n".encode())
    assert load_config(str(path), environ=NO_ENV).mqtt.TOPIC_ROOT == "café"


# -- environment overrides ----------------------------------------------------------------------

def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "pyde1.conf"
    path.write_text("mqtt:\n  BROKER_PORT: 1884\n  TOPIC_ROOT: fromfile\n")
    config = load_config(str(path), environ={
        "PYDE1_MQTT__BROKER_PORT": "1885",
        "pyde1_mqtt__username": "ignored-lowercase-prefix",
        "PYDE1_de1__Bump_Resist__FLOW_THRESHOLD": "12",
        "PYDE1_HTTP__API_TOKENS": "[one, two]",
        "PYDE1_LOGGING__LOGGERS": "{root.bleak: debug}",
        "PYDE1_MQTT__PASSWORD": "0123",           # YAML would make this 83; a string is wanted
        "PYDE1_MQTT__USERNAME": "null",
        "PYDE1_HTTP__SERVER_HOST": "",
        "PYDE1_HOME": "/not/an/override",
        "PYDE1_VISUALIZER_MQTT__BROKER_PORT": "not for pyde1-run",
        "PYDE1_REPLAY_SEQUENCE__ID": "not for pyde1-run",
    })
    assert config.mqtt.BROKER_PORT == 1885
    assert config.mqtt.TOPIC_ROOT == "fromfile"
    assert config.mqtt.USERNAME is None
    assert config.mqtt.PASSWORD == "0123"
    assert config.de1.bump_resist.FLOW_THRESHOLD == 12.0
    assert config.http.API_TOKENS == ("one", "two")
    assert dict(config.logging.LOGGERS) == {"root.bleak": "DEBUG"}
    assert config.http.SERVER_HOST == ""


def test_bad_environment_overrides_are_reported_with_the_variable(tmp_path):
    path = tmp_path / "pyde1.conf"
    path.write_text("mqtt:\n  BROKER_PORT: nope\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(str(path), environ={"PYDE1_MQTT__BROKER_PORT": "abc",
                                        "PYDE1_MQTT__NO_SUCH_KEY": "1",
                                        "PYDE1_NOSECTION__X": "1",
                                        "PYDE1_LOGGING__HANDLERS": "x",
                                        "PYDE1_HTTP__THREADS": "0"})
    problems = excinfo.value.problems
    assert problems[0] == ConfigProblem("mqtt.BROKER_PORT", 2, "expected an integer 0..65535, got 'nope'")
    by_path = {p.path: p for p in problems[1:]}
    assert by_path["mqtt.BROKER_PORT"].message == (
        "expected an integer 0..65535, got 'abc' (from environment variable PYDE1_MQTT__BROKER_PORT)")
    assert by_path["mqtt.BROKER_PORT"].line is None
    assert "unknown key 'NO_SUCH_KEY' in mqtt" in by_path["PYDE1_MQTT__NO_SUCH_KEY"].message
    assert "unknown section 'NOSECTION'" in by_path["PYDE1_NOSECTION__X"].message
    assert "names a section" in by_path["PYDE1_LOGGING__HANDLERS"].message
    assert "expected an integer 1..256, got 0" in by_path["http.THREADS"].message
    assert len(problems) == 6


def test_each_program_has_its_own_prefix():
    env = {"PYDE1_VISUALIZER_VISUALIZER__USERNAME": "me@example.org",
           "PYDE1_MQTT__BROKER_PORT": "not for the visualizer",
           "PYDE1_REPLAY_SEQUENCE__ID": "abc"}
    visualizer = load_config_text("", schema=VisualizerConfig, environ=env)
    assert visualizer.visualizer.USERNAME == "me@example.org"
    replay = load_config_text("", schema=ReplayConfig, environ=env)
    assert replay.sequence.ID == "abc"


def test_environ_defaults_to_the_process_environment(monkeypatch):
    monkeypatch.setenv("PYDE1_HTTP__SERVER_PORT", "4321")
    assert load_config_text("").http.SERVER_PORT == 4321


# -- overrides from code --------------------------------------------------------------------------

def test_override_config_checks_values_like_the_file():
    base = Config()
    changed = override_config(base, {"http.SERVER_PORT": 0, "bluetooth.BACKEND": "Simulator",
                                     "de1.bump_resist.FLOW_MULTIPLIER": 2})
    assert changed.http.SERVER_PORT == 0
    assert changed.bluetooth.BACKEND == "simulator"
    assert changed.de1.bump_resist.FLOW_MULTIPLIER == 2.0
    assert base.http.SERVER_PORT == 1234                      # the original is untouched
    with pytest.raises(ConfigError) as excinfo:
        override_config(base, {"http.SERVER_PORT": -1, "http.NOPE": 1, "http": 1})
    assert sorted(p.path for p in excinfo.value.problems) == ["http", "http.NOPE", "http.SERVER_PORT"]
