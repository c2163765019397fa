"""A simulated DE1 rig for tests and benchmarks: registry + Bluetooth actor + DE1 actor under
a supervisor, all in-process, with simulated time running ``speedup`` times faster."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from actors.base import ServiceContext
from actors.ble.actor import BluetoothActor
from actors.ble.settings import BleSettings
from actors.sim.registry import SimDevice, SimRegistry
from actors.supervisor import ActorSpec, Supervisor
from pyde1.lifecycle import RestartPolicy
from pyde1.protocol.enums import MachineState
from pyde1.sim.de1 import DE1Model

FAST_SETTINGS = BleSettings(backend="simulator", connect_timeout=2.0, disconnect_timeout=1.0,
                            connect_attempts=3, backoff_initial=0.01, backoff_max=0.05,
                            op_timeout=1.0, scan_time=1.0)


class SimRig:
    def __init__(self, ctx: ServiceContext, speedup: float = 100.0, seed: int = 1,
                 start_state: MachineState = MachineState.Idle, build: int = 1333,
                 address: str = "D1:5E:00:00:00:01", settings: BleSettings | None = None,
                 de1_kwargs: dict[str, Any] | None = None, capture_on_start: bool = True,
                 model_kwargs: dict[str, Any] | None = None) -> None:
        from actors.de1 import DE1

        self.ctx = ctx
        self.registry = SimRegistry(speedup=speedup)
        self.model = DE1Model(address=address, seed=seed, build=build, start_state=start_state,
                              **(model_kwargs or {}))
        self.device: SimDevice = self.registry.add(self.model)
        self.settings = settings or FAST_SETTINGS
        kwargs = dict(settings=self.settings, address=address, capture_on_start=capture_on_start,
                      profile_guard=0.0)
        kwargs.update(de1_kwargs or {})
        self.specs = [ActorSpec("bluetooth", BluetoothActor,
                                {"settings": self.settings, "sim_registry": self.registry}),
                      ActorSpec("de1", DE1, kwargs, depends_on=("bluetooth",))]
        self.supervisor = Supervisor.start(ctx, self.specs, RestartPolicy(initial=0.01, maximum=0.05),
                                           start_timeout=10, stop_timeout=5).proxy()

    def start(self) -> dict[str, str]:
        return self.supervisor.start_all().get(timeout=20)

    def stop(self) -> dict[str, str]:
        result = self.supervisor.stop_all().get(timeout=20)
        self.supervisor.actor_ref.stop(block=True, timeout=5)
        return result

    @property
    def de1(self):
        return self.ctx.roles.get("de1").proxy()

    @property
    def ble(self):
        return self.ctx.roles.get("bluetooth").proxy()

    def call(self, fn):
        """Run ``fn()`` in the simulator's loop (to read or change the model safely)."""
        return self.registry.call(fn)


def with_settings(**changes: Any) -> BleSettings:
    return replace(FAST_SETTINGS, **changes)
