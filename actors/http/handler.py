"""One request, start to finish, independent of the web framework.

Order of checks (each answers at once, before any actor is asked anything):
unknown path or a query string → 404; OPTIONS → CORS preflight; method → 405/501; token →
401; Content-Length → 411/413; JSON, keys, types, ranges → 400; devices → 409/503. Only then
are the writes applied, in the client's key order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actors.http import local
from actors.http.bindings import BINDINGS, Env
from actors.http.calls import Caller, ProxyCache
from actors.http.devices import DeviceView
from actors.http.puts import PRECHECKS, PUTS
from pyde1.api import access, errors, respond
from pyde1.api.errors import ApiError
from pyde1.api.model import BodyKind, Outcome, Resource
from pyde1.api.settings import HttpSettings
from pyde1.api.validate import (get_needs, parse_json, patch_needs, prune, readable_parts, split,
                                validate_patch, validate_text)
from pyde1.api.version import version_info

log = logging.getLogger("pyde1.http")

#: The part of the service (actors.service.PARTS) that provides each role.
PART_OF_ROLE = {"de1": "devices", "scale": "devices", "thermometer": "devices",
                "bluetooth": "bluetooth", "database": "database", "mqtt": "mqtt",
                "sequencer": "sequencer"}

#: A PATCH/PUT under one of these is followed by an MQTT ``update/<area>`` packet (§1.10).
UPDATE_AREAS = ("de1/profile/id", "de1/setting", "de1/control", "de1/calibration")


@dataclass
class Request:
    method: str
    request_line: str
    query_string: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)   # lower-case names
    content_length: int | None = None
    read_body: Callable[[int], bytes] = lambda n: b""
    parameter: str | None = None                             # log/{id}'s id

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _has_leaves(values: Any) -> bool:
    if isinstance(values, dict):
        return any(_has_leaves(v) for v in values.values())
    return True


def update_area(path: str) -> str | None:
    for area in UPDATE_AREAS:
        if path == area or path.startswith(area + "/"):
            return area
    return None


class Handler:
    def __init__(self, ctx, settings: HttpSettings, view: DeviceView,
                 on_update: Callable[[str], None] = lambda area: None,
                 clock: Callable[[], float] = time.time) -> None:
        self.ctx = ctx
        self.settings = settings
        self.view = view
        self.on_update = on_update
        self.clock = clock
        # Built on the first GET openapi.json: the document and its JSON cost tens of ms of
        # start-up and almost no client asks for it.
        self._openapi: bytes | None = None
        # Installed module versions do not change while running; looking them up costs ms.
        self._version = respond.json_body(version_info())
        self.proxies = ProxyCache(ctx)

    # -- entry point ------------------------------------------------------------------------
    def handle(self, resource: Resource | None, request: Request) -> Response:
        method = request.method.upper()
        origin = request.header("Origin")
        try:
            if resource is None or request.query_string:
                raise errors.not_found(request.request_line)
            if method == "OPTIONS" and self.settings.allowed_origins:
                headers = access.preflight_headers(origin, self.settings.allowed_origins,
                                                   resource.allowed_methods)
                return self._finish(Response(204, headers, b""), origin)
            status, content_type, body = self._dispatch(resource, method, request)
            response = Response(status, {"Content-Type": content_type}, body)
        except ApiError as exc:
            response = Response(exc.status, {"Content-Type": respond.TEXT_CONTENT_TYPE, **exc.headers},
                                exc.body.encode("utf-8"))
        except Exception as exc:  # a bug: answer 500 with the reason, log the traceback
            log.exception("%s failed", request.request_line)
            response = Response(500, {"Content-Type": respond.TEXT_CONTENT_TYPE},
                                f"{type(exc).__name__}({str(exc)!r})".encode("utf-8"))
        return self._finish(response, origin)

    def _finish(self, response: Response, origin: str | None) -> Response:
        response.headers.update(respond.time_headers(self.clock()))
        response.headers.update(access.cors_headers(origin, self.settings.allowed_origins))
        return response

    def caller(self) -> Caller:
        return Caller(self.ctx, self.settings.response_timeout, self._why_absent, self.proxies)

    def _why_absent(self, role: str) -> str:
        absent = self.ctx.extras.get("absent_parts", {})
        part = PART_OF_ROLE.get(role, role)
        if part in absent:
            return absent[part]
        service = self.ctx.extras.get("service")
        if service is not None:
            try:
                info = service.status(timeout=0.5)["actors"].get(role)
            except Exception:
                info = None
            if info is not None and info.get("gave_up"):
                return f"its actor failed repeatedly and was given up on ({info.get('last_error')})"
            if info is not None:
                return "its actor is restarting"
        return "no actor plays this role in this build"

    def openapi_body(self) -> bytes:
        # Two first requests at once may both build it: the same bytes, no lock needed.
        if self._openapi is None:
            from pyde1.api.openapi import openapi_document

            self._openapi = respond.json_body(openapi_document(self.settings.root, bool(self.settings.tokens)))
        return self._openapi

    # -- methods ------------------------------------------------------------------------------
    def _dispatch(self, resource: Resource, method: str, request: Request) -> tuple[int, str, bytes]:
        outcome = resource.outcome(method)
        if outcome is None:
            raise errors.unsupported_method(method)
        if outcome is Outcome.NOT_PERMITTED:
            raise errors.not_permitted(method, resource.name)
        if outcome is Outcome.NOT_IMPLEMENTED:
            raise errors.not_implemented(method, resource.name)
        access.check_token(method, request.header("Authorization"), self.settings.tokens)
        if method == "GET":
            return self._get(resource, request)
        body = self._read_body(resource, method, request)
        return 200, respond.JSON_CONTENT_TYPE, respond.json_body(self._change(resource, method, body))

    def _read_body(self, resource: Resource, method: str, request: Request) -> bytes:
        if request.content_length is None:
            raise errors.length_required()
        limit = self.settings.body_limit(resource.path)
        if request.content_length > limit:
            raise errors.too_large(limit)
        body = request.read_body(request.content_length)
        if len(body) != request.content_length:
            raise errors.no_content(method)
        return body

    # -- GET ----------------------------------------------------------------------------------
    def _get(self, resource: Resource, request: Request) -> tuple[int, str, bytes]:
        path = resource.path
        if path == "version":
            return 200, respond.JSON_CONTENT_TYPE, self._version
        if path == "logs":
            return 200, respond.JSON_CONTENT_TYPE, respond.json_body(local.list_logs(self.settings.log_directory))
        if path == "log/{id}":
            name = request.parameter or ""
            data = local.read_log(self.settings.log_directory, name)
            return 200, respond.log_content_type(name), data
        if path == "openapi.json":
            return 200, respond.JSON_CONTENT_TYPE, self.openapi_body()
        if path == "health":
            healthy, report = local.health_report(self.ctx, self.view)
            return (200 if healthy else 503), respond.JSON_CONTENT_TYPE, respond.json_body(report)
        return 200, respond.JSON_CONTENT_TYPE, respond.json_body(self.read(resource, self.caller()))

    def read(self, resource: Resource, caller: Caller) -> Any:
        """GET output of a mapped resource: the device check, then every part it is made of."""
        env = Env(caller, self.view)
        self.view.require(caller, get_needs(resource))
        data: dict[str, Any] = {}
        for where, part in readable_parts(resource):
            binding = BINDINGS.get(part.path)
            if binding is None or binding.read is None:
                continue
            try:
                value = binding.read(env)
            except ApiError as exc:
                if exc.status != 501 or not where:
                    raise
                # Inside an aggregate, a value this build cannot produce is left out, as
                # pyDE1 leaves out what it cannot read; the leaf resource itself says 501.
                log.debug("GET %s: %s left out: %s", resource.path, part.path, exc.body)
                continue
            if not where:
                data = dict(value)
                continue
            node = data
            for key in where[:-1]:
                node = node.setdefault(key, {})
            node[where[-1]] = value
        return prune(resource.mapping, data) or {}

    # -- PATCH and PUT ------------------------------------------------------------------------
    def patch(self, resource: Resource, body: bytes) -> list:
        """A PATCH without HTTP (de1.PATCH_ON_CONNECT): the same checks, the same effects."""
        return self._change(resource, "PATCH", body)

    def _change(self, resource: Resource, method: str, body: bytes) -> list:
        caller = self.caller()
        env = Env(caller, self.view)
        if method == "PATCH":
            cleaned = validate_patch(resource, parse_json(body))
            needs = patch_needs(resource, cleaned)
            apply = lambda: self._patch(env, resource, cleaned)  # noqa: E731
        else:
            kind = resource.put_body
            payload: Any = body
            if kind is BodyKind.JSON:
                payload = validate_patch(resource, parse_json(body))
            elif kind is BodyKind.TEXT:
                validate_text(resource, body)
            if resource.path in PRECHECKS:
                payload = PRECHECKS[resource.path](payload)  # profiles, firmware: 400 before 409
            needs = resource.put_needs
            apply = lambda: PUTS[resource.path](env, resource, payload)  # noqa: E731
        # The request is valid: from here on, as in pyDE1, the area's MQTT update follows the
        # answer whether the change worked or not (§1.10).
        area = update_area(resource.path)
        try:
            self.view.require(caller, needs)
            return apply()
        finally:
            if area is not None:
                self.on_update(area)

    def _patch(self, env: Env, resource: Resource, cleaned: Any) -> list:
        results: list = []
        for part, values in split(resource, cleaned):
            if not _has_leaves(values):
                continue  # {} or {"feature_flags": {}}: nothing to write
            binding = BINDINGS.get(part.path)
            if binding is None or binding.write is None:
                raise ApiError.of(501, "NotImplementedError", f"writing {part.path} is not available")
            results.extend(binding.write(env, values))
        env.flush()
        return results
