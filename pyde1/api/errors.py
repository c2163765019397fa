"""Errors the HTTP API answers with, and the status for errors raised by the actors.

Bodies are plain text, as in pyDE1 (api-contract §1.5): validation failures read like the
``repr`` of pyDE1's exception (``DE1APITypeError("Expected int value at …")``) so clients that
match on those words keep working; the fixed messages (404, 405, 411, 413, 501) are pyDE1's.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer: ``status`` and the exact text ``body``."""

    def __init__(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.original: BaseException | None = None   # the actor's exception, when converted

    @classmethod
    def of(cls, status: int, kind: str, message: str) -> "ApiError":
        """An error whose body is ``Kind('message')``, like Python's repr of an exception."""
        return cls(status, f"{kind}({message!r})")

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.body!r})"


def not_found(request_line: str) -> ApiError:
    return ApiError(404, f"Unrecognized resource {request_line}")


def not_permitted(method: str, name: str) -> ApiError:
    return ApiError(405, f"{method} not permitted for Resource.{name}")


def not_implemented(method: str, name: str) -> ApiError:
    return ApiError(501, f"{method} not yet supported for Resource.{name}")


def unsupported_method(method: str) -> ApiError:
    # pyDE1's standard-library server answers these with an HTML page; plain text here.
    return ApiError(501, f"Unsupported method ({method!r})")


def length_required() -> ApiError:
    return ApiError(411, "Missing Content-Length header")


def too_large(limit: int) -> ApiError:
    # pyDE1's words, then the limit so the client knows what would fit.
    return ApiError(413, f"Patch is too large (limit {limit} bytes)")


def no_content(method: str) -> ApiError:
    return ApiError(400, f"No content provided for {method} request")


def unauthorized(reason: str) -> ApiError:
    return ApiError(401, reason, {"WWW-Authenticate": 'Bearer realm="pyde1"'})


def type_error(message: str) -> ApiError:
    return ApiError.of(400, "DE1APITypeError", message)


def value_error(message: str) -> ApiError:
    return ApiError.of(400, "DE1APIValueError", message)


def attribute_error(message: str) -> ApiError:
    return ApiError.of(400, "DE1APIAttributeError", message)


def device_not_ready(device: str, reason: str, detail: str = "") -> ApiError:
    """409 for a device that is not ready: pyDE1's reason text, then what pyde1 knows."""
    return ApiError.of(409, "DE1NotConnectedError", f"{reason} ({detail})" if detail else reason)


def device_unavailable(device: str, why: str) -> ApiError:
    """503: no actor plays the device's role (not in this build, failed, or restarting)."""
    return ApiError.of(503, "DeviceUnavailableError", f"{device} is unavailable: {why}")


def timed_out(what: str, seconds: float) -> ApiError:
    """504: the actor did not answer within the deadline; the request is abandoned."""
    return ApiError.of(504, "TimeoutError",
                       f"Timeout waiting for response from {what}, over {seconds:g} sec")


# Status for exceptions raised by actors, by class name anywhere in the exception's MRO, so
# actors can raise their own typed errors without importing this module (api-contract §1.5).
STATUS_BY_NAME: dict[str, int] = {
    "DE1APIUnsupportedFeatureError": 418,
    "DE1APIUnsupportedStateTransitionError": 409,
    "DE1NotConnectedError": 409,
    "DE1IsConnectedError": 409,
    "DE1NoAddressError": 409,
    "DE1OperationInProgressError": 409,
    "DeviceNotReadyError": 409,
    "DeviceBusyError": 409,
    "DE1DBNoMatchingRecord": 404,
    "NoMatchingRecordError": 404,
    "DE1APITooManyFramesError": 400,
    "DE1APIError": 400,
    "ProfileError": 400,
    "EncodeError": 400,
    "ProtocolError": 400,
    "FirmwareImageError": 400,
    "TimeoutError": 504,
    "Timeout": 504,
    "ValueError": 400,
    "TypeError": 400,
    "KeyError": 400,
    "LookupError": 400,
}


def status_for(exc: BaseException) -> int:
    """HTTP status for an exception an actor raised: its ``http_status`` attribute if it has
    one, else by the first class in its MRO named in ``STATUS_BY_NAME``, else 500."""
    explicit = getattr(exc, "http_status", None)
    if isinstance(explicit, int) and 400 <= explicit <= 599:
        return explicit
    for cls in type(exc).__mro__:
        status = STATUS_BY_NAME.get(cls.__name__)
        if status is not None:
            return status
    return 500


def from_exception(exc: BaseException) -> ApiError:
    """An actor's exception as an answer: the status by class, the body ``Class('message')``."""
    message = str(exc) if not isinstance(exc, KeyError) else str(exc.args[0] if exc.args else exc)
    error = ApiError.of(status_for(exc), type(exc).__name__, message)
    error.original = exc
    return error


def describe(value: Any) -> str:
    """``0.5 <class 'float'>``: how pyDE1 shows a rejected value."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} {type(value)!r}"
