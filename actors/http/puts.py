"""PUT resources: scan, profiles, firmware. Bodies are checked completely before any actor is
asked to do anything (a profile that cannot be encoded never reaches the DE1)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from actors.http.bindings import Env, field
from pyde1.api import errors
from pyde1.api.errors import ApiError
from pyde1.api.model import Resource
from pyde1.api.validate import validate_text
from pyde1.profile import ProfileError, TooManyFramesError, UploadPlan, plan_upload
from pyde1.protocol.errors import FirmwareImageError

log = logging.getLogger("pyde1.http")

PutHandler = Callable[[Env, Resource, Any], list]
JSON_V2 = "JSONv2"


def plan_profile(source: bytes) -> UploadPlan:
    """Parse and plan a JSON v2 profile; 400 naming the field that is wrong."""
    from pyde1.profile.parse import parse_profile

    try:
        return plan_upload(parse_profile(source))
    except TooManyFramesError as exc:
        raise ApiError.of(400, "DE1APITooManyFramesError", str(exc)) from None
    except ProfileError as exc:
        raise ApiError.of(400, "DE1ProfileValidationError", str(exc)) from None


def put_scan(env: Env, resource: Resource, body: bytes) -> list:
    role = validate_text(resource, body)
    started = env.caller.start("bluetooth", "scan", role)
    # The scan runs in the background (results on MQTT); only a scan that failed at once is
    # reported, e.g. the adapter refusing because another scan is in progress.
    future = env.caller.wait(started, "bluetooth", "scan", resolve=False)
    if future is not None and hasattr(future, "done") and future.done() and future.exception():
        exc = future.exception()
        status = 409 if "progress" in str(exc).lower() else errors.status_for(exc)
        raise ApiError.of(status, type(exc).__name__, str(exc))
    return []


def _store(env: Env, source: bytes, fingerprint: str, required: bool) -> None:
    if not env.caller.has("database"):
        if required:
            env.caller.proxy("database")  # 503 naming why there is no database
        log.warning("profile %s not stored: no database actor is running", fingerprint)
        return
    try:
        env.caller.ask("database", "store_profile", source, fingerprint)
    except ApiError as exc:
        if required:
            raise
        log.warning("profile uploaded but not stored: %s", exc.body)


def _espresso_controls(env: Env) -> Any:
    if not env.caller.has("sequencer"):
        return None
    try:
        return env.caller.ask("sequencer", "get_control", "espresso")
    except ApiError as exc:
        log.warning("profile upload: cannot read the espresso controls: %s", exc.body)
        return None


def _upload(env: Env, source: bytes, plan: UploadPlan) -> dict[str, str]:
    """Upload to the DE1 (tank temperature only if the espresso controls allow it), then tell
    the sequencer what the profile brings (stop limits, move-on weights; §1.8.9 steps 4-6)."""
    controls = _espresso_controls(env)
    tank = bool(field(controls, "profile_can_override_tank_temperature", True))
    result = env.caller.ask("de1", "upload_profile", source, tank_temperature=tank)
    uploaded = {"fingerprint": field(result, "fingerprint", plan.fingerprint) or plan.fingerprint,
                "id": field(result, "id", plan.id) or plan.id}
    if controls is not None:
        _tell(env, "sequencer", "profile_uploaded", result)
    if env.caller.has("database"):
        # persist_hkv last_profile: new sequences name this profile, also after a restart
        _tell(env, "database", "profile_uploaded", uploaded["id"])
    return uploaded


def _tell(env: Env, role: str, method: str, *args: Any) -> None:
    """A follow-up of an upload that already succeeded: its failure is logged, not answered."""
    try:
        env.caller.ask(role, method, *args)
    except ApiError as exc:
        log.warning("profile uploaded, but %s.%s failed: %s", role, method, exc.body)


def check_firmware(body: bytes) -> bytes:
    from pyde1.protocol.firmware import FirmwareImage  # here: firmware PUTs are rare, start-up is not

    try:
        FirmwareImage.parse(body)
    except FirmwareImageError as exc:
        raise ApiError.of(400, "DE1ValueError", f"not a DE1 firmware image: {exc}") from None
    return body


def check_profile_id(cleaned: dict) -> dict:
    # The mapping checks a given id; only here is it known that PUT cannot do without one.
    if "id" not in cleaned:
        raise errors.value_error('PUT de1/profile/id needs {"id": "<sha1 hex>"}; id is missing')
    return cleaned


#: Checks of PUT bodies (raw bytes, or the cleaned JSON of a JSON body), run with the request's
#: validation (before the device check): path -> function(body) raising ApiError(400), or
#: returning what the handler gets.
PRECHECKS: dict[str, Callable[[Any], Any]] = {
    "de1/profile": lambda body: (body, plan_profile(body)),
    "de1/profile/store": lambda body: (body, plan_profile(body)),
    "de1/profile/id": check_profile_id,
    "de1/firmware": check_firmware,
}


def put_profile(env: Env, resource: Resource, checked: tuple[bytes, UploadPlan]) -> list:
    body, plan = checked
    result = _upload(env, body, plan)
    _store(env, body, result["fingerprint"], required=False)
    return [result]


def put_profile_store(env: Env, resource: Resource, checked: tuple[bytes, UploadPlan]) -> list:
    body, plan = checked
    _store(env, body, plan.fingerprint, required=True)
    return [{"fingerprint": plan.fingerprint, "id": plan.id}]


def put_profile_id(env: Env, resource: Resource, cleaned: dict) -> list:
    profile_id = cleaned["id"]
    record = env.caller.ask("database", "get_profile", profile_id)
    if record is None:
        raise ApiError.of(404, "DE1DBNoMatchingRecord", f"No profile record for {profile_id}")
    source = record if isinstance(record, (bytes, bytearray)) else field(record, "source")
    source_format = JSON_V2 if isinstance(record, (bytes, bytearray)) else field(record, "source_format", JSON_V2)
    if source_format != JSON_V2:
        raise errors.value_error(f"profile {profile_id} is stored as {source_format}, not {JSON_V2}")
    if isinstance(source, str):
        source = source.encode("utf-8")
    _upload(env, bytes(source), plan_profile(bytes(source)))
    return []


def put_firmware(env: Env, resource: Resource, body: bytes) -> list:
    env.caller.ask("de1", "upload_firmware", bytes(body))
    return []


def put_firmware_cancel(env: Env, resource: Resource, body: Any) -> list:
    env.caller.ask("de1", "cancel_firmware")
    return []


PUTS: dict[str, PutHandler] = {
    "scan": put_scan,
    "de1/profile": put_profile,
    "de1/profile/store": put_profile_store,
    "de1/profile/id": put_profile_id,
    "de1/firmware": put_firmware,
    "de1/firmware/cancel": put_firmware_cancel,
}
