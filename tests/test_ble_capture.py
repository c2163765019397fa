"""The plain rules of managed devices: the two-deep queue (the reference's C.3 table),
availability states, the retry schedule, .btid files, role matching by name."""

from __future__ import annotations

import pytest

from actors.ble.capture import (C, N, R, X, CaptureQueue, RetryWindow, availability, btid_path,
                                connectivity, remove_btid, write_btid)
from actors.ble.roles import matches_role, parse_role, role_of
from pyde1.events import ConnectivityState as CS, DeviceAvailabilityState as A, DeviceRole

# devices-and-sequencing.md C.3: (connected, pending) -> resulting triple, per request
TABLE = {
    C: {(C, N): "CNC", (C, C): "CXC", (C, R): "CXC", (C, X): "CXC",
        (R, N): "RCC", (R, C): "RCC", (R, R): "RXC", (R, X): "RXC",
        (N, N): "NCC", (N, C): "NCC", (N, R): "NXC", (N, X): "NXC"},
    R: {(C, N): "CRR", (C, C): "CXR", (C, R): "CRR", (C, X): "CXR",
        (R, N): "RNR", (R, C): "RXR", (R, R): "RXR", (R, X): "RXR",
        (N, N): "NRR", (N, C): "NXR", (N, R): "NRR", (N, X): "NXR"},
}


@pytest.mark.parametrize("request_op", [C, R], ids=["capture", "release"])
@pytest.mark.parametrize("target", [C, R, N], ids=["tC", "tR", "tN"])
def test_request_table_of_the_reference(request_op, target):
    for (connected, pending), expected in TABLE[request_op].items():
        q = CaptureQueue(connected, pending, target)
        started = q.request(request_op)
        assert str(q) == expected, f"{connected.value}{pending.value}{target.value} + {request_op.value}"
        # an operation starts exactly when pending changed to something to do
        assert started == (q.pending if q.pending is not pending and q.pending is not N else None)


def test_fresh_capture_then_release_cancels_the_connect():
    q = CaptureQueue()
    assert q.request(C) is C and str(q) == "NCC"
    assert q.request(R) is X and str(q) == "NXR"
    assert q.task_finished(link_up=False) is None and str(q) == "RNR" and q.released


def test_link_loss_with_target_capture_reconnects():
    q = CaptureQueue(C, N, C)
    assert q.link_changed(False) is C and str(q) == "RCC"
    assert q.task_finished(True) is None and q.captured
    # a loss while a task is in flight waits for that task's completion
    q2 = CaptureQueue(C, R, R)
    assert q2.link_changed(False) is None and str(q2) == "RRR"


def test_reevaluate_without_target_does_nothing():
    q = CaptureQueue(R, N, N)
    assert q.reevaluate() is None and str(q) == "RNN"
    with pytest.raises(ValueError):
        q.request(X)


@pytest.mark.parametrize("triple, ready, expected", [
    ("NCC", False, A.CAPTURING), ("RRR", False, A.RELEASING), ("CXC", False, A.CAPTURING),
    ("CXR", False, A.RELEASING), ("CXN", False, A.UNKNOWN), ("CNC", False, A.CAPTURED),
    ("CNC", True, A.READY), ("RNR", False, A.RELEASED), ("RNC", False, A.CAPTURING),
    ("CNR", False, A.RELEASING), ("CNN", False, A.CAPTURED), ("RNN", False, A.RELEASED),
    ("NNN", False, A.INITIAL),
])
def test_availability_of_each_triple(triple, ready, expected):
    from actors.ble.capture import Op
    q = CaptureQueue(*(Op(ch) for ch in triple))
    assert availability(q, ready) is expected


def test_connectivity_view():
    assert connectivity(A.READY) is CS.READY and connectivity(A.RELEASED) is CS.DISCONNECTED
    assert connectivity(A.NOT_READY) is CS.NOT_READY
    assert connectivity(A.CAPTURING, CaptureQueue(C, X, C)) is CS.UNKNOWN


def test_retry_schedule():
    w = RetryWindow()
    assert w.delay(1000.0) == 0.0
    assert w.delay(1000.0 + 299) == 0.0
    assert w.delay(1000.0 + 300) == 15.0
    assert w.delay(1000.0 + 1799) == 15.0
    assert w.delay(1000.0 + 1800) == 60.0
    w.reset()
    assert w.delay(5000.0) == 0.0 and w.started == 5000.0


def test_btid_files(tmp_path):
    path = write_btid(tmp_path, "btid", "D1:5E:00:00:00:01")
    assert path == tmp_path / "D15E00000001.btid"
    assert path.read_text() == "D1:5E:00:00:00:01"  # exactly the address, no newline
    remove_btid(tmp_path, ".btid", "D1:5E:00:00:00:01")
    assert not path.exists()
    remove_btid(tmp_path, ".btid", "D1:5E:00:00:00:01")  # a missing file is fine
    with pytest.raises(ValueError, match="12 hex digits"):
        btid_path(tmp_path, ".btid", "not-an-address")


def test_role_matching_by_name():
    assert matches_role(DeviceRole.DE1, "DE1") and not matches_role(DeviceRole.DE1, "de1x")
    assert matches_role(DeviceRole.SCALE, "FELICITA ARC") and matches_role(DeviceRole.SCALE, "Skale")
    assert matches_role(DeviceRole.SCALE, "PEARLS-1234") and not matches_role(DeviceRole.SCALE, "DE1")
    assert matches_role(DeviceRole.THERMOMETER, "BlueDOT") and not matches_role(DeviceRole.THERMOMETER, None)
    assert matches_role(None, "anything") and role_of("LUNAR-ABC") is DeviceRole.SCALE
    assert parse_role("Scale") is DeviceRole.SCALE
    with pytest.raises(ValueError, match="unknown device role"):
        parse_role("kettle")
