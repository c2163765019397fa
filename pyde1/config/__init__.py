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
from .loader import SCHEMAS, load_config, load_config_text, override_config
from .schema import Config, response_timeout
from .tool_schemas import ReplayConfig, VisualizerConfig

__all__ = [
    "Config", "ConfigError", "ConfigFile", "ConfigProblem", "ReplayConfig", "SCHEMAS",
    "VisualizerConfig", "freeze", "load_config", "load_config_text", "override_config",
    "response_timeout", "thaw",
]
