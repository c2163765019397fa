"""The DE1 actor (role "de1"): the machine's state, telemetry and commands.

Bytes come up from the Bluetooth actor as BleNotification; they are decoded with the shared
codecs (``pyde1.protocol``) and published on the bus as StateUpdate,
ShotSampleWithVolumesUpdate (volumes accumulated here), WaterLevelUpdate and, during a
firmware upload, FirmwareUpload. The capture/release lifecycle, DeviceAvailability and
ConnectivityChange come from ``ManagedDeviceActor``. A packet that does not decode is
counted per kind (``health()["bad_packets"]``) and logged once per kind per minute; it never
stops the actor.

Commands are public methods called through a proxy; each is bounded by a timeout and fails
with a ``DE1Error`` subclass (``actors.de1_errors``). Mode rules live in ``de1_modes``,
firmware upload in ``de1_firmware``.
"""

from __future__ import annotations

import time
from typing import Any

from actors.ble.messages import BleError, BleNotConnectedError, BleNotification, BleTimeoutError, ConnectInfo
from actors.de1_errors import (DE1Error, DE1NotConnectedError, DE1NotSupportedError, DE1ProfileError,
                               DE1TimeoutError, DE1ValueError)
from actors.de1_firmware import FirmwareUploader, FirmwareMessage
from actors.de1_modes import ModeRules
from actors.de1_tracking import StateTracker, VolumeTracker
from actors.ble.settings import cfg
from actors.managed_device import ManagedDeviceActor
from pyde1.events import DeviceRole, ShotSampleWithVolumesUpdate, StateUpdate, WaterLevelUpdate
from pyde1.profile import ProfileError, plan_source
from pyde1.protocol.enums import CalTarget, MachineState, is_error_state
from pyde1.protocol.errors import ProtocolError, UnknownRegisterError
from pyde1.protocol.mmr import FeatureFlags, register, register_exists
from pyde1.protocol.mmr_packets import (MMRReadCollector, MMRReadRequest, MMRReadResponse, MMRWrite,
                                        firmware_build_request, standard_read_requests)
from pyde1.protocol.packets import (Calibration, SetTime, FWMapRequest, RequestedState, ShotSample, ShotSettings,
                                    StateInfo, Versions, WaterLevels)
from pyde1.protocol.uuids import CHARACTERISTICS

U = {c.name: c.uuid for c in CHARACTERISTICS}
NOTIFY = tuple(U[n] for n in ("Versions", "RequestedState", "SetTime", "ReadFromMMR", "WriteToMMR",
                              "FWMapRequest", "ShotSettings", "HeaderWrite", "FrameWrite",
                              "Calibration", "ShotSample", "StateInfo", "WaterLevels"))


class DE1(ManagedDeviceActor):
    device_role = DeviceRole.DE1
    notify_uuids = NOTIFY

    def __init__(self, ctx, role: str = "de1", profile_guard: float = 0.5,
                 line_frequency: int | None = None, sleep_on_stop: bool = True, **kwargs: Any) -> None:
        super().__init__(ctx, role, **kwargs)
        self.sleep_on_stop = sleep_on_stop
        self.line_frequency = int(line_frequency or cfg(ctx.config, "de1", "LINE_FREQUENCY", 60))
        self.ready_wait = float(cfg(ctx.config, "de1", "MAX_WAIT_FOR_READY_EVENTS", 4.0))
        self.profile_timeout = float(cfg(ctx.config, "http", "PROFILE_TIMEOUT", 4.5))
        self.profile_guard = profile_guard
        self.state = StateTracker()
        self.volumes = VolumeTracker(self.line_frequency)
        self.modes = ModeRules(self, bool(cfg(ctx.config, "de1", "API_STOP_IGNORES_CHECKS", False)))
        self.firmware = FirmwareUploader(self)
        self.bad_packets: dict[str, int] = {}
        self.samples = 0
        self._reset_machine_cache()

    def _reset_machine_cache(self) -> None:
        self.mmr: dict[int, int] = {}
        self.versions: Versions | None = None
        self.shot_settings: ShotSettings | None = None
        self.water: WaterLevels | None = None
        self.calibration: dict[str, dict[str, float | None]] = {}
        self.profile_id: str | None = None
        self.profile_fingerprint: str | None = None
        self.last_plan = None
        self._guard_until = 0.0

    # -- lifecycle hooks ------------------------------------------------------------------
    def initialise(self, info: ConnectInfo) -> None:
        """§9.1: versions, MMR (build first), state, settings, app feature flag, calibration."""
        self._reset_machine_cache()
        self.volumes.reset_link()
        step = self.log.info
        self.versions = Versions.decode(self.link.read(U["Versions"]))
        step("DE1 versions: BLE API %d, CPU board firmware commits %d",
             self.versions.ble.api_version, self.versions.lv.commits)
        self._read_mmr(firmware_build_request())
        build = self.firmware_build
        if build is None:
            raise DE1Error("the DE1 did not report its firmware build (MMR 0x800010)")
        for request in standard_read_requests(build):
            self._read_mmr(request, self.ready_wait)
        step("DE1 firmware build %d; %d registers read", build, len(self.mmr))
        state = StateInfo.decode(self.link.read(U["StateInfo"], forward=True))
        step("DE1 state %s / %s", state.state.name, state.substate.name)
        self.shot_settings = ShotSettings.decode(self.link.read(U["ShotSettings"]))
        self.water = WaterLevels.decode(self.link.read(U["WaterLevels"]))
        step("DE1 shot settings and water levels read (tank %.1f mm)", self.water.level)
        if self.flags.app_feature_flag_user_present:
            self._write_and_read_back(register("APP_FEATURE_FLAGS"), 1)
        for target in (CalTarget.CalFlow, CalTarget.CalPressure, CalTarget.CalTemp):
            self._fetch_calibration(target)
        step("DE1 calibration read: %s", {k: v["current"] for k, v in self.calibration.items()})

    def on_stop(self) -> None:
        """Shutdown (F.6): put an awake DE1 to sleep before letting it go."""
        if self.sleep_on_stop and self.ready and self.state.state not in (
                MachineState.Sleep, MachineState.GoingToSleep, MachineState.NoRequest):
            try:
                self.modes.sleep()
                self.log.info("DE1 put to sleep before stopping")
            except Exception as exc:  # stopping anyway
                self.log.warning("could not put the DE1 to sleep while stopping: %s", exc)
        super().on_stop()

    def on_link_lost(self) -> None:
        self.firmware.link_lost()
        self._reset_machine_cache()
        self.state.reset()
        self.volumes.reset_link()

    # -- notifications --------------------------------------------------------------------
    def on_notification(self, msg: BleNotification) -> None:
        handler = self._handlers.get(msg.uuid)
        if handler is None:
            return
        try:
            handler(self, msg)
        except ProtocolError as exc:
            self._bad_packet(msg, exc)

    def on_event(self, event: Any) -> None:
        if isinstance(event, FirmwareMessage):
            self.firmware.on_message(event)
        else:
            super().on_event(event)

    def _bad_packet(self, msg: BleNotification, exc: Exception) -> None:
        name = next((c.name for c in CHARACTERISTICS if c.uuid == msg.uuid), msg.uuid)
        kind = f"{name}:{len(msg.data)}B"
        self.bad_packets[name] = self.bad_packets.get(name, 0) + 1
        n = self.event_errors.record(f"bad packet {name}", self.ctx.clock())
        if n is not None:
            self.log.warning("dropped a bad %s packet (%s, %s): %s [%d since last report]",
                             name, kind, msg.data.hex(), exc, n)

    def _on_state(self, msg: BleNotification) -> None:
        info = StateInfo.decode(msg.data)
        self.state.update(info.state, info.substate, msg.arrival_time)
        self.volumes.on_state(info.state, info.substate, self.state.previous_state)
        error = is_error_state(info.state, info.substate)
        if error:
            self.log.error("DE1 reports an error: %s / %s", info.state.name, info.substate.name)
        self.ctx.bus.publish(StateUpdate(
            state=info.state.name, substate=info.substate.name,
            previous_state=self.state.previous_state.name,
            previous_substate=self.state.previous_substate.name,
            is_error_state=error, arrival_time=msg.arrival_time))

    def _on_sample(self, msg: BleNotification) -> None:
        s = ShotSample.decode(msg.data)
        self.samples += 1
        v = self.volumes
        v.on_sample(s.sample_time, s.group_flow, s.frame_number, self.state.state, self.state.substate)
        self.ctx.bus.publish(ShotSampleWithVolumesUpdate(
            arrival_time=msg.arrival_time, de1_time=msg.arrival_time,
            volume_preinfuse=v.preinfuse, volume_pour=v.pour, volume_total=v.total,
            volume_by_frames=tuple(v.by_frame), **s.to_event_dict()))

    def _on_water(self, msg: BleNotification) -> None:
        w = WaterLevels.decode(msg.data)
        self.water = w
        self.ctx.bus.publish(WaterLevelUpdate(level=w.level, start_fill_level=w.start_fill_level,
                                              arrival_time=msg.arrival_time))

    def _on_mmr(self, msg: BleNotification) -> None:
        self.mmr.update(MMRReadResponse.decode(msg.data).words())

    def _on_settings(self, msg: BleNotification) -> None:
        self.shot_settings = ShotSettings.decode(msg.data)

    def _on_fw_map(self, msg: BleNotification) -> None:
        self.firmware.on_fw_map(FWMapRequest.decode(msg.data))

    def _on_calibration(self, msg: BleNotification) -> None:
        Calibration.decode(msg.data)  # answers are used by the command that asked; check only

    _handlers = {U["StateInfo"]: _on_state, U["ShotSample"]: _on_sample, U["WaterLevels"]: _on_water,
                 U["ReadFromMMR"]: _on_mmr, U["ShotSettings"]: _on_settings,
                 U["FWMapRequest"]: _on_fw_map, U["Calibration"]: _on_calibration}

    # -- register helpers -----------------------------------------------------------------
    @property
    def firmware_build(self) -> int | None:
        return self.mmr.get(0x800010)

    @property
    def flags(self) -> FeatureFlags:
        return FeatureFlags.from_build(self.firmware_build)

    def _read_mmr(self, request: MMRReadRequest, timeout: float | None = None) -> dict[int, int]:
        """One multi-word read; missing words are asked for once more, one by one (§9.1)."""
        collector = MMRReadCollector(request)
        self._collect(collector, request, timeout)
        if not collector.complete:
            # one more ask per missing word, all within one more timeout (not one each)
            deadline = time.monotonic() + (timeout or self.settings.op_timeout)
            for retry in collector.retry_requests():
                left = deadline - time.monotonic()
                if left <= 0.05:
                    break
                self._collect(collector, retry, left, quiet=True)
        if not collector.complete:
            self.log.warning("MMR words %s did not arrive", ", ".join(f"0x{a:06X}" for a in collector.missing))
        self.mmr.update(collector.values)
        return collector.values

    def _collect(self, collector: MMRReadCollector, request: MMRReadRequest,
                 timeout: float | None, quiet: bool = False) -> None:
        seen = [0]

        def done(packets: list[bytes]) -> bool:
            for data in packets[seen[0]:]:
                try:
                    collector.feed(MMRReadResponse.decode(data))
                except ProtocolError:
                    pass
            seen[0] = len(packets)
            return collector.complete

        try:
            self.link.exchange(U["ReadFromMMR"], request.encode(), U["ReadFromMMR"], done, timeout)
        except BleTimeoutError:
            if not quiet:
                self.log.info("MMR read at 0x%06X incomplete within the timeout", request.address)

    def _write_and_read_back(self, reg, value: Any) -> Any:
        packet = MMRWrite.register(reg, value)
        if self.mmr.get(reg.address) != packet.raw_word:
            self.link.write(U["WriteToMMR"], packet.encode())
        values = self._read_mmr(MMRReadRequest(reg.address, 1))
        if reg.address not in values:
            raise DE1TimeoutError(f"{reg.name}: written but the read-back did not arrive")
        return reg.decode(values[reg.address])

    def _fetch_calibration(self, target: CalTarget) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for factory in (False, True):
            answer = self._calibration_exchange(Calibration.read(target, factory))
            out["factory" if factory else "current"] = answer.calibration
        self.calibration[target.name] = out
        return out

    def _calibration_exchange(self, request: Calibration) -> Calibration:
        def done(packets: list[bytes]) -> bool:
            return any(_calibration_answers(p, request) for p in packets)

        packets = self.link.exchange(U["Calibration"], request.encode(), U["Calibration"], done)
        answer = next(Calibration.decode(p) for p in packets if _calibration_answers(p, request))
        if answer.is_error:
            raise DE1ValueError(f"calibration {request.target.name}: the DE1 refused the request")
        return answer

    # -- command plumbing -----------------------------------------------------------------
    def _need_ready(self, doing: str) -> None:
        if not self.ready:
            raise DE1NotConnectedError(doing)

    def _ble(self, doing: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BleNotConnectedError as exc:
            raise DE1NotConnectedError(doing) from exc
        except BleTimeoutError as exc:
            raise DE1TimeoutError(f"{doing}: {exc}") from exc
        except BleError as exc:
            raise DE1Error(f"{doing}: {exc}") from exc

    def write_requested_state(self, state: MachineState) -> None:
        if state in (MachineState.Espresso,) and time.monotonic() < self._guard_until:
            # ReaPrime's profile-download guard: the DE1 is still storing the profile.
            time.sleep(self._guard_until - time.monotonic())
        self._ble(f"request {state.name}", self.link.write, U["RequestedState"],
                  RequestedState(state).encode())

    # -- public commands ------------------------------------------------------------------
    def get_state(self) -> tuple[str, str]:
        self._need_ready("get state")
        return self.state.state.name, self.state.substate.name

    def state_info(self) -> dict[str, Any]:
        return {"state": self.state.state.name, "substate": self.state.substate.name,
                "last_updated": self.state.last_updated}

    def request_state(self, name: str) -> None:
        """Write RequestedState as is (no state checks; ``set_mode`` applies pyDE1's rules)."""
        self._need_ready("request state")
        try:
            state = MachineState[name]
        except KeyError:
            raise DE1ValueError(f"state {name!r} is not a DE1 state name") from None
        if state is MachineState.UNKNOWN:
            raise DE1ValueError("state UNKNOWN cannot be requested")
        self.write_requested_state(state)

    def set_mode(self, mode: str) -> None:
        """de1/mode with pyDE1's rules (api-contract §1.8.5)."""
        self._need_ready(f"mode {mode}")
        self.modes.set_mode(mode)

    def stop_flow(self) -> bool:
        self._need_ready("stop flow")
        return self.modes.stop_flow()

    def sleep(self) -> None:
        self._need_ready("sleep")
        self.modes.sleep()

    def idle(self) -> None:
        self._need_ready("idle")
        self.write_requested_state(MachineState.Idle)

    def end_steam(self) -> None:
        self._need_ready("end steam")
        self.modes.set_mode("EndSteam")

    def skip_to_next(self) -> None:
        self._need_ready("skip to next")
        self.modes.set_mode("SkipToNext")

    def upload_profile(self, source: bytes, tank_temperature: bool = True) -> dict[str, Any]:
        """Parse, plan and write a JSON profile; returns id, fingerprint and the plan's targets."""
        self._need_ready("upload profile")
        if not isinstance(source, (bytes, bytearray)):
            raise DE1ValueError("a profile is uploaded as the bytes of its JSON file")
        try:
            plan = plan_source(bytes(source))
        except ProfileError as exc:
            raise DE1ProfileError(exc.path, exc.reason) from exc
        deadline = time.monotonic() + self.profile_timeout
        self.profile_id = self.profile_fingerprint = None
        for write in plan.writes:
            if write.uuid == U["WriteToMMR"] and not tank_temperature:
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise DE1TimeoutError(f"profile upload took longer than {self.profile_timeout} s")
            self._ble("upload profile", self.link.write, write.uuid, write.payload, min(left, self.settings.op_timeout))
        if plan.tank_temperature is not None and tank_temperature:
            self.mmr[0x80380C] = plan.tank_temperature
        self.profile_id, self.profile_fingerprint, self.last_plan = plan.id, plan.fingerprint, plan
        self._guard_until = time.monotonic() + self.profile_guard
        for warning in plan.warnings:
            self.log.warning("profile %s: %s", plan.id[:8], warning)
        return {"id": plan.id, "fingerprint": plan.fingerprint, "title": plan.title,
                "number_of_preinfuse_frames": plan.number_of_preinfuse_frames,
                "target_weight": plan.target_weight, "target_volume": plan.target_volume,
                "move_on_weight": list(plan.move_on_weight), "warnings": list(plan.warnings)}

    def read_mmr(self, key: int | str, words: int = 1) -> dict[str, Any]:
        """Read registers (by name or address); returns {name: decoded value}."""
        self._need_ready("read MMR")
        reg = self._register(key)
        if register_exists(reg, self.firmware_build) is False:
            raise DE1NotSupportedError(f"{reg.name} does not exist in firmware {self.firmware_build}")
        if reg.never_read_alone:
            raise DE1NotSupportedError(f"{reg.name} is never read on its own: some firmware hangs")
        values = self._ble(f"read {reg.name}", self._read_mmr, MMRReadRequest(reg.address, words))
        out = {}
        for address, raw in sorted(values.items()):
            r = self._register(address)
            out[r.name] = r.decode(raw)
        return out

    def write_mmr(self, key: int | str, value: Any) -> Any:
        """Write a register and return the value read back (the firmware may trim it)."""
        self._need_ready("write MMR")
        reg = self._register(key)
        if not reg.writable:
            raise DE1ValueError(f"{reg.name} is read-only")
        if register_exists(reg, self.firmware_build) is False:
            raise DE1NotSupportedError(f"{reg.name} does not exist in firmware {self.firmware_build}")
        try:
            MMRWrite.register(reg, value)
        except ProtocolError as exc:
            raise DE1ValueError(str(exc)) from exc
        return self._ble(f"write {reg.name}", self._write_and_read_back, reg, value)

    def _register(self, key: int | str):
        try:
            return register(key)
        except UnknownRegisterError as exc:
            raise DE1ValueError(str(exc)) from exc

    def get_shot_settings(self) -> dict[str, Any]:
        self._need_ready("shot settings")
        if self.shot_settings is None:
            self.shot_settings = ShotSettings.decode(self._ble("read shot settings", self.link.read,
                                                               U["ShotSettings"]))
        return _settings_dict(self.shot_settings)

    def set_shot_settings(self, **fields: Any) -> dict[str, Any]:
        """Change ShotSettings fields (names as in ``get_shot_settings``); returns the read-back."""
        current = self.get_shot_settings()
        unknown = set(fields) - set(current)
        if unknown:
            raise DE1ValueError(f"unknown shot setting(s): {', '.join(sorted(unknown))}")
        current.update(fields)
        try:
            payload = ShotSettings(**current).encode()
        except (ProtocolError, TypeError) as exc:
            raise DE1ValueError(f"shot settings: {exc}") from exc
        self._ble("write shot settings", self.link.write, U["ShotSettings"], payload)
        self.shot_settings = ShotSettings.decode(self._ble("read shot settings", self.link.read,
                                                           U["ShotSettings"]))
        return _settings_dict(self.shot_settings)

    def get_time(self) -> int:
        """de1/setting/time: the DE1's clock (SetTime characteristic), whole seconds."""
        self._need_ready("read the DE1 clock")
        data = self._ble("read the DE1 clock", self.link.read, U["SetTime"])
        try:
            return SetTime.decode(data).timestamp
        except ProtocolError as exc:
            raise DE1Error(f"read the DE1 clock: {exc}") from exc

    def set_time(self, timestamp: int) -> int:
        self._need_ready("set the DE1 clock")
        try:
            payload = SetTime(int(timestamp)).encode()
        except (ProtocolError, ValueError, OverflowError) as exc:
            raise DE1ValueError(f"timestamp {timestamp!r}: {exc}") from None
        self._ble("set the DE1 clock", self.link.write, U["SetTime"], payload)
        return int(timestamp)

    def set_line_frequency(self, hz: int) -> int:
        """de1/calibration/line_frequency: mains Hz used to turn flow samples into volume."""
        if hz not in (50, 60):
            raise DE1ValueError(f"line frequency must be 50 or 60 Hz, got {hz!r}")
        self.line_frequency = self.volumes.line_frequency = int(hz)
        self.log.info("line frequency set to %d Hz", hz)
        return self.line_frequency

    def set_refill_level(self, mm: float) -> float:
        self._need_ready("start fill level")
        try:
            payload = WaterLevels.refill_threshold(mm).encode()
        except ProtocolError as exc:
            raise DE1ValueError(f"start_fill_level: {exc}") from exc
        self._ble("write water levels", self.link.write, U["WaterLevels"], payload)
        self.water = WaterLevels.decode(self._ble("read water levels", self.link.read, U["WaterLevels"]))
        return self.water.start_fill_level

    def get_calibration(self) -> dict[str, dict[str, float | None]]:
        self._need_ready("calibration")
        return {k: dict(v) for k, v in self.calibration.items()}

    def set_calibration(self, target: str, measured: float, reported: float | None = None) -> float | None:
        """Write a calibration (CalFlow, CalPressure ratiometric; CalTemp differential)."""
        self._need_ready("calibration")
        try:
            cal_target = CalTarget[target]
        except KeyError:
            raise DE1ValueError(f"calibration target {target!r}: expected CalFlow, CalPressure or CalTemp") from None
        if reported is None:
            reported = 0.0 if cal_target is CalTarget.CalTemp else 1.0
        answer = self._ble("calibration", self._calibration_exchange,
                           Calibration.write(cal_target, reported, measured))
        self._ble("calibration", self._fetch_calibration, cal_target)
        return answer.calibration

    def upload_firmware(self, image: bytes) -> dict[str, Any]:
        """Start a firmware upload; returns at once, progress comes as FirmwareUpload events."""
        self._need_ready("firmware upload")
        return self.firmware.start(bytes(image))

    def cancel_firmware(self) -> None:
        self.firmware.cancel()

    def read_once_values(self) -> dict[str, Any]:
        self._need_ready("read once values")
        return _read_once(self.mmr, self.versions)

    def feature_flags(self) -> dict[str, Any]:
        flags = self.flags.as_dict()
        ghc = self.mmr.get(0x80381C)
        flags["ghc_active"] = None if ghc is None else bool(ghc & 0x04)
        return flags

    def profile(self) -> dict[str, str | None]:
        return {"id": self.profile_id, "fingerprint": self.profile_fingerprint}

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(bad_packets=dict(self.bad_packets), samples=self.samples,
                   state=self.state.state.name, substate=self.state.substate.name,
                   firmware_build=self.firmware_build, firmware_upload=self.firmware.status(),
                   volume_gaps_dropped=self.volumes.dropped_gaps)
        return out


def _calibration_answers(data: bytes, request: Calibration) -> bool:
    try:
        answer = Calibration.decode(data)
    except ProtocolError:
        return False
    return answer.command == request.command and answer.target in (request.target, CalTarget.CalError)


def _settings_dict(s: ShotSettings) -> dict[str, Any]:
    return {"steam_settings": int(s.steam_settings), "target_steam_temp": s.target_steam_temp,
            "target_steam_length": s.target_steam_length, "target_hot_water_temp": s.target_hot_water_temp,
            "target_hot_water_vol": s.target_hot_water_vol,
            "target_hot_water_length": s.target_hot_water_length,
            "target_espresso_vol": s.target_espresso_vol, "target_group_temp": s.target_group_temp}


def _read_once(mmr: dict[int, int], versions: Versions | None) -> dict[str, Any]:
    from pyde1.protocol.enums import GHCInfo, V13Model

    def raw_hex(address: int) -> str | None:
        return None if address not in mmr else mmr[address].to_bytes(4, "little").hex()

    def version(v) -> dict[str, Any] | None:
        if v is None:
            return None
        return {"api": v.api_version, "release": v.release, "commits": v.commits,
                "changes": v.changes, "blesha_hexstr": v.sha}

    model = mmr.get(0x80000C)
    try:
        model_name = V13Model(model).name if model is not None else None
    except ValueError:
        model_name = "UNRECOGNIZED"
    ghc = mmr.get(0x80381C)
    ghc_text = None
    if ghc is not None:
        names = [f.name for f in GHCInfo if ghc & f.value]
        ghc_text = "|".join(names) if names else "NONE_SET"
    return {
        "hw_config_hexstr": raw_hex(0x800000), "model_hexstr": raw_hex(0x800004),
        "cpu_board_model": None if 0x800008 not in mmr else mmr[0x800008] / 1000,
        "firmware_model": model_name, "firmware_build_number": mmr.get(0x800010),
        "ghc_info": ghc_text, "serial_number_hexstr": raw_hex(0x803830),
        "heater_voltage": mmr.get(0x803834),
        "version_ble": version(versions.ble if versions else None),
        "version_lv": version(versions.lv if versions else None),
    }
