"""Bluetooth: the actor that owns bleak, the messages it exchanges with device actors, the
managed-device rules, and the composition helper for the service.

    specs = bluetooth_specs(config, simulate=False)   # [bluetooth, de1] ActorSpecs

With ``simulate=True`` or ``bluetooth.BACKEND: simulator`` the Bluetooth actor runs the
simulator backend over a registry holding a simulated DE1 (``simulator.*`` settings: SPEEDUP,
SEED, DE1_ADDRESS, FIRMWARE_BUILD, START_STATE), and the DE1 actor captures it at start.
Other simulated peripherals (scales, thermometers) are added to the same registry at run
time: ``ctx.proxy("bluetooth").sim_registry.get().add(model)``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from actors.ble.actor import BluetoothActor
from actors.ble.messages import (BleConnectError, BleDisconnected, BleError, BleGattError,
                                 BleNotConnectedError, BleNotification, BleScanError,
                                 BleTimeoutError, BleUnavailableError, ConnectInfo)
from actors.ble.settings import BleSettings, SimSettings
from actors.supervisor import ActorSpec

__all__ = ["BleConnectError", "BleDisconnected", "BleError", "BleGattError", "BleNotConnectedError",
           "BleNotification", "BleScanError", "BleSettings", "BleTimeoutError", "BleUnavailableError",
           "BluetoothActor", "ConnectInfo", "SimSettings", "bluetooth_specs", "simulated_de1_registry"]


def simulated_de1_registry(sim: SimSettings):
    """A registry with one simulated DE1 as the settings describe it."""
    from actors.sim.registry import SimRegistry
    from pyde1.protocol.enums import MachineState
    from pyde1.sim.de1 import DE1Model

    try:
        start = MachineState[sim.start_state]
    except KeyError:
        raise ValueError(f"simulator.START_STATE {sim.start_state!r} is not a DE1 state name") from None
    registry = SimRegistry(speedup=sim.speedup)
    registry.add(DE1Model(address=sim.de1_address, seed=sim.seed, build=sim.firmware_build,
                          start_state=start))
    return registry


def bluetooth_specs(config: Any, simulate: bool = False) -> list[ActorSpec]:
    """ActorSpecs of the "bluetooth" and "de1" roles (the DE1 depends on Bluetooth)."""
    from actors.de1 import DE1

    settings = BleSettings.from_config(config)
    if simulate or settings.backend == "simulator":
        sim = SimSettings.from_config(config)
        settings = replace(settings, backend="simulator")
        registry = simulated_de1_registry(sim)
        ble_kwargs: dict[str, Any] = {"settings": settings, "sim_registry": registry}
        de1_kwargs: dict[str, Any] = {"settings": settings, "address": sim.de1_address,
                                      "capture_on_start": True,
                                      "profile_guard": 0.5 / max(sim.speedup, 1e-9) if sim.speedup else 0.0}
    else:
        ble_kwargs = {"settings": settings}
        de1_kwargs = {"settings": settings, "btid_directory": settings.id_file_directory}
    return [ActorSpec("bluetooth", BluetoothActor, ble_kwargs),
            ActorSpec("de1", DE1, de1_kwargs, depends_on=("bluetooth",))]
