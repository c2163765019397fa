"""The legacy shot file (``.shot``) made from a recorded sequence (api-contract §7), as the
Visualizer upload takes it.

Inputs are plain row dicts as read from the database. Fixed with respect to pyDE1 2.0
(Appendix A14): a shot without weight data gets ``drink_weight 0.0`` and empty weight
lists, and a missing profile row or NULL title / beverage type gives empty braces, instead
of an exception that stopped pyDE1's uploader for good.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pyde1.db.errors import IncompleteSequenceError

REQUIRED_TIMES = ("start_sequence", "start_flow", "end_flow", "end_sequence")
PROFILE_KEYS = ("id", "source_format", "fingerprint", "date_added", "title", "author", "notes", "beverage_type")
WATER_WARNING = "WARNING {espresso_water_dispensed scaled by 10 for legacy compatibility}"
STATE_CHANGE = 10000000


def profile_metadata(source: bytes) -> dict[str, str | None]:
    """``title``, ``author``, ``notes``, ``beverage_type`` from a JSON profile's top level
    (None where absent, not text, or the source is not a JSON object)."""
    out: dict[str, str | None] = {"title": None, "author": None, "notes": None, "beverage_type": None}
    try:
        doc = json.loads(bytes(source).decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return out
    if isinstance(doc, dict):
        for key in out:
            value = doc.get(key)
            out[key] = value if isinstance(value, str) else None
    return out


def check_complete(master: Mapping[str, Any]) -> None:
    missing = [k for k in REQUIRED_TIMES if master.get(k) is None]
    if missing:
        raise IncompleteSequenceError(str(master.get("id")), missing)


def build_shot_file(master: Mapping[str, Any], samples: Iterable[Mapping[str, Any]],
                    weights: Iterable[Mapping[str, Any]], profile: Mapping[str, Any] | None, *,
                    tz: _dt.tzinfo | None = None) -> str:
    """The shot file text for one sequence. ``samples``: its ``shot_sample_with_volume_update``
    rows; ``weights``: its ``weight_and_flow_update`` rows (any order, any time: the windows
    of §7 are applied here). ``tz``: zone of ``local_time`` (default: the host's)."""
    check_complete(master)
    start_flow, end_flow, end_seq = (float(master[k]) for k in ("start_flow", "end_flow", "end_sequence"))
    shots = sorted((s for s in samples if _between(s.get("de1_time"), start_flow, end_flow)),
                   key=lambda s: s["de1_time"])
    weights = list(weights)
    weight_series = _series(weights, "current_weight_time", "current_weight", start_flow, end_seq)
    flow_series = _series(weights, "average_flow_time", "average_flow", start_flow, end_seq)
    de1_times = [float(s["de1_time"]) for s in shots]
    finals = [float(w["median_weight"]) for w in weights
              if _between(w.get("median_weight_time"), end_flow, end_seq) and w.get("median_weight") is not None]
    drink_weight = max(finals) if finals else 0.0

    def col(key: str, fmt: str = "{:.2f}", scale: float = 1.0) -> str:
        return _tcl_list(fmt.format(_num(s.get(key)) * scale) for s in shots)

    lines = [
        f"sequence_id {master['id']}",
        f"clock {round(start_flow)}",
        f"local_time {{{_local_time(start_flow, tz)}}}",
        "espresso_elapsed " + _tcl_list(f"{t - start_flow:.3f}" for t in de1_times),
        "espresso_pressure " + col("group_pressure"),
        "espresso_flow " + col("group_flow"),
        "espresso_temperature_basket " + col("head_temp"),
        "espresso_temperature_mix " + col("mix_temp"),
        WATER_WARNING,
        "espresso_water_dispensed " + col("volume_total", scale=0.1),
        "espresso_temperature_goal " + col("set_mix_temp"),
        "espresso_pressure_goal " + col("set_group_pressure"),
        "espresso_flow_goal " + col("set_group_flow"),
        "espresso_frame_number " + _tcl_list(str(int(_num(s.get("frame_number")))) for s in shots),
        "espresso_state_change " + _tcl_list(
            str(STATE_CHANGE if int(_num(s.get("frame_number"))) % 2 else -STATE_CHANGE) for s in shots),
        "espresso_resistance " + _tcl_list(
            f"{_num(s.get('group_pressure')) / max(_num(s.get('group_flow')), 0.0001) ** 2:.2f}" for s in shots),
        "espresso_weight " + _tcl_list(f"{v:.2f}" for v in _sample_before(weight_series, de1_times)),
        "espresso_flow_weight " + _tcl_list(f"{v:.2f}" for v in _sample_before(flow_series, de1_times)),
        "settings {",
        f"\tprofile_title {{{_braced(profile, 'title')}}}",
        f"\tdrink_weight {drink_weight:.1f}",
        f"\tbeverage_type {{{_braced(profile, 'beverage_type')}}}",
        "}",
        "profile " + json.dumps({k: (profile or {}).get(k) for k in PROFILE_KEYS} if profile else {}, indent=2),
    ]
    return "\n".join(lines) + "\n"


def _between(value: Any, low: float, high: float) -> bool:
    return value is not None and low <= float(value) <= high


def _num(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _series(rows: Sequence[Mapping[str, Any]], time_key: str, value_key: str,
            low: float, high: float) -> list[tuple[float, float]]:
    picked = [(float(r[time_key]), _num(r.get(value_key))) for r in rows if _between(r.get(time_key), low, high)]
    picked.sort(key=lambda p: p[0])
    return picked


def _sample_before(series: Sequence[tuple[float, float]], times: Sequence[float]) -> list[float]:
    """de1app's sampling: for each DE1 time, the last scale sample strictly before it (or the
    first one); the final scale sample is never used. Empty with fewer than two samples."""
    if len(series) < 2:
        return []
    out = []
    j, last = 1, len(series) - 1
    for t in times:
        while series[j][0] < t and j < last:
            j += 1
        out.append(series[j - 1][1])
    return out


def _tcl_list(items: Iterable[str]) -> str:
    return "{" + " ".join(items) + "}"


def _braced(profile: Mapping[str, Any] | None, key: str) -> str:
    value = (profile or {}).get(key)
    # A brace inside a Tcl braced word would end it early; round brackets read the same.
    return "" if value is None else str(value).replace("{", "(").replace("}", ")")


def _local_time(t: float, tz: _dt.tzinfo | None) -> str:
    if tz is None:
        return email.utils.formatdate(t, localtime=True)
    return email.utils.format_datetime(_dt.datetime.fromtimestamp(t, tz))
