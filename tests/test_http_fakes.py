"""Small real actors with the method names the HTTP gateway uses (actors/http/bindings.py),
and a harness that runs the gateway on a real waitress server on port 0.

Not mocks of pykka: each fake is a ServiceActor answering asks in its own thread, so the
gateway's deadlines, role lookups and error conversion are exercised for real."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pykka

from actors.base import ServiceActor
from actors.http import HttpGateway
from pyde1.api.settings import HttpSettings
from pyde1.events import DeviceAvailability, DeviceAvailabilityState, DeviceRole, ScanDevice, StateUpdate
from support.waiting import wait_until

MMR_DEFAULTS = {
    "FAN_THRESHOLD": 50, "TANK_TEMP": 0, "HEATER_UP1_FLOW": 2.0, "HEATER_UP2_FLOW": 5.0,
    "HEATER_UP2_TIMEOUT": 5.0, "WATER_HEATER_IDLE_TEMP": 85.0, "TARGET_STEAM_FLOW": 0.8,
    "STEAM_START_SECS": 0.5, "CAL_FLOW_EST": 1.0, "FLUSH_FLOW_RATE": 6.0, "FLUSH_TEMP": 92.0,
    "ALLOW_USB_CHARGING": 1, "REFILL_KIT_PRESENT": 0, "USER_PRESENT": 1, "CPU_FIRMWARE_BUILD": 1333,
}


class NotSupported(Exception):
    """Named like the DE1 actor's error for registers beyond the firmware."""


NotSupported.__name__ = "DE1NotSupportedError"


class DE1NotConnectedError(Exception):
    http_status = 409


class FakeDevice(ServiceActor):
    """The managed-device part: address, name, availability, capture and release."""

    device_role = DeviceRole.DE1
    sender = "FakeDevice"

    def __init__(self, ctx, role: str, address: str = "AA:BB:CC:DD:EE:FF", ready: bool = True,
                 gate: threading.Event | None = None, **_):
        super().__init__(ctx, role)
        self.address = address
        self.device_name = "DE1"
        self.state = DeviceAvailabilityState.READY if ready else DeviceAvailabilityState.RELEASED
        self.calls: list[tuple] = []
        self.gate = gate or threading.Event()   # set (by the test, not via the actor): slow calls end

    @property
    def name(self) -> str:
        return self.device_name

    def on_start(self) -> None:
        self._publish()

    def _publish(self) -> None:
        self.ctx.bus.publish(DeviceAvailability(state=self.state, role=self.device_role, id=self.address,
                                                name=self.device_name, arrival_time=time.time(),
                                                sender=self.sender))

    def set_availability(self, state: str) -> None:
        self.state = DeviceAvailabilityState(state)
        self._publish()

    def availability(self) -> str:
        return self.state.value

    def request_capture(self) -> str:
        self.calls.append(("request_capture",))
        return self.availability()

    def request_release(self) -> str:
        self.calls.append(("request_release",))
        return self.availability()

    def set_address(self, address: str | None, name: str | None = None) -> str:
        self.calls.append(("set_address", address, name))
        self.address = address or ""
        return self.address

    def recorded(self) -> list[tuple]:
        return list(self.calls)

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(availability=self.availability(), address=self.address, name=self.name)
        return out


class FakeDE1Core(FakeDevice):
    """The methods the real DE1 actor has today."""

    def __init__(self, ctx, role: str = "de1", **kwargs):
        super().__init__(ctx, role, **kwargs)
        self.mmr = dict(MMR_DEFAULTS)
        self.settings = {"steam_settings": 0, "target_steam_temp": 160, "target_steam_length": 120,
                         "target_hot_water_temp": 80, "target_hot_water_vol": 100,
                         "target_hot_water_length": 60, "target_espresso_vol": 200,
                         "target_group_temp": 92.5}
        self.water = {"level": 30.0, "start_fill_level": 5.0}
        self.line_frequency = 60
        self.clock_value = 1_700_000_000
        self.profile_id = None
        self.unsupported = {"STEAM_PURGE_MODE"}
        self.firmware_running = False

    def state_info(self) -> dict[str, Any]:
        self.calls.append(("state_info",))
        return {"state": "Idle", "substate": "NoState", "last_updated": 1234.5}

    def slow_state_info(self) -> dict[str, Any]:
        self.gate.wait(10)
        return self.state_info()

    def set_mode(self, mode: str) -> None:
        self.calls.append(("set_mode", mode))
        if mode == "Espresso" and self.mmr.get("GHC") == 1:
            raise _ghc_error(mode)

    def feature_flags(self) -> dict[str, Any]:
        return {"fw_version": 1333, "skip_to_next": True, "ghc_active": False}

    def read_once_values(self) -> dict[str, Any]:
        return {"firmware_build_number": 1333, "ghc_info": "NONE_SET", "heater_voltage": 230,
                "version_ble": {"api": 4, "release": 1.5, "commits": 1, "changes": 2, "blesha_hexstr": 3}}

    def read_mmr(self, key: str, words: int = 1) -> dict[str, Any]:
        self.calls.append(("read_mmr", key))
        if key in self.unsupported:
            raise NotSupported(f"{key} does not exist in firmware 1333")
        return {key: self.mmr[key]}

    def write_mmr(self, key: str, value: Any) -> Any:
        self.calls.append(("write_mmr", key, value))
        self.mmr[key] = value
        return value

    def get_shot_settings(self) -> dict[str, Any]:
        return dict(self.settings)

    def set_shot_settings(self, **fields: Any) -> dict[str, Any]:
        self.calls.append(("set_shot_settings", dict(fields)))
        self.settings.update(fields)
        return dict(self.settings)

    def set_refill_level(self, mm: float) -> float:
        self.calls.append(("set_refill_level", mm))
        self.water["start_fill_level"] = float(mm)
        return float(mm)

    def profile(self) -> dict[str, Any]:
        return {"id": self.profile_id, "fingerprint": None}

    def upload_profile(self, source: bytes, tank_temperature: bool = True) -> dict[str, Any]:
        from pyde1.profile import plan_source
        plan = plan_source(source)
        self.calls.append(("upload_profile", plan.id, tank_temperature))
        self.profile_id = plan.id
        return {"id": plan.id, "fingerprint": plan.fingerprint, "target_weight": plan.target_weight}

    def upload_firmware(self, image: bytes) -> dict[str, Any]:
        if self.firmware_running:
            err = RuntimeError("upload already running")
            err.http_status = 409
            raise err
        self.calls.append(("upload_firmware", len(image)))
        self.firmware_running = True
        return {"state": "starting"}

    def cancel_firmware(self) -> None:
        self.calls.append(("cancel_firmware",))
        if not self.firmware_running:
            err = RuntimeError("No 'upload_firmware' task to cancel")
            err.http_status = 409
            raise err
        self.firmware_running = False


class FakeDE1(FakeDE1Core):
    """Plus the ones the gateway also uses (DE1 clock, line frequency)."""

    def get_time(self) -> int:
        return self.clock_value

    def set_time(self, timestamp: int) -> None:
        self.calls.append(("set_time", timestamp))
        self.clock_value = timestamp

    def set_line_frequency(self, hz: int) -> None:
        self.calls.append(("set_line_frequency", hz))
        self.line_frequency = hz


def _ghc_error(mode: str) -> Exception:
    err = RuntimeError(f"{mode}: the group head controller is active")
    err.http_status = 418
    return err


class FakeScale(FakeDevice):
    device_role = DeviceRole.SCALE
    sender = "AtomaxSkaleII"

    def tare(self) -> None:
        self.calls.append(("tare",))

    def display(self, on: bool) -> None:
        self.calls.append(("display", on))


class FakeSequencer(ServiceActor):
    def __init__(self, ctx, role: str = "sequencer", **_):
        super().__init__(ctx, role)
        self.controls = {
            "espresso": {"stop_at_time": None, "stop_at_volume": None, "stop_at_weight": None,
                         "move_on_weight": [], "disable_auto_tare": False,
                         "profile_can_override_stop_limits": True,
                         "profile_can_override_tank_temperature": False,
                         "first_drops_threshold": 0.0, "last_drops_minimum_time": 3.0},
            "steam": {"disable_auto_tare": False},
            "hot_water": {"stop_at_weight": None, "disable_auto_tare": False},
            "hot_water_rinse": {"stop_at_time": 3.0, "disable_auto_tare": False},
            "auto_off_time": {"time": None},
        }
        self.calls: list[tuple] = []

    def get_control(self, area: str) -> dict[str, Any]:
        return dict(self.controls[area])

    def set_control(self, area: str, changes: dict) -> None:
        self.calls.append(("set_control", area, dict(changes)))
        self.controls[area].update(changes)

    def profile_uploaded(self, result: dict) -> None:
        self.calls.append(("profile_uploaded", result.get("id")))

    def recorded(self) -> list[tuple]:
        return list(self.calls)


class FakeDatabase(ServiceActor):
    def __init__(self, ctx, role: str = "database", **_):
        super().__init__(ctx, role)
        self.profiles: dict[str, bytes] = {}
        self.last_profile: str | None = None

    def store_profile(self, source: bytes, fingerprint: str) -> None:
        import hashlib
        self.profiles[hashlib.sha1(source).hexdigest()] = bytes(source)

    def get_profile(self, profile_id: str) -> bytes | None:
        return self.profiles.get(profile_id)

    def profile_uploaded(self, profile_id: str, when: float | None = None) -> None:
        self.last_profile = profile_id


class FakeBluetooth(ServiceActor):
    def __init__(self, ctx, role: str = "bluetooth", **_):
        super().__init__(ctx, role)
        self.scans: list[tuple] = []

    def scan(self, role=None, timeout=None, first_match=False) -> concurrent.futures.Future:
        self.scans.append((role, first_match))
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_result([ScanDevice(address="11:22:33:44:55:66", name="DE1", rssi=-50)])
        return future

    def recorded(self) -> list[tuple]:
        return list(self.scans)


class FakeMqtt(ServiceActor):
    def __init__(self, ctx, role: str = "mqtt", **_):
        super().__init__(ctx, role)
        self.updates: list[tuple[str, dict]] = []
        self.cond = ctx.extras.setdefault("mqtt_cond", threading.Condition())

    def publish_update(self, area: str, payload: dict, timestamp: float | None = None) -> bool:
        with self.cond:
            self.updates.append((area, dict(payload)))
            ctx_updates = self.ctx.extras.setdefault("mqtt_updates", [])
            ctx_updates.append((area, dict(payload)))
            self.cond.notify_all()
        return True


def wait_for_update(ctx, area: str, timeout: float = 5.0) -> dict:
    cond = ctx.extras.setdefault("mqtt_cond", threading.Condition())

    def first() -> dict | None:
        return next((payload for got, payload in ctx.extras.get("mqtt_updates", []) if got == area), None)

    return wait_until(cond, first, timeout, lambda: f"no MQTT update/{area} within {timeout} s")


# -- harness -----------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Gateway:
    ctx: Any
    ref: pykka.ActorRef
    host: str
    port: int
    conn: http.client.HTTPConnection | None = None
    actors: dict[str, pykka.ActorRef] = field(default_factory=dict)

    def request(self, method: str, path: str, body: Any = None, headers: dict | None = None,
                raw: bool = False) -> Reply:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.conn.request(method, path, body=body, headers=headers or {})
        resp = self.conn.getresponse()
        data = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def patch(self, path: str, body: Any, **kw) -> Reply:
        return self.request("PATCH", path, body, **kw)

    def put(self, path: str, body: Any, **kw) -> Reply:
        return self.request("PUT", path, body, **kw)

    def start(self, role: str, cls, **kwargs) -> pykka.ActorRef:
        ref = cls.start(self.ctx, role=role, **kwargs)
        self.ctx.roles.set(role, ref)
        self.actors[role] = ref
        return ref

    def sync(self) -> None:
        """Wait until the gateway has handled every event published so far (its mailbox is
        first in, first out)."""
        self.ref.proxy().health().get(timeout=5)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def start_gateway(ctx, **settings: Any) -> Gateway:
    """The gateway on 127.0.0.1, port 0, subscribed to the bus like the supervisor would."""
    settings.setdefault("host", "127.0.0.1")
    settings.setdefault("port", 0)
    settings.setdefault("response_timeout", 5.0)
    ref = HttpGateway.start(ctx, role="http", settings=HttpSettings(**settings))
    ctx.roles.set("http", ref)
    ctx.bus.subscribe("http", HttpGateway.subscribes)
    host, port = ref.proxy().address().get(timeout=5)
    return Gateway(ctx, ref, host, port)
