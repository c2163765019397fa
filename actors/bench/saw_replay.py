"""``scripts/bench saw-replay``: real recorded shots replayed through the scale processor and the
stop-at-weight predictor, as if live (see docs/stop-at-weight.md for what each figure means).

Every figure is in grams and "lower is better". ``mae`` figures hold one value (the mean
absolute error over the set); ``abs_error`` figures hold one value per shot, so their
median and max are the set's. Sets: ``raw`` (scale packet stream and recorded stop),
``arrays`` (app weight arrays only), ``all``. Schemes: ``pyde1`` (pyDE1's rule), ``cold``
(our defaults, nothing learned), ``loo`` (drip learned from every other shot of the set),
``setup`` (learned online per setup, prior from the other setups).
"""

from __future__ import annotations

from pathlib import Path

from actors.bench.figures import Figure
from pyde1.stopat.corpus import load_corpus
from pyde1.stopat.replay import SCHEMES
from pyde1.stopat.report import SETS, replay_report, slug

SHOTS_DIR = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "shots"


def _note(s: dict) -> str:
    if not s.get("n"):
        return "no shots"
    return (f"n={s['n']}, median {s['median']:.3f} g, p95 {s['p95']:.3f} g, max {s['max']:.3f} g, "
            f"bias {s['bias']:+.3f} g")


def run(shots_dir: Path = SHOTS_DIR) -> list[Figure]:
    if not (shots_dir / "normalized").is_dir():
        raise FileNotFoundError(f"{shots_dir}/normalized is absent: the replay needs ../shared's shot corpus")
    report = replay_report(load_corpus(shots_dir))
    figures: list[Figure] = []
    for name in SETS:
        for scheme in SCHEMES:
            s = report["sets"][name][scheme]
            if s.get("n"):
                figures.append(Figure(f"saw_replay_mae_{name}_{scheme}", "g", [s["mae"]],
                                      note=_note(s), better="lower"))
    for name in ("raw", "arrays"):
        for source, s in report["by_source"][name]["setup"].items():
            figures.append(Figure(f"saw_replay_mae_{name}_setup_{slug(source)}", "g", [s["mae"]],
                                  note=_note(s), better="lower"))
    for scheme, s in report["setup_repeat"]["raw"].items():
        if s.get("n"):
            figures.append(Figure(f"saw_replay_mae_raw_seen_setup_{scheme}", "g", [s["mae"]],
                                  note=_note(s) + "; shots whose setup had an earlier shot",
                                  better="lower"))
    decisions = report["decisions"]
    if decisions["n"]:
        shots = decisions["shots"].values()
        figures.append(Figure("saw_replay_decision_abs_error_ours", "g",
                              [abs(d["our_error"]) for d in shots], better="lower",
                              note=f"|final - target| had our predictor (defaults) sent the stop; "
                                   f"MAE {decisions['ours']['mae']:.3f} g"))
        figures.append(Figure("saw_replay_decision_abs_error_app", "g",
                              [abs(d["app_error"]) for d in shots], better="lower",
                              note=f"|final - target| of the recording's app on the same shots; "
                                   f"MAE {decisions['app']['mae']:.3f} g"))
    counts = report["shots"]
    figures.append(Figure("saw_replay_shots", "shots", [counts["included"]], better="higher",
                          note=f"{counts['raw']} raw-stream, {counts['arrays']} arrays-only; "
                               f"{len(counts['excluded'])} of {counts['loaded']} excluded"))
    return figures
