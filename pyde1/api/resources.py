"""The HTTP resource table: pyDE1 2.0's resource list (RESOURCE_VERSION 5.0.0) and shapes
(MAPPING_VERSION 7.0.0), api-contract §1.7–§1.9, plus pyde1's own ``openapi.json`` and
``health``. The gateway routes from this table and the OpenAPI document is generated from it,
so the two cannot drift.

Deliberate fixes of pyDE1 quirks (Appendix A) visible here: ``scan/devices``,
``de1/calibration/internal`` and GET ``de1/firmware/cancel`` answer 405 instead of dropping the
connection (A6); ``move_on_weight`` accepts an array (A2); range checks run before anything is
sent (pyDE1 did them in the controller, after earlier keys were already applied); GET ``scale``
needs only what it returns (pyDE1 wanted a ready scale for write-only leaves).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pyde1.api.model import (Access, BodyKind, Leaf, Need, Outcome, Ref, Resource, ValueType,
                             branch)

RESOURCE_VERSION = "5.0.0"
MAPPING_VERSION = "7.0.0"

ALLOWED, E405, E501 = Outcome.ALLOWED, Outcome.NOT_PERMITTED, Outcome.NOT_IMPLEMENTED
INT, FLOAT, BOOL, STR = ValueType.INT, ValueType.FLOAT, ValueType.BOOL, ValueType.STR
RO, WO = Access.RO, Access.WO
DE1 = frozenset({Need.DE1})
SCALE = frozenset({Need.SCALE})

# -- enumerations on the wire (§1.9) ------------------------------------------------------------
DE1_MODES = ("Sleep", "Wake", "Stop", "EndSteam", "Clean", "Descale", "Transport", "NoRequest",
             "SkipToNext", "Espresso", "Steam", "HotWater", "HotWaterRinse")
CAPTURE_REQUESTS = ("C", "R", "X")
CONNECTIVITY_MODES = ("not_connected", "connected", "ready")
DEVICE_ROLES = ("de1", "scale", "thermometer", "other", "unknown")
AVAILABILITY_STATES = ("initial", "unknown", "capturing", "captured", "ready", "not ready",
                       "releasing", "released")
FIRMWARE_MODELS = ("UNSET", "DE1", "DE1PLUS", "DE1PRO", "DE1XL", "DE1CAFE", "DE1XXL",
                   "UNRECOGNIZED")
LOG_ID_PATTERN = r"[a-zA-Z0-9._-]+"
SHA1_PATTERN = r"[0-9a-fA-F]{40}"

UNSIGNED_BYTE = dict(minimum=0, maximum=255)
NOT_NEGATIVE = dict(minimum=0)


def _rw(type_: ValueType, needs: frozenset[Need] = frozenset(), **kw) -> Leaf:
    return Leaf(type_, Access.RW, needs=needs, **kw)


def _ro(type_: ValueType, needs: frozenset[Need] = frozenset(), **kw) -> Leaf:
    return Leaf(type_, RO, needs=needs, **kw)


def _wo(type_: ValueType, needs: frozenset[Need] = frozenset(), **kw) -> Leaf:
    return Leaf(type_, WO, needs=needs, **kw)


def _stop_at(description: str, needs=frozenset()) -> Leaf:
    return _rw(FLOAT, needs, optional=True, **NOT_NEGATIVE, description=description)


def _availability() -> Mapping:
    return branch(
        mode=_rw(STR, choices=CAPTURE_REQUESTS, enum_name="CaptureRequest",
                 refused=MappingProxyType({"X": "Only CAPTURE and RELEASE can be set"}),
                 read_choices=AVAILABILITY_STATES,
                 description="GET: DeviceAvailabilityState; PATCH: C = capture, R = release"),
        mqtt=_ro(STR, description="JSON text of the last DeviceAvailability packet"),
    )


def _connectivity() -> Mapping:
    return branch(mode=_rw(
        STR, choices=CONNECTIVITY_MODES, enum_name="ConnectivityEnum",
        refused=MappingProxyType({"ready": "Only connected and not_connected can be set"}),
        description="deprecated: connected = capture, not_connected = release"))


def _device_id(with_type: bool = False) -> Mapping:
    entries = dict(
        id=_rw(STR, optional=True, description="Bluetooth address; \"scan\" finds and captures "
               "the first device of this role; null or \"\" forgets it"),
        name=_ro(STR, optional=True, description="device name"))
    if with_type:
        entries["type"] = _ro(STR, optional=True, description="never present (pyDE1 compatible)")
    return MappingProxyType(entries)


def _version_record() -> Mapping:
    return branch(api=_ro(INT, DE1), release=_ro(FLOAT, DE1), commits=_ro(INT, DE1),
                  changes=_ro(INT, DE1), blesha_hexstr=_ro(INT, DE1))


_FEATURE_FLAG_INTS = ("fw_version", "last_mmr0x80")
_FEATURE_FLAGS = ("allow_usb_charging", "app_feature_flag_user_present", "fw_version",
                  "ghc_active", "hot_water_flow_control", "last_mmr0x80", "mmr_max_shot_press",
                  "mmr_pref_ghc_mci", "refill_kit_present", "rinse_control",
                  "safe_to_read_mmr_continuous", "sched_idle", "skip_to_next",
                  "steam_purge_mode", "user_present")

_TEXT_SCHEMA = MappingProxyType({"type": "string"})
_VERSION_SCHEMA = MappingProxyType({
    "type": "object",
    "properties": {
        "resource_version": {"type": "string", "const": RESOURCE_VERSION},
        "mapping_version": {"type": "string", "const": MAPPING_VERSION},
        "platform": {"type": "string"},
        "python": {"type": "string"},
        "python_info": {"type": "object", "properties": {
            "major": {"type": "integer"}, "minor": {"type": "integer"},
            "micro": {"type": "integer"}, "releaselevel": {"type": "string"},
            "serial": {"type": "integer"}}},
        "module_versions": {"type": "object",
                            "additionalProperties": {"type": ["string", "null"]}},
        "source_data": {"type": ["object", "null"]},
    },
})
_LOGS_SCHEMA = MappingProxyType({
    "type": "array",
    "items": {"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "size": {"type": "integer"},
        "atime": {"type": "number"}, "mtime": {"type": "number"}, "ctime": {"type": "number"}}},
})
_HEALTH_SCHEMA = MappingProxyType({
    "type": "object",
    "properties": {
        "healthy": {"type": "boolean"},
        "problems": {"type": "array", "items": {"type": "string"}},
        "actors": {"type": "object", "additionalProperties": {"type": "object"}},
        "devices": {"type": "object", "additionalProperties": {"type": "object"}},
        "absent": {"type": "object", "additionalProperties": {"type": "string"}},
        "uptime": {"type": ["number", "null"]},
    },
})


def _get(path, name, mapping, **kw) -> Resource:
    """Readable and writable; PUT is pyDE1's 501."""
    return Resource(path, name, get=ALLOWED, patch=ALLOWED, put=E501, mapping=mapping, **kw)


RESOURCES: tuple[Resource, ...] = (
    Resource("version", "VERSION", get=ALLOWED, local_schema=_VERSION_SCHEMA,
             summary="versions of the API, Python and modules"),
    Resource("logs", "LOGS", get=ALLOWED, local_schema=_LOGS_SCHEMA,
             summary="files in the log directory"),
    Resource("log/{id}", "LOG", get=ALLOWED, local_schema=_TEXT_SCHEMA,
             parameter=("id", LOG_ID_PATTERN), summary="one log file, raw"),
    Resource("scan", "SCAN", put=ALLOWED, put_body=BodyKind.TEXT,
             mapping=_wo(STR, choices=DEVICE_ROLES, enum_name="DeviceRole"),
             summary="scan for devices of a role (body: the role as plain text); results on MQTT"),
    Resource("scan/devices", "SCAN_DEVICES", summary="removed in pyDE1 2.0"),

    _get("de1", "DE1", branch(
        id=Ref("de1/id"), mode=Ref("de1/mode"), state=Ref("de1/state"),
        availability=Ref("de1/availability"), connectivity=Ref("de1/connectivity"),
        control=Ref("de1/control"), setting=Ref("de1/setting"),
        calibration=Ref("de1/calibration"), read_once=Ref("de1/read_once_values"),
        parameter_set=Ref("de1/parameters")), summary="everything about the DE1"),
    _get("de1/id", "DE1_ID", _device_id(), summary="address and name of the DE1"),
    Resource("de1/mode", "DE1_MODE", patch=ALLOWED, put=E501, mapping=branch(
        mode=_wo(STR, DE1, choices=DE1_MODES, enum_name="DE1ModeEnum",
                 description="requested mode")), summary="ask the DE1 for a mode"),
    Resource("de1/state", "DE1_STATE", get=ALLOWED, mapping=branch(
        state=branch(state=_ro(STR, DE1, description="API_MachineStates name"),
                     substate=_ro(STR, DE1, description="API_Substates name"),
                     last_updated=_ro(FLOAT, DE1, description="Unix time of the last StateInfo")),
        mqtt=_ro(STR, DE1, description="JSON text of the last StateUpdate packet")),
        summary="machine state and substate"),
    _get("de1/feature_flags", "DE1_FEATURE_FLAGS", branch(feature_flags=MappingProxyType({
        name: _ro(INT if name in _FEATURE_FLAG_INTS else BOOL, DE1, optional=True)
        for name in _FEATURE_FLAGS})), summary="what the DE1's firmware supports"),
    Resource("de1/profile", "DE1_PROFILE", put=ALLOWED, put_body=BodyKind.BYTES, put_needs=DE1,
             summary="upload a JSON v2 profile (body: the file verbatim)"),
    Resource("de1/profile/id", "DE1_PROFILE_ID", get=ALLOWED, put=ALLOWED, put_body=BodyKind.JSON,
             put_needs=DE1, mapping=branch(id=_rw(
                 STR, DE1, read_optional=True, pattern=SHA1_PATTERN,
                 description="SHA-1 of the profile source; null before the first upload of "
                 "this connection")),
             summary="id of the profile in the DE1; PUT uploads a stored profile by id"),
    Resource("de1/profile/store", "DE1_PROFILE_STORE", put=ALLOWED, put_body=BodyKind.BYTES,
             summary="store a JSON v2 profile in the database without uploading it"),
    Resource("de1/profiles", "DE1_PROFILES", summary="not implemented in pyDE1 2.0"),
    Resource("de1/firmware", "DE1_FIRMWARE", put=ALLOWED, put_body=BodyKind.BYTES, put_needs=DE1,
             summary="start a firmware upload (body: the image); progress on MQTT"),
    Resource("de1/firmware/cancel", "DE1_FIRMWARE_CANCEL", patch=ALLOWED, put=ALLOWED,
             put_body=BodyKind.IGNORED, put_needs=DE1,
             mapping=_wo(STR, DE1, description="any string; ignored"),
             summary="cancel a running firmware upload"),
    Resource("de1/firmware/id", "DE1_FIRMWARE_ID", get=ALLOWED, put=E501,
             mapping=branch(id=_ro(INT, DE1, description="CPU firmware build number")),
             summary="DE1 CPU firmware build number"),
    Resource("de1/firmwares", "DE1_FIRMWARES", summary="not implemented in pyDE1 2.0"),
    _get("de1/availability", "DE1_AVAILABILITY", _availability(),
         summary="capture or release the DE1"),
    _get("de1/connectivity", "DE1_CONNECTIVITY", _connectivity(),
         summary="deprecated form of de1/availability"),

    _get("de1/control", "DE1_CONTROL", branch(
        espresso=Ref("de1/control/espresso"), steam=Ref("de1/control/steam"),
        hot_water=Ref("de1/control/hot_water"), hot_water_rinse=Ref("de1/control/hot_water_rinse"),
        tank_water_threshold=Ref("de1/control/tank_water_threshold")),
        summary="stop limits and controls of every mode"),
    _get("de1/control/espresso", "DE1_CONTROL_ESPRESSO", branch(
        stop_at_time=_stop_at("s from flow begin; enforced for espresso (pyDE1 ignored it)"),
        stop_at_volume=_stop_at("mL of pour volume; 0 = null"),
        stop_at_weight=_stop_at("g; 0 = null"),
        move_on_weight=_rw(ValueType.NUMBER_LIST, maximum=20,
                           description="g per frame (null = none); at most 20 entries"),
        disable_auto_tare=_rw(BOOL),
        profile_can_override_stop_limits=_rw(BOOL),
        profile_can_override_tank_temperature=_rw(BOOL),
        first_drops_threshold=_rw(FLOAT, optional=True, minimum=0, maximum=10,
                                  zero_always_ok=True, description="bar"),
        last_drops_minimum_time=_rw(FLOAT, **NOT_NEGATIVE, description="s"),
    ), summary="espresso stop limits (kept by pyde1)"),
    _get("de1/control/steam", "DE1_CONTROL_STEAM", branch(
        stop_at_time=_rw(INT, DE1, **UNSIGNED_BYTE, description="s, timed by the DE1"),
        disable_auto_tare=_rw(BOOL),
        stop_at_volume=_wo(FLOAT, optional=True, **NOT_NEGATIVE, description="accepted, unused"),
        stop_at_weight=_wo(FLOAT, optional=True, **NOT_NEGATIVE, description="accepted, unused"),
    ), summary="steam controls"),
    _get("de1/control/hot_water", "DE1_CONTROL_HOT_WATER", branch(
        stop_at_time=_rw(INT, DE1, **UNSIGNED_BYTE, description="s, timed by the DE1"),
        stop_at_volume=_rw(INT, DE1, **UNSIGNED_BYTE, description="mL, DE1"),
        stop_at_weight=_stop_at("g"),
        disable_auto_tare=_rw(BOOL),
        temperature=_rw(INT, DE1, **UNSIGNED_BYTE, description="°C"),
    ), summary="hot-water controls"),
    _get("de1/control/hot_water_rinse", "DE1_CONTROL_HOT_WATER_RINSE", branch(
        stop_at_time=_stop_at("s (the DE1's flush timeout on firmware >= 1283)"),
        disable_auto_tare=_rw(BOOL),
        temperature=_rw(FLOAT, DE1, **NOT_NEGATIVE, description="°C"),
        flow=_rw(FLOAT, DE1, **NOT_NEGATIVE, description="mL/s"),
        stop_at_volume=_wo(FLOAT, optional=True, **NOT_NEGATIVE, description="accepted, unused"),
        stop_at_weight=_wo(FLOAT, optional=True, **NOT_NEGATIVE, description="accepted, unused"),
    ), summary="flush controls"),
    _get("de1/control/tank_water_threshold", "DE1_CONTROL_TANK_WATER_THRESHOLD", branch(
        temperature=_rw(INT, DE1, minimum=0, maximum=100, description="°C; 0 = not used")),
        summary="tank temperature before starting"),

    _get("de1/setting", "DE1_SETTING", branch(
        auto_off_time=Ref("de1/setting/auto_off_time"), before_flow=Ref("de1/setting/before_flow"),
        fan_threshold=Ref("de1/setting/fan_threshold"), refill_kit=Ref("de1/setting/refill_kit"),
        start_fill_level=Ref("de1/setting/start_fill_level"), steam=Ref("de1/setting/steam"),
        target_group_temp=Ref("de1/setting/target_group_temp"), time=Ref("de1/setting/time"),
        usb_outlet=Ref("de1/setting/usb_outlet")), summary="DE1 settings"),
    _get("de1/setting/auto_off_time", "DE1_SETTING_AUTO_OFF_TIME", branch(
        time=_rw(FLOAT, DE1, optional=True, **NOT_NEGATIVE,
                 description="minutes without a state change before sleeping; null/0 = off")),
        summary="auto-off time"),
    _get("de1/setting/fan_threshold", "DE1_SETTING_FAN_THRESHOLD", branch(
        temperature=_rw(INT, DE1, **UNSIGNED_BYTE, description="°C")), summary="fan threshold"),
    _get("de1/setting/start_fill_level", "DE1_SETTING_START_FILL_LEVEL", branch(
        start_fill_level=_rw(INT, DE1, **UNSIGNED_BYTE, read_type=FLOAT,
                             description="refill start level, mm")),
        summary="refill start level"),
    _get("de1/setting/before_flow", "DE1_SETTING_BEFORE_FLOW", branch(
        heater_phase1_flow=_rw(FLOAT, DE1, **NOT_NEGATIVE, description="mL/s"),
        heater_phase2_flow=_rw(FLOAT, DE1, **NOT_NEGATIVE, description="mL/s"),
        heater_phase2_timeout=_rw(FLOAT, DE1, **NOT_NEGATIVE, description="s"),
        heater_idle_temperature=_rw(FLOAT, DE1, **NOT_NEGATIVE, description="°C")),
        summary="heater settings before flow"),
    _get("de1/setting/target_group_temp", "DE1_SETTING_TARGET_GROUP_TEMP", branch(
        temperature=_rw(INT, DE1, **UNSIGNED_BYTE, read_type=FLOAT, description="°C")),
        summary="group temperature target"),
    _get("de1/setting/usb_outlet", "DE1_SETTING_USB_OUTLET", branch(
        enabled=_rw(BOOL, DE1, read_optional=True)), summary="USB charging (fw >= 1320)"),
    _get("de1/setting/refill_kit", "DE1_SETTING_REFILL_KIT", branch(
        present=_rw(BOOL, DE1, read_optional=True)), summary="refill kit (fw >= 1320)"),
    _get("de1/setting/steam", "DE1_SETTING_STEAM", branch(
        temperature=_rw(INT, DE1, optional=True, **UNSIGNED_BYTE,
                        description="°C; null = steam heater off"),
        flow=_rw(FLOAT, DE1, **NOT_NEGATIVE, description="mL/s"),
        high_flow_time=_rw(FLOAT, DE1, **NOT_NEGATIVE, description="s"),
        purge_deferred=_rw(BOOL, DE1, read_optional=True, description="fw >= 1320")),
        summary="steam settings"),
    _get("de1/setting/time", "DE1_SETTING_TIME", branch(
        timestamp=_rw(INT, DE1, minimum=0, maximum=0xFFFFFFFF, description="DE1 clock, s")),
        summary="DE1 clock"),
    Resource("de1/setting/tbd_name_other_shot_settings", "DE1_DEPRECATED", summary="not exposed"),

    _get("de1/calibration", "DE1_CALIBRATION", branch(
        flow_multiplier=Ref("de1/calibration/flow_multiplier"),
        line_frequency=Ref("de1/calibration/line_frequency")), summary="calibration"),
    _get("de1/calibration/line_frequency", "DE1_CALIBRATION_LINE_FREQUENCY", branch(
        hz=_rw(INT, DE1, choices=(50, 60), description="mains frequency, 50 or 60")),
        summary="mains frequency for volume estimates"),
    _get("de1/calibration/flow_multiplier", "DE1_CALIBRATION_FLOW_MULTIPLIER", branch(
        multiplier=_rw(FLOAT, DE1, minimum=0, maximum=4, description="flow estimate factor")),
        summary="flow calibration"),
    Resource("de1/calibration/internal", "DE1_CALIBRATION_INTERNAL", put=E501,
             summary="no mapping in pyDE1 2.0"),
    _get("de1/parameters", "DE1_PARAMETER_SET", branch(), summary="empty"),
    Resource("de1/read_once_values", "DE1_READ_ONCE", get=ALLOWED, mapping=branch(
        hw_config_hexstr=_ro(STR, DE1), model_hexstr=_ro(STR, DE1),
        cpu_board_model=_ro(FLOAT, DE1), firmware_model=_ro(STR, DE1, read_choices=FIRMWARE_MODELS),
        firmware_build_number=_ro(INT, DE1), ghc_info=_ro(STR, DE1, description="flags joined by |"),
        serial_number_hexstr=_ro(STR, DE1), heater_voltage=_ro(INT, DE1),
        version_ble=_version_record(), version_lv=_version_record()),
        summary="values read once after connecting"),
    _get("de1/presence", "DE1_PRESENCE", branch(
        user=_rw(BOOL, DE1, read_optional=True, description="user present (fw >= 1320)")),
        summary="user presence"),

    _get("scale", "SCALE", branch(
        id=Ref("scale/id"), tare=Ref("scale/tare"), display=Ref("scale/display"),
        availability=Ref("scale/availability"), connectivity=Ref("scale/connectivity")),
        summary="everything about the scale"),
    _get("scale/id", "SCALE_ID", _device_id(with_type=True), summary="address and name of the scale"),
    Resource("scale/tare", "SCALE_TARE", patch=ALLOWED, put=E501, mapping=branch(
        tare=_wo(BOOL, SCALE, optional=True, description="true = tare")), summary="tare the scale"),
    Resource("scale/display", "SCALE_DISPLAY", patch=ALLOWED, put=E501, mapping=branch(
        display_on=_wo(BOOL, SCALE, optional=True, description="true = on, false/null = off")),
        summary="scale display on or off"),
    _get("scale/availability", "SCALE_AVAILABILITY", _availability(),
         summary="capture or release the scale"),
    _get("scale/connectivity", "SCALE_CONNECTIVITY", _connectivity(),
         summary="deprecated form of scale/availability"),

    _get("flow_sequencer", "FLOW_SEQUENCER", branch(
        settings=Ref("flow_sequencer/settings"), parameter_set=Ref("flow_sequencer/parameter_set")),
        summary="empty"),
    _get("flow_sequencer/settings", "FLOW_SEQUENCER_SETTING", branch(), summary="empty"),
    _get("flow_sequencer/parameter_set", "FLOW_SEQUENCER_PARAMETER_SET", branch(), summary="empty"),

    _get("thermometer", "THERMOMETER", branch(
        id=Ref("thermometer/id"), availability=Ref("thermometer/availability")),
        summary="everything about the thermometer"),
    _get("thermometer/id", "THERMOMETER_ID", _device_id(), summary="address and name of the thermometer"),
    _get("thermometer/availability", "THERMOMETER_AVAILABILITY", _availability(),
         summary="capture or release the thermometer"),
)

#: pyde1's own resources, beyond pyDE1 2.0's list.
EXTENSIONS: tuple[Resource, ...] = (
    Resource("openapi.json", "OPENAPI", get=ALLOWED, local_schema=MappingProxyType({"type": "object"}),
             summary="this API as an OpenAPI 3.1 document"),
    Resource("health", "HEALTH", get=ALLOWED, local_schema=_HEALTH_SCHEMA,
             summary="liveness of every actor and availability of every device (503 when unhealthy)"),
)

ALL_RESOURCES: tuple[Resource, ...] = RESOURCES + EXTENSIONS
BY_PATH: Mapping[str, Resource] = MappingProxyType({r.path: r for r in ALL_RESOURCES})


def resource(path: str) -> Resource:
    """The resource at ``path`` (as in the table, e.g. ``de1/control``); KeyError if none."""
    return BY_PATH[path]
