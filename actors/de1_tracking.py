"""Plain bookkeeping of the DE1 actor: machine state with its previous value, and the
dispensed-volume estimate (de1-ble-protocol.md §9.7, the intended algorithm).

Volumes: each ShotSample adds GroupFlow × ΔSampleTime / (2 × line frequency), only when
ΔSampleTime (mod 65536) is one or two sample periods (24–26, 49–51 half-cycles); other gaps
(state changes, busy radio) are dropped. Counting runs while the flow phase is "during"
(the sequencer's flow-begin .. flow-end gates) and restarts when a flow state is entered
from a non-flow state. Preinfusion vs pour follows the substate (PreInfuse → preinfusion;
everything else, and every HotWater volume, → pour), as the firmware's substates do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyde1.protocol.enums import FlowPhase, MachineState, Substate, flow_phase, is_flow_state

FRAMES = 20


@dataclass
class StateTracker:
    state: MachineState = MachineState.NoRequest
    substate: Substate = Substate.NoState
    previous_state: MachineState = MachineState.NoRequest
    previous_substate: Substate = Substate.NoState
    last_updated: float | None = None

    def update(self, state: MachineState, substate: Substate, when: float) -> None:
        self.previous_state, self.previous_substate = self.state, self.substate
        self.state, self.substate = state, substate
        self.last_updated = when

    def reset(self) -> None:
        self.__init__()

    @property
    def known(self) -> bool:
        return self.last_updated is not None


@dataclass
class VolumeTracker:
    line_frequency: int = 60
    preinfuse: float = 0.0
    pour: float = 0.0
    total: float = 0.0
    by_frame: list[float] = field(default_factory=list)
    counting: bool = False
    _last_sample_time: int | None = None
    dropped_gaps: int = 0

    def on_state(self, state: MachineState, substate: Substate, previous: MachineState) -> None:
        if is_flow_state(state) and not is_flow_state(previous):
            self.preinfuse = self.pour = self.total = 0.0
            self.by_frame = [0.0] * FRAMES
        self.counting = flow_phase(state, substate) is FlowPhase.during

    def on_sample(self, sample_time: int, flow: float, frame: int, state: MachineState,
                  substate: Substate) -> None:
        last, self._last_sample_time = self._last_sample_time, sample_time
        if last is None or not self.counting:
            return
        delta = (sample_time - last) % 65536
        if not (24 < delta < 26 or 49 < delta < 51):
            self.dropped_gaps += 1
            return
        volume = flow * delta / (2 * self.line_frequency)
        self.total += volume
        if state == MachineState.Espresso and substate == Substate.PreInfuse:
            self.preinfuse += volume
        else:
            self.pour += volume
        if self.by_frame:
            index = frame if state == MachineState.Espresso and 0 <= frame < FRAMES else 0
            self.by_frame[index] += volume

    def reset_link(self) -> None:
        """After a reconnect the sample counter restarts from an unknown value."""
        self._last_sample_time = None
