"""Firmware upload, driven by messages so the DE1 actor stays responsive for the ~50 minutes
a real upload takes (de1-ble-protocol.md §7, ``pyde1.protocol.firmware``).

Steps: put the DE1 to sleep, fan threshold 60 °C, erase (wait for the FWMapRequest
notification with FWToErase = 0), write every 16-byte chunk with one write in flight (each
write's completion is told back to the actor), ask for the first error, and report
completed (FirstError FFFFFD) or failed. FirmwareUpload events: starting, uploading every
1024 bytes and at 100 %, then completed / failed, or canceled (0, 0).
"""

from __future__ import annotations

import concurrent.futures
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pykka

from actors.base import tell_later
from actors.de1_errors import DE1ModeRefusedError, DE1UploadInProgressError, DE1ValueError
from pyde1.events import FirmwareUpload, FirmwareUploadState as FS
from pyde1.protocol.enums import MachineState
from pyde1.protocol.errors import FirmwareImageError
from pyde1.protocol.mmr_packets import MMRWrite
from pyde1.protocol.packets import FWMapRequest

if TYPE_CHECKING:
    from actors.de1 import DE1
    from pyde1.protocol.firmware import FirmwareImage

# pyde1.protocol.firmware (image parsing and checks) is imported by start(): every DE1 actor
# has an uploader, almost none ever uploads, and the module is a noticeable part of start-up.

REPORT_EVERY = 1024
ERASE_TIMEOUT = 30.0
VERIFY_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class FirmwareMessage:
    generation: int
    kind: str            # "written" | "timeout"
    index: int = -1
    error: str | None = None


class FirmwareUploader:
    def __init__(self, de1: "DE1", erase_timeout: float = ERASE_TIMEOUT,
                 verify_timeout: float = VERIFY_TIMEOUT) -> None:
        self.de1 = de1
        self.erase_timeout = erase_timeout
        self.verify_timeout = verify_timeout
        self.phase: str | None = None      # erasing | writing | verifying
        self.generation = 0
        self.image: FirmwareImage | None = None
        self.index = 0
        self.sent = 0
        self._reported = 0
        self._timer: threading.Timer | None = None
        self.last_result: str | None = None

    @property
    def total(self) -> int:
        return len(self.image.data) if self.image is not None else 0

    def status(self) -> dict[str, Any]:
        return {"phase": self.phase, "uploaded": self.sent, "total": self.total,
                "last_result": self.last_result}

    def _publish(self, state: FS, uploaded: int | None, total: int | None) -> None:
        self.de1.ctx.bus.publish(FirmwareUpload(state=state, uploaded=uploaded, total=total,
                                                arrival_time=self.de1.ctx.clock()))

    def _uuid(self, name: str) -> str:
        from actors.de1 import U
        return U[name]

    # -- commands -------------------------------------------------------------------------
    def start(self, data: bytes) -> dict[str, Any]:
        if self.phase is not None:
            raise DE1UploadInProgressError("a firmware upload is already running")
        from pyde1.protocol.firmware import FAN_THRESHOLD_FOR_UPDATE, FirmwareImage

        try:
            image = FirmwareImage.parse(data)
        except FirmwareImageError as exc:
            raise DE1ValueError(str(exc)) from exc
        de1 = self.de1
        self.generation += 1
        self.image, self.index, self.sent, self._reported = image, 0, 0, 0
        self._publish(FS.STARTING, 0, self.total)
        try:
            de1.write_requested_state(MachineState.Sleep)
            de1._ble("firmware: fan threshold", de1.link.write, self._uuid("WriteToMMR"),
                     MMRWrite.register("FAN_THRESHOLD", FAN_THRESHOLD_FOR_UPDATE).encode())
            self.phase = "erasing"
            de1._ble("firmware: erase", de1.link.write, self._uuid("FWMapRequest"),
                     FWMapRequest.erase().encode())
        except Exception as exc:
            self._finish(FS.FAILED, f"could not start: {exc}")
            raise
        self._arm(self.erase_timeout)
        de1.log.info("firmware upload of build %d started (%d bytes)", image.build, self.total)
        return {"state": FS.STARTING.value, "total": self.total, "build": image.build}

    def cancel(self) -> None:
        if self.phase is None:
            raise DE1ModeRefusedError("No 'upload_firmware' task to cancel")
        self._stop()
        self.last_result = FS.CANCELED.value
        self._publish(FS.CANCELED, 0, 0)

    def link_lost(self) -> None:
        if self.phase is not None:
            self._finish(FS.FAILED, "the link to the DE1 was lost")

    # -- progress -------------------------------------------------------------------------
    def on_fw_map(self, m: FWMapRequest) -> None:
        if self.phase == "erasing" and m.fw_to_erase == 0:
            self.phase = "writing"
            self._cancel_timer()
            self._send_next()
        elif self.phase == "verifying" and m.fw_to_erase == 0 and m.first_error != 0xFFFFFF:
            from pyde1.protocol.firmware import verify_result

            result = verify_result(m)
            if result.ok:
                self._finish(FS.COMPLETED, None)
            else:
                self._finish(FS.FAILED, f"the DE1 reports a bad block at 0x{result.first_bad_address:06X}")

    def on_message(self, msg: FirmwareMessage) -> None:
        if msg.generation != self.generation or self.phase is None:
            return
        if msg.kind == "timeout":
            self._finish(FS.FAILED, f"no answer from the DE1 while {self.phase}")
        elif msg.kind == "written" and self.phase == "writing" and msg.index == self.index:
            if msg.error is not None:
                self._finish(FS.FAILED, f"chunk {msg.index}: {msg.error}")
                return
            self.sent = min(self.total, self.sent + 16)
            if self.sent - self._reported >= REPORT_EVERY or self.sent == self.total:
                self._reported = self.sent
                self._publish(FS.UPLOADING, self.sent, self.total)
            self.index += 1
            self._send_next()

    def _send_next(self) -> None:
        de1, image = self.de1, self.image
        if self.index >= image.chunk_count:
            self.phase = "verifying"
            de1._ble("firmware: verify", de1.link.write, self._uuid("FWMapRequest"),
                     FWMapRequest.report_first_error().encode())
            self._arm(self.verify_timeout)
            return
        future = de1.link.write_async(self._uuid("WriteToMMR"), image.chunk(self.index).encode())
        generation, index, me = self.generation, self.index, de1.actor_ref

        def written(f: concurrent.futures.Future) -> None:
            error = None if f.cancelled() is False and f.exception() is None else \
                ("canceled" if f.cancelled() else str(f.exception()))
            try:
                me.tell(FirmwareMessage(generation, "written", index, error))
            except pykka.ActorDeadError:
                pass

        future.add_done_callback(written)

    def _finish(self, state: FS, reason: str | None) -> None:
        self._stop()
        self.last_result = state.value if reason is None else f"{state.value}: {reason}"
        if reason:
            self.de1.log.error("firmware upload %s: %s", state.value, reason)
        else:
            self.de1.log.info("firmware upload %s", state.value)
        self._publish(state, self.sent, self.total)

    def _stop(self) -> None:
        self._cancel_timer()
        self.phase = None
        self.generation += 1

    def _arm(self, seconds: float) -> None:
        self._cancel_timer()
        self._timer = tell_later(self.de1.actor_ref, seconds, FirmwareMessage(self.generation, "timeout"))

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
