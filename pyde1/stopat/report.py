"""The real-shot replay benchmark's numbers, in one plain dict (see docs/stop-at-weight.md).

Two sets are kept apart because their stop moments mean different things:

* ``raw``: the scale's own packet stream at its arrival times and the app's recorded stop
  timer (de1app >= 1.37, Decenza): the stop moment and the scale timing are known;
* ``arrays``: only the app's weight array at the machine's 4-5 Hz samples, and the stop
  taken as the end of the arrays, which is 0.05-0.65 s before the real stop where both are
  known: an error source no predictor can remove.

Learning (``loo``, ``setup``) never crosses sets. ``all`` pools the two sets' predictions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from pyde1.scale.processor import ProcessorConfig
from pyde1.stopat.corpus import ReplayShot
from pyde1.stopat.learning import LeadState
from pyde1.stopat.replay import (
    SCHEMES,
    Prediction,
    by_source,
    evaluate,
    replay_decision,
    replay_to_stop,
    summary,
)
from pyde1.stopat.predictor import StopSettings

SETS = ("raw", "arrays", "all")
#: A decision replayed further than this from the app's stop extrapolates too far to count.
DECISION_WINDOW_S = 1.0


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def repeat_shots(predictions: Sequence[Prediction]) -> list[Prediction]:
    """Predictions for shots that had an earlier shot of the same setup to learn from."""
    first: dict[str, tuple] = {}
    for p in predictions:
        key = p.shot.setup
        if key not in first or p.shot.order < first[key]:
            first[key] = p.shot.order
    return [p for p in predictions if p.shot.order > first[p.shot.setup]]


def _per_shot(by_scheme: dict[str, list[Prediction]]) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(dict)
    for scheme, preds in by_scheme.items():
        for p in preds:
            out[p.shot.name]["stream"] = p.shot.stream_kind
            out[p.shot.name][scheme] = round(p.error, 3)
    return dict(sorted(out.items()))


def replay_report(shots: Sequence[ReplayShot], config: ProcessorConfig = ProcessorConfig(),
                  settings: StopSettings = StopSettings()) -> dict:
    """Every figure of the replay benchmark for the given corpus."""
    included = [s for s in shots if not s.excluded]
    states = {name: [replay_to_stop(s, config) for s in included if
                     (s.stream_kind == "raw") == (name == "raw")]
              for name in ("raw", "arrays")}
    predictions: dict[str, dict[str, list[Prediction]]] = defaultdict(dict)
    for scheme in SCHEMES:
        for name in ("raw", "arrays"):
            predictions[name][scheme] = evaluate(states[name], scheme, settings)
        predictions["all"][scheme] = predictions["raw"][scheme] + predictions["arrays"][scheme]
    report: dict = {
        "shots": {"loaded": len(shots), "included": len(included),
                  "raw": len(states["raw"]), "arrays": len(states["arrays"]),
                  "excluded": {s.name: s.excluded for s in shots if s.excluded}},
        "sets": {name: {scheme: summary([p.error for p in predictions[name][scheme]])
                        for scheme in SCHEMES} for name in SETS},
        "by_source": {name: {scheme: by_source(predictions[name][scheme]) for scheme in SCHEMES}
                      for name in SETS},
        # shots whose setup had an earlier shot: learned online vs the defaults on the same shots
        "setup_repeat": {name: {scheme: summary([p.error for p in repeat_shots(predictions[name][scheme])])
                                for scheme in ("cold", "setup")} for name in SETS},
        "per_shot": _per_shot(predictions["all"]),
    }
    decisions, skipped = [], {}
    for shot in included:
        if shot.target is None or not shot.has_post_stop_stream:
            continue
        d = replay_decision(shot, LeadState(), settings, config)
        if d is None:
            skipped[shot.name] = "no estimate"
        elif abs(d.send_time - shot.stop_time) > DECISION_WINDOW_S:
            skipped[shot.name] = (f"would have stopped {d.send_time - shot.stop_time:+.1f} s from the "
                                  "app's stop: too far to extrapolate")
        else:
            decisions.append(d)
    report["decisions"] = {
        "n": len(decisions),
        "ours": summary([d.our_error for d in decisions]),
        "app": summary([d.app_error for d in decisions]),
        "shots": {d.shot.name: {"target": d.shot.target, "app_error": round(d.app_error, 3),
                                "our_error": round(d.our_error, 3),
                                "fired_vs_app_s": round(d.send_time - d.shot.stop_time, 3)}
                  for d in decisions},
        "skipped": skipped,
    }
    return report
