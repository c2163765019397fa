"""de1app Tcl profile (``.tcl``) → JSON profile v2.1, as ``de1-profile-as-json`` writes it.

The output follows pyDE1's converter (key order, names, number formatting) with its
defects fixed:

* every step has ``volume`` and ``seconds`` (0 when the Tcl profile has none or 0), so the
  result loads with an uploader that requires them; ``weight`` stays optional;
* simple profiles (``settings_2a`` pressure, ``settings_2b`` flow) always get their hold and
  decline steps, ``type`` and the simple targets, even without a preinfusion step; the
  pressure decline ends at ``pressure_end`` (de1app), not at the hold pressure;
* keys that older de1app profiles lack take de1app's defaults instead of failing
  (limits off, ``preinfusion_flow_rate`` 4, count start 0, beverage ``espresso``; with
  temperature steps disabled every step uses ``espresso_temperature``).

``creator`` names this program (pyDE1 wrote ``legacy_to_json.py`` 0.0.2); ``reference_file``
is what the caller passes (the ``-i`` path, the Visualizer profile URL, or None).

Simple-profile expansion lives in :mod:`pyde1.profile.tcl_simple`.
"""

from __future__ import annotations

import datetime
from typing import Any

from pyde1 import __version__
from pyde1.profile.tcl_list import TclSyntaxError, split_dict, split_list
from pyde1.profile.tcl_simple import simple_profile_steps
from pyde1.profile.tcl_values import Reader, TclProfileError, is_blank, step_number

__all__ = ["TclProfileError", "tcl_to_json_profile", "read_tcl_pairs", "CREATOR_NAME"]

CREATOR_NAME = "de1-profile-as-json"
JSON_VERSION = "2.1"

ADVANCED_TYPES = ("settings_2c", "settings_2c2")
SIMPLE_TYPES = {"settings_2a": "pressure", "settings_2b": "flow"}
# Older names that de1app still loads (its fix_profile_type).
LEGACY_TYPE_ALIASES = {
    "settings_2": "settings_2a",
    "settings_profile_pressure": "settings_2a",
    "settings_profile_flow": "settings_2b",
    "settings_profile_advanced": "settings_2c",
}
EXIT_TYPES = ("pressure_over", "pressure_under", "flow_over", "flow_under")
DEFAULT_BEVERAGE_TYPE = "espresso"


def read_tcl_pairs(text: str) -> dict[str, str]:
    """The ``key value`` pairs of a de1app profile (the last of a repeated key wins, as with
    Tcl's ``array set``). A de1app shot file is accepted too: its ``settings`` are used."""
    text = text.lstrip("\ufeff")
    try:
        pairs = dict(split_dict(text))
    except TclSyntaxError as error:
        raise TclProfileError("$", f"not a Tcl key/value list: {error}") from None
    if not pairs:
        raise TclProfileError("$", "empty input, expected a de1app profile")
    if "settings_profile_type" not in pairs and "settings" in pairs:
        try:
            pairs = dict(split_dict(pairs["settings"]))
        except TclSyntaxError as error:
            raise TclProfileError("settings", f"not a Tcl key/value list: {error}") from None
    return pairs


def tcl_to_json_profile(
        text: str, *,
        author: str | None = None,
        reference_file: str | None = None,
        created_at: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Convert one de1app Tcl profile to a JSON v2.1 profile dict (insertion order = output order).

    ``author`` replaces the profile's author; ``reference_file`` is recorded as given;
    ``created_at`` (default: now; naive times are taken as local) goes into
    ``creator.timestamp`` with its UTC offset, to the second.
    Raises :class:`TclProfileError` naming the key and the reason.
    """
    pairs = read_tcl_pairs(text)
    reader = Reader(pairs)
    legacy_type = _legacy_profile_type(reader)

    if legacy_type in ADVANCED_TYPES:
        steps = _advanced_steps(reader)
        profile_type = "advanced"
        count_start = _count_start(reader)
        target_volume = reader.number_or("final_desired_shot_volume_advanced", None)
        target_weight = reader.number_or(
            "final_desired_shot_weight_advanced",
            reader.number_or("final_desired_shot_weight", None))
    else:
        profile_type = SIMPLE_TYPES[legacy_type]
        steps, count_start = simple_profile_steps(reader, profile_type)
        target_volume = reader.number_or("final_desired_shot_volume", None)
        target_weight = reader.number_or("final_desired_shot_weight", None)

    beverage_type = reader.text("beverage_type")
    profile: dict[str, Any] = {
        "version": JSON_VERSION,
        "title": reader.text("profile_title"),
        "notes": reader.text("profile_notes"),
        "author": author if author is not None else reader.text("author"),
        "beverage_type": (beverage_type.strip() if not is_blank(beverage_type)
                          else DEFAULT_BEVERAGE_TYPE),
        "steps": steps,
        "target_volume": target_volume,
        "target_weight": target_weight,
        "target_volume_count_start": count_start,
        "tank_temperature": reader.number_or("tank_desired_water_temperature", None),
        "reference_file": reference_file,
    }
    for key in pairs:  # the two trailing keys keep their order in the input
        if key == "settings_profile_type":
            profile["legacy_profile_type"] = legacy_type
        elif key == "profile_language":
            profile["lang"] = pairs[key]
    profile["type"] = profile_type
    profile["creator"] = {
        "name": CREATOR_NAME,
        "version": __version__,
        "timestamp": _timestamp(created_at),
    }
    return profile


def _legacy_profile_type(reader: Reader) -> str:
    value = reader.required_text("settings_profile_type").strip()
    value = LEGACY_TYPE_ALIASES.get(value, value)
    if value not in ADVANCED_TYPES and value not in SIMPLE_TYPES:
        known = ", ".join([*SIMPLE_TYPES, *ADVANCED_TYPES])
        raise TclProfileError("settings_profile_type", f"{value!r} is not one of {known}")
    return value


def _count_start(reader: Reader) -> int:
    key = "final_desired_shot_volume_advanced_count_start"
    value = reader.number_or(key, 0)
    if value != int(value) or value < 0:
        raise TclProfileError(key, f"expected a whole number of steps ≥ 0, found {value}")
    return int(value)


def _advanced_steps(reader: Reader) -> list[dict[str, Any]]:
    key = "advanced_shot"
    try:
        entries = split_list(reader.required_text(key))
    except TclSyntaxError as error:
        raise TclProfileError(key, f"not a Tcl list of steps: {error}") from None
    if not entries:
        raise TclProfileError(key, "no steps (an advanced profile needs at least one)")
    steps = []
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        try:
            step_pairs = dict(split_dict(entry))
        except TclSyntaxError as error:
            raise TclProfileError(where, f"not a Tcl key/value list: {error}") from None
        steps.append(_advanced_step(Reader(step_pairs, prefix=f"{where}.")))
    return steps


def _advanced_step(step: Reader) -> dict[str, Any]:
    out: dict[str, Any] = {"name": step.required_text("name")}
    pump = step.choice("pump", ("pressure", "flow"))
    out["pump"] = pump
    out[pump] = step_number(step.number(pump))
    limit = step_number(step.number_or("max_flow_or_pressure", 0))
    if limit != 0:
        out["limiter"] = {
            "value": limit,
            "range": step_number(step.number("max_flow_or_pressure_range")),
        }
    out["transition"] = step.choice("transition", ("fast", "smooth"))
    if step.flag("exit_if"):
        exit_type = step.choice("exit_type", EXIT_TYPES)
        kind, condition = exit_type.split("_")
        out["exit"] = {
            "type": kind,
            "condition": condition,
            "value": step_number(step.number(f"exit_{exit_type}")),
        }
    weight = step_number(step.number_or("weight", 0))
    if weight != 0:
        out["weight"] = weight
    out["volume"] = step_number(step.number_or("volume", 0))
    out["seconds"] = step_number(step.number_or("seconds", 0))
    out["temperature"] = step_number(step.number("temperature"))
    out["sensor"] = step.choice("sensor", ("coffee", "water"))
    return out


def _timestamp(created_at: datetime.datetime | None) -> str:
    moment = created_at if created_at is not None else datetime.datetime.now()
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time with its offset
    return moment.isoformat(timespec="seconds")
