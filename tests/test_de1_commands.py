"""DE1 commands beyond the basics: firmware upload with progress events, calibration, the
mode rules, end steam, refill level, commands while not connected."""

from __future__ import annotations

import pytest

from actors.de1_errors import (DE1GHCActiveError, DE1ModeRefusedError, DE1NotConnectedError,
                               DE1UploadInProgressError, DE1ValueError)
from actors.sim.harness import SimRig
from pyde1.events import (DeviceAvailability, DeviceAvailabilityState as A, FirmwareUpload,
                          FirmwareUploadState as FS, StateUpdate)
from pyde1.protocol.enums import MachineState as S
from pyde1.protocol.firmware import FirmwareHeader

T = 10.0


def image(body: int = 3000) -> bytes:
    header = FirmwareHeader(checksum=1, board_marker=0xDE100001, version=1352, byte_count=body,
                            cpu_bytes=body, unused=0, dc_sum=2, iv=b"\x01" * 32, h_sum=3)
    return header.encode() + bytes(i % 251 for i in range(body))


@pytest.fixture
def rig(runtime):
    rig = SimRig(runtime, speedup=50)
    rig.start()
    runtime.extras["recorder"].wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    yield rig
    rig.stop()


def test_firmware_upload_reports_progress_and_completes(rig, runtime):
    rec = runtime.extras["recorder"]
    data = image(3000)
    started = rig.de1.upload_firmware(data).get(timeout=T)
    assert started == {"state": "starting", "total": len(data), "build": 1352}
    with pytest.raises(DE1UploadInProgressError):
        rig.de1.upload_firmware(data).get(timeout=T)
    done = rec.wait_for(FirmwareUpload, lambda e: e.state in (FS.COMPLETED, FS.FAILED), timeout=T)
    assert done.state is FS.COMPLETED and done.uploaded == done.total == len(data)
    events = rec.of_type(FirmwareUpload)
    assert events[0].state is FS.STARTING and events[0].uploaded == 0
    progress = [e.uploaded for e in events if e.state is FS.UPLOADING]
    assert progress[-1] == len(data) and progress == sorted(progress)
    assert all(b - a >= 1024 for a, b in zip(progress, progress[1:-1]))
    assert rig.call(lambda: rig.model.flash.installed_version) == 1352
    # the DE1 was put to sleep for the update and the fan threshold set to 60 °C
    assert rig.call(lambda: (rig.model.regs.word(0x803808), rig.model.state)) == (60, S.Sleep)


def test_firmware_upload_fails_on_a_bad_block_and_can_be_canceled(rig, runtime):
    rec = runtime.extras["recorder"]
    with pytest.raises(DE1ValueError, match="BoardMarker"):
        rig.de1.upload_firmware(b"\x00" * 100).get(timeout=T)
    with pytest.raises(DE1ModeRefusedError, match="No 'upload_firmware' task"):
        rig.de1.cancel_firmware().get(timeout=T)
    rig.device.faults.drop_when = None
    # lose every chunk write at 0x000040 by trimming the model's flash write for that block
    rig.call(lambda: setattr(rig.model.flash, "write", _skip_block(rig.model.flash.write, 0x40)))
    rig.de1.upload_firmware(image(500)).get(timeout=T)
    failed = rec.wait_for(FirmwareUpload, lambda e: e.state in (FS.COMPLETED, FS.FAILED), timeout=T)
    assert failed.state is FS.FAILED
    assert "0x000040" in rig.de1.health().get(timeout=T)["firmware_upload"]["last_result"]
    rig.de1.upload_firmware(image(200_000)).get(timeout=T)
    rig.de1.cancel_firmware().get(timeout=T)
    canceled = rec.wait_for(FirmwareUpload, lambda e: e.state is FS.CANCELED, timeout=T)
    assert (canceled.uploaded, canceled.total) == (0, 0)


def _skip_block(write, address):
    def patched(offset, data):
        return True if offset == address else write(offset, data)
    return patched


def test_calibration_reads_and_writes(rig):
    cal = rig.de1.get_calibration().get(timeout=T)
    assert cal["CalFlow"] == {"current": 1.0, "factory": 1.0}
    assert cal["CalTemp"] == {"current": 0.0, "factory": 0.0}
    assert rig.de1.set_calibration("CalFlow", 1.08).get(timeout=T) == pytest.approx(1.08, abs=1e-4)
    assert rig.de1.get_calibration().get(timeout=T)["CalFlow"]["current"] == pytest.approx(1.08, abs=1e-4)
    with pytest.raises(DE1ValueError, match="calibration target"):
        rig.de1.set_calibration("CalWeight", 1.0).get(timeout=T)


def test_mode_rules(rig, runtime):
    rec = runtime.extras["recorder"]
    with pytest.raises(DE1ModeRefusedError, match="Stop: not in"):
        rig.call(lambda: (setattr(rig.model, "refill_kit", False),  # stays in Refill until filled
                          rig.model._enter(S.Refill, rig.model.substate, None)))
        rec.wait_for(StateUpdate, lambda e: e.state == "Refill", timeout=T)
        rig.de1.set_mode("Stop").get(timeout=T)
    rig.call(lambda: rig.model.refill_tank())
    rec.wait_for(StateUpdate, lambda e: e.previous_state == "Refill" and e.state == "Idle", timeout=T)
    rig.de1.set_mode("Stop").get(timeout=T)  # Idle: nothing to do, no error
    rig.de1.set_mode("HotWater").get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.state == "HotWater" and e.substate == "Pour", timeout=T)
    with pytest.raises(DE1ModeRefusedError, match="must be Idle"):
        rig.de1.set_mode("Espresso").get(timeout=T)
    with pytest.raises(DE1ModeRefusedError, match="Sleep"):
        rig.de1.set_mode("Sleep").get(timeout=T)
    assert rig.de1.stop_flow().get(timeout=T) is True
    assert rig.de1.stop_flow().get(timeout=T) is False  # a repeat within 0.25 s is ignored
    rec.wait_for(StateUpdate, lambda e: e.previous_state == "HotWater" and e.state == "Idle", timeout=T)
    # with the group head controller active, flows must be started on the machine
    rig.call(lambda: rig.model.regs.values.__setitem__(0x80381C, 7))
    rig.de1.read_mmr("GHC_INFO").get(timeout=T)
    with pytest.raises(DE1GHCActiveError):
        rig.de1.set_mode("Steam").get(timeout=T)


def test_end_steam_shortens_then_restores_the_steam_time(rig, runtime):
    rec = runtime.extras["recorder"]
    rig.de1.set_mode("Steam").get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.state == "Steam" and e.substate == "Steaming", timeout=T)
    began = rig.call(lambda: rig.model.sim_time)
    before = rig.call(lambda: len(rig.model.writes))
    rig.de1.end_steam().get(timeout=T)
    writes = rig.call(lambda: [d for u, d in rig.model.writes[before:]])
    assert [w[2] for w in writes] == [0, 120]  # TargetSteamLength 0, then the original back
    ended = rec.wait_for(StateUpdate, lambda e: e.previous_state == "Steam" and e.state == "Idle",
                         timeout=T)
    assert rig.call(lambda: rig.model.sim_time) - began < 60  # ended by the write, not its 120 s
    assert ended.previous_substate == "Steaming"


def test_refill_level_and_not_connected_errors(rig, runtime):
    rec = runtime.extras["recorder"]
    assert rig.de1.set_refill_level(7.5).get(timeout=T) == 7.5
    assert rig.call(lambda: rig.model.start_fill_mm) == 7.5
    rig.de1.request_release().get(timeout=T)
    rec.wait_for(DeviceAvailability, lambda e: e.state is A.RELEASED, timeout=T)
    with pytest.raises(DE1NotConnectedError, match="capture it"):
        rig.de1.get_state().get(timeout=T)
    with pytest.raises(DE1NotConnectedError):
        rig.de1.upload_profile(b"{}").get(timeout=T)
