"""Configuration of pyde1-run, pyde1-run-visualizer and pyde1-replay: typed schemas with
pyDE1 2.0's keys and defaults, a YAML loader that reports every problem with its line, and
the documentation renderer.

    config = load_config(args.c)            # raises ConfigError
    for line in config.warning_lines(): log.warning(line)
    config.mqtt.TOPIC_ROOT, config.http.SERVER_PORT, config.de1.bump_resist.FLOW_THRESHOLD
"""

from .errors import ConfigError, ConfigProblem
from .fields import ConfigFile
from .kinds import freeze, thaw
from .loader import load_config, load_config_text, override_config
from .schema import Config, response_timeout

__all__ = [
    "Config", "ConfigError", "ConfigFile", "ConfigProblem", "ReplayConfig", "SCHEMAS",
    "VisualizerConfig", "freeze", "load_config", "load_config_text", "override_config",
    "response_timeout", "thaw",
]


def __getattr__(name: str):
    # The other programs' schemas are imported on first use: pyde1-run never needs them, and
    # they would be part of its every start.
    if name in ("ReplayConfig", "VisualizerConfig", "SCHEMAS"):
        from .tool_schemas import ReplayConfig, VisualizerConfig

        values = {"ReplayConfig": ReplayConfig, "VisualizerConfig": VisualizerConfig,
                  "SCHEMAS": (Config, VisualizerConfig, ReplayConfig)}
        globals().update(values)
        return values[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
