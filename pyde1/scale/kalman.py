"""A robust constant-velocity Kalman filter for cup weight and flow.

State: weight w (g) and flow f (g/s). Between readings the flow drifts as a random walk
(white "flow change" noise, spectral density ``flow_change**2``), and a reading measures
w with noise ``weight_sd_g`` (load-cell noise, 0.1 g resolution and Bluetooth timing
jitter lumped together). Why this filter and these numbers: docs/stop-at-weight.md.

What real scales do that a plain Kalman filter would swallow:

* **Spikes.** A reading further than ``max(gate_min_g, gate_sigmas * sigma)`` from the
  prediction is rejected outright; a moderate outlier has its innovation clipped to
  ``clip_sigmas * sigma`` (a Huber-type update), so no single reading can move the
  estimate by more than a bounded amount.
* **Level shifts.** ``shift_samples`` consecutive rejected readings that agree with each
  other (a tare, a cup put down, or a flow change too fast for the filter) are believed:
  the filter restarts on them, with their slope as the flow. If, within ``bump_return_s``,
  the readings shift back onto the trajectory from before (a hand pressed on the cup and let
  go), the filter resumes that earlier state rather than starting over.
* **Frozen readings.** A scale that keeps sending one value while the filter expects the
  cup to gain at least ``frozen_min_change_g`` over ``frozen_min_s`` is frozen: the filter
  goes back to its state at the first reading of that value and ignores the repeats.
  If the value is still repeated after ``frozen_believe_s``, the flow really stopped: the
  filter restarts there with zero flow.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields

from pyde1.scale.estimate import FlowEstimate


class Verdict(enum.Enum):
    FIRST = "first"        # (re)started on this reading
    ACCEPTED = "accepted"
    CLIPPED = "clipped"    # accepted with a limited innovation (a moderate outlier)
    SPIKE = "spike"        # rejected: too far from the prediction
    FROZEN = "frozen"      # rejected: a repeated value while the cup should be filling
    SHIFT = "shift"        # restarted on several consistent outliers (tare, cup change)
    RESUMED = "resumed"    # shifted back onto the state before the last shift (a bump ended)
    THAWED = "thawed"      # a repeated value held so long it is believed (flow stopped)

    @property
    def rejected(self) -> bool:
        return self in (Verdict.SPIKE, Verdict.FROZEN)


@dataclass(frozen=True)
class FilterConfig:
    weight_sd_g: float = 0.15
    flow_change: float = 0.2
    initial_flow_sd: float = 3.0
    gate_sigmas: float = 6.0
    gate_min_g: float = 0.6
    clip_sigmas: float = 2.0
    shift_samples: int = 3
    shift_spread_g: float = 0.6
    frozen_min_s: float = 0.45
    frozen_min_samples: int = 4
    frozen_min_change_g: float = 0.6
    frozen_believe_s: float = 1.5
    bump_return_s: float = 5.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value <= 0:
                raise ValueError(f"FilterConfig.{f.name} must be a positive number, got {value!r}")
        if self.shift_samples < 2:
            raise ValueError(f"FilterConfig.shift_samples must be at least 2, got {self.shift_samples}")
        if self.frozen_believe_s <= self.frozen_min_s:
            raise ValueError("FilterConfig.frozen_believe_s must exceed frozen_min_s "
                             f"({self.frozen_believe_s} <= {self.frozen_min_s})")


@dataclass(frozen=True, slots=True)
class _State:
    t: float
    w: float
    f: float
    p00: float
    p01: float
    p11: float


def _line_fit(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least-squares line through (t, w): (weight at the last t, slope, largest residual)."""
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mw = sum(w for _, w in points) / n
    sxx = sum((t - mt) ** 2 for t, _ in points)
    slope = sum((t - mt) * (w - mw) for t, w in points) / sxx if sxx > 1e-9 else 0.0
    residual = max(abs(w - (mw + slope * (t - mt))) for t, w in points)
    return mw + slope * (points[-1][0] - mt), slope, residual


class FlowFilter:
    def __init__(self, config: FilterConfig = FilterConfig()) -> None:
        self.config = config
        self._r = config.weight_sd_g ** 2
        self._q = config.flow_change ** 2
        self.reset()

    def reset(self) -> None:
        self._state: _State | None = None
        self._started = 0.0
        self.samples = 0
        self._pending: list[tuple[float, float]] = []
        self._pre_shift: tuple[_State, int, float] | None = None  # state, samples, started
        self._run_value: float | None = None
        self._run: list[tuple[float, float]] = []  # readings of the current repeated value
        self._run_snapshot: _State | None = None
        self._ignored: list[tuple[float, float]] = []  # repeats rejected while frozen
        self.frozen = False
        self._dt = 0.1  # running mean of positive reading intervals
        self._gains = (1.0, 0.0)
        #: readings a SHIFT or THAWED verdict turned from rejected into believed
        self.believed: list[tuple[float, float]] = []
        #: size of the level jump at the last SHIFT (g)
        self.last_jump = 0.0

    # -- estimate ---------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._state is not None

    def estimate(self, sensor_lag: float = 0.0, period: float | None = None) -> FlowEstimate | None:
        s = self._state
        if s is None:
            return None
        k0, k1 = self._gains
        step = period if period is not None else self._dt
        latency = k0 / k1 - step / 2 if k1 > 1e-9 else math.inf
        return FlowEstimate(time=s.t, weight=s.w, flow=s.f, weight_sd=math.sqrt(max(s.p00, 0.0)),
                            flow_sd=math.sqrt(max(s.p11, 0.0)), flow_latency=max(latency, 0.0),
                            samples=self.samples, period=step, sensor_lag=sensor_lag,
                            frozen=self.frozen, started=self._started)

    # -- update -----------------------------------------------------------------------------
    def update(self, t: float, z: float) -> Verdict:
        """Feed one reading (scale time ``t``, weight ``z``); returns what became of it."""
        if not (math.isfinite(t) and math.isfinite(z)):
            raise ValueError(f"reading must be finite numbers, got time={t!r} weight={z!r}")
        self.believed = []
        s = self._state
        if s is None:
            self._start(t, z, 0.0, self.config.initial_flow_sd ** 2)
            return Verdict.FIRST
        repeat = self._run_value is not None and z == self._run_value
        if repeat:
            verdict = self._repeated(t, z)
            if verdict is not None:
                return verdict
        w, f, p00, p01, p11 = self._predict(s, t)
        sigma = math.sqrt(p00 + self._r)
        y = z - w
        cfg = self.config
        if abs(y) > max(cfg.gate_min_g, cfg.gate_sigmas * sigma):
            # A spike does not repeat a value exactly: a repeat this far off is a frozen scale.
            return self._freeze(t, z) if repeat else self._outlier(t, z)
        self._pending.clear()
        clipped = self._absorb(t, z)
        if not repeat:
            self._new_value(t, z)
        return Verdict.CLIPPED if clipped else Verdict.ACCEPTED

    # -- internals --------------------------------------------------------------------------
    def _start(self, t: float, z: float, flow: float, flow_var: float) -> None:
        self._state = _State(t, z, flow, self._r, 0.0, flow_var)
        self._started = t
        self.samples = 1
        self._pending.clear()
        self.frozen = False
        self._gains = (1.0, 0.0)
        self._new_value(t, z)

    def _new_value(self, t: float, z: float) -> None:
        """``z`` was accepted as a fresh value: a possible frozen run starts here."""
        self._run_value = z
        self._run = [(t, z)]
        self._run_snapshot = self._state
        self.frozen = False

    def _absorb(self, t: float, z: float) -> bool:
        """Kalman update with the innovation clipped to ``clip_sigmas``; True if clipped."""
        w, f, p00, p01, p11 = self._predict(self._state, t)
        limit = self.config.clip_sigmas * math.sqrt(p00 + self._r)
        y = z - w
        clipped = abs(y) > limit
        if clipped:
            y = math.copysign(limit, y)
        self._correct(t, w, f, p00, p01, p11, y)
        return clipped

    def _predict(self, s: _State, t: float) -> tuple[float, float, float, float, float]:
        dt = max(0.0, t - s.t)
        q = self._q
        return (s.w + s.f * dt, s.f,
                s.p00 + 2 * dt * s.p01 + dt * dt * s.p11 + q * dt ** 3 / 3,
                s.p01 + dt * s.p11 + q * dt * dt / 2,
                s.p11 + q * dt)

    def _correct(self, t: float, w: float, f: float, p00: float, p01: float, p11: float,
                 y: float) -> None:
        s = self._state
        dt = t - s.t
        if dt > 0:
            self._dt += 0.1 * (dt - self._dt)
        innovation_var = p00 + self._r
        k0, k1 = p00 / innovation_var, p01 / innovation_var
        self._gains = (k0, k1)
        self._state = _State(max(t, s.t), w + k0 * y, f + k1 * y, (1 - k0) * p00, (1 - k0) * p01,
                             p11 - k1 * p01)
        self.samples += 1

    def _outlier(self, t: float, z: float) -> Verdict:
        cfg = self.config
        self._pending.append((t, z))
        if len(self._pending) < cfg.shift_samples:
            return Verdict.SPIKE
        recent = self._pending[-cfg.shift_samples:]
        level, slope, residual = _line_fit(recent)
        if residual > cfg.shift_spread_g / 2:
            return Verdict.SPIKE
        old = self._state
        self.last_jump = level - (old.w + old.f * (t - old.t))
        self.believed = list(recent)
        self._pending.clear()
        if self._back_on_track(t, level):
            return Verdict.RESUMED
        before = (old, self.samples, self._started)
        self._start(t, level, slope, cfg.initial_flow_sd ** 2)
        self._pre_shift = before
        return Verdict.SHIFT

    def _back_on_track(self, t: float, level: float) -> bool:
        """Resume the state from before the last shift if ``level`` lies on its trajectory."""
        if self._pre_shift is None:
            return False
        state, samples, started = self._pre_shift
        if t - state.t > self.config.bump_return_s:
            return False
        w, _, p00, _, _ = self._predict(state, t)
        gate = max(self.config.gate_min_g, self.config.gate_sigmas * math.sqrt(p00 + self._r))
        if abs(level - w) > gate:
            return False
        self._state, self.samples, self._started = state, samples, started
        self._pre_shift = None
        for tb, zb in self.believed:
            self._absorb(tb, zb)
        self._new_value(*self.believed[-1])
        return True

    def _repeated(self, t: float, z: float) -> Verdict | None:
        """A reading equal to the current run's value. None: treat it as a normal reading."""
        cfg = self.config
        self._run.append((t, z))
        duration = t - self._run[0][0]
        if self.frozen:
            if duration < cfg.frozen_believe_s:
                self._ignored.append((t, z))
                return Verdict.FROZEN
            self.believed = self._ignored + [(t, z)]
            self._start(t, z, 0.0, self.config.initial_flow_sd ** 2)
            return Verdict.THAWED
        snapshot = self._run_snapshot
        expected = abs(snapshot.f) * duration if snapshot is not None else 0.0
        if duration >= cfg.frozen_min_s and len(self._run) >= cfg.frozen_min_samples \
                and expected >= cfg.frozen_min_change_g:
            return self._freeze(t, z)
        return None

    def _freeze(self, t: float, z: float) -> Verdict:
        """Go back to the state at the first reading of the repeated value and ignore repeats."""
        if self._run_snapshot is not None:
            self._state = self._run_snapshot
        self.frozen = True
        self._ignored = [(t, z)]
        self._pending.clear()
        return Verdict.FROZEN
