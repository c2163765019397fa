"""The shape every benchmark reports: a named figure, its unit and the values of each run."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Figure:
    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    note: str = ""
    better: str = "higher"  # or "lower": which direction is an improvement

    def summary(self) -> dict:
        vals = sorted(self.values)
        return {
            "figure": self.name,
            "unit": self.unit,
            "runs": len(vals),
            "min": vals[0] if vals else None,
            "median": statistics.median(vals) if vals else None,
            "max": vals[-1] if vals else None,
            "better": self.better,
            **({"note": self.note} if self.note else {}),
        }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    vals = sorted(values)
    if not vals:
        raise ValueError("percentile of no values")
    k = max(0, min(len(vals) - 1, int(round(p / 100 * len(vals) + 0.5)) - 1))
    return vals[k]
