"""The soak's control channel into a simulated service: counts and fault injection.

Added as one more actor (role ``soak_control``) by :mod:`actors.soak.serve`, never by the
normal service. It listens on 127.0.0.1 (port 0 = any; the chosen port is written as JSON
to the file named by ``PYDE1_SOAK_CONTROL_FILE``) for one JSON object per line and answers
one JSON object per line:

    {"op": "stats", "samples": true, "clear": true}   counts (see :meth:`SoakControl.stats`)
    {"op": "faults", "refuse_connections": 2, "corrupt_probability": 0.05, ...}
    {"op": "drop"}                           drop the DE1's link now
    {"op": "drop_in", "state": "Espresso", "substate": "Pour"}   drop it when the DE1 gets there
    {"op": "inject", "uuid": "...", "hex": "00ff"}   raw notification, bypassing the model
    {"op": "scale", "action": "spike|freeze|vanish|back", ...}   simulated scale faults

Counting: the DE1 device's ``_emit`` is wrapped so every ShotSample that leaves the
simulator is counted (per simulated shot while the model is in Espresso), and the actor
subscribes to ShotSampleWithVolumesUpdate/StateUpdate to count what the bus delivered.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import threading
from collections import deque
from dataclasses import fields
from typing import Any

from actors.base import ServiceActor
from pyde1.events import ShotSampleWithVolumesUpdate, StateUpdate

logger = logging.getLogger("pyde1.soak_control")
CONTROL_FILE_ENV = "PYDE1_SOAK_CONTROL_FILE"
CONTROL_PORT_ENV = "PYDE1_SOAK_CONTROL_PORT"
KEEP_SHOTS_ENV = "PYDE1_SOAK_KEEP_SHOTS"


def keep_shots() -> int:
    """Per-shot sample_time sets kept on each side (0: none, for memory benchmarks). The soak
    fetches and clears them after every shot, so a few are enough."""
    return max(0, int(os.environ.get(KEEP_SHOTS_ENV, "200")))


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for raw in self.rfile:
            try:
                request = json.loads(raw)
                answer = self.server.control.command(request)
            except Exception as exc:  # a bad command is answered, never fatal
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            self.wfile.write((json.dumps(answer) + "\n").encode())
            self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SimCounter:
    """Wraps a SimDevice's ``_emit`` to count ShotSamples leaving the simulator."""

    def __init__(self, device: Any, sample_uuid: str) -> None:
        self.device = device
        self.sample_uuid = sample_uuid
        self.sent = 0
        self.sent_in_shot: dict[int, set[int]] = {}
        self.keep = keep_shots()
        original = device._emit

        def counting_emit(uuid: str, data: bytes, delay: float) -> None:
            if uuid == sample_uuid and device.client is not None and uuid in device._subscriptions:
                self.sent += 1
                model = device.model
                if self.keep and getattr(model.state, "name", "") == "Espresso" and len(data) >= 2:
                    shot = self.sent_in_shot.setdefault(model.shots_completed, set())
                    shot.add(int.from_bytes(data[:2], "big"))
                    while len(self.sent_in_shot) > self.keep:
                        self.sent_in_shot.pop(next(iter(self.sent_in_shot)))
            original(uuid, data, delay)

        device._emit = counting_emit


class SoakControl(ServiceActor):
    subscribes = (ShotSampleWithVolumesUpdate, StateUpdate)

    def __init__(self, ctx, role: str = "soak_control", port: int | None = None, **kw: Any) -> None:
        super().__init__(ctx, role)
        self.port = int(port if port is not None else os.environ.get(CONTROL_PORT_ENV, "0"))
        self.registry = None
        self.device = None
        self.counter: SimCounter | None = None
        self.delivered = 0
        self.in_espresso = False
        self.shots_seen = 0
        self.keep = keep_shots()
        #: per shot seen on the bus: sample_time -> arrival_time
        self.delivered_in_shot: deque[tuple[int, dict[int, float]]] = deque(maxlen=max(1, self.keep))
        self.server: _Server | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def on_start(self) -> None:
        from pyde1.sim.de1 import U

        ble = self.ctx.proxy("bluetooth")
        self.registry = ble.sim_registry.get(timeout=5) if ble is not None else None
        if self.registry is None:
            raise RuntimeError("soak control needs the simulator (pyde1-run --simulate)")
        self.device = next((d for d in self.registry.devices() if d.model.name.startswith("DE1")),
                           self.registry.devices()[0])
        self.counter = getattr(self.device, "_soak_counter", None)
        if self.counter is None:  # a restarted control actor keeps the first counter
            self.counter = SimCounter(self.device, U["ShotSample"])
            self.device._soak_counter = self.counter
        self.server = _Server(("127.0.0.1", self.port), _Handler)
        self.server.control = self
        threading.Thread(target=self.server.serve_forever, name="soak-control", daemon=True).start()
        port = self.server.server_address[1]
        path = os.environ.get(CONTROL_FILE_ENV)
        if path:
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"port": port, "pid": os.getpid()}, f)
            os.replace(tmp, path)
        self.log.info("soak control listening on 127.0.0.1:%d", port)

    def on_stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- bus --------------------------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        if isinstance(event, StateUpdate):
            espresso = event.state == "Espresso"
            if espresso and not self.in_espresso:
                self.shots_seen += 1
                self.delivered_in_shot.append((self.shots_seen, {}))
            self.in_espresso = espresso
        elif isinstance(event, ShotSampleWithVolumesUpdate):
            self.delivered += 1
            if self.keep and self.in_espresso and self.delivered_in_shot:
                self.delivered_in_shot[-1][1].setdefault(int(event.sample_time), float(event.arrival_time))

    def delivered_shots(self, clear: bool = False) -> list[dict[str, float]]:
        out = [{str(t): a for t, a in times.items()} for _, times in self.delivered_in_shot]
        if clear:  # keep the shot that is still running
            last = self.delivered_in_shot[-1] if self.in_espresso and self.delivered_in_shot else None
            self.delivered_in_shot.clear()
            if last is not None:
                self.delivered_in_shot.append(last)
        return out

    def bus_counts(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "shots_seen": self.shots_seen, "in_espresso": self.in_espresso}

    # -- commands (server threads) ------------------------------------------------------------
    def command(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "stats":
            return self.stats(bool(request.get("samples")), bool(request.get("clear")))
        if op == "faults":
            return self.registry.call(lambda: self._set_faults(request))
        if op == "drop":
            self.registry.call(self.device.drop_link)
            return {"ok": True}
        if op == "drop_in":
            state = str(request.get("state", "Espresso"))
            substate = request.get("substate")

            def due(m) -> bool:
                return getattr(m.state, "name", "") == state and (
                    substate is None or getattr(m.substate, "name", "") == substate)

            def arm() -> None:
                self.device.faults.drop_when = due
            self.registry.call(arm)
            return {"ok": True}
        if op == "inject":
            data = bytes.fromhex(str(request["hex"]))
            self.registry.call(lambda: self.device.inject(str(request["uuid"]), data))
            return {"ok": True}
        if op == "scale":
            return self.registry.call(lambda: self._scale(request))
        raise ValueError(f"unknown op {op!r}; known: stats, faults, drop, drop_in, inject, scale")

    def _scale(self, request: dict[str, Any]) -> dict[str, Any]:
        """Scale faults: spike (grams), freeze (sim seconds), vanish (link dropped and the
        next ``refuse`` connections refused), back (accept connections again)."""
        from actors.devices import SIM_SCALE_ADDRESS

        device = self.registry.get(str(request.get("address", SIM_SCALE_ADDRESS)))
        if device is None:
            return {"ok": False, "why": "no simulated scale"}
        action = request.get("action")
        if action == "spike":
            device.model.spike(float(request.get("grams", 500.0)))
        elif action == "freeze":
            device.model.freeze(float(request.get("seconds", 3.0)))
        elif action == "vanish":
            device.faults.refuse_connections = int(request.get("refuse", 3))
            device.drop_link()
        elif action == "back":
            device.faults.refuse_connections = 0
        else:
            raise ValueError(f"unknown scale action {action!r}; known: spike, freeze, vanish, back")
        return {"ok": True, "connected": device.connected}

    def _set_faults(self, request: dict[str, Any]) -> dict[str, Any]:
        faults = self.device.faults
        names = {f.name for f in fields(faults)} - {"drop_when", "stalled_reads"}
        for key, value in request.items():
            if key == "op":
                continue
            if key not in names:
                raise ValueError(f"unknown fault {key!r}; known: {', '.join(sorted(names))}")
            setattr(faults, key, type(getattr(faults, key))(value))
        if "seed" in request:
            faults.__post_init__()
        return {"ok": True, "faults": {n: getattr(faults, n) for n in sorted(names)}}

    def stats(self, samples: bool = False, clear: bool = False) -> dict[str, Any]:
        """Counts on both sides; with ``samples`` the sample_times of each shot (simulator:
        by shot index; bus: in order), and with ``clear`` forget the finished ones."""
        def sim_side() -> dict[str, Any]:
            st = self.device.stats
            model = self.device.model
            out = {"connected": self.device.connected, "state": model.state.name,
                   "shots_completed": model.shots_completed, "samples_sent": self.counter.sent,
                   "link": {k: getattr(st, k) for k in ("connects", "refused", "drops", "notifications",
                                                        "corrupted", "truncated")}}
            if samples:
                shots = self.counter.sent_in_shot
                out["shots"] = {str(k): sorted(v) for k, v in shots.items()}
                if clear:
                    for k in [k for k in shots if k < model.shots_completed]:
                        del shots[k]
            return out
        out = {"sim": self.registry.call(sim_side), "pid": os.getpid()}
        me = self.actor_ref.proxy()
        out["bus"] = me.bus_counts().get(timeout=5)
        if samples:
            out["bus"]["shots"] = me.delivered_shots(clear).get(timeout=5)
        return out


def control_spec():
    from actors.supervisor import ActorSpec

    return ActorSpec("soak_control", SoakControl, {}, depends_on=("bluetooth",), required=False)


def ask(port: int, request: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one command to a service's control port and return the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall((json.dumps(request) + "\n").encode())
        f = s.makefile("rb")
        line = f.readline()
    if not line:
        raise ConnectionError("soak control closed the connection without answering")
    answer = json.loads(line)
    if "error" in answer:
        raise RuntimeError(f"soak control: {answer['error']}")
    return answer
