"""What the stand-alone programs that log like the service (pyde1-replay,
pyde1-run-visualizer) do the same way when they start: the logging options, and the
configuration read with one clear message on stderr when it has problems."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--console", action="store_true", help="log to stderr at DEBUG with timestamps")
    parser.add_argument("--level", metavar="LEVEL", help="stderr log level (e.g. info)")


def load_program_config(prog: str, args: argparse.Namespace, schema: type, logger: logging.Logger) -> Any | None:
    """The configuration (``-c``, else the schema's default file) with logging set up from it
    and its warnings logged; None after printing what is wrong (the caller exits with 2)."""
    from actors.logsetup import setup_logging
    from pyde1.config import ConfigError, load_config

    try:
        config = load_config(args.c, schema=schema)
    except ConfigError as exc:
        print(f"{prog}: configuration has problems:\n{exc}", file=sys.stderr)
        return None
    setup_logging(config.logging, console=args.console, level=args.level)
    for warning in config.warning_lines():
        logger.warning("config: %s", warning)
    return config
