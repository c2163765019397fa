"""The HTTP gateway on a real waitress server (port 0): transport, errors, limits, tokens,
CORS, logs, OpenAPI and health. DE1 resources are in test_http_de1.py."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket

import pytest

from pyde1.api import ALL_RESOURCES, openapi_document
from test_http_fakes import FakeDE1, start_gateway


def raw_exchange(gw, request: bytes) -> bytes:
    """Send bytes no HTTP client library would send; everything the server answers until it closes."""
    with socket.create_connection((gw.host, gw.port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    return data


@pytest.fixture
def gw(runtime, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "pyde1.log").write_text("line one\n")
    (logs / "old.log.1.gz").write_bytes(b"\x1f\x8b zipped")
    (logs / "notes.json").write_text('{"a": 1}')
    (logs / "subdir").mkdir()
    (tmp_path / "secret.txt").write_text("outside the log directory")
    os.symlink(tmp_path / "secret.txt", logs / "link.txt")
    gateway = start_gateway(runtime, log_directory=str(logs))
    yield gateway
    gateway.close()


def test_version_has_pyde1_shape_and_headers(gw):
    r = gw.get("/version")
    assert r.status == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json
    assert body["resource_version"] == "5.0.0" and body["mapping_version"] == "7.0.0"
    assert set(body["python_info"]) == {"major", "minor", "micro", "releaselevel", "serial"}
    assert {"pyDE1", "aiosqlite", "bleak", "paho-mqtt", "PyYAML", "requests", "asyncio-mqtt"} <= set(body["module_versions"])
    # pyDE1's formatting: sorted keys, 4-space indent, trailing newline
    assert r.body == (json.dumps(body, sort_keys=True, indent=4) + "\n").encode()
    stamp = float(r.headers["x-pyde1-timestamp"])
    assert abs(stamp - __import__("time").time()) < 60
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", r.headers["last-modified"])
    assert int(r.headers["content-length"]) == len(r.body)


def test_keep_alive_serves_many_requests_on_one_connection(gw):
    conn = http.client.HTTPConnection(gw.host, gw.port, timeout=5)
    conn.request("GET", "/version")
    first = conn.getresponse()
    first.read()
    sock = conn.sock
    for _ in range(5):
        conn.request("GET", "/version")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    assert conn.sock is sock, "the server closed a keep-alive connection"
    conn.close()


@pytest.mark.parametrize("method,path,status,body", [
    ("GET", "/nope", 404, "Unrecognized resource GET /nope HTTP/1.1"),
    ("GET", "/de1/state?x=1", 404, "Unrecognized resource GET /de1/state?x=1 HTTP/1.1"),
    ("GET", "/de1/control/espresso/", 404, "Unrecognized resource GET /de1/control/espresso/ HTTP/1.1"),
    ("GET", "/de1/mode", 405, "GET not permitted for Resource.DE1_MODE"),
    ("PATCH", "/version", 405, "PATCH not permitted for Resource.VERSION"),
    ("PUT", "/de1/control/espresso", 501, "PUT not yet supported for Resource.DE1_CONTROL_ESPRESSO"),
    ("POST", "/version", 501, "Unsupported method ('POST')"),
    ("DELETE", "/de1", 501, "Unsupported method ('DELETE')"),
    # pyDE1 dropped the connection for these (Appendix A6); 405 here
    ("GET", "/scan/devices", 405, "GET not permitted for Resource.SCAN_DEVICES"),
    ("GET", "/de1/firmware/cancel", 405, "GET not permitted for Resource.DE1_FIRMWARE_CANCEL"),
    ("GET", "/de1/calibration/internal", 405, "GET not permitted for Resource.DE1_CALIBRATION_INTERNAL"),
])
def test_error_statuses_and_text_bodies(gw, method, path, status, body):
    r = gw.request(method, path, body=b"{}" if method in ("PATCH", "PUT") else None)
    assert (r.status, r.text) == (status, body)
    assert r.headers["content-type"] == "text/plain"
    assert "x-pyde1-timestamp" in r.headers


@pytest.mark.parametrize("body,status,text", [
    (b'{"stop_at_weight": ', 400, "JSONDecodeError('Expecting value: line 1 column 20 (char 19)')"),
    (b"", 400, "JSONDecodeError('Expecting value: line 1 column 1 (char 0)')"),
    (b'{"stop_at_weight": NaN}', 400, "JSONDecodeError('NaN is not a valid JSON value')"),
    (b'{"nope": 1}', 400, "DE1APIAttributeError('No mapping found for nope')"),
    (b'{"stop_at_weight": "36"}', 400,
     "DE1APITypeError(\"Expected float value at stop_at_weight, not '36' <class 'str'>\")"),
    (b'{"disable_auto_tare": 1}', 400,
     "DE1APITypeError(\"Expected bool value at disable_auto_tare, not 1 <class 'int'>\")"),
    (b'{"stop_at_weight": -1}', 400, "DE1APIValueError('stop_at_weight must be at least 0, not -1.0')"),
    (b'[1, 2]', 400, "DE1APITypeError(\"Validate: Mapping and patch inconsistent, expected an object at "
                     "the top level, not [1, 2] <class 'list'>\")"),
])
def test_bad_patch_bodies_are_refused_before_any_actor_is_asked(gw, body, status, text):
    # No sequencer runs: a valid body would be a 503, so a 400 proves validation came first.
    r = gw.patch("/de1/control/espresso", body)
    assert (r.status, r.text) == (status, text)


def test_valid_patch_without_its_actor_is_503_naming_it(gw):
    r = gw.patch("/de1/control/espresso", {"stop_at_weight": 36})
    assert r.status == 503
    assert "FlowSequencer is unavailable" in r.text


def test_oversized_body_is_413_and_the_connection_stays_usable(gw):
    r = gw.patch("/de1/control/espresso", b"{" + b" " * 20000 + b"}")
    assert r.status == 413
    assert r.text.startswith("Patch is too large")
    assert gw.get("/version").status == 200


def test_waitress_refuses_bodies_over_max_body_bytes(runtime):
    gateway = start_gateway(runtime, max_body_bytes=1000)
    try:
        r = gateway.put("/de1/firmware", b"x" * 5000)
        assert r.status == 413
    finally:
        gateway.close()


def test_missing_content_length_is_411(gw):
    data = raw_exchange(gw, b"PATCH /de1/control/espresso HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 411")
    assert data.endswith(b"Missing Content-Length header")
    assert data.count(b"HTTP/1.1") == 1  # one answer only (pyDE1 sent a second one: A3)


# -- tokens ----------------------------------------------------------------------------------

@pytest.fixture
def token_gw(runtime):
    gateway = start_gateway(runtime, tokens=("s3cret", "other-token"))
    yield gateway
    gateway.close()


def test_token_required_for_changes(token_gw):
    r = token_gw.patch("/de1/control/espresso", {"stop_at_weight": 36})
    assert r.status == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "needs an API token" in r.text


def test_wrong_token_rejected(token_gw):
    r = token_gw.patch("/de1/control/espresso", {"stop_at_weight": 36},
                       headers={"Authorization": "Bearer s3cre"})
    assert (r.status, r.text) == (401, "the API token is not valid")


def test_right_token_accepted(token_gw):
    # accepted: the request goes on to the (absent) sequencer, so 503 rather than 401
    for token in ("s3cret", "other-token"):
        r = token_gw.patch("/de1/control/espresso", {"stop_at_weight": 36},
                           headers={"Authorization": f"bearer {token}"})
        assert r.status == 503, r.text


def test_get_needs_no_token(token_gw):
    assert token_gw.get("/version").status == 200


def test_token_checked_before_body(token_gw):
    r = token_gw.patch("/de1/control/espresso", b"not json")
    assert r.status == 401


# -- CORS -----------------------------------------------------------------------------------------

@pytest.fixture
def cors_gw(runtime):
    gateway = start_gateway(runtime, allowed_origins=("https://app.example",))
    yield gateway
    gateway.close()


def test_cors_allowed_origin_gets_headers(cors_gw):
    r = cors_gw.get("/version", headers={"Origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-pyde1-timestamp" in r.headers["access-control-expose-headers"]
    assert r.headers["vary"] == "Origin"


def test_cors_other_origin_gets_none(cors_gw):
    r = cors_gw.get("/version", headers={"Origin": "https://evil.example"})
    assert r.status == 200
    assert "access-control-allow-origin" not in r.headers


def test_cors_preflight(cors_gw):
    r = cors_gw.request("OPTIONS", "/de1/control/espresso", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "PATCH"})
    assert r.status == 204
    assert r.headers["access-control-allow-methods"] == "GET, PATCH, OPTIONS"
    assert "Authorization" in r.headers["access-control-allow-headers"]
    bad = cors_gw.request("OPTIONS", "/de1/control/espresso", headers={"Origin": "https://evil.example"})
    assert bad.status == 403


def test_options_without_cors_config_is_unsupported(gw):
    assert gw.request("OPTIONS", "/version").status == 501


# -- logs -----------------------------------------------------------------------------------------

def test_logs_lists_regular_files_only(gw):
    r = gw.get("/logs")
    assert r.status == 200
    names = {entry["name"] for entry in r.json}
    assert names == {"pyde1.log", "old.log.1.gz", "notes.json"}
    entry = next(e for e in r.json if e["name"] == "pyde1.log")
    assert entry["id"] == "pyde1.log" and entry["size"] == 9
    assert {"atime", "mtime", "ctime"} <= set(entry)


@pytest.mark.parametrize("name,content_type,body", [
    ("pyde1.log", "text/plain", b"line one\n"),
    ("old.log.1.gz", "application/gz", b"\x1f\x8b zipped"),
    ("notes.json", "application/json", b'{"a": 1}'),   # pyDE1 dropped the connection (A5)
])
def test_log_file_served_raw(gw, name, content_type, body):
    r = gw.get(f"/log/{name}")
    assert (r.status, r.headers["content-type"], r.body) == (200, content_type, body)


@pytest.mark.parametrize("path", [
    "/log/..", "/log/.", "/log/...", "/log/../secret.txt", "/log/%2e%2e%2fsecret.txt",
    "/log/..%2Fsecret.txt", "/log/subdir", "/log/link.txt", "/log/missing.log",
    "/log/pyde1.log%00", "/log//etc/passwd",
])
def test_log_traversal_and_missing_files_are_404(gw, path):
    r = gw.get(path)
    assert r.status == 404, (path, r.status, r.text)
    assert b"outside the log directory" not in r.body


def test_logs_with_a_missing_directory_is_empty(runtime, tmp_path):
    gateway = start_gateway(runtime, log_directory=str(tmp_path / "absent"))
    try:
        assert gateway.get("/logs").json == []
        assert gateway.get("/log/pyde1.log").status == 404
    finally:
        gateway.close()


def test_logs_with_a_file_as_directory_is_500_naming_it(runtime, tmp_path):
    (tmp_path / "file").write_text("x")
    gateway = start_gateway(runtime, log_directory=str(tmp_path / "file"))
    try:
        r = gateway.get("/logs")
        assert r.status == 500 and "is not a directory" in r.text
    finally:
        gateway.close()


def test_header_that_is_not_utf8_is_fine(gw):
    data = raw_exchange(gw, b"GET /version HTTP/1.1\r\nHost: x\r\nX-Thing: \xe9\xff\r\nOrigin: \xe9\r\n"
                             b"Connection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200")


def test_path_that_is_not_utf8_is_404(gw):
    data = raw_exchange(gw, b"GET /de1/\xe9\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.split(b"\r\n")[0] in (b"HTTP/1.1 404 Not Found", b"HTTP/1.1 400 Bad Request"), data[:200]


# -- OpenAPI --------------------------------------------------------------------------------------

def test_openapi_covers_exactly_the_routed_resources(gw):
    r = gw.get("/openapi.json")
    assert r.status == 200
    doc = r.json
    assert doc["openapi"].startswith("3.1")
    routes = gw.ref.proxy().routes().get(timeout=5)   # what the running bottle app routes
    assert set(routes) == {res.path for res in ALL_RESOURCES}
    allowed = {("/" + res.path, m) for res in ALL_RESOURCES for m in res.allowed_methods}
    documented = {(p, m.upper()) for p, item in doc["paths"].items() for m in item
                  if m in ("get", "patch", "put")}
    assert documented == allowed
    # a routed resource without any allowed method (scan/devices...) is not documented, and
    # the server answers 405 for it
    undocumented = {path for path in routes} - {p[1:] for p in doc["paths"]}
    assert undocumented == {"scan/devices", "de1/profiles", "de1/firmwares",
                            "de1/setting/tbd_name_other_shot_settings", "de1/calibration/internal"}
    for path in undocumented:
        assert gw.get("/" + path).status == 405


def test_every_documented_operation_is_answered_by_the_server(gw):
    doc = gw.get("/openapi.json").json
    for path, item in doc["paths"].items():
        concrete = path.replace("{id}", "pyde1.log")
        for method in ("get", "patch", "put"):
            if method not in item:
                continue
            r = gw.request(method.upper(), concrete, body=b"{}" if method != "get" else None)
            assert r.status not in (404, 405, 501), (method, path, r.status, r.text)


def test_openapi_marks_token_security_when_configured(token_gw):
    doc = token_gw.get("/openapi.json").json
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert doc["paths"]["/de1/control/espresso"]["patch"]["security"] == [{"bearer": []}]
    assert "security" not in doc["paths"]["/de1/control/espresso"]["get"]
    assert openapi_document()["paths"].keys() == doc["paths"].keys()


# -- health -----------------------------------------------------------------------------------------

def test_health_reports_actors_and_devices(gw, runtime):
    gw.start("de1", FakeDE1)
    gw.sync()
    r = gw.get("/health")
    assert r.status == 200
    body = r.json
    assert body["healthy"] is True
    assert body["actors"]["de1"]["alive"] is True
    assert body["actors"]["de1"]["health"]["class"] == "FakeDE1"
    assert body["devices"]["de1"]["availability"] == "ready"
    assert body["devices"]["scale"]["availability"] == "absent"


class _Service:
    """Stands in for actors.service.Service: the supervisor's status."""

    started_at = None

    def __init__(self, actors):
        self.actors = actors

    def status(self, timeout=2.0):
        return {"actors": self.actors, "absent": {"sequencer": "actors.sequencer is not part of this build"}}


def test_health_is_503_when_an_actor_was_given_up(gw, runtime):
    runtime.extras["service"] = _Service({
        "http": {"class": "HttpGateway", "alive": True, "restarts": 0, "recent_failures": 0,
                 "last_error": "", "gave_up": False},
        "de1": {"class": "DE1", "alive": False, "restarts": 5, "recent_failures": 6,
                "last_error": "RuntimeError: boom", "gave_up": True},
    })
    r = gw.get("/health")
    assert r.status == 503
    assert r.json["healthy"] is False
    assert any("de1" in p and "boom" in p for p in r.json["problems"])
    assert r.json["absent"]["sequencer"].startswith("actors.sequencer")


def test_503_says_why_a_role_is_absent(gw, runtime):
    runtime.extras["absent_parts"] = {"devices": "actors.devices is not part of this build"}
    r = gw.get("/de1/state")
    assert (r.status, r.text) == (503, "DeviceUnavailableError('DE1 is unavailable: actors.devices is "
                                       "not part of this build')")


def test_server_root_prefix(runtime):
    gateway = start_gateway(runtime, root="/pyde1/")
    try:
        assert gateway.get("/pyde1/version").status == 200
        assert gateway.get("/version").status == 404
        assert gateway.get("/pyde1/openapi.json").json["servers"] == [{"url": "/pyde1"}]
        assert gateway.get("/pyde1/de1/mode").text == "GET not permitted for Resource.DE1_MODE"
    finally:
        gateway.close()


def test_health_asks_devices_the_gateway_has_not_heard_from(runtime):
    de1 = FakeDE1.start(runtime, role="de1")
    runtime.roles.set("de1", de1)
    de1.proxy().set_availability("ready").get(timeout=5)   # before the gateway exists
    gateway = start_gateway(runtime)
    try:
        devices = gateway.get("/health").json["devices"]
        assert devices["de1"] == {"availability": "ready", "id": "AA:BB:CC:DD:EE:FF", "name": "DE1"}
    finally:
        gateway.close()


def test_each_request_is_logged_as_pyde1_did(gw, caplog):
    caplog.set_level("INFO", logger="pyde1.http.access")
    assert gw.get("/version").status == 200
    assert gw.get("/no/such/thing").status == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "pyde1.http.access"]
    assert re.fullmatch(r'\d+ 200 "OK" \d+ GET /version HTTP/1.1 127.0.0.1', lines[0]), lines
    assert re.fullmatch(r'\d+ 404 "Not Found" \d+ GET /no/such/thing HTTP/1.1 127.0.0.1', lines[1]), lines
