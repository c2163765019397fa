"""The peripheral devices part of the service: the "scale" and "thermometer" roles.

    specs = device_specs(config, simulate=False)

Both roles depend on the "bluetooth" role and are optional (a failing scale never stops the
service). The scale role starts as :class:`~actors.scales.GenericScale` and becomes the
specific class once the scale is known.

When simulating (``simulate=True`` or ``bluetooth.BACKEND: simulator``), the simulated scale
(``simulator.SCALE``: skale, acaia, acaia_pyxis, felicita, decent, bookoo or none) and BlueDOT
(``simulator.THERMOMETER``) are added to the Bluetooth actor's simulator registry by the
device actors as they start (the registry is built with the DE1 model by
``actors.ble.bluetooth_specs``; adding is idempotent, so restarts and class changes are
harmless). The scale weighs what the simulated DE1 pours (its ``cup_ml``); the BlueDOT's
milk warms while the DE1 steams.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from actors.ble.settings import BleSettings, cfg
from actors.supervisor import ActorSpec

logger = logging.getLogger("pyde1.devices")

SIM_SCALE_ADDRESS = "5C:A1:E5:00:00:01"
SIM_BLUEDOT_ADDRESS = "B1:0E:D0:00:00:01"


@dataclass(frozen=True)
class SimScaleSetup:
    kind: str                    # simulator.SCALE
    address: str = SIM_SCALE_ADDRESS
    seed: int = 1


@dataclass(frozen=True)
class SimThermometerSetup:
    address: str = SIM_BLUEDOT_ADDRESS
    seed: int = 1


def device_specs(config: Any, simulate: bool = False) -> list[ActorSpec]:
    """ActorSpecs of the "scale" and "thermometer" roles."""
    from actors.scales import GenericScale
    from actors.thermometer import BlueDOT

    settings = BleSettings.from_config(config)
    simulating = simulate or settings.backend == "simulator"
    common: dict[str, Any] = {"settings": settings}
    if not simulating:
        common["btid_directory"] = settings.id_file_directory
    scale_kwargs, thermometer_kwargs = dict(common), dict(common)
    if simulating:
        seed = int(cfg(config, "simulator", "SEED", 1))
        kind = str(cfg(config, "simulator", "SCALE", "skale")).lower()
        if kind not in ("none", "false", ""):
            scale_kwargs.update(address=SIM_SCALE_ADDRESS, capture_on_start=True,
                                simulate=SimScaleSetup(kind, SIM_SCALE_ADDRESS, seed))
        if cfg(config, "simulator", "THERMOMETER", True):
            thermometer_kwargs.update(address=SIM_BLUEDOT_ADDRESS, capture_on_start=True,
                                      simulate=SimThermometerSetup(SIM_BLUEDOT_ADDRESS, seed + 1))
    return [ActorSpec("scale", GenericScale, scale_kwargs, depends_on=("bluetooth",), required=False),
            ActorSpec("thermometer", BlueDOT, thermometer_kwargs, depends_on=("bluetooth",), required=False)]


# -- the simulated peripherals -----------------------------------------------------------------

def ensure_simulated(ctx, setup: SimScaleSetup | SimThermometerSetup, ble_role: str = "bluetooth"):
    """Add the simulated peripheral ``setup`` describes to the simulator registry, unless it
    is there already. Returns its SimDevice, or None when there is no simulator."""
    registry = simulator_registry(ctx, ble_role)
    if registry is None:
        logger.warning("asked to simulate %s but the Bluetooth actor has no simulator", setup)
        return None
    if isinstance(setup, SimScaleSetup):
        return add_simulated_scale(registry, setup.kind, setup.address, setup.seed)
    return add_simulated_bluedot(registry, setup.address, setup.seed)


def simulator_registry(ctx, ble_role: str = "bluetooth"):
    registry = ctx.extras.get("sim_registry")
    if registry is not None:
        return registry
    ref = ctx.roles.get(ble_role)
    if ref is None:
        return None
    return ref.proxy().sim_registry.get(timeout=2.0)


def add_simulated_scale(registry, kind: str, address: str = SIM_SCALE_ADDRESS, seed: int = 1,
                        **model_kwargs: Any):
    """A simulated scale weighing what the registry's DE1 model pours (idempotent)."""
    from pyde1.sim.scale_models import make_sim_scale

    existing = registry.get(address)
    if existing is not None:
        return existing
    model_kwargs.setdefault("mass_source", _de1_attribute(registry, lambda de1: de1.cup_ml, 0.0))
    device = registry.add(make_sim_scale(kind, address=address, seed=seed, **model_kwargs))
    _honour_model_drops(registry, device)
    return device


def add_simulated_bluedot(registry, address: str = SIM_BLUEDOT_ADDRESS, seed: int = 2, **model_kwargs: Any):
    """A simulated BlueDOT whose milk warms while the registry's DE1 model steams (idempotent)."""
    from pyde1.protocol.enums import MachineState, Substate
    from pyde1.sim.bluedot import SimBlueDOT

    existing = registry.get(address)
    if existing is not None:
        return existing
    model_kwargs.setdefault("steaming", _de1_attribute(
        registry, lambda de1: de1.state == MachineState.Steam and de1.substate == Substate.Steaming, False))
    return registry.add(SimBlueDOT(address=address, seed=seed, **model_kwargs))


def _de1_attribute(registry, read: Callable[[Any], Any], default: Any) -> Callable[[], Any]:
    """A hook reading the registry's DE1 model (found on first use; runs in the sim loop)."""
    from pyde1.sim.de1 import DE1Model

    found: list[Any] = []

    def hook() -> Any:
        if not found:
            found.extend(d.model for d in registry.devices() if isinstance(d.model, DE1Model))
            if not found:
                return default
        return read(found[0])

    return hook


def _honour_model_drops(registry, device) -> None:
    """Let the scale model drop its own link (a scheduled fault, a missed heartbeat, power
    off): the registry's one-shot ``drop_when`` is re-armed after each drop."""

    def due(model) -> bool:
        if not model.take_drop_request():
            return False
        loop = registry.loop
        if loop is not None:
            loop.call_soon(rearm)
        return True

    def rearm() -> None:
        if device.faults.drop_when is None:
            device.faults.drop_when = due

    device.faults.drop_when = due
