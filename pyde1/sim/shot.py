"""Profile storage and frame-by-frame execution through a simple hydraulic puck model.

The profile is kept exactly as written over HeaderWrite / FrameWrite (so a test can compare
the bytes a client sent with its plan). Execution follows the frame semantics of
de1-ble-protocol.md §3.14 and §6: pressure or flow priority (CtrlF), jump or ramp
(Interpolate), per-frame time (FrameLen) and volume (MaxVol) limits, the DoCompare exit
(pressure/flow, over/under TriggerVal), the extension-frame limiter, and the rule that a
frame with no flags and no set value ends the shot.

Hydraulics (deliberately simple, but shaped like real shots): the pump first fills the
headspace above the puck at low pressure; after that the puck behaves as a resistance that
falls as water erodes it (flow = pressure / R), the group has some compliance (rising
pressure costs pump flow), pressure and pump flow follow their targets with first-order lags,
and the heads' temperatures follow their goals more slowly. Noise is seeded.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from pyde1.protocol.frames import HeaderWrite, ShotExtFrame, ShotFrame, ShotTail, decode_frame_write

CTRL_F, DO_COMPARE, DC_GT, DC_COMP_F, T_MIX, INTERPOLATE = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


@dataclass
class ProfileStore:
    """The shot description as the machine holds it."""

    header: HeaderWrite | None = None
    frames: dict[int, ShotFrame] = field(default_factory=dict)
    limiters: dict[int, ShotExtFrame] = field(default_factory=dict)
    tail: ShotTail | None = None
    last_frame_write: bytes = bytes(8)
    header_bytes: bytes = bytes(5)

    def write_header(self, data: bytes) -> None:
        header = HeaderWrite.decode(data)
        self.header, self.header_bytes = header, bytes(data)
        self.frames.clear()
        self.limiters.clear()
        self.tail = None

    def write_frame(self, data: bytes) -> None:
        count = self.header.number_of_frames if self.header is not None else None
        record = decode_frame_write(data, count)
        self.last_frame_write = bytes(data)
        if isinstance(record, ShotFrame):
            self.frames[record.frame_to_write] = record
        elif isinstance(record, ShotExtFrame):
            self.limiters[record.frame_index] = record
        else:
            self.tail = record

    @property
    def frame_count(self) -> int:
        return self.header.number_of_frames if self.header is not None else 0

    @property
    def preinfuse_frames(self) -> int:
        return self.header.number_of_preinfuse_frames if self.header is not None else 0

    def runnable(self) -> bool:
        return self.header is not None and all(i in self.frames for i in range(self.frame_count))


@dataclass
class Puck:
    rng: random.Random
    headspace_ml: float = 6.0
    r_start: float = 4.2          # bar per ml/s when the puck is fresh
    r_end: float = 2.6            # after it has been eroded
    erosion_ml: float = 45.0      # water through the puck for most of the erosion
    absorbed_ml: float = 6.0      # water the dry puck keeps
    compliance: float = 0.25      # ml of pump flow per bar of pressure rise
    fill_flow: float = 6.0        # ml/s the pump pushes into an empty headspace
    max_pressure: float = 12.0
    max_pump_flow: float = 8.0

    filled_ml: float = 0.0
    through_ml: float = 0.0
    pressure: float = 0.0
    pump_flow: float = 0.0
    puck_flow: float = 0.0
    cup_ml: float = 0.0

    def resistance(self) -> float:
        return self.r_end + (self.r_start - self.r_end) * math.exp(-self.through_ml / self.erosion_ml)

    def reset(self) -> None:
        self.filled_ml = self.through_ml = self.pressure = self.pump_flow = self.puck_flow = 0.0
        self.cup_ml = 0.0

    def step(self, dt: float, mode: str, target: float, limit: float) -> None:
        """Advance ``dt`` s. ``mode``: "pressure", "flow" or "off"; ``limit`` 0 = no limiter."""
        lag = min(1.0, dt / 0.3)
        old_pressure = self.pressure
        capped = False
        if mode == "off":
            self.pump_flow += (0.0 - self.pump_flow) * lag
            self.pressure += (0.0 - self.pressure) * min(1.0, dt / 0.4)
        elif self.filled_ml < self.headspace_ml:
            want = self.fill_flow if mode == "pressure" else target
            if mode == "pressure" and limit > 0:
                want = min(want, limit)
            self.pump_flow += (min(want, self.max_pump_flow) - self.pump_flow) * lag
            self.filled_ml += self.pump_flow * dt
            self.pressure = min(0.4, 0.4 * self.filled_ml / self.headspace_ml)
        elif mode == "pressure":
            self.pressure += (min(target, self.max_pressure) - self.pressure) * lag
            if limit > 0 and self.pressure / self.resistance() > limit:
                self.pressure = limit * self.resistance()
        else:
            self.pump_flow += (min(target, self.max_pump_flow) - self.pump_flow) * lag
            wanted = self.pump_flow * self.resistance()
            cap = min(limit, self.max_pressure) if limit > 0 else self.max_pressure
            capped = wanted > cap
            self.pressure += (min(wanted, cap) - self.pressure) * min(1.0, dt / 0.5)
        self.pressure = max(0.0, self.pressure)
        if self.filled_ml >= self.headspace_ml or mode == "off":
            self.puck_flow = self.pressure / self.resistance() if self.filled_ml > 0 else 0.0
            # at a pressure goal, or a flow goal held back by the pressure limiter, the pump
            # delivers only what the puck takes plus what the rising pressure stores
            if mode == "pressure" or capped:
                rise = max(0.0, self.pressure - old_pressure) * self.compliance / dt
                self.pump_flow = min(self.max_pump_flow, self.puck_flow + rise)
        else:
            self.puck_flow = 0.0
        passed = self.puck_flow * dt
        kept = max(0.0, min(passed, self.absorbed_ml - self.through_ml))
        self.through_ml += passed
        self.cup_ml += passed - kept


@dataclass
class FrameGoal:
    mode: str                # "pressure" | "flow"
    set_pressure: float
    set_flow: float
    set_mix_temp: float
    set_head_temp: float


@dataclass
class ShotRunner:
    """Executes a stored profile one small time step at a time."""

    profile: ProfileStore
    frame: int = 0
    frame_elapsed: float = 0.0
    frame_volume: float = 0.0
    total_volume: float = 0.0
    done: bool = False
    _start_value: float = 0.0

    def begin(self, puck: Puck) -> None:
        self.frame, self.frame_elapsed, self.frame_volume, self.done = 0, 0.0, 0.0, False
        self._start_value = 0.0
        self._check_end(puck)

    def skip_to_next(self, puck: Puck) -> None:
        self._next_frame(puck)

    def is_preinfusion(self) -> bool:
        return self.frame < self.profile.preinfuse_frames

    def current(self) -> ShotFrame | None:
        return None if self.done else self.profile.frames.get(self.frame)

    def goal(self) -> FrameGoal | None:
        fr = self.current()
        if fr is None:
            return None
        flow_mode = bool(fr.flags & CTRL_F)
        value = fr.set_val
        if fr.flags & INTERPOLATE and fr.frame_len > 0:
            share = min(1.0, self.frame_elapsed / fr.frame_len)
            value = self._start_value + (fr.set_val - self._start_value) * share
        if fr.flags & T_MIX:
            mix, head = fr.temp, fr.temp - 1.0
        else:
            mix, head = fr.temp + 1.5, fr.temp
        return FrameGoal("flow" if flow_mode else "pressure", 0.0 if flow_mode else value,
                         value if flow_mode else 0.0, mix, head)

    def step(self, dt: float, puck: Puck) -> FrameGoal | None:
        goal = self.goal()
        if goal is None:
            puck.step(dt, "off", 0.0, 0.0)
            return None
        fr = self.current()
        limiter = self.profile.limiters.get(self.frame)
        limit = limiter.max_flow_or_pressure if limiter is not None else 0.0
        target = goal.set_flow if goal.mode == "flow" else goal.set_pressure
        puck.step(dt, goal.mode, target, limit)
        self.frame_elapsed += dt
        self.frame_volume += puck.pump_flow * dt
        self.total_volume += puck.pump_flow * dt
        if self._frame_over(fr, puck):
            self._next_frame(puck)
        return goal

    def _frame_over(self, fr: ShotFrame, puck: Puck) -> bool:
        if self.frame_elapsed >= fr.frame_len:
            return True
        if fr.max_vol and self.frame_volume >= fr.max_vol:
            return True
        if fr.flags & DO_COMPARE and self.frame_elapsed >= 0.2:
            value = puck.pump_flow if fr.flags & DC_COMP_F else puck.pressure
            return value > fr.trigger_val if fr.flags & DC_GT else value < fr.trigger_val
        return False

    def _next_frame(self, puck: Puck) -> None:
        self.frame += 1
        self.frame_elapsed = self.frame_volume = 0.0
        self._check_end(puck)

    def _check_end(self, puck: Puck) -> None:
        fr = self.profile.frames.get(self.frame)
        if self.frame >= self.profile.frame_count or fr is None:
            self.done = True
        elif fr.flags == 0 and fr.set_val == 0:
            self.done = True  # "a frame with no flags and no pressure ends the shot"
        if not self.done and fr is not None:
            # A ramp starts from what the group does now, in the new frame's own quantity.
            self._start_value = puck.pump_flow if fr.flags & CTRL_F else puck.pressure
