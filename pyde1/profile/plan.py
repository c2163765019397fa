"""Profile → the exact writes that load it into a DE1 (de1app's encoding rules).

Order: HeaderWrite (a00f); every ShotFrame (a010, i ascending); the limiter extension frame of
every step that has one (a010, 32 + i, i ascending); the ShotTail (a010); then, when the profile
names a tank temperature, the TANK_TEMP register write (a006).

Choices where the clients disagree (de1-ble-protocol.md §11; de1app is the reference):
  * rounding: half away from zero;
  * header MaximumFlow 6.0 ml/s (``60``); every frame sets IgnoreLimit, so it has no effect;
  * frame MaxVol carries bit 0x0400 on every frame;
  * tail MaxTotalVolume ``00 00``: stop-at-volume belongs to the controller;
  * an extension frame only for a step whose limiter value is non-zero.

Fitting numbers: a *target* the DE1 cannot be given (pressure/flow above 15.9375, temperature
above 127.5 °C, anything negative) is a ``ProfileError``. A *limit* beyond the largest encodable
one (frame time > 127 s, frame volume > 1023 ml, exit value or limiter above 15.9375) is clamped
to that largest value, and the plan says so in ``warnings``: a clamped limit still means "very
long / very large", which is what the profile asked for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pyde1.profile.errors import ProfileError
from pyde1.profile.model import (
    ExitCondition, ExitType, Profile, Pump, Sensor, Step, Transition,
)
from pyde1.protocol.enums import MAX_VOL_FLAG, FrameFlag
from pyde1.protocol.fixed import F8_1_7, U8P1, U8P4, U10P0, FixedType, round_half_away
from pyde1.protocol.frames import HeaderWrite, ShotExtFrame, ShotFrame, ShotTail
from pyde1.protocol.mmr_packets import MMRWrite
from pyde1.protocol.uuids import full_uuid

HEADER_WRITE_UUID = full_uuid("a00f")
FRAME_WRITE_UUID = full_uuid("a010")
WRITE_TO_MMR_UUID = full_uuid("a006")

MAX_TANK_TEMPERATURE = 100        # °C: water in the tank cannot be heated further
DE1APP_MAXIMUM_FLOW = 6.0         # header MaximumFlow as de1app writes it


@dataclass(frozen=True)
class Write:
    """One GATT write: the characteristic's full UUID and the exact payload."""

    uuid: str
    payload: bytes

    def as_json(self) -> dict:
        return {"uuid": self.uuid, "hex": self.payload.hex()}


@dataclass(frozen=True)
class UploadPlan:
    id: str                                   # SHA-1 of the source bytes
    fingerprint: str                          # SHA-1 of header + frames + extensions + tail
    title: str | None
    header: HeaderWrite
    frames: tuple[ShotFrame, ...]
    extension_frames: tuple[ShotExtFrame, ...]
    tail: ShotTail
    tank_temperature: int | None              # °C for TANK_TEMP; None: leave the register alone
    writes: tuple[Write, ...]                 # everything above, in upload order
    number_of_preinfuse_frames: int
    target_weight: float | None               # None: absent (keep current); ≤ 0: no target
    target_volume: float | None               # same convention
    move_on_weight: tuple[float | None, ...]  # per frame, trailing Nones removed
    warnings: tuple[str, ...]
    profile: Profile

    @property
    def frame_writes(self) -> tuple[Write, ...]:
        """The header and FrameWrite payloads (what the fingerprint covers)."""
        return tuple(w for w in self.writes if w.uuid != WRITE_TO_MMR_UUID)

    def as_json(self) -> dict:
        """The shape printed by ``pyde1-profile plan --json``."""
        return {
            "id": self.id,
            "fingerprint": self.fingerprint,
            "title": self.title,
            "number_of_preinfuse_frames": self.number_of_preinfuse_frames,
            "target_weight": self.target_weight,
            "target_volume": self.target_volume,
            "move_on_weight": list(self.move_on_weight),
            "writes": [w.as_json() for w in self.writes],
        }


def fingerprint_of(payloads) -> str:
    """SHA-1 hex of the concatenated payloads (header, frames, extensions, tail in order)."""
    digest = hashlib.sha1()
    for payload in payloads:
        digest.update(payload)
    return digest.hexdigest()


def tank_temperature_write(celsius: int) -> bytes:
    """WriteToMMR payload for TANK_TEMP (integer °C; 0 = no tank preheat), padded to 20 bytes."""
    return MMRWrite.register("TANK_TEMP", celsius).encode()


class _Fitter:
    """Encodes numbers into fixed-point fields, rejecting or clamping (with a warning)."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def raw(self, ftype: FixedType, value: float, path: str, unit: str, *, clamp: bool) -> int:
        if value < 0:
            # Rounding noise such as -5.7e-15 (de1app's editor writes it) is 0, not an error.
            step_scale = 10 if ftype is F8_1_7 else ftype.scale
            if round_half_away(value * step_scale) != 0:
                raise ProfileError(path, f"must not be negative, got {value:g}")
            value = 0.0
        raw, clamped = ftype.encode_clamped(value)
        if clamped is not None:
            limit = f"{clamped.used:g}{unit}"
            if not clamp:
                raise ProfileError(path, f"{value:g}{unit} is more than a DE1 frame can hold "
                                         f"(at most {limit})")
            self.warnings.append(f"{path}: {value:g}{unit} does not fit the DE1's field; "
                                 f"clamped to {limit}")
        return raw

    def value(self, ftype: FixedType, value: float, path: str, unit: str, *,
              clamp: bool) -> float:
        return ftype.decode(self.raw(ftype, value, path, unit, clamp=clamp))


def _flags(step: Step) -> FrameFlag:
    flags = FrameFlag.IgnoreLimit
    if step.pump is Pump.FLOW:
        flags |= FrameFlag.CtrlF
    if step.sensor is Sensor.WATER:
        flags |= FrameFlag.TMixTemp
    if step.transition is Transition.SMOOTH:
        flags |= FrameFlag.Interpolate
    if step.exit is not None:
        flags |= FrameFlag.DoCompare
        if step.exit.condition is ExitCondition.OVER:
            flags |= FrameFlag.DC_GT
        if step.exit.type is ExitType.FLOW:
            flags |= FrameFlag.DC_CompF
    return flags


def _frame(index: int, step: Step, fit: _Fitter) -> ShotFrame:
    path = f"steps[{index}]"
    setpoint_unit = " bar" if step.pump is Pump.PRESSURE else " ml/s"
    trigger = 0.0
    if step.exit is not None:
        exit_unit = " bar" if step.exit.type is ExitType.PRESSURE else " ml/s"
        trigger = fit.value(U8P4, step.exit.value, f"{path}.exit.value", exit_unit, clamp=True)
    return ShotFrame(
        frame_to_write=index,
        flags=_flags(step),
        set_val=fit.value(U8P4, step.setpoint, f"{path}.{step.pump.value}", setpoint_unit,
                          clamp=False),
        temp=fit.value(U8P1, step.temperature, f"{path}.temperature", " °C", clamp=False),
        frame_len=fit.value(F8_1_7, step.seconds, f"{path}.seconds", " s", clamp=True),
        trigger_val=trigger,
        max_vol=fit.raw(U10P0, step.volume, f"{path}.volume", " ml", clamp=True),
        max_vol_flags=MAX_VOL_FLAG,
    )


def _extension(index: int, step: Step, fit: _Fitter) -> ShotExtFrame | None:
    if step.limiter is None:
        return None
    path = f"steps[{index}].limiter"
    unit = " ml/s" if step.pump is Pump.PRESSURE else " bar"
    return ShotExtFrame.for_frame(
        index,
        fit.value(U8P4, step.limiter.value, f"{path}.value", unit, clamp=True),
        fit.value(U8P4, step.limiter.range, f"{path}.range", unit, clamp=True),
    )


def _tank_temperature(profile: Profile) -> int | None:
    if profile.tank_temperature is None:
        return None
    celsius = round_half_away(profile.tank_temperature)
    if celsius < 0:
        raise ProfileError("tank_temperature",
                           f"must not be negative, got {profile.tank_temperature:g}")
    if celsius > MAX_TANK_TEMPERATURE:
        raise ProfileError("tank_temperature",
                           f"{profile.tank_temperature:g} °C is above {MAX_TANK_TEMPERATURE} °C; "
                           f"use 0 for no tank preheat")
    return celsius


def plan_upload(profile: Profile) -> UploadPlan:
    """The writes that load ``profile`` into a DE1; ``ProfileError`` if it cannot run."""
    fit = _Fitter()
    frames = tuple(_frame(i, step, fit) for i, step in enumerate(profile.steps))
    extensions = tuple(ext for ext in (_extension(i, step, fit)
                                       for i, step in enumerate(profile.steps))
                       if ext is not None)
    count = len(frames)
    preinfuse = min(profile.target_volume_count_start, count)
    header = HeaderWrite(number_of_frames=count, number_of_preinfuse_frames=preinfuse,
                         minimum_pressure=0.0, maximum_flow=DE1APP_MAXIMUM_FLOW)
    tail = ShotTail(frame_to_write=count)
    tank = _tank_temperature(profile)

    payloads = [header.encode(), *(f.encode() for f in frames),
                *(e.encode() for e in extensions), tail.encode()]
    writes = [Write(HEADER_WRITE_UUID, payloads[0]),
              *(Write(FRAME_WRITE_UUID, p) for p in payloads[1:])]
    if tank is not None:
        writes.append(Write(WRITE_TO_MMR_UUID, tank_temperature_write(tank)))

    return UploadPlan(
        id=profile.id,
        fingerprint=fingerprint_of(payloads),
        title=profile.title,
        header=header,
        frames=frames,
        extension_frames=extensions,
        tail=tail,
        tank_temperature=tank,
        writes=tuple(writes),
        number_of_preinfuse_frames=preinfuse,
        target_weight=profile.target_weight,
        target_volume=profile.target_volume,
        move_on_weight=profile.move_on_weight,
        warnings=profile.warnings + tuple(fit.warnings),
        profile=profile,
    )
