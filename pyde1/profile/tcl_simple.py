"""Steps for de1app's simple profiles: ``settings_2a`` (pressure) and ``settings_2b`` (flow).

A simple profile has no step list; de1app builds the frames from a handful of settings:
a preinfusion at ``preinfusion_flow_rate`` that ends when the pressure reaches
``preinfusion_stop_pressure`` (split into a 2-s "temperature adj" step and a "preinfuse" step
when the first two temperatures differ), then a "rise and hold" and a "decline" step.

Choices (pyDE1's rules, with its defects fixed, see docs in :mod:`pyde1.profile.tcl`):

* with ``espresso_temperature_steps_enabled`` off or absent every step uses
  ``espresso_temperature`` (de1app), otherwise ``espresso_temperature_0`` … ``_3``;
* the temperature step lasts 2 s, or the whole preinfusion when that is shorter;
* hold and decline steps are made whether or not there is a preinfusion;
* the pressure decline goes to ``pressure_end`` (pyDE1 used the hold pressure again);
* limits missing from old profiles are off (de1app's default), ranges default to de1app's
  1.0 mL/s (flow limit) and 0.9 bar (pressure limit).
"""

from __future__ import annotations

from typing import Any

from pyde1.profile.tcl_values import Number, Reader, TclProfileError, step_number

TEMPERATURE_STEP_SECONDS = 2
DEFAULT_PREINFUSION_FLOW = 4          # de1app's value for profiles older than the setting
# (limit key, range key, legacy range key, default range) per simple profile type
_LIMITS = {
    "pressure": ("maximum_flow", "maximum_flow_range_default", "maximum_flow_range", 1.0),
    "flow": ("maximum_pressure", "maximum_pressure_range_default", "maximum_pressure_range", 0.9),
}


def simple_profile_steps(reader: Reader, profile_type: str) -> tuple[list[dict[str, Any]], int]:
    """Return (steps, number of preinfusion steps) for a ``pressure`` or ``flow`` profile."""
    temperatures = _temperatures(reader)
    steps = _preinfusion_steps(reader, temperatures)
    preinfusion_count = len(steps)
    limiter = _limiter(reader, profile_type)

    hold_seconds = reader.number("espresso_hold_time")
    decline_seconds = reader.number("espresso_decline_time")
    if profile_type == "pressure":
        hold_target = ("pressure", reader.number("espresso_pressure"))
        decline_target = ("pressure", reader.number("pressure_end")) if decline_seconds else None
    else:
        hold_target = ("flow", reader.number("flow_profile_hold"))
        decline_target = ("flow", reader.number("flow_profile_decline")) if decline_seconds else None
    if hold_seconds:
        steps.append(_step("rise and hold", hold_target, "smooth", None, limiter,
                           hold_seconds, temperatures[2]))
    if decline_target is not None:
        steps.append(_step("decline", decline_target, "smooth", None, limiter,
                           decline_seconds, temperatures[3]))
    if not steps:
        raise TclProfileError(
            "preinfusion_time",
            "no steps: preinfusion_time, espresso_hold_time and espresso_decline_time are all 0")
    return steps, preinfusion_count


def _temperatures(reader: Reader) -> tuple[Number, Number, Number, Number]:
    base = reader.number_or("espresso_temperature", None)
    enabled = reader.has("espresso_temperature_steps_enabled") and reader.flag(
        "espresso_temperature_steps_enabled")
    if not enabled:
        if base is None:
            raise TclProfileError("espresso_temperature", "missing")
        return base, base, base, base
    values = []
    for index in range(4):
        key = f"espresso_temperature_{index}"
        value = reader.number_or(key, base)
        if value is None:
            raise TclProfileError(key, "missing (and no espresso_temperature to fall back on)")
        values.append(value)
    return tuple(values)  # type: ignore[return-value]


def _preinfusion_steps(reader: Reader, temperatures) -> list[dict[str, Any]]:
    total = reader.number("preinfusion_time")
    if total <= 0:
        return []
    target = ("flow", reader.number_or("preinfusion_flow_rate", DEFAULT_PREINFUSION_FLOW))
    stop = {"type": "pressure", "condition": "over",
            "value": step_number(reader.number("preinfusion_stop_pressure"))}
    steps = []
    first = 0
    if temperatures[1] != temperatures[0]:
        first = min(TEMPERATURE_STEP_SECONDS, total)
        steps.append(_step("temperature adj", target, "fast", stop, None, first, temperatures[0]))
    rest = round(total - first, 4)
    if rest > 0:
        steps.append(_step("preinfuse", target, "fast", stop, None, rest, temperatures[1]))
    return steps


def _limiter(reader: Reader, profile_type: str) -> dict[str, Number] | None:
    limit_key, range_key, legacy_range_key, default_range = _LIMITS[profile_type]
    value = step_number(reader.number_or(limit_key, 0))
    if value == 0:
        return None
    limit_range = reader.number_or(range_key, reader.number_or(legacy_range_key, default_range))
    return {"value": value, "range": step_number(limit_range)}


def _step(name: str, target: tuple[str, Number], transition: str, exit_: dict | None,
          limiter: dict | None, seconds: Number, temperature: Number) -> dict[str, Any]:
    pump, setpoint = target
    step: dict[str, Any] = {"name": name, "pump": pump, pump: step_number(setpoint)}
    if limiter is not None:
        step["limiter"] = dict(limiter)
    step["transition"] = transition
    if exit_ is not None:
        step["exit"] = dict(exit_)
    step["volume"] = 0
    step["seconds"] = step_number(seconds)
    step["temperature"] = step_number(temperature)
    step["sensor"] = "coffee"
    return step
