"""Response bodies and headers as pyDE1 writes them (api-contract §1.5)."""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any

JSON_CONTENT_TYPE = "application/json"
TEXT_CONTENT_TYPE = "text/plain"

#: Log file suffixes and their content types, checked in this order (§1.8.2).
LOG_CONTENT_TYPES: tuple[tuple[tuple[str, ...], str], ...] = (
    ((".txt", ".log"), "text/plain"),
    ((".json",), "application/json"),
    ((".zip",), "application/zip"),
    ((".gz",), "application/gz"),
    ((".bz2",), "application/x-bzip2"),
    ((".xz",), "application/x-xz"),
)


def jsonable(value: Any) -> Any:
    """Plain JSON values from what actors return: enums by value, dataclasses and mappings as
    objects, tuples as arrays."""
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return value


def json_body(payload: Any) -> bytes:
    """``json.dumps(payload, sort_keys=True, indent=4)`` and a newline; ``[]\\n`` when empty."""
    return (json.dumps(jsonable(payload), sort_keys=True, indent=4) + "\n").encode("utf-8")


def time_headers(t: float) -> dict[str, str]:
    """``Last-Modified`` in local time with a numeric offset and ``x-pyde1-timestamp`` as
    Python prints the float (compare it with MQTT ``event_time``)."""
    return {"Last-Modified": _http_date(math.floor(t)), "x-pyde1-timestamp": repr(float(t))}


@functools.lru_cache(maxsize=4)
def _http_date(second: int) -> str:
    # The date has whole seconds, so it changes once a second while every response needs
    # it: formatdate was ~7 % of the service's GIL time with 64 HTTP clients.
    return formatdate(second, localtime=True)


def log_content_type(name: str) -> str:
    for suffixes, content_type in LOG_CONTENT_TYPES:
        if name.endswith(suffixes):
            return content_type
    return "application/octet-stream"
