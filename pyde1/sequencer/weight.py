"""Stop-at-weight and move-on-by-weight timing (devices-and-sequencing E.7, E.8, E.11).

From each WeightAndFlowUpdate the rules pick one (weight, time of that weight, flow) reading:

1. pyDE1's bump resist: a scale flow above ``flow_threshold`` is a bump (a knock on the cup),
   so the flow is taken from the DE1 (its latest group flow × ``flow_multiplier``, if at most
   0.6 s old, else the median flow) and the weight from the median.
2. A spike guard pyDE1 lacks: a current weight further from the extrapolated median than a
   real flow could explain (``spike_tolerance`` + ``spike_flow_fraction`` × flow) is treated the
   same way, with the median weight carried forward by the median flow. A spike smaller than
   the bump threshold would otherwise both raise the weight and inflate the average flow, and
   could stop a shot early.

Then the stop moment is when the cup would reach the target, less the time the stop takes to
land: ``stop_lead_time`` (command to valve) + ``fall_time`` (drops in the air) −
``adjust`` (``de1.STOP_AT_WEIGHT_ADJUST``). Weight times already include the scale's lag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyde1.events import WeightAndFlowUpdate


def _get(section: Any, name: str, default: Any) -> Any:
    if section is None:
        return default
    value = section.get(name, default) if isinstance(section, Mapping) else getattr(section, name, default)
    return default if value is None else value


@dataclass(frozen=True)
class BumpResist:
    flow_threshold: float = 10.0
    flow_multiplier: float = 1.1
    sub_median_weight: bool = True
    use_median_weight_always: bool = False
    use_median_flow_always: bool = False
    de1_flow_max_age: float = 0.6
    #: spike guard (pyde1's own): grams, plus this fraction of a second's flow
    spike_tolerance: float = 1.0
    spike_flow_fraction: float = 0.25

    @classmethod
    def from_config(cls, section: Any) -> BumpResist:
        """From ``config.de1.bump_resist`` (attribute or mapping access; missing → default)."""
        d = cls()
        return cls(flow_threshold=float(_get(section, "FLOW_THRESHOLD", d.flow_threshold)),
                   flow_multiplier=float(_get(section, "FLOW_MULTIPLIER", d.flow_multiplier)),
                   sub_median_weight=bool(_get(section, "SUB_MEDIAN_WEIGHT", d.sub_median_weight)),
                   use_median_weight_always=bool(_get(section, "USE_MEDIAN_WEIGHT_ALWAYS",
                                                      d.use_median_weight_always)),
                   use_median_flow_always=bool(_get(section, "USE_MEDIAN_FLOW_ALWAYS",
                                                    d.use_median_flow_always)))


@dataclass(frozen=True)
class StopTiming:
    stop_lead_time: float = 0.100   # s from the stop command to the valve closing
    fall_time: float = 0.17         # s of drops in the air between spout and cup
    adjust: float = -0.07           # de1.STOP_AT_WEIGHT_ADJUST: larger leaves more in the cup

    @property
    def weight_lead(self) -> float:
        """How long before the cup reaches the target the stop is sent (0.34 s by default)."""
        return self.stop_lead_time + self.fall_time - self.adjust


@dataclass(frozen=True, slots=True)
class Reading:
    weight: float
    weight_time: float
    flow: float
    source: str          # "current", "median", "bump", "spike"


def choose_reading(update: WeightAndFlowUpdate, bump: BumpResist, de1_flow: float | None,
                   de1_flow_time: float | None, now: float) -> Reading:
    """The (weight, time, flow) to time a stop with, after bump resist and the spike guard."""
    w, t_w, f, source = update.current_weight, update.current_weight_time, update.average_flow, "current"
    have_medians = update.median_weight_time > 0 and update.median_flow_time > 0
    if bump.use_median_weight_always and update.median_weight_time > 0:
        w, t_w, source = update.median_weight, update.median_weight_time, "median"
    if bump.use_median_flow_always and update.median_flow_time > 0:
        f, source = update.median_flow, "median"
    if f > bump.flow_threshold:
        fresh = de1_flow is not None and de1_flow_time is not None and now - de1_flow_time <= bump.de1_flow_max_age
        f = de1_flow * bump.flow_multiplier if fresh else update.median_flow
        if bump.sub_median_weight and update.median_weight_time > 0:
            w, t_w = update.median_weight, update.median_weight_time
        return Reading(w, t_w, max(f, 0.0), "bump")
    if have_medians and source == "current":
        flow = max(update.median_flow, 0.0)
        expected = update.median_weight + flow * (update.current_weight_time - update.median_weight_time)
        if abs(update.current_weight - expected) > bump.spike_tolerance + bump.spike_flow_fraction * flow:
            return Reading(expected, update.current_weight_time, flow, "spike")
    return Reading(w, t_w, max(f, 0.0), source)


def weight_stop_moment(reading: Reading, target: float, timing: StopTiming) -> float | None:
    """When to send the stop so the cup lands on ``target``; None without a positive flow."""
    if reading.flow <= 0:
        return None
    return reading.weight_time + (target - reading.weight) / reading.flow - timing.weight_lead


def move_on_moment(reading: Reading, target: float, frame_start_weight: float,
                   timing: StopTiming) -> float | None:
    """When to skip so the frame ends after ``target`` grams gained in it (no fall time: the
    drops keep falling into the same cup)."""
    if reading.flow <= 0:
        return None
    gained = reading.weight - frame_start_weight
    return reading.weight_time + (target - gained) / reading.flow - timing.stop_lead_time


def predicted_final_weight(reading: Reading, at: float, timing: StopTiming) -> float:
    """The cup weight a stop sent at ``at`` should give (for logs and benchmarks)."""
    return reading.weight + reading.flow * (at - reading.weight_time + timing.weight_lead)
