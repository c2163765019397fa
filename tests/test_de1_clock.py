"""de1/setting/time and de1/calibration/line_frequency through the DE1 actor and the simulator."""

from __future__ import annotations

import pytest

from actors.de1_errors import DE1ValueError
from actors.sim.harness import SimRig
from pyde1.events import DeviceAvailability, DeviceAvailabilityState as A

T = 10.0


@pytest.fixture
def rig(runtime):
    rig = SimRig(runtime, speedup=50)
    rig.start()
    runtime.extras["recorder"].wait_for(DeviceAvailability, lambda e: e.state is A.READY, timeout=T)
    yield rig
    rig.stop()


def test_set_time_is_read_back_from_the_machine(rig):
    assert rig.de1.set_time(1_790_000_000).get(timeout=T) == 1_790_000_000
    assert rig.de1.get_time().get(timeout=T) == 1_790_000_000
    with pytest.raises(DE1ValueError, match="timestamp"):
        rig.de1.set_time(-5).get(timeout=T)


def test_line_frequency_accepts_only_mains_values(rig):
    assert rig.de1.set_line_frequency(50).get(timeout=T) == 50
    assert rig.de1.line_frequency.get(timeout=T) == 50
    with pytest.raises(DE1ValueError, match="50 or 60"):
        rig.de1.set_line_frequency(55).get(timeout=T)
    assert rig.de1.line_frequency.get(timeout=T) == 50


def test_a_stale_state_is_re_read_before_a_mode_is_refused(rig, runtime):
    """A lost or misread StateInfo must not leave the DE1 refusing shots until the machine
    happens to change state (seen in the soak with corrupted packets)."""
    from actors.de1 import U
    from pyde1.events import StateUpdate
    from pyde1.protocol.enums import MachineState, Substate
    from pyde1.protocol.packets import StateInfo

    rec = runtime.extras["recorder"]
    rig.de1.set_mode("Wake").get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.state == "Idle", timeout=T)
    mark = len(rec.events)
    # a notification that says the machine is steaming, which it is not
    rig.device.inject_threadsafe(U["StateInfo"], StateInfo(MachineState.Steam, Substate.Pour).encode())
    rec.wait_for(StateUpdate, lambda e: e.state == "Steam", timeout=T, start=mark)
    rig.de1.set_mode("Espresso").get(timeout=T)     # not a 409: it asked the machine
    rec.wait_for(StateUpdate, lambda e: e.state == "Espresso", timeout=T, start=mark)
