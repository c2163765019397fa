"""A simulated DE1: the a000 GATT service with the firmware's behaviour behind it.

Driven by ``advance(dt)`` in simulated seconds (the backend decides how fast simulated time
runs). Produces the machine's notifications: ShotSample every 25 AC half-cycles (a third of
that rate asleep) with a wrapping half-cycle counter, StateInfo on every change, WaterLevels
about 2.5 times a second, and the answers to MMR reads, calibration and firmware-map
requests. Every write is logged (``writes``) so a test can compare it with what it planned.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyde1.protocol.enums import MachineState as S
from pyde1.protocol.enums import Substate as Sub
from pyde1.protocol.fixed import U16P8
from pyde1.protocol.uuids import CHARACTERISTICS, SERVICE_UUID, full_uuid
from pyde1.sim import registers as R
from pyde1.sim.flash import CalibrationStore, Flash
from pyde1.sim.peripheral import (GattCharacteristicSpec, GattError, GattServiceSpec,
                                  SimPeripheral)
from pyde1.sim.shot import ProfileStore, Puck, ShotRunner
from pyde1.protocol.enums import CalCommand, CalTarget
from pyde1.protocol.errors import DecodeError
from pyde1.protocol.mmr_packets import MMRReadRequest, MMRReadResponse, MMRWrite
from pyde1.protocol.packets import (Calibration, FWMapRequest, ShotSample, StateInfo, Temperatures,
                                    WaterLevels)

U = {c.name: c.uuid for c in CHARACTERISTICS}
VERSIONS = bytes.fromhex("040a01230012345670040c04e6023bf4bc91")
DEFAULT_SETTINGS = bytes.fromhex("00a07855323cc85c00")
ML_PER_MM = 36.0          # tank: about 1.8 l over 50 mm of sensor travel
SUBSTEP = 0.02            # s of hydraulics per integration step
FLOW_STATES = {S.Espresso, S.Steam, S.HotWater, S.HotWaterRinse}
# The shot the machine holds before any upload: a flow preinfusion and a 9 bar pour.
DEFAULT_PROFILE = (bytes.fromhex("0102010060"),
                   bytes.fromhex("004740b450400400"),   # flow 4 ml/s, 8 s, exit pressure > 4
                   bytes.fromhex("014090b49e000400"),   # 9 bar, 30 s
                   bytes.fromhex("0200000000000000"))


def state_info(state: S, substate: Sub) -> bytes:
    return StateInfo(state, substate).encode()


def water_levels(level_mm: float, start_fill_mm: float) -> bytes:
    return WaterLevels(max(0.0, level_mm), max(0.0, start_fill_mm)).encode_clamped()[0]


@dataclass
class Phase:
    """A timed substate: after ``seconds`` the machine moves on (see ``_phase_over``)."""
    state: S
    substate: Sub
    seconds: float | None


class DE1Model(SimPeripheral):
    def __init__(self, name: str = "DE1", address: str = "D1:5E:00:00:00:01", seed: int = 0,
                 build: int = 1333, line_frequency: int = 60, ghc_info: int = 0,
                 start_state: S = S.Sleep, refill_kit: bool = True, stop_delay: float = 0.1,
                 wake_seconds: float = 2.0) -> None:
        super().__init__(name=name, address=address, seed=seed,
                         advertised_services=(full_uuid("ffff"),), tick=0.05)
        self.half_cycles_per_s = 2 * line_frequency
        self.regs = R.RegisterFile(build, ghc_info)
        self.flash = Flash()
        self.cal = CalibrationStore()
        self.profile = ProfileStore()
        for i, packet in enumerate(DEFAULT_PROFILE):
            (self.profile.write_header if i == 0 else self.profile.write_frame)(packet)
        self.runner = ShotRunner(self.profile)
        self.puck = Puck(self.rng)
        self.settings = bytearray(DEFAULT_SETTINGS)
        self.refill_kit = refill_kit
        self.stop_delay = stop_delay
        self.wake_seconds = wake_seconds
        self.state, self.substate = start_state, Sub.NoState
        self.phase = Phase(start_state, Sub.NoState, None)
        self.phase_time = 0.0
        self.flow_volume = 0.0            # ml pumped in the current flow (hot water, flush)
        self.level_mm, self.start_fill_mm, self.full_mm = 40.0, 5.0, 45.0
        self.mix_temp, self.head_temp, self.steam_temp = 88.0, 90.0, 140.0
        self.goal_mix = self.goal_head = 0.0
        self.set_pressure = self.set_flow = 0.0
        self.frame_number = 0
        self.half_cycles = 0.0            # free-running, wraps at 65536 on the wire
        self._next_sample = 25.0
        self._next_level = 48.0
        self._stop_at: float | None = None
        self._then: S | None = None
        self.requested = bytes([S.NoRequest])
        self.set_time = bytes(8)
        self.last_mmr_request = bytes(20)
        self.last_calibration = bytes(14)
        self.mmr_hung = False
        self.writes: list[tuple[str, bytes]] = []
        self.shots_completed = 0
        self.last_sample = bytes(19)

    # -- GATT -----------------------------------------------------------------------------
    def services(self) -> tuple[GattServiceSpec, ...]:
        chars = []
        for c in CHARACTERISTICS:
            props = tuple(p for p, on in (("read", c.readable), ("write", c.writable),
                                          ("notify", c.notifies)) if on)
            chars.append(GattCharacteristicSpec(c.uuid, props))
        return (GattServiceSpec(SERVICE_UUID, tuple(chars)),)

    def read(self, uuid: str) -> bytes:
        values = {
            U["Versions"]: VERSIONS, U["RequestedState"]: self.requested,
            U["SetTime"]: self.set_time, U["ReadFromMMR"]: self.last_mmr_request,
            U["Temperatures"]: self._temperatures(), U["ShotSettings"]: bytes(self.settings),
            U["ShotSample"]: self.last_sample,
            U["StateInfo"]: state_info(self.state, self.substate),
            U["HeaderWrite"]: self.profile.header_bytes,
            U["FrameWrite"]: self.profile.last_frame_write,
            U["WaterLevels"]: water_levels(self.level_mm, self.start_fill_mm),
            U["Calibration"]: self.last_calibration,
        }
        if uuid not in values:
            raise GattError(f"{uuid} is not readable")
        return values[uuid]

    def write(self, uuid: str, data: bytes) -> None:
        data = bytes(data)
        self.writes.append((uuid, data))
        handler = {
            U["RequestedState"]: self._write_requested_state, U["SetTime"]: self._write_time,
            U["ReadFromMMR"]: self._write_mmr_read, U["WriteToMMR"]: self._write_mmr,
            U["FWMapRequest"]: self._write_fw_map, U["ShotSettings"]: self._write_settings,
            U["HeaderWrite"]: self.profile.write_header, U["FrameWrite"]: self.profile.write_frame,
            U["WaterLevels"]: self._write_water_levels, U["Calibration"]: self._write_calibration,
        }.get(uuid)
        if handler is None:
            raise GattError(f"{uuid} is not writable")
        handler(data)

    def profile_writes(self) -> list[tuple[str, bytes]]:
        keep = {U["HeaderWrite"], U["FrameWrite"]}
        return [(u, d) for u, d in self.writes if u in keep]

    # -- writes ---------------------------------------------------------------------------
    def _write_time(self, data: bytes) -> None:
        if len(data) != 8:
            raise GattError("SetTime takes 8 bytes")
        self.set_time = data

    def _write_settings(self, data: bytes) -> None:
        if len(data) != 9:
            raise GattError("ShotSettings takes 9 bytes")
        self.settings[:] = data
        self.notify(U["ShotSettings"], data)
        if self.state == S.Steam and self.substate == Sub.Steaming and data[2] == 0:
            # A steam time of 0 while steaming ends the steam (how clients end it without
            # the purge mode), even if the original time is written back at once.
            self._request_stop()

    def _write_water_levels(self, data: bytes) -> None:
        self.start_fill_mm = WaterLevels.decode(data).start_fill_level

    def _write_calibration(self, data: bytes) -> None:
        try:
            answer = self.cal.handle(Calibration.decode(data)).encode()
        except DecodeError:
            command = data[4] if len(data) > 4 and data[4] in tuple(CalCommand) else 0
            answer = Calibration(0, CalCommand(command), CalTarget.CalError, 0.0, 0.0).encode()
        self.last_calibration = answer
        self.notify(U["Calibration"], answer)

    def _write_mmr_read(self, data: bytes) -> None:
        self.last_mmr_request = data.ljust(20, b"\0")[:20]
        if self.mmr_hung:
            return
        request = MMRReadRequest.decode(data)
        try:
            payload = self.regs.read(request.address, request.words)
        except R.RegisterHang:
            self.mmr_hung = True
            return
        words = [int.from_bytes(payload[i:i + 4], "little") for i in range(0, len(payload), 4)]
        for response in MMRReadResponse.for_words(request.address, words):
            self.notify(U["ReadFromMMR"], response.encode())

    def _write_mmr(self, data: bytes) -> None:
        w = MMRWrite.decode(data)
        if w.address < 0x100000:
            self.flash.write(w.address, w.data)
        else:
            self.regs.write(w.address, w.data)

    def _write_fw_map(self, data: bytes) -> None:
        m = FWMapRequest.decode(data)
        if m.fw_to_erase:
            self.flash.start_erase(self.sim_time)
            self._fw_request = m
            self.notify(U["FWMapRequest"], m.encode())
        elif m.fw_to_map and m.first_error in (0xFFFFFF, 0xFFFFFE):
            result = self.flash.verify(m.first_error)
            self.notify(U["FWMapRequest"], FWMapRequest(0, 0, m.fw_to_map, result).encode())

    def _write_requested_state(self, data: bytes) -> None:
        if len(data) != 1:
            raise GattError("RequestedState takes 1 byte")
        self.requested = data
        try:
            want = S(data[0])
        except ValueError:
            return
        self.request(want)

    # -- state machine --------------------------------------------------------------------
    def request(self, want: S) -> None:
        """What the firmware does with a RequestedState write."""
        st = self.state
        if want == S.NoRequest:
            self.notify(U["StateInfo"], state_info(self.state, self.substate))
        elif want == S.Sleep:
            if st in (S.Idle, S.Refill, S.SchedIdle):
                self._enter(S.GoingToSleep, Sub.NoState, 0.5)
            elif st in FLOW_STATES:
                self._request_stop(then=S.Sleep)
        elif want == S.Idle:
            if st in (S.Sleep, S.GoingToSleep):
                self._enter(S.Idle, Sub.HeatWaterHeater, self.wake_seconds)
            elif st in FLOW_STATES:
                self._request_stop()
            elif st in (S.Clean, S.Descale, S.AirPurge, S.Refill):
                self._enter(S.Idle, Sub.NoState, None)
        elif want in FLOW_STATES:
            if st != S.Idle or self.regs.word(R.GHC_INFO) & 0x04:
                return
            if self.level_mm < self.start_fill_mm:
                self._enter(S.Refill, Sub.NoState, None)
            elif want == S.Espresso and self.profile.runnable():
                self._start_espresso()
            elif want != S.Espresso:
                self.flow_volume = 0.0
                self._enter(want, Sub.HeatWaterHeater, 0.5)
        elif want == S.SkipToNext:
            if (st == S.Espresso and self.substate in (Sub.PreInfuse, Sub.Pour)
                    and self.regs.build >= 1260):
                self.runner.skip_to_next(self.puck)
        elif want in (S.Clean, S.Descale, S.AirPurge) and st == S.Idle:
            first = {S.Clean: Sub.CleanInit, S.Descale: Sub.DescaleInit, S.AirPurge: Sub.NoState}
            self._enter(want, first[want], 1.0 if want != S.AirPurge else 5.0)

    def _start_espresso(self) -> None:
        self.puck.reset()
        self.runner.begin(self.puck)
        self._enter(S.Espresso, Sub.HeatWaterHeater, 0.8)

    def _request_stop(self, then: S | None = None) -> None:
        if self._stop_at is None:
            self._stop_at = self.sim_time + self.stop_delay
        self._then = then

    def _enter(self, state: S, substate: Sub, seconds: float | None) -> None:
        self.phase = Phase(state, substate, seconds)
        self.phase_time = 0.0
        self._set_state(state, substate)

    def _set_state(self, state: S, substate: Sub) -> None:
        if (state, substate) != (self.state, self.substate):
            if self.state == S.Espresso and state != S.Espresso:
                self.shots_completed += 1
            self.state, self.substate = state, substate
            self.notify(U["StateInfo"], state_info(state, substate))

    def _phase_over(self) -> None:
        """A timed phase ran out: the next substate of each sequence."""
        st, sub = self.state, self.substate
        clean = [Sub.CleanInit, Sub.CleanFillGroup, Sub.CleanSoak, Sub.CleanGroup]
        descale = [Sub.DescaleInit, Sub.DescaleFillGroup, Sub.DescaleReturn, Sub.DescaleGroup,
                   Sub.DescaleSteam]
        if st == S.GoingToSleep:
            self._enter(S.Sleep, Sub.NoState, None)
        elif st == S.Idle:
            self._enter(S.Idle, Sub.NoState, None)
        elif st == S.Espresso and sub == Sub.HeatWaterHeater:
            self._enter(S.Espresso, Sub.StabilizeMixTemp, 0.5)
        elif st == S.Espresso and sub == Sub.StabilizeMixTemp:
            self._enter(S.Espresso, self._shot_substate(), None)
        elif st in FLOW_STATES and sub == Sub.HeatWaterHeater:
            self._enter(st, Sub.Steaming if st == S.Steam else Sub.Pour, None)
        elif sub == Sub.Flush:
            self._finish_flow()
        elif sub in clean and sub != clean[-1]:
            self._enter(st, clean[clean.index(sub) + 1], 2.0)
        elif sub in descale and sub != descale[-1]:
            self._enter(st, descale[descale.index(sub) + 1], 2.0)
        else:
            self._enter(S.Idle, Sub.NoState, None)

    def _finish_flow(self) -> None:
        then, self._then = self._then, None
        if then == S.Sleep:
            self._enter(S.GoingToSleep, Sub.NoState, 0.5)
        else:
            self._enter(S.Idle, Sub.NoState, None)

    def _shot_substate(self) -> Sub:
        return Sub.PreInfuse if self.runner.is_preinfusion() else Sub.Pour

    def _end_flow_now(self) -> None:
        """Stop requested or the flow's own limit reached: espresso flushes, others go idle."""
        if self.state == S.Espresso and self.substate in (Sub.PreInfuse, Sub.Pour):
            self.runner.done = True
            self._enter(S.Espresso, Sub.Flush, 1.5)
        else:
            self._finish_flow()

    # -- time -----------------------------------------------------------------------------
    def advance(self, dt: float) -> None:
        end = self.sim_time + dt
        while self.sim_time < end - 1e-12:
            step = min(SUBSTEP, end - self.sim_time)
            self.sim_time += step
            self._step(step)

    def _step(self, dt: float) -> None:
        self.phase_time += dt
        if self.flash.erase_finished(self.sim_time):
            req = getattr(self, "_fw_request", FWMapRequest.erase())
            self.notify(U["FWMapRequest"], FWMapRequest(0, 0, req.fw_to_map, req.first_error).encode())
        if self._stop_at is not None and self.sim_time >= self._stop_at:
            self._stop_at = None
            if self.state in FLOW_STATES:
                self._end_flow_now()
        if self.phase.seconds is not None and self.phase_time >= self.phase.seconds:
            self._phase_over()
        self._flow_step(dt)
        self._temperature_step(dt)
        self._water_step(dt)
        self._clock_step(dt)

    def _flow_step(self, dt: float) -> None:
        st, sub = self.state, self.substate
        self.set_pressure = self.set_flow = 0.0
        if st == S.Espresso and sub in (Sub.PreInfuse, Sub.Pour):
            goal = self.runner.step(dt, self.puck)
            if goal is None or self.runner.done:
                self.shot_end_time = self.sim_time
                self._enter(S.Espresso, Sub.Flush, 1.5)
                return
            self.set_pressure, self.set_flow = goal.set_pressure, goal.set_flow
            self.goal_mix, self.goal_head = goal.set_mix_temp, goal.set_head_temp
            self.frame_number = self.runner.frame
            if self._shot_substate() != sub:
                self._enter(S.Espresso, self._shot_substate(), None)
        elif st == S.Espresso:
            self.puck.step(dt, "off", 0.0, 0.0)
        elif st in (S.HotWater, S.HotWaterRinse, S.Steam) and sub in (Sub.Pour, Sub.Steaming):
            self._simple_flow_step(dt)
        else:
            self.puck.pump_flow += (0.0 - self.puck.pump_flow) * min(1.0, dt / 0.3)
            self.puck.pressure += (0.0 - self.puck.pressure) * min(1.0, dt / 0.4)

    def _simple_flow_step(self, dt: float) -> None:
        st = self.state
        s = self.settings
        if st == S.HotWater:
            rate, limit_s, limit_ml = self.regs.scaled(R.HOT_WATER_FLOW_RATE, 0.1), s[5], s[4]
        elif st == S.HotWaterRinse:
            rate = self.regs.scaled(R.FLUSH_FLOW_RATE, 0.1)
            limit_s = self.regs.scaled(R.FLUSH_TIMEOUT, 0.1) if self.regs.build >= 1283 else 0
            limit_ml = 0
        else:
            rate, limit_s, limit_ml = self.regs.scaled(R.TARGET_STEAM_FLOW, 0.01), s[2], 0
        self.set_flow = rate
        self.puck.pump_flow += (rate - self.puck.pump_flow) * min(1.0, dt / 0.3)
        self.puck.pressure = 0.3 * self.puck.pump_flow if st != S.Steam else 1.5
        self.flow_volume += self.puck.pump_flow * dt
        if (limit_s and self.phase_time >= limit_s) or (limit_ml and self.flow_volume >= limit_ml):
            self._finish_flow()

    def _temperature_step(self, dt: float) -> None:
        group_target = U16P8.unpack(bytes(self.settings), 7)
        if self.state == S.Sleep:
            mix_goal = head_goal = 25.0
        elif self.state == S.Espresso and self.substate in (Sub.PreInfuse, Sub.Pour):
            mix_goal, head_goal = self.goal_mix, self.goal_head
        else:
            mix_goal = head_goal = group_target
            self.goal_mix = self.goal_head = 0.0 if self.state != S.Espresso else group_target
        self.mix_temp += (mix_goal - self.mix_temp) * min(1.0, dt / 2.0)
        self.head_temp += (head_goal - self.head_temp) * min(1.0, dt / 4.0)
        steam_goal = self.settings[1] if self.settings[1] and self.state != S.Sleep else 25.0
        self.steam_temp += max(-2.0 * dt, min(5.0 * dt, steam_goal - self.steam_temp))

    def _water_step(self, dt: float) -> None:
        self.level_mm = max(0.0, self.level_mm - self.puck.pump_flow * dt / ML_PER_MM)
        if self.state == S.Idle and self.substate == Sub.NoState and self.level_mm < self.start_fill_mm:
            self._enter(S.Refill, Sub.NoState, None)
        if self.state == S.Refill and self.refill_kit:
            self.level_mm += 2.0 * dt
            if self.level_mm >= self.full_mm:
                self._enter(S.Idle, Sub.NoState, None)

    def refill_tank(self) -> None:
        """The user filled the tank by hand."""
        self.level_mm = self.full_mm
        if self.state == S.Refill:
            self._enter(S.Idle, Sub.NoState, None)

    def _clock_step(self, dt: float) -> None:
        self.half_cycles += dt * self.half_cycles_per_s
        slow = 3 if self.state == S.Sleep else 1
        if self.half_cycles >= self._next_sample:
            self._next_sample += 25 * slow
            self._emit_sample()
        if self.half_cycles >= self._next_level:
            self._next_level += 48 * slow
            self.notify(U["WaterLevels"], water_levels(self.level_mm, self.start_fill_mm))

    def _emit_sample(self) -> None:
        noise = self.rng.gauss
        busy = self.puck.pressure > 0.05 or self.puck.pump_flow > 0.05
        sample = ShotSample(
            sample_time=int(self._next_sample - 25 * (3 if self.state == S.Sleep else 1)) & 0xFFFF,
            group_pressure=max(0.0, self.puck.pressure + (noise(0, 0.02) if busy else 0.0)),
            group_flow=max(0.0, self.puck.pump_flow + (noise(0, 0.02) if busy else 0.0)),
            mix_temp=self.mix_temp, head_temp=self.head_temp,
            set_mix_temp=self.goal_mix, set_head_temp=self.goal_head,
            set_group_pressure=self.set_pressure, set_group_flow=self.set_flow,
            frame_number=self.frame_number & 0xFF, steam_temp=max(0, min(255, int(self.steam_temp))))
        self.last_sample = sample.encode_clamped()[0]
        self.notify(U["ShotSample"], self.last_sample)

    def _temperatures(self) -> bytes:
        group_target = U16P8.unpack(bytes(self.settings), 7)
        values = (self.mix_temp, self.steam_temp, self.head_temp, 20.0,
                  group_target, float(self.settings[1]), group_target, 0.0)
        return Temperatures(*(max(0.0, v) for v in values)).encode_clamped()[0]

    def on_disconnect(self) -> None:
        # The firmware keeps running; only an MMR hang needs a power cycle, which a reconnect is not.
        pass

    @property
    def cup_ml(self) -> float:
        """Beverage in the cup so far (for simulated scales)."""
        return self.puck.cup_ml
