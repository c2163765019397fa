"""The ``version`` resource (api-contract §1.8.1)."""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Any

from pyde1 import __version__
from pyde1.api.resources import MAPPING_VERSION, RESOURCE_VERSION

#: The pyDE1 release whose API this implements; clients compare against it.
COMPATIBLE_PYDE1_VERSION = "2.0.0"

# pyDE1's keys first (asyncio-mqtt is kept there for backward compatibility), then ours.
PYDE1_MODULES = ("aiosqlite", "bleak", "paho-mqtt", "PyYAML", "requests", "asyncio-mqtt")
PYDE1_OWN_MODULES = ("pykka", "bottle", "waitress", "peewee")


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def version_info() -> dict[str, Any]:
    modules: dict[str, str | None] = {"pyDE1": COMPATIBLE_PYDE1_VERSION, "pyde1": __version__}
    for name in PYDE1_MODULES + PYDE1_OWN_MODULES:
        modules[name] = _installed(name)
    info = sys.version_info
    return {
        "resource_version": RESOURCE_VERSION,
        "mapping_version": MAPPING_VERSION,
        "platform": sys.platform,
        "python": sys.version,
        "python_info": {"major": info.major, "minor": info.minor, "micro": info.micro,
                        "releaselevel": info.releaselevel, "serial": info.serial},
        "module_versions": modules,
        "source_data": None,
    }
