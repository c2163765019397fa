"""Bluetooth and simulator settings read from the service configuration, with defaults.

Accepts the loaded configuration object (attribute or mapping access, sections lower-case,
keys upper-case as in pyde1.conf) or None (tests): each missing key takes its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def cfg(config: Any, section: str, key: str, default: Any) -> Any:
    if config is None:
        return default
    sec = config.get(section) if isinstance(config, Mapping) else getattr(config, section, None)
    if sec is None:
        return default
    value = sec.get(key, default) if isinstance(sec, Mapping) else getattr(sec, key, default)
    return default if value is None else value


@dataclass(frozen=True)
class BleSettings:
    backend: str = "bleak"               # "bleak" | "simulator"
    scan_time: float = 5.0
    connect_timeout: float = 10.0
    disconnect_timeout: float = 5.0
    connect_attempts: int = 3            # per connect request, then BleConnectError
    backoff_initial: float = 0.5         # s before the 2nd attempt, doubling after
    backoff_max: float = 4.0
    op_timeout: float = 2.0              # one read / write (de1.CUUID_LOCK_WAIT_TIMEOUT)
    id_file_directory: str = "/var/lib/pyde1/"
    id_file_suffix: str = ".btid"
    adapter: str | None = None           # e.g. "hci1"; None = the system default

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> "BleSettings":
        d = cls()
        values = dict(
            backend=str(cfg(config, "bluetooth", "BACKEND", d.backend)).lower(),
            scan_time=float(cfg(config, "bluetooth", "SCAN_TIME", d.scan_time)),
            connect_timeout=float(cfg(config, "bluetooth", "CONNECT_TIMEOUT", d.connect_timeout)),
            disconnect_timeout=float(cfg(config, "bluetooth", "DISCONNECT_TIMEOUT", d.disconnect_timeout)),
            connect_attempts=int(cfg(config, "bluetooth", "CONNECT_ATTEMPTS", d.connect_attempts)),
            backoff_initial=float(cfg(config, "bluetooth", "CONNECT_BACKOFF", d.backoff_initial)),
            backoff_max=float(cfg(config, "bluetooth", "CONNECT_BACKOFF_MAX", d.backoff_max)),
            op_timeout=float(cfg(config, "de1", "CUUID_LOCK_WAIT_TIMEOUT", d.op_timeout)),
            id_file_directory=str(cfg(config, "bluetooth", "ID_FILE_DIRECTORY", d.id_file_directory)),
            id_file_suffix=str(cfg(config, "bluetooth", "ID_FILE_SUFFIX", d.id_file_suffix)),
            adapter=cfg(config, "bluetooth", "ADAPTER", d.adapter),
        )
        values.update(overrides)
        return cls(**values)

    def backoff(self, failed_attempts: int) -> float:
        """Delay before the next attempt after ``failed_attempts`` failures (1, 2, ...)."""
        return min(self.backoff_max, self.backoff_initial * 2 ** max(0, failed_attempts - 1))


@dataclass(frozen=True)
class SimSettings:
    speedup: float = 1.0
    seed: int = 1
    scale: str = "skale"                 # simulated scale model (added by the scale package)
    de1_address: str = "D1:5E:00:00:00:01"
    firmware_build: int = 1333
    start_state: str = "Sleep"

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> "SimSettings":
        d = cls()
        values = dict(
            speedup=float(cfg(config, "simulator", "SPEEDUP", d.speedup)),
            seed=int(cfg(config, "simulator", "SEED", d.seed)),
            scale=str(cfg(config, "simulator", "SCALE", d.scale)),
            de1_address=str(cfg(config, "simulator", "DE1_ADDRESS", d.de1_address)),
            firmware_build=int(cfg(config, "simulator", "FIRMWARE_BUILD", d.firmware_build)),
            start_state=str(cfg(config, "simulator", "START_STATE", d.start_state)),
        )
        values.update(overrides)
        return cls(**values)
