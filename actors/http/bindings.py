"""Where each leaf resource's values live: which actor, which method.

Aggregates (``de1``, ``de1/control``...) are composed from these by the handler, so a value is
read or written in one place only. The actor methods used here are the whole contract between
the gateway and the rest of the service:

role ``de1`` (DE1 actor; the first four come from ``ManagedDeviceActor``)
    ``availability() -> str``, ``request_capture()``, ``request_release()``,
    ``set_address(address | None, name=None)``, attributes ``address`` and ``name``;
    ``state_info() -> Mapping`` (state, substate, last_updated), ``set_mode(mode: str)``,
    ``feature_flags() -> Mapping``, ``read_once_values() -> Mapping``,
    ``read_mmr(name) -> {name: value}``, ``write_mmr(name, value)`` (register names of
    ``pyde1.protocol.mmr``), ``get_shot_settings() -> Mapping``,
    ``set_shot_settings(**fields)`` (ShotSettings field names), attribute ``water``
    (WaterLevels or None), ``set_refill_level(mm)``, ``get_time() -> int``,
    ``set_time(timestamp)``, attribute ``line_frequency``, ``set_line_frequency(hz)``,
    ``profile() -> Mapping`` (id, fingerprint), ``upload_profile(source: bytes) -> Mapping``
    (id, fingerprint), ``upload_firmware(image: bytes)``, ``cancel_firmware()``;
role ``sequencer``
    ``get_control(area) -> Mapping`` and ``set_control(area, changes: Mapping)`` for the values
    pyde1 keeps itself, areas ``espresso``, ``steam``, ``hot_water``, ``hot_water_rinse`` (keys
    as in the API) and ``auto_off_time`` (key ``time``);
roles ``scale`` and ``thermometer`` (``ManagedDeviceActor``): as for the DE1's first line, and
    for the scale ``tare()`` and ``display(on: bool)``;
role ``bluetooth``: ``scan(role, timeout, first_match) -> Future[list[ScanDevice]]``;
role ``database``: ``store_profile(source: bytes, fingerprint: str)`` and
    ``get_profile(profile_id) -> bytes`` (raising a ``...NoMatchingRecord``-named error).

A missing method answers 501 naming it; a missing role 503 (409 for an absent scale, as pyDE1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from actors.http.calls import Caller
from pyde1.api import errors
from pyde1.api.respond import jsonable


@dataclasses.dataclass
class Env:
    """What a binding gets: the request's caller, the gateway's device view, and writes
    collected for the end of the request (ShotSettings is written once, as in pyDE1)."""

    caller: Caller
    view: Any
    shot_settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    def flush(self) -> None:
        if self.shot_settings:
            changes, self.shot_settings = dict(self.shot_settings), {}
            self.caller.ask("de1", "set_shot_settings", **changes)


Reader = Callable[[Env], Mapping[str, Any]]
Writer = Callable[[Env, Mapping[str, Any]], list]


@dataclasses.dataclass(frozen=True)
class Binding:
    read: Reader | None = None
    write: Writer | None = None


BINDINGS: dict[str, Binding] = {}


def _bind(path: str, read: Reader | None = None, write: Writer | None = None) -> None:
    BINDINGS[path] = Binding(read, write)


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` or ``obj.name``: actors may answer with a mapping or a dataclass."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value) if not isinstance(value, (bool, int, float, str)) else value


# -- devices: id, availability, connectivity -----------------------------------------------------

def _optional_device(role: str) -> bool:
    return role in ("scale", "thermometer")


def _read_id(role: str) -> Reader:
    def read(env: Env) -> Mapping[str, Any]:
        if _optional_device(role) and not env.caller.has(role):
            return {"id": None, "name": None}
        address = env.caller.start(role, "address")
        name = env.caller.start(role, "name")
        return {"id": env.caller.wait(address, role, "address") or "",
                "name": env.caller.wait(name, role, "name")}
    return read


def _scan_and_capture(env: Env, role: str) -> str:
    state = env.view.availability(env.caller, role)
    if state in ("capturing", "captured", "ready"):
        return env.caller.attr(role, "address") or ""  # already connected: nothing to do (pyDE1)
    found = env.caller.ask("bluetooth", "scan", role, None, True)
    if not found:
        raise errors.ApiError.of(409, "DE1NoAddressError", f"no {role} found by scanning")
    first = found[0]
    address, name = field(first, "address"), field(first, "name")
    env.caller.ask(role, "set_address", address, name)
    env.caller.ask(role, "request_capture")
    return address


def _write_id(role: str) -> Writer:
    def write(env: Env, body: Mapping[str, Any]) -> list:
        if "id" not in body:
            return []
        value = body["id"]
        if _optional_device(role) and not env.caller.has(role):
            raise errors.ApiError.of(409, "DE1NoAddressError", f"No {role} associated")
        if value == "scan":
            return [_scan_and_capture(env, role)]
        env.caller.ask(role, "set_address", value or None)
        return [value or ""]
    return write


def _read_availability(role: str) -> Reader:
    def read(env: Env) -> Mapping[str, Any]:
        if _optional_device(role) and not env.caller.has(role):
            return {"mode": "unknown"}
        out: dict[str, Any] = {"mode": env.view.availability(env.caller, role)}
        event = env.view.availability_event(role)
        if event is not None:
            out["mqtt"] = event.to_json()
        return out
    return read


def _capture(env: Env, role: str, capture: bool) -> list:
    if _optional_device(role) and not env.caller.has(role):
        raise errors.ApiError.of(409, "DE1NoAddressError", f"No {role} associated")
    env.caller.ask(role, "request_capture" if capture else "request_release")
    return []


def _write_availability(role: str) -> Writer:
    def write(env: Env, body: Mapping[str, Any]) -> list:
        return _capture(env, role, body["mode"] == "C") if "mode" in body else []
    return write


CONNECTIVITY_OF = {"ready": "ready", "captured": "connected", "not ready": "connected"}


def _read_connectivity(role: str) -> Reader:
    def read(env: Env) -> Mapping[str, Any]:
        mode = _read_availability(role)(env)["mode"]
        return {"mode": CONNECTIVITY_OF.get(mode, "not_connected")}
    return read


def _write_connectivity(role: str) -> Writer:
    def write(env: Env, body: Mapping[str, Any]) -> list:
        return _capture(env, role, body["mode"] == "connected") if "mode" in body else []
    return write


for _role in ("de1", "scale", "thermometer"):
    _bind(f"{_role}/id", _read_id(_role), _write_id(_role))
    _bind(f"{_role}/availability", _read_availability(_role), _write_availability(_role))
    if _role != "thermometer":
        _bind(f"{_role}/connectivity", _read_connectivity(_role), _write_connectivity(_role))


# -- de1: mode, state, flags, read-once values ------------------------------------------------

def _write_mode(env: Env, body: Mapping[str, Any]) -> list:
    env.caller.ask("de1", "set_mode", body["mode"])
    return []


def _read_state(env: Env) -> Mapping[str, Any]:
    # The DE1 actor publishes a StateUpdate for every state it reads, so the last one is its
    # state: answered from it, a dashboard's poll does not queue in the DE1 actor's mailbox
    # behind a shot's samples (64 clients polling: 335 -> 2,400-2,900 requests/s, docs/performance.md).
    current = env.view.current_state_event()
    if current is not None:
        state: Any = {"state": current.state, "substate": current.substate,
                      "last_updated": current.arrival_time}
    else:
        state = env.caller.ask("de1", "state_info")
    mqtt = env.view.state_json()
    out: dict[str, Any] = {"state": {
        "state": _plain(field(state, "state")),
        "substate": _plain(field(state, "substate")),
        "last_updated": field(state, "last_updated", field(state, "arrival_time")),
    }}
    if mqtt is not None:
        out["mqtt"] = mqtt
    return out


_bind("de1/mode", write=_write_mode)
_bind("de1/state", _read_state)
_bind("de1/feature_flags",
      lambda env: {"feature_flags": jsonable(env.caller.ask("de1", "feature_flags"))})
_bind("de1/read_once_values", lambda env: jsonable(env.caller.ask("de1", "read_once_values")))
_bind("de1/profile/id", lambda env: {"id": field(env.caller.ask("de1", "profile"), "id")})
_bind("de1/firmware/id", lambda env: _read_registers(env, {"id": "CPU_FIRMWARE_BUILD"}))


def _cancel_firmware(env: Env, body: Any) -> list:
    env.caller.ask("de1", "cancel_firmware")
    return []


_bind("de1/firmware/cancel", write=_cancel_firmware)


# -- helpers for registers, ShotSettings and values kept by the sequencer ----------------------

def _setter(key: str, method: str) -> Writer:
    """A writer that calls ``de1.<method>(body[key])`` when the key was sent."""
    def write(env: Env, body: Mapping[str, Any]) -> list:
        if key in body:
            env.caller.ask("de1", method, body[key])
        return []
    return write


def _register_value(env: Env, future, name: str) -> Any:
    try:
        answer = env.caller.wait(future, "de1", f"read_mmr {name}")
    except errors.ApiError as exc:
        if type(exc.original).__name__ == "DE1NotSupportedError":
            return None  # beyond what this firmware has: null, as in pyDE1
        raise
    return _plain(answer.get(name) if isinstance(answer, Mapping) else answer)


def _read_registers(env: Env, registers: Mapping[str, str]) -> dict[str, Any]:
    """Read several MMRs at once (all asks sent before the first answer is awaited)."""
    futures = {key: env.caller.start("de1", "read_mmr", name) for key, name in registers.items()}
    return {key: _register_value(env, f, registers[key]) for key, f in futures.items()}


def _write_registers(env: Env, registers: Mapping[str, str], body: Mapping[str, Any]) -> None:
    for key, value in body.items():
        if key in registers:
            env.caller.ask("de1", "write_mmr", registers[key], value)


def _registers(registers: Mapping[str, str], as_bool: bool = False) -> Binding:
    def read(env: Env) -> Mapping[str, Any]:
        values = _read_registers(env, registers)
        if as_bool:
            values = {k: (None if v is None else bool(v)) for k, v in values.items()}
        return values

    def write(env: Env, body: Mapping[str, Any]) -> list:
        _write_registers(env, registers, body)
        return []
    return Binding(read, write)


def _read_shot_settings(env: Env, fields: Mapping[str, str]) -> dict[str, Any]:
    settings = env.caller.ask("de1", "get_shot_settings")
    return {key: field(settings, name) for key, name in fields.items()}


def _zero_is_null(body: Mapping[str, Any]) -> dict[str, Any]:
    """pyDE1 takes a stop-at value of 0 as "disabled" (deprecated, still accepted)."""
    return {k: (None if k.startswith("stop_at_") and v == 0 else v) for k, v in body.items()}


def _mixed(area: str | None, shot: Mapping[str, str] = {}, registers: Mapping[str, str] = {},
           sequencer_keys: tuple[str, ...] = ()) -> Binding:
    """A resource whose keys live in ShotSettings, DE1 registers and the sequencer."""
    def read(env: Env) -> Mapping[str, Any]:
        out: dict[str, Any] = {}
        if area is not None:
            kept = env.caller.ask("sequencer", "get_control", area)
            out.update({k: v for k, v in dict(kept).items() if not sequencer_keys or k in sequencer_keys})
        if shot:
            out.update(_read_shot_settings(env, shot))
        if registers:
            out.update(_read_registers(env, registers))
        return out

    def write(env: Env, body: Mapping[str, Any]) -> list:
        for key, value in body.items():
            if key in shot:
                env.shot_settings[shot[key]] = value
        _write_registers(env, registers, body)
        kept = {k: v for k, v in body.items() if k not in shot and k not in registers}
        if kept and area is not None:
            env.caller.ask("sequencer", "set_control", area, _zero_is_null(kept))
        return []
    return Binding(read, write)


def _install(path: str, binding: Binding) -> None:
    BINDINGS[path] = binding


# -- de1/control --------------------------------------------------------------------------------
_install("de1/control/espresso", _mixed("espresso"))
_install("de1/control/steam", _mixed("steam", shot={"stop_at_time": "target_steam_length"},
                                     sequencer_keys=("disable_auto_tare",)))
_install("de1/control/hot_water", _mixed(
    "hot_water", shot={"stop_at_time": "target_hot_water_length",
                       "stop_at_volume": "target_hot_water_vol",
                       "temperature": "target_hot_water_temp"},
    sequencer_keys=("stop_at_weight", "disable_auto_tare")))
_install("de1/control/hot_water_rinse", _mixed(
    "hot_water_rinse", registers={"temperature": "FLUSH_TEMP", "flow": "FLUSH_FLOW_RATE"},
    sequencer_keys=("stop_at_time", "disable_auto_tare")))
_install("de1/control/tank_water_threshold", _registers({"temperature": "TANK_TEMP"}))

# -- de1/setting ----------------------------------------------------------------------------------
_install("de1/setting/auto_off_time", _mixed("auto_off_time", sequencer_keys=("time",)))
_install("de1/setting/fan_threshold", _registers({"temperature": "FAN_THRESHOLD"}))
_install("de1/setting/before_flow", _registers({
    "heater_phase1_flow": "HEATER_UP1_FLOW", "heater_phase2_flow": "HEATER_UP2_FLOW",
    "heater_phase2_timeout": "HEATER_UP2_TIMEOUT", "heater_idle_temperature": "WATER_HEATER_IDLE_TEMP"}))
_install("de1/setting/target_group_temp", _mixed(None, shot={"temperature": "target_group_temp"}))
_install("de1/setting/usb_outlet", _registers({"enabled": "ALLOW_USB_CHARGING"}, as_bool=True))
_install("de1/setting/refill_kit", _registers({"present": "REFILL_KIT_PRESENT"}, as_bool=True))
_install("de1/presence", _registers({"user": "USER_PRESENT"}, as_bool=True))


def _read_steam(env: Env) -> Mapping[str, Any]:
    out = _read_shot_settings(env, {"temperature": "target_steam_temp"})
    out["temperature"] = out["temperature"] or None  # 0 = steam heater off = null
    out.update(_read_registers(env, {"flow": "TARGET_STEAM_FLOW", "high_flow_time": "STEAM_START_SECS"}))
    purge = _read_registers(env, {"purge_deferred": "STEAM_PURGE_MODE"})["purge_deferred"]
    out["purge_deferred"] = None if purge is None else bool(purge)
    return out


def _write_steam(env: Env, body: Mapping[str, Any]) -> list:
    if "temperature" in body:
        env.shot_settings["target_steam_temp"] = body["temperature"] or 0
    _write_registers(env, {"flow": "TARGET_STEAM_FLOW", "high_flow_time": "STEAM_START_SECS",
                           "purge_deferred": "STEAM_PURGE_MODE"},
                     {k: (int(v) if k == "purge_deferred" else v) for k, v in body.items()})
    return []


_bind("de1/setting/steam", _read_steam, _write_steam)


def _read_start_fill_level(env: Env) -> Mapping[str, Any]:
    water = env.caller.attr("de1", "water")  # the last WaterLevels notification
    return {} if water is None else {"start_fill_level": field(water, "start_fill_level")}


_bind("de1/setting/start_fill_level", _read_start_fill_level,
      _setter("start_fill_level", "set_refill_level"))


_bind("de1/setting/time", lambda env: {"timestamp": env.caller.ask("de1", "get_time")},
      _setter("timestamp", "set_time"))

# -- de1/calibration --------------------------------------------------------------------------------
_install("de1/calibration/flow_multiplier", _registers({"multiplier": "CAL_FLOW_EST"}))
_bind("de1/calibration/line_frequency",
      lambda env: {"hz": env.caller.attr("de1", "line_frequency")},
      _setter("hz", "set_line_frequency"))

# -- empty resources -------------------------------------------------------------------------------
for _path in ("de1/parameters", "flow_sequencer/settings", "flow_sequencer/parameter_set"):
    _bind(_path, lambda env: {}, lambda env, body: [])


# -- scale ------------------------------------------------------------------------------------------------
def _write_tare(env: Env, body: Mapping[str, Any]) -> list:
    if body.get("tare"):
        env.caller.ask("scale", "tare")
    return []


def _write_display(env: Env, body: Mapping[str, Any]) -> list:
    if "display_on" in body:
        env.caller.ask("scale", "display", bool(body["display_on"]))
    return []


_bind("scale/tare", write=_write_tare)
_bind("scale/display", write=_write_display)
