"""The bottle application: one route per resource of the table, every method sent to the
handler (which answers 405/501 itself, with pyDE1's messages), and a last route answering
404 for everything else. Built by a function; there is no module-level app."""

from __future__ import annotations

import logging
import time
from http import HTTPStatus

import bottle

from actors.http.handler import Handler, Request
from pyde1.api.model import Resource
from pyde1.api.resources import ALL_RESOURCES

#: One INFO line per request, as pyDE1's Inbound.HTTP wrote: ms, status, phrase, size, request
#: line, client. Set this logger to WARNING in logging.LOGGERS to silence it.
access_log = logging.getLogger("pyde1.http.access")

#: Marker on our routes, so tests can list exactly the routed resources.
RESOURCE_CONFIG_KEY = "pyde1_resource"


def route_rule(root: str, resource: Resource) -> str:
    """bottle rule for a resource: the root prefix, the path, the parameter as a regex."""
    path = resource.path
    if resource.parameter is not None:
        name, pattern = resource.parameter
        path = path.replace("{" + name + "}", f"<{name}:re:{pattern}>")
    return root + path


def _request(parameter: str | None) -> Request:
    env = bottle.request.environ
    uri = env.get("REQUEST_URI") or env.get("RAW_URI") or env.get("PATH_INFO", "")
    line = f"{env.get('REQUEST_METHOD', '')} {uri} {env.get('SERVER_PROTOCOL', 'HTTP/1.1')}"
    raw_length = env.get("CONTENT_LENGTH")
    try:
        length = int(raw_length) if raw_length not in (None, "") else None
    except ValueError:
        length = None
    if length is not None and length < 0:
        length = None
    stream = env["wsgi.input"]
    # From the WSGI environ directly: bottle's header view re-decodes values as UTF-8 and
    # raises on a header that is not (a client's latin-1 Content-Type must not be a 500).
    headers = {key[5:].replace("_", "-").lower(): value for key, value in env.items()
               if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if env.get(key):
            headers[key.replace("_", "-").lower()] = env[key]
    return Request(method=env.get("REQUEST_METHOD", "GET"), request_line=line,
                   query_string=env.get("QUERY_STRING", ""), headers=headers,
                   content_length=length, read_body=stream.read, parameter=parameter)


def _respond(handler: Handler, resource: Resource | None, parameter: str | None = None):
    started = time.perf_counter()
    request = _request(parameter)
    result = handler.handle(resource, request)
    response = bottle.HTTPResponse(body=result.body, status=result.status)
    for name, value in result.headers.items():
        response.set_header(name, value)
    response.set_header("Content-Length", str(len(result.body)))
    if access_log.isEnabledFor(logging.INFO):
        try:
            phrase = HTTPStatus(result.status).phrase
        except ValueError:
            phrase = ""
        # makeRecord + handle is what info() does, less its walk up the stack for the caller's
        # file and line (one line per request, always from here; the line number is left 0).
        access_log.handle(access_log.makeRecord(
            access_log.name, logging.INFO, __file__, 0, "%d %d \"%s\" %d %s %s",
            (round((time.perf_counter() - started) * 1000), result.status, phrase, len(result.body),
             request.request_line, bottle.request.environ.get("REMOTE_ADDR", "-")), None, "_respond"))
    return response


def make_app(handler: Handler) -> bottle.Bottle:
    root = handler.settings.root
    app = bottle.Bottle(catchall=True)
    for resource in ALL_RESOURCES:
        def serve(resource=resource, **params):
            return _respond(handler, resource, params.get(resource.parameter[0]) if resource.parameter else None)
        app.route(route_rule(root, resource), method="ANY", callback=serve,
                  name=resource.name, **{RESOURCE_CONFIG_KEY: resource.path})

    def unknown(path: str = ""):
        return _respond(handler, None)
    app.route("/<path:path>", method="ANY", callback=unknown)
    app.route("/", method="ANY", callback=unknown)
    return app


def routed_paths(app: bottle.Bottle) -> dict[str, str]:
    """resource path -> bottle rule, for every resource route of ``app``."""
    return {route.config[RESOURCE_CONFIG_KEY]: route.rule for route in app.routes
            if RESOURCE_CONFIG_KEY in route.config}

