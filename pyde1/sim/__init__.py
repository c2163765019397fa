"""Pure simulation models of Bluetooth peripherals (the DE1 firmware first).

No I/O, no threads, no wall clock: models are advanced by an explicit ``advance(dt)`` in
simulated seconds and draw randomness from their own seeded RNG. The runtime that plugs them
into bleak lives in ``actors.sim``.
"""

from pyde1.sim.de1 import DE1Model
from pyde1.sim.peripheral import GattError, Notification, SimPeripheral

__all__ = ["DE1Model", "GattError", "Notification", "SimPeripheral"]
