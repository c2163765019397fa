"""JSON v2 profiles: reading with precise errors, and the plan of writes that loads one into a DE1.

    plan = plan_upload(parse_profile(source_bytes))
    plan.writes            # (uuid, payload) in upload order
    plan.id, plan.fingerprint, plan.warnings

``pyde1.profile.tcl`` (de1app Tcl → JSON) is a separate module, imported on demand.
"""

from pyde1.profile.errors import ProfileError, TooManyFramesError
from pyde1.profile.model import (
    Exit, ExitCondition, ExitType, Limiter, Profile, Pump, Sensor, Step, Transition,
)
from pyde1.profile.plan import UploadPlan, Write, plan_upload

__all__ = [
    "ProfileError", "TooManyFramesError", "Exit", "ExitCondition", "ExitType", "Limiter",
    "Profile", "Pump", "Sensor", "Step", "Transition", "MAX_FRAMES", "parse_profile",
    "profile_from_document", "profile_id", "UploadPlan", "Write", "plan_upload", "plan_source",
]


def plan_source(source: bytes) -> UploadPlan:
    """Parse and plan in one call."""
    from pyde1.profile.parse import parse_profile

    return plan_upload(parse_profile(source))


#: The reader is imported on first use: a service start uploads no profile, and it is a large
#: module to compile.
_PARSE_NAMES = ("MAX_FRAMES", "parse_profile", "profile_from_document", "profile_id")


def __getattr__(name: str):
    if name in _PARSE_NAMES:
        from pyde1.profile import parse

        value = getattr(parse, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
