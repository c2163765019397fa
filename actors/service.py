"""The composition root: builds the whole service from its config.

Start order (the supervisor enforces it through ``depends_on``): database writer, MQTT
bridge, Bluetooth actor, devices (DE1, scale, thermometer), scale processor, sequencer,
HTTP gateway last. Stop is the reverse, so the gateway stops taking requests first and
the database writer flushes last.

Each part is contributed by its package as a function ``config -> [ActorSpec]``. A part
whose package is not in this build is reported as absent at start-up, by name, never
faked.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pykka

from actors.base import ServiceContext
from actors.bus import EventBus, RoleTable
from actors.supervisor import ActorSpec, Supervisor
from pyde1.lifecycle import RestartPolicy

logger = logging.getLogger("pyde1.service")


@dataclass(frozen=True)
class Part:
    """One part of the service: where its specs come from, in start order."""

    name: str
    module: str
    function: str


# Start order of the parts; dependencies between their actors are declared in the specs.
PARTS: tuple[Part, ...] = (
    Part("database", "actors.db", "database_spec"),
    Part("mqtt", "actors.mqtt", "mqtt_spec"),
    Part("bluetooth", "actors.ble", "bluetooth_specs"),
    Part("devices", "actors.devices", "device_specs"),
    Part("scale_processor", "actors.scale_processor", "scale_processor_spec"),
    Part("sequencer", "actors.sequencer", "sequencer_specs"),
    Part("http", "actors.http", "http_specs"),
)


@dataclass
class BuildResult:
    specs: list[ActorSpec] = field(default_factory=list)
    absent: dict[str, str] = field(default_factory=dict)


def collect_specs(config: Any, *, simulate: bool, parts: tuple[Part, ...] = PARTS) -> BuildResult:
    result = BuildResult()
    for part in parts:
        try:
            module = importlib.import_module(part.module)
        except ModuleNotFoundError as exc:
            # Only the part's own package missing means "not in this build"; a missing
            # dependency inside it is a real error and must surface.
            if exc.name and part.module.startswith(exc.name):
                result.absent[part.name] = f"{part.module} is not part of this build"
                continue
            raise
        factory: Callable[..., Any] | None = getattr(module, part.function, None)
        if factory is None:
            result.absent[part.name] = f"{part.module}.{part.function} is not implemented yet"
            continue
        params = inspect.signature(factory).parameters
        made = factory(config, simulate=simulate) if "simulate" in params else factory(config)
        result.specs.extend([made] if isinstance(made, ActorSpec) else list(made))
    # A spec may depend on a role from an absent part: drop the dependency, the part
    # reports itself absent, and the dependant decides what to do without it.
    roles = {s.role for s in result.specs}
    result.specs = [
        s if all(d in roles for d in s.depends_on)
        else ActorSpec(s.role, s.actor_class, s.kwargs, tuple(d for d in s.depends_on if d in roles), s.required)
        for s in result.specs
    ]
    return result


def restart_policy(config: Any) -> RestartPolicy:
    sup = getattr(config, "supervisor", None)
    if sup is None:
        return RestartPolicy()
    return RestartPolicy(max_restarts=sup.MAX_RESTARTS, window=sup.RESTART_WINDOW,
                         initial=sup.BACKOFF_INITIAL, maximum=sup.BACKOFF_MAX)


class Service:
    """The running service: context, supervisor and the actors it started."""

    def __init__(self, config: Any, *, simulate: bool = False, parts: tuple[Part, ...] = PARTS,
                 extra_specs: list[ActorSpec] | None = None) -> None:
        self.config = config
        self.simulate = simulate
        self.roles = RoleTable()
        self.bus = EventBus(self.roles)
        self.ctx = ServiceContext(config=config, bus=self.bus, roles=self.roles)
        self.ctx.extras["simulate"] = simulate
        self.build = collect_specs(config, simulate=simulate, parts=parts)
        self.build.specs.extend(extra_specs or [])
        self.ctx.extras["absent_parts"] = dict(self.build.absent)
        self.ctx.extras["service"] = self
        self.supervisor: pykka.ActorProxy | None = None
        self.started_at: float | None = None
        self.start_result: dict[str, str] = {}

    @property
    def stop_timeout(self) -> float:
        sup = getattr(self.config, "supervisor", None)
        return float(getattr(sup, "STOP_TIMEOUT", 5.0))

    def start(self) -> dict[str, str]:
        for name, why in self.build.absent.items():
            logger.warning("%s: absent (%s)", name, why)
        sup = getattr(self.config, "supervisor", None)
        ref = Supervisor.start(self.ctx, self.build.specs, restart_policy(self.config),
                               start_timeout=float(getattr(sup, "START_TIMEOUT", 10.0)),
                               stop_timeout=self.stop_timeout)
        self.supervisor = ref.proxy()
        try:
            self.start_result = self.supervisor.start_all().get(timeout=60)
        except Exception:
            ref.stop(block=True, timeout=self.stop_timeout)
            raise
        self.started_at = time.time()
        logger.info("service started: %s", ", ".join(f"{k}={v}" for k, v in self.start_result.items()) or "no actors")
        return self.start_result

    def stop(self) -> dict[str, str]:
        if self.supervisor is None:
            return {}
        n = max(1, len(self.build.specs))
        try:
            result = self.supervisor.stop_all().get(timeout=self.stop_timeout * n + 5)
        finally:
            self.supervisor.actor_ref.stop(block=True, timeout=self.stop_timeout)
            self.supervisor = None
        logger.info("service stopped: %s", ", ".join(f"{k}={v}" for k, v in result.items()) or "no actors")
        return result

    def status(self, timeout: float = 2.0) -> dict[str, Any]:
        actors = self.supervisor.status().get(timeout=timeout) if self.supervisor else {}
        return {"actors": actors, "absent": dict(self.build.absent), "bus": self.bus.stats()}

    def healthy(self) -> bool:
        """For the systemd watchdog: the supervisor answers and no required role gave up."""
        try:
            actors = self.status(timeout=2.0)["actors"]
        except Exception:
            return False
        return not any(a["gave_up"] for a in actors.values())
