"""A parsed JSON v2 profile as frozen values.

Numbers are floats in engineering units (bar, ml/s, °C, s, ml, g) exactly as the
profile gives them; fitting them to the DE1's fixed-point fields happens in the plan.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Pump(enum.Enum):
    PRESSURE = "pressure"
    FLOW = "flow"


class Transition(enum.Enum):
    FAST = "fast"
    SMOOTH = "smooth"


class Sensor(enum.Enum):
    COFFEE = "coffee"
    WATER = "water"


class ExitType(enum.Enum):
    PRESSURE = "pressure"
    FLOW = "flow"


class ExitCondition(enum.Enum):
    OVER = "over"
    UNDER = "under"


@dataclass(frozen=True)
class Exit:
    """Leave the frame early when pressure/flow goes over/under ``value``."""
    type: ExitType
    condition: ExitCondition
    value: float


@dataclass(frozen=True)
class Limiter:
    """Flow limit for a pressure step, pressure limit for a flow step (only when value ≠ 0)."""
    value: float
    range: float


@dataclass(frozen=True)
class Step:
    name: str
    pump: Pump
    setpoint: float                 # pressure (bar) or flow (ml/s), whichever `pump` selects
    transition: Transition
    temperature: float              # °C
    sensor: Sensor
    seconds: float
    volume: float                   # ml for this frame; 0 = no limit
    weight: float | None            # move-on weight in g; None = none (absent or ≤ 0)
    exit: Exit | None
    limiter: Limiter | None         # None when absent or its value is 0


@dataclass(frozen=True)
class Profile:
    id: str                         # lower-case hex SHA-1 of the exact source bytes
    version: str | None             # as written (text form); None when the file has none
    title: str | None
    author: str | None
    notes: str | None
    beverage_type: str | None
    steps: tuple[Step, ...]
    # None = the key is absent (the current stop limit stays); 0 = explicitly no target.
    target_volume: float | None
    target_weight: float | None
    target_volume_count_start: int
    tank_temperature: float | None  # None = absent: do not touch the tank register
    warnings: tuple[str, ...] = ()  # leniencies applied while reading, for the plan

    @property
    def move_on_weight(self) -> tuple[float | None, ...]:
        """Per-step move-on weights, trailing Nones removed (as pyDE1 publishes the list)."""
        weights = [step.weight for step in self.steps]
        while weights and weights[-1] is None:
            weights.pop()
        return tuple(weights)
