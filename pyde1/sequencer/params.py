"""The sequencer's fixed parameters, from ``pyde1.conf`` (``de1.*``, ``de1.bump_resist``,
``steam``) and the reference's constants. Frozen; read once at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyde1.sequencer.steam import SteamParams
from pyde1.sequencer.weight import BumpResist, StopTiming


def _section(config: Any, name: str) -> Any:
    if config is None:
        return None
    return config.get(name) if isinstance(config, Mapping) else getattr(config, name, None)


def _get(section: Any, name: str, default: Any) -> Any:
    if section is None:
        return default
    value = section.get(name) if isinstance(section, Mapping) else getattr(section, name, None)
    return default if value is None else value


@dataclass(frozen=True)
class SequencerParams:
    watchdog_timeout: float = 270.0          # de1.SEQUENCE_WATCHDOG_TIMEOUT
    timing: StopTiming = field(default_factory=StopTiming)
    bump: BumpResist = field(default_factory=BumpResist)
    steam: SteamParams = field(default_factory=SteamParams)
    default_auto_off_minutes: float | None = None   # de1.DEFAULT_AUTO_OFF_TIME
    #: a stop is not repeated within this many seconds (F.3 intent)
    stop_debounce: float = 0.25
    #: no weight report for this long while weight decides the stop: the scale is gone
    scale_stale_seconds: float = 1.5
    #: weight unchanged this long while the DE1 pumps into the cup: the reading is frozen
    frozen_seconds: float = 2.0
    frozen_min_de1_flow: float = 1.0         # mL/s
    #: hold-at-tare (A.0.4). The scale actor holds itself, following AutoTareNotification;
    #: set this for a scale that does not: the sequencer then tares at start and whenever
    #: |weight| is above the threshold, at most once per interval.
    tare_while_holding: bool = False
    tare_threshold: float = 0.05
    tare_interval: float = 0.25
    #: a predicted stop this close ahead is scheduled on a timer, not left to the next report
    schedule_horizon: float = 0.5
    #: auto-off: asked again after this long if the DE1 has not gone to sleep
    auto_off_retry: float = 60.0

    @classmethod
    def from_config(cls, config: Any) -> SequencerParams:
        de1 = _section(config, "de1")
        d = cls()
        auto_off = _get(de1, "DEFAULT_AUTO_OFF_TIME", None)
        return cls(
            watchdog_timeout=float(_get(de1, "SEQUENCE_WATCHDOG_TIMEOUT", d.watchdog_timeout)),
            timing=StopTiming(adjust=float(_get(de1, "STOP_AT_WEIGHT_ADJUST", d.timing.adjust))),
            bump=BumpResist.from_config(_section(de1, "bump_resist")),
            steam=SteamParams.from_config(_section(config, "steam")),
            default_auto_off_minutes=float(auto_off) if auto_off else None,
        )
