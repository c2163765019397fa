"""Who may call what: bearer tokens for changing requests, and CORS for browsers.

Tokens are optional (``http.API_TOKENS``); when any is configured, PATCH, PUT and DELETE need
``Authorization: Bearer <token>``. GET stays open, as in pyDE1, so monitors and dashboards keep
working. Every configured token is compared in constant time, whatever the outcome.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from pyde1.api import errors

CHANGING_METHODS = frozenset({"PATCH", "PUT", "DELETE", "POST"})
CORS_ALLOWED_HEADERS = "Authorization, Content-Type"
CORS_EXPOSED_HEADERS = "Last-Modified, x-pyde1-timestamp"
CORS_MAX_AGE = "600"


def requires_token(method: str, tokens: tuple[str, ...]) -> bool:
    return bool(tokens) and method.upper() in CHANGING_METHODS


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_matches(candidate: str, tokens: Iterable[str]) -> bool:
    """Constant-time comparison against every token (no early exit on a match)."""
    given = candidate.encode("utf-8")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given, token.encode("utf-8"))
    return matched


def check_token(method: str, authorization: str | None, tokens: tuple[str, ...]) -> None:
    """Raise ApiError(401) when ``method`` needs a token and the request has no valid one."""
    if not requires_token(method, tokens):
        return
    token = bearer_token(authorization)
    if token is None:
        raise errors.unauthorized(f"{method} needs an API token: send 'Authorization: Bearer <token>'")
    if not token_matches(token, tokens):
        raise errors.unauthorized("the API token is not valid")


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    if not origin or not allowed:
        return False
    return "*" in allowed or origin in allowed


def cors_headers(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """Headers for a simple (non-preflight) response; empty when the origin is not allowed."""
    if not origin_allowed(origin, allowed):
        return {}
    return {"Access-Control-Allow-Origin": "*" if "*" in allowed else origin,
            "Access-Control-Expose-Headers": CORS_EXPOSED_HEADERS,
            "Vary": "Origin"}


def preflight_headers(origin: str | None, allowed: tuple[str, ...],
                      methods: Iterable[str]) -> dict[str, str]:
    """Headers answering an OPTIONS preflight; raises ApiError(403) for an unknown origin."""
    if not origin_allowed(origin, allowed):
        raise errors.ApiError(403, f"origin {origin!r} is not allowed (http.ALLOWED_ORIGINS)")
    headers = cors_headers(origin, allowed)
    headers.update({
        "Access-Control-Allow-Methods": ", ".join(list(methods) + ["OPTIONS"]),
        "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS,
        "Access-Control-Max-Age": CORS_MAX_AGE,
    })
    return headers
