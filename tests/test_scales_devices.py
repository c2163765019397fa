"""``actors.devices.device_specs``: the scale and thermometer roles for the composition root,
and, when simulating, a simulated scale that weighs what the simulated DE1 pours and a
BlueDOT whose milk warms while the DE1 steams."""

from __future__ import annotations

import pytest

from actors.ble import bluetooth_specs
from actors.devices import SIM_BLUEDOT_ADDRESS, SIM_SCALE_ADDRESS, SimScaleSetup, device_specs
from actors.scales import GenericScale
from actors.supervisor import Supervisor
from actors.thermometer import BlueDOT
from pyde1.events import (BlueDOTUpdate, DeviceAvailability, DeviceAvailabilityState as A, DeviceRole,
                          ScaleWeightUpdate, StateUpdate)
from pyde1.lifecycle import RestartPolicy

T = 20.0


def test_specs_for_real_bluetooth_have_no_address_and_depend_on_bluetooth():
    scale, thermo = device_specs(None)
    assert (scale.role, scale.actor_class, thermo.role, thermo.actor_class) == \
        ("scale", GenericScale, "thermometer", BlueDOT)
    for spec in (scale, thermo):
        assert spec.depends_on == ("bluetooth",) and spec.required is False
        assert "address" not in spec.kwargs and "simulate" not in spec.kwargs
        assert spec.kwargs["btid_directory"] == "/var/lib/pyde1/"


def test_simulated_specs_follow_the_simulator_section():
    scale, thermo = device_specs({"simulator": {"SCALE": "felicita", "SEED": 7}}, simulate=True)
    assert scale.kwargs["simulate"] == SimScaleSetup("felicita", SIM_SCALE_ADDRESS, 7)
    assert scale.kwargs["address"] == SIM_SCALE_ADDRESS and scale.kwargs["capture_on_start"]
    assert thermo.kwargs["address"] == SIM_BLUEDOT_ADDRESS
    scale, thermo = device_specs({"simulator": {"SCALE": "none", "THERMOMETER": False},
                                  "bluetooth": {"BACKEND": "simulator"}})
    assert "address" not in scale.kwargs and "address" not in thermo.kwargs


@pytest.fixture
def service(runtime):
    config = {"simulator": {"SPEEDUP": 20, "SCALE": "acaia_pyxis", "START_STATE": "Idle", "SEED": 5}}
    specs = bluetooth_specs(config, simulate=True) + device_specs(config, simulate=True)
    sup = Supervisor.start(runtime, specs, RestartPolicy(initial=0.01, maximum=0.05)).proxy()
    result = sup.start_all().get(timeout=30)
    assert set(result.values()) == {"running"}
    yield runtime
    sup.stop_all().get(timeout=30)
    sup.actor_ref.stop(block=True, timeout=5)


def ready(rec, role):
    return rec.wait_for(DeviceAvailability, lambda e: e.role is role and e.state is A.READY, timeout=T)


def test_simulated_scale_weighs_the_simulated_shot(service):
    rec = service.extras["recorder"]
    ready(rec, DeviceRole.DE1)
    assert ready(rec, DeviceRole.SCALE).sender == "AcaiaPyxis"
    ready(rec, DeviceRole.THERMOMETER)
    service.roles.get("de1").proxy().set_mode("Espresso").get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.state == "Espresso", timeout=T)
    heavy = rec.wait_for(ScaleWeightUpdate, lambda e: e.weight > 15.0, timeout=T)
    assert heavy.sender == "AcaiaPyxis"


def test_simulated_bluedot_warms_while_the_de1_steams(service):
    rec = service.extras["recorder"]
    ready(rec, DeviceRole.DE1)
    ready(rec, DeviceRole.THERMOMETER)
    cold = rec.wait_for(BlueDOTUpdate, timeout=T)
    assert cold.temperature < 15
    service.roles.get("de1").proxy().set_mode("Steam").get(timeout=T)
    rec.wait_for(StateUpdate, lambda e: e.state == "Steam", timeout=T)
    hot = rec.wait_for(BlueDOTUpdate, lambda e: e.temperature >= 30, timeout=T)
    assert hot.name == "BlueDOT"
    assert service.roles.get("thermometer").proxy().health().get(timeout=T)["interval"] == 1
