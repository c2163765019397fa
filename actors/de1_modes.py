"""pyDE1's rules for mode requests (api-contract §1.8.5, devices-and-sequencing.md F.2, F.3,
de1-ble-protocol.md §9.8), applied by the DE1 actor before it writes RequestedState."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from actors.de1_errors import DE1GHCActiveError, DE1ModeRefusedError, DE1ValueError
from pyde1.protocol.enums import FlowPhase, MachineState as S, Substate as Sub, flow_phase
from pyde1.protocol.packets import ShotSettings, StateInfo

if TYPE_CHECKING:
    from actors.de1 import DE1

MODES = ("Sleep", "Wake", "Stop", "EndSteam", "Clean", "Descale", "Transport", "NoRequest",
         "SkipToNext", "Espresso", "Steam", "HotWater", "HotWaterRinse")
FLOWS = {"Espresso": S.Espresso, "Steam": S.Steam, "HotWater": S.HotWater,
         "HotWaterRinse": S.HotWaterRinse}
MAINTENANCE = {"Clean": S.Clean, "Descale": S.Descale, "Transport": S.AirPurge}
QUIET = {S.Sleep, S.GoingToSleep, S.SchedIdle, S.Idle}
REFUSE_STOP = {S.ShortCal, S.SelfTest, S.LongCal, S.FatalError, S.Init, S.NoRequest, S.SkipToNext,
               S.Refill, S.InBootLoader}
STOP_DEBOUNCE = 0.25


class ModeRules:
    def __init__(self, de1: "DE1", stop_ignores_checks: bool = False) -> None:
        self.de1 = de1
        self.stop_ignores_checks = stop_ignores_checks
        self._last_stop: float | None = None

    def _current(self) -> tuple[S, Sub]:
        tracker = self.de1.state
        if tracker.state in (S.NoRequest, S.UNKNOWN):
            return self._read_state()
        return tracker.state, tracker.substate

    def _read_state(self) -> tuple[S, Sub]:
        """Ask the DE1 (the read is forwarded as a notification, so the tracker follows)."""
        data = self.de1._ble("read state", self.de1.link.read, self.de1_uuid("StateInfo"),
                             forward=True)
        info = StateInfo.decode(data)
        return info.state, info.substate

    def de1_uuid(self, name: str) -> str:
        from actors.de1 import U
        return U[name]

    def _ghc_active(self) -> bool:
        de1 = self.de1
        if 0x80381C not in de1.mmr:
            de1.read_mmr("GHC_INFO")
        return bool(de1.mmr.get(0x80381C, 0) & 0x04)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise DE1ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
        cached = self._current()
        try:
            self._apply(mode, *cached)
        except DE1ModeRefusedError:
            # Before refusing, make sure the refusal is about the machine and not about a
            # notification we lost or could not decode (the state only arrives on change).
            fresh = self._read_state()
            if fresh == cached:
                raise
            self.de1.log.warning("DE1 state was %s/%s, the machine says %s/%s; using that",
                                 cached[0].name, cached[1].name, fresh[0].name, fresh[1].name)
            self._apply(mode, *fresh)

    def _apply(self, mode: str, state: S, sub: Sub) -> None:
        request = self.de1.write_requested_state
        if mode == "NoRequest":
            request(S.NoRequest)
        elif mode == "Sleep":
            if state in (S.Idle, S.Refill):
                request(S.Sleep)
            elif state not in (S.Sleep, S.GoingToSleep):
                raise DE1ModeRefusedError(f"Sleep: not from {state.name} (stop the DE1 first)")
        elif mode == "Wake":
            if state in (S.Sleep, S.GoingToSleep):
                request(S.Idle)
        elif mode == "Stop":
            if self.stop_ignores_checks:
                request(S.Idle)
            elif state in REFUSE_STOP:
                raise DE1ModeRefusedError(f"Stop: not in {state.name}")
            elif state not in QUIET:
                request(S.Idle)
        elif mode == "EndSteam":
            self._end_steam(state, sub)
        elif mode == "SkipToNext":
            if state is not S.Espresso or sub not in (Sub.PreInfuse, Sub.Pour):
                raise DE1ModeRefusedError(f"SkipToNext: only during an espresso pour, not in "
                                          f"{state.name}/{sub.name}")
            if self.de1.flags.skip_to_next is False:
                self.de1.log.warning("SkipToNext needs firmware 1260 or later; ignored")
                return
            request(S.SkipToNext)
        elif mode in FLOWS:
            if self._ghc_active():
                raise DE1GHCActiveError(mode)
            if state is not S.Idle:
                raise DE1ModeRefusedError(f"{mode}: the DE1 must be Idle, it is {state.name}")
            request(FLOWS[mode])
        else:
            if state is not S.Idle:
                raise DE1ModeRefusedError(f"{mode}: the DE1 must be Idle, it is {state.name}")
            request(MAINTENANCE[mode])

    def stop_flow(self) -> bool:
        """Request Idle if a flow is before or during its pour; repeats within 0.25 s ignored."""
        state, sub = self._current()
        if flow_phase(state, sub) not in (FlowPhase.before, FlowPhase.during):
            return False
        now = time.monotonic()
        if self._last_stop is not None and now - self._last_stop < STOP_DEBOUNCE:
            return False
        self._last_stop = now
        self.de1.write_requested_state(S.Idle)
        return True

    def sleep(self) -> None:
        """Auto-off / shutdown: Idle first from any busy state, then Sleep (F.2)."""
        state, _ = self._current()
        if state in (S.Sleep, S.GoingToSleep):
            return
        if state not in (S.Idle, S.Refill):
            self.de1.write_requested_state(S.Idle)
        self.de1.write_requested_state(S.Sleep)

    def _end_steam(self, state: S, sub: Sub) -> None:
        if state is not S.Steam:
            return
        if sub not in (Sub.Pour, Sub.Steaming):
            self.stop_flow()
            return
        de1 = self.de1
        if de1.flags.steam_purge_mode and de1.mmr.get(0x803850) == 1:
            de1.write_requested_state(S.Idle)
            return
        original = de1.shot_settings
        if original is None:
            original = ShotSettings.decode(de1._ble("read shot settings", de1.link.read,
                                                    self.de1_uuid("ShotSettings")))
        shortened = ShotSettings(**{**original.__dict__, "target_steam_length": 0})
        uuid = self.de1_uuid("ShotSettings")
        de1._ble("end steam", de1.link.write, uuid, shortened.encode())
        de1._ble("end steam", de1.link.write, uuid, original.encode())
