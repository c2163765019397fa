"""pyDE1 2.0's own profile fingerprint, for databases that already hold pyDE1 fingerprints.

Our plan follows de1app's encoding, so its fingerprint differs from the one pyDE1 2.0 stored for
the same profile (pyDE1 writes MaximumFlow 10.0, no 0x0400 bit in MaxVol, a little-endian tail
with the 0x8000 bit, and rounds half to even). This module recomputes pyDE1's value from the
rules in api-contract.md §3.7, so that a migrated database can be matched against new uploads.
These bytes are never sent to a DE1.
"""

from __future__ import annotations

from pyde1.profile.errors import ProfileError
from pyde1.profile.model import Profile, Step
from pyde1.profile.plan import _flags, fingerprint_of


def _byte(value: float, scale: int, path: str) -> int:
    raw = int(round(value * scale))          # Python rounding: half to even, as pyDE1
    if not 0 <= raw <= 0xFF:
        raise ProfileError(path, f"{value:g} does not fit pyDE1's encoding")
    return raw


def _seconds(value: float, path: str) -> int:
    if value < 0 or value >= 127.5:
        raise ProfileError(path, f"{value:g} s does not fit pyDE1's encoding")
    if value < 12.75:
        return int(round(value * 10))
    return int(round(value)) | 0x80


def _frame(index: int, step: Step) -> bytes:
    path = f"steps[{index}]"
    volume = int(round(step.volume))
    if not 0 <= volume <= 1023:
        raise ProfileError(f"{path}.volume", f"{step.volume:g} does not fit pyDE1's encoding")
    trigger = 0 if step.exit is None else _byte(step.exit.value, 16, f"{path}.exit.value")
    return bytes((
        index,
        int(_flags(step)),
        _byte(step.setpoint, 16, f"{path}.{step.pump.value}"),
        _byte(step.temperature, 2, f"{path}.temperature"),
        _seconds(step.seconds, f"{path}.seconds"),
        trigger,
    )) + volume.to_bytes(2, "big")


def pyde1_frame_payloads(profile: Profile) -> list[bytes]:
    """Header, frames, extension frames and tail exactly as pyDE1 2.0 would write them."""
    count = len(profile.steps)
    payloads = [bytes((1, count, profile.target_volume_count_start, 0, 0xA0))]
    payloads += [_frame(i, step) for i, step in enumerate(profile.steps)]
    for i, step in enumerate(profile.steps):
        if step.limiter is not None and round(step.limiter.value, 2) > 0:
            path = f"steps[{i}].limiter"
            payloads.append(bytes((32 + i, _byte(step.limiter.value, 16, f"{path}.value"),
                                   _byte(step.limiter.range, 16, f"{path}.range"))) + bytes(5))
    target_volume = profile.target_volume or 0.0
    tail_word = (int(round(target_volume)) & 0x3FF) + 0x8000
    payloads.append(bytes((count,)) + tail_word.to_bytes(2, "little") + bytes(5))
    return payloads


def pyde1_fingerprint(profile: Profile) -> str:
    """The fingerprint pyDE1 2.0 stores for ``profile`` (``ProfileError`` where pyDE1 fails)."""
    return fingerprint_of(pyde1_frame_payloads(profile))
