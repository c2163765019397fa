"""What every simulated Bluetooth peripheral offers the simulator backend.

A peripheral model is a plain object driven from outside: the backend calls ``read``,
``write`` and ``advance(dt)`` (simulated seconds) and collects the notifications the model
queued with ``notify``. It never sleeps, never looks at a wall clock and draws randomness only
from its own seeded ``random.Random``, so a run is reproducible from its seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


class GattError(Exception):
    """A GATT operation the peripheral refuses (unknown characteristic, not writable ...)."""


@dataclass(frozen=True)
class GattCharacteristicSpec:
    uuid: str
    properties: tuple[str, ...]   # bleak spellings: "read", "write", "notify", ...


@dataclass(frozen=True)
class GattServiceSpec:
    uuid: str
    characteristics: tuple[GattCharacteristicSpec, ...]


@dataclass(frozen=True)
class Notification:
    uuid: str
    data: bytes
    sim_time: float


@dataclass
class SimPeripheral:
    """Base class: name, address, advertisement and an outbox of notifications."""

    name: str
    address: str
    seed: int = 0
    rssi: int = -60
    advertised_services: tuple[str, ...] = ()
    sim_time: float = 0.0
    #: simulated seconds the backend should advance the model by per tick
    tick: float = 0.05
    outbox: list[Notification] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # -- the interface the backend uses ---------------------------------------------------
    def services(self) -> tuple[GattServiceSpec, ...]:
        raise NotImplementedError

    def read(self, uuid: str) -> bytes:
        raise GattError(f"{uuid} is not readable")

    def write(self, uuid: str, data: bytes) -> None:
        raise GattError(f"{uuid} is not writable")

    def advance(self, dt: float) -> None:
        """Run the model for ``dt`` simulated seconds."""
        self.sim_time += dt

    def on_connect(self) -> None:
        """A central connected (the link is up; nothing is subscribed yet)."""

    def on_disconnect(self) -> None:
        """The link went down (either side)."""

    # -- helpers --------------------------------------------------------------------------
    def notify(self, uuid: str, data: bytes) -> None:
        self.outbox.append(Notification(uuid, bytes(data), self.sim_time))

    def drain(self) -> list[Notification]:
        out, self.outbox = self.outbox, []
        return out

    def characteristic_uuids(self) -> set[str]:
        return {c.uuid for s in self.services() for c in s.characteristics}
