"""Real recorded shots (``../shared/corpus/shots/normalized``) as replay cases for stop-at-weight.

Each case is a weight stream at its recorded timing, the moment the recording's app
stopped the shot, and the cup's final weight. The choices, fixed before any prediction
was scored (docs/stop-at-weight.md):

* **stream**: the scale's own packet stream (``scale_raw``: every report at its arrival
  time) when recorded, else the app's weight array at the machine's sample times;
* **stop moment**: the app's recorded stop timer (``t_stop_s``) when present, else the
  end of the arrays (the apps stop recording when they stop the shot);
* **final weight**: the app's stored drink weight (weighed after the drips; it matches
  the settled raw stream within 0.1 g wherever both exist).

A case is excluded, with the reason kept, when the recording cannot answer the question:
no final weight or almost nothing in the cup; not an espresso (a 350 g filter brew);
arrays that do not end at the stop (the stale time axis the corpus README flags, and
de1app's 2.8 s look-ahead era, where the arrays end about 2.7 s of flow before the
water stopped); or a raw stream still rising more than 1 g between 1.5 s and 2.5 s after
the recorded stop (the stop stamp is not when the water stopped).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

#: Sensor lag per de1app scale type: reference A.0.3 (pyDE1 uses 0.38 s except Felicita).
SENSOR_LAG_S = {"felicita": 0.45}
DEFAULT_SENSOR_LAG_S = 0.38
#: Sources that hold one user's shots, so one scale name means one setup.
SINGLE_USER_SOURCES = frozenset({"hsyhsw/de1-flow-calibration-estimation"})
MIN_CUP_G = 5.0
MAX_ESPRESSO_G = 150.0
STILL_POURING_G = 1.0


class CorpusError(ValueError):
    """A corpus file is unreadable or lacks what the replay needs (names the file and key)."""


@dataclass(frozen=True)
class ReplayShot:
    name: str
    source: str                 # the repository the recording came from
    setup: str                  # shots sharing a setup (same user and scale) share a drip
    order: tuple[float, str]    # chronological order within a setup
    scale_type: str | None
    stream_kind: str            # "raw" (scale packets) or "arrays" (app samples)
    stream: tuple[tuple[float, float], ...]  # (arrival s from shot start, weight g)
    stop_time: float
    final_weight: float | None
    target: float | None
    sensor_lag: float
    excluded: str | None = None

    @property
    def has_post_stop_stream(self) -> bool:
        return self.stream_kind == "raw" and any(t > self.stop_time + 1.0 for t, _ in self.stream)


def _field(data: dict, key: str, path: Path) -> Any:
    if key not in data:
        raise CorpusError(f"{path.name}: key {key!r} is missing")
    return data[key]


def _pairs(times: Any, weights: Any, path: Path, what: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(times, list) or not isinstance(weights, list) or len(times) != len(weights):
        raise CorpusError(f"{path.name}: {what} time and weight arrays are missing or unequal")
    return tuple((float(t), float(w)) for t, w in zip(times, weights)
                 if isinstance(t, (int, float)) and isinstance(w, (int, float)))


def _setup(source: str, name: str, scale: dict | None) -> str:
    bt = (scale or {}).get("bluetooth_name")
    if bt and (re.search(r"[0-9A-Fa-f]{4,}$", bt) or source in SINGLE_USER_SOURCES):
        return f"{source}:{bt}"
    return f"{source}:{name}"


def _exclusion(shot: ReplayShot, data: dict) -> str | None:
    if shot.final_weight is None:
        return "no final weight recorded"
    before = [w for t, w in shot.stream if t <= shot.stop_time]
    if not before or max(before) < MIN_CUP_G:
        return f"less than {MIN_CUP_G:g} g in the cup at the stop"
    if shot.final_weight > MAX_ESPRESSO_G:
        return f"not an espresso ({shot.final_weight:g} g)"
    if shot.stream_kind == "arrays":
        if data.get("time_axis_suspect"):
            return "stale time axis (corpus README) and no raw scale stream"
        look_ahead = (data.get("saw_settings") or {}).get("stop_weight_before_seconds")
        try:
            if look_ahead is not None and float(look_ahead) >= 1.0:
                return (f"de1app look-ahead {float(look_ahead):g} s era: the arrays end before the "
                        "water stopped")
        except ValueError:
            pass
    if shot.has_post_stop_stream:
        def weight_near(t: float) -> float:
            return min(shot.stream, key=lambda p: abs(p[0] - t))[1]
        rise = weight_near(shot.stop_time + 2.5) - weight_near(shot.stop_time + 1.5)
        if rise > STILL_POURING_G:
            return f"still pouring after the recorded stop (+{rise:.1f} g between 1.5 and 2.5 s)"
    return None


def load_shot(path: Path) -> ReplayShot | None:
    """One normalized shot file as a replay case; None when the corpus marks it unusable,
    a duplicate, or without weight."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{Path(path).name}: cannot read JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{path.name}: top level must be an object")
    if not data.get("usable") or data.get("duplicate_of") or not data.get("has_weight"):
        return None
    arrays = _field(data, "arrays", path)
    origin = _field(data, "origin", path)
    source = origin.get("repo") if isinstance(origin, dict) else None
    if not isinstance(source, str):
        raise CorpusError(f"{path.name}: key 'origin.repo' is missing")
    raw = data.get("scale_raw")
    if isinstance(raw, dict) and raw.get("t"):
        kind, stream = "raw", _pairs(raw.get("t"), raw.get("weight"), path, "scale_raw")
    else:
        kind, stream = "arrays", _pairs(arrays.get("t"), arrays.get("weight"), path, "arrays")
    if not stream:
        raise CorpusError(f"{path.name}: no weight samples")
    stop = data.get("t_stop_s")
    times = [t for t in arrays.get("t") or [] if isinstance(t, (int, float))]
    if not isinstance(stop, (int, float)):
        if not times:
            raise CorpusError(f"{path.name}: neither 't_stop_s' nor an 'arrays.t' axis")
        stop = times[-1]
    scale = data.get("scale") if isinstance(data.get("scale"), dict) else None
    scale_type = (scale or {}).get("type")
    name = path.name.removesuffix(".json")
    clock = data.get("clock") if isinstance(data.get("clock"), (int, float)) else 0.0
    final = data.get("drink_weight_recorded_g")
    target = data.get("target_weight")
    shot = ReplayShot(
        name=name, source=source, setup=_setup(source, name, scale), order=(float(clock), name),
        scale_type=scale_type, stream_kind=kind, stream=stream, stop_time=float(stop),
        final_weight=float(final) if isinstance(final, (int, float)) else None,
        target=float(target) if isinstance(target, (int, float)) and target > 0 else None,
        sensor_lag=SENSOR_LAG_S.get(scale_type or "", DEFAULT_SENSOR_LAG_S))
    excluded = _exclusion(shot, data)
    return replace(shot, excluded=excluded) if excluded else shot


def load_corpus(shots_dir: Path) -> list[ReplayShot]:
    """Every usable shot with weight under ``shots_dir`` (the folder holding ``normalized/``)."""
    folder = Path(shots_dir) / "normalized"
    if not folder.is_dir():
        raise CorpusError(f"{folder}: not a directory (expected the corpus's normalized shots)")
    shots = []
    for path in sorted(folder.glob("*.json")):
        if path.name == "INDEX.json":
            continue
        shot = load_shot(path)
        if shot is not None:
            shots.append(shot)
    return shots
