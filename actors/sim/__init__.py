"""The simulator's runtime side: bleak backend classes over an in-process registry of
simulated peripherals (pure models from ``pyde1.sim``), with fault injection."""

from actors.sim.backend import SimBleakClient, SimBleakScanner
from actors.sim.registry import Faults, SimDevice, SimRegistry

__all__ = ["Faults", "SimBleakClient", "SimBleakScanner", "SimDevice", "SimRegistry"]
