"""Resources the gateway answers itself: logs, log/{id} and health.

Log files are served only if the name is a plain file name (the route already limits it to
``[a-zA-Z0-9._-]+``), names a regular file directly inside the log directory after symbolic
links are resolved, and is not a dot name; anything else is 404 (pyDE1 answered 500).
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pykka

from pyde1.api import errors
from pyde1.api.errors import ApiError
from pyde1.api.resources import LOG_ID_PATTERN

DEVICE_ROLES = ("de1", "scale", "thermometer")


def _log_directory(directory: str | None) -> str:
    if not directory or not os.path.isdir(directory):
        raise ApiError.of(500, "DE1TypeError",
                          f"Apparent misconfiguration as '{directory}' is not a directory")
    return directory


def list_logs(directory: str | None) -> list[dict[str, Any]]:
    """One entry per regular file in the log directory (sub-directories skipped), §1.8.2.
    A directory that does not exist (yet: no log file is configured) holds no logs; a path
    that exists but is not a directory is the misconfiguration pyDE1 answers 500 for."""
    if directory and not os.path.lexists(directory):
        return []
    directory = _log_directory(directory)
    out = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            out.append({"id": entry.name, "name": entry.name, "size": st.st_size,
                        "atime": st.st_atime, "mtime": st.st_mtime, "ctime": st.st_ctime})
    return out


def log_path(directory: str | None, log_id: str) -> str:
    """The file a log id names, or 404. Guards against traversal by every route we know of:
    separators, dot names, symbolic links leading out, and non-regular files."""
    missing = ApiError.of(404, "DE1DBNoMatchingRecord", f"No log file {log_id!r}")
    if directory and not os.path.lexists(directory):
        raise missing
    directory = _log_directory(directory)
    if not re.fullmatch(LOG_ID_PATTERN, log_id) or set(log_id) == {"."}:
        raise missing
    base = os.path.realpath(directory)
    path = os.path.realpath(os.path.join(base, log_id))
    if os.path.dirname(path) != base or not os.path.isfile(path):
        raise missing
    return path


def read_log(directory: str | None, log_id: str) -> bytes:
    path = log_path(directory, log_id)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ApiError.of(404, "DE1DBNoMatchingRecord", f"cannot read log {log_id!r}: {exc.strerror}") from None


def _actor_details(ctx, roles: list[str], timeout: float) -> dict[str, Any]:
    """Each actor's own ``health()``, asked of all at once, bounded by ``timeout``."""
    futures = {}
    for role in roles:
        ref = ctx.roles.get(role)
        if ref is None:
            continue
        try:
            futures[role] = ref.proxy().health()
        except (AttributeError, pykka.ActorDeadError):
            continue
    deadline = time.monotonic() + timeout
    details: dict[str, Any] = {}
    for role, future in futures.items():
        try:
            details[role] = future.get(timeout=max(0.0, deadline - time.monotonic()))
        except pykka.Timeout:
            details[role] = {"responding": False}
        except Exception as exc:  # one broken health() must not break the report
            details[role] = {"responding": False, "error": f"{type(exc).__name__}: {exc}"}
    return details


def health_report(ctx, view, timeout: float = 1.0) -> tuple[bool, dict[str, Any]]:
    """(healthy, report). Healthy: the supervisor answers, every actor it started is alive
    and none was given up on. Devices are reported, not judged: a DE1 that is switched off
    does not make the service unhealthy."""
    problems: list[str] = []
    service = ctx.extras.get("service")
    absent: dict[str, str] = dict(ctx.extras.get("absent_parts", {}))
    uptime = None
    if service is not None:
        try:
            status = service.status(timeout=timeout)
        except Exception as exc:
            status = {"actors": {}}
            problems.append(f"supervisor did not answer: {type(exc).__name__}: {exc}")
        actors = {role: dict(info) for role, info in status.get("actors", {}).items()}
        absent.update(status.get("absent", {}))
        if getattr(service, "started_at", None):
            uptime = round(time.time() - service.started_at, 3)
    else:
        actors = {role: {"alive": ctx.roles.get(role) is not None} for role in ctx.roles.roles()}
    details = _actor_details(ctx, [r for r in actors if r != "supervisor"], timeout)
    for role, info in actors.items():
        if role in details:
            info["health"] = details[role]
        if info.get("gave_up"):
            problems.append(f"{role}: given up after repeated failures ({info.get('last_error', '')})")
        elif not info.get("alive", False):
            problems.append(f"{role}: not running")
    devices = view.snapshot()
    for role in DEVICE_ROLES:
        if role not in devices:
            # No event seen since the gateway started: what the actor's own health() says.
            own = details.get(role, {}) if isinstance(details.get(role), dict) else {}
            if ctx.roles.get(role) is None:
                devices[role] = {"availability": "absent"}
            else:
                devices[role] = {"availability": own.get("availability", "unknown")}
                for key in ("address", "name"):
                    if key in own:
                        devices[role]["id" if key == "address" else key] = own[key]
    report = {"healthy": not problems, "problems": problems, "actors": actors,
              "devices": devices, "absent": absent, "uptime": uptime}
    return not problems, report
