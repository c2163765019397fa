"""The pure half of the HTTP API (pyde1/api): the table against the reference's resource list,
validation, needs, tokens, CORS, response format and the OpenAPI document."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyde1.api import (ALL_RESOURCES, BY_PATH, RESOURCES, ApiError, Need, Outcome, get_needs,
                       openapi_document, parse_json, patch_needs, prune, resource, routed_operations,
                       split, validate_patch)
from pyde1.api import access, respond
from pyde1.api.errors import status_for
from pyde1.api.settings import HttpSettings

# -- the table against api-contract §1.7 ------------------------------------------------------------


def _reference_rows(shared_dir):
    text = (shared_dir / "reference" / "api-contract.md").read_text()
    section = text.split("### 1.7 Resource list")[1].split("### 1.8")[0]
    rows = []
    for line in section.splitlines():
        m = re.match(r"\| `([^`]+)` \| (\w+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|", line)
        if m:
            rows.append([g.strip() for g in m.groups()])
    return rows


def _expected(cell: str) -> Outcome:
    if cell.startswith("✔") or cell.startswith("400 (RO)"):
        return Outcome.ALLOWED
    if cell == "501":
        return Outcome.NOT_IMPLEMENTED
    # "405", and "(no reply)" which pyDE1 answered by dropping the connection (A6): 405 here
    return Outcome.NOT_PERMITTED


def test_table_matches_the_reference_resource_list(shared_dir):
    rows = _reference_rows(shared_dir)
    assert len(rows) == len(RESOURCES) == 56
    for (path, name, get, patch, put), res in zip(rows, RESOURCES):
        assert (res.path, res.name) == (path, name)
        assert res.get is _expected(get), (path, "GET", get)
        assert res.patch is _expected(patch), (path, "PATCH", patch)
        assert res.put is _expected(put), (path, "PUT", put)


def test_get_needs_follow_the_reference_connectivity_column(shared_dir):
    for path, name, get, *_ in _reference_rows(shared_dir):
        res = resource(path)
        if res.get is not Outcome.ALLOWED or res.mapping is None:
            continue
        line = next(l for l in (shared_dir / "reference" / "api-contract.md").read_text().splitlines()
                    if l.startswith(f"| `{path}` |"))
        conn = line.split("|")[6].strip()
        if path == "scale":
            assert get_needs(res) == frozenset()  # fixed: pyDE1 wanted a ready scale for write-only leaves
        elif conn == "DE1":
            assert get_needs(res) == {Need.DE1}, path
        else:
            assert get_needs(res) == frozenset(), path


def test_paths_are_unique_and_extensions_are_separate():
    paths = [r.path for r in ALL_RESOURCES]
    assert len(paths) == len(set(paths))
    assert {"openapi.json", "health"} <= set(paths)


# -- validation ------------------------------------------------------------------------------------


def _error(path, body) -> ApiError:
    with pytest.raises(ApiError) as info:
        validate_patch(resource(path), body)
    return info.value


@pytest.mark.parametrize("path,body,message", [
    ("de1/setting/start_fill_level", {"start_fill_level": 0.5},
     "DE1APITypeError(\"Expected int value at start_fill_level, not 0.5 <class 'float'>\")"),
    ("de1/setting/start_fill_level", {"start_fill_level": 1.0},
     "DE1APITypeError(\"Expected int value at start_fill_level, not 1.0 <class 'float'>\")"),
    ("de1/mode", {"mode": "Espreso"}, "DE1APIValueError(\"'Espreso' is not a valid DE1ModeEnum\")"),
    ("de1", {"control": {"espresso": {"foo": 1}}},
     "DE1APIAttributeError('No mapping found for control:espresso:foo')"),
    ("de1/control/steam", {"stop_at_time": None},
     "DE1APITypeError('Expected int value at stop_at_time, not None (null is not accepted)')"),
    ("de1/control/espresso", {"move_on_weight": 3},
     "DE1APITypeError(\"Expected list value at move_on_weight, not 3 <class 'int'>\")"),
    ("de1/control/espresso", {"move_on_weight": [1, "x"]},
     "DE1APITypeError(\"Expected a number or null at move_on_weight[1], not 'x' <class 'str'>\")"),
    ("de1/control/espresso", {"move_on_weight": [1] * 21},
     "DE1APIValueError('move_on_weight has 21 entries; at most 20 (one per DE1 frame)')"),
    ("de1/control/espresso", {"first_drops_threshold": 11},
     "DE1APIValueError('first_drops_threshold must be at most 10, not 11.0')"),
    ("de1/control", {"espresso": 5},
     "DE1APITypeError(\"Validate: Mapping and patch inconsistent, expected an object at espresso, "
     "not 5 <class 'int'>\")"),
    ("de1/state", {"state": {"state": "Idle"}},
     "DE1APIAttributeError('Unable to write state:state: it is read-only')"),
    ("de1/id", {"name": "x"}, "DE1APIAttributeError('Unable to write name: it is read-only')"),
])
def test_validation_messages_name_the_field(path, body, message):
    err = _error(path, body)
    assert (err.status, err.body) == (400, message)


def test_validation_cleans_values():
    cleaned = validate_patch(resource("de1/control/espresso"),
                             {"stop_at_weight": 36, "disable_auto_tare": True, "move_on_weight": [2, None],
                              "first_drops_threshold": 0})
    assert cleaned == {"stop_at_weight": 36.0, "disable_auto_tare": True, "move_on_weight": [2.0, None],
                       "first_drops_threshold": 0.0}
    assert isinstance(cleaned["stop_at_weight"], float)
    # bool is an int for int leaves (pyDE1), turned into a plain int
    assert validate_patch(resource("de1/setting/fan_threshold"), {"temperature": True}) == {"temperature": 1}


def test_needs_follow_the_keys_sent():
    de1 = resource("de1")
    only_sequencer = validate_patch(de1, {"control": {"espresso": {"stop_at_weight": 3}}})
    assert patch_needs(de1, only_sequencer) == frozenset()
    with_de1 = validate_patch(de1, {"control": {"steam": {"stop_at_time": 3}}})
    assert patch_needs(de1, with_de1) == {Need.DE1}
    assert patch_needs(resource("scale/tare"), {"tare": True}) == {Need.SCALE}
    assert patch_needs(resource("de1/id"), {"id": "scan"}) == frozenset()


def test_split_keeps_body_order_across_resources():
    de1 = resource("de1")
    cleaned = validate_patch(de1, {"setting": {"fan_threshold": {"temperature": 40}},
                                   "control": {"espresso": {"stop_at_weight": 30}}, "id": {"id": None}})
    assert [r.path for r, _ in split(de1, cleaned)] == ["de1/setting/fan_threshold",
                                                       "de1/control/espresso", "de1/id"]


def test_prune_drops_write_only_missing_and_empty():
    steam = resource("de1/control/steam")
    assert prune(steam.mapping, {"stop_at_time": 3, "stop_at_weight": 5, "bogus": 1}) == {"stop_at_time": 3}
    de1 = resource("de1")
    assert prune(de1.mapping, {"id": {"id": "x"}, "parameter_set": {}, "control": {"steam": {}}}) == {"id": {"id": "x"}}


def test_parse_json():
    assert parse_json(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    with pytest.raises(ApiError) as info:
        parse_json(b"\xff")
    assert info.value.status == 400 and "UTF-8" in info.value.body
    with pytest.raises(ApiError) as info:
        parse_json(b"[" * 100000)
    assert info.value.status == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
mapped = [r for r in ALL_RESOURCES if r.mapping is not None]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(mapped), json_values)
def test_any_json_is_either_cleaned_or_a_400(res, body):
    try:
        cleaned = validate_patch(res, body)
    except ApiError as exc:
        assert exc.status == 400 and exc.body
    else:
        json.dumps(cleaned)  # cleaned values are plain JSON
        patch_needs(res, cleaned)


# -- tokens and CORS --------------------------------------------------------------------------------

def test_tokens():
    tokens = ("abc", "def")
    access.check_token("GET", None, tokens)
    access.check_token("PATCH", None, ())
    access.check_token("PUT", "Bearer def", tokens)
    for header, text in ((None, "needs an API token"), ("Basic abc", "needs an API token"),
                         ("Bearer ab", "not valid"), ("Bearer abcd", "not valid")):
        with pytest.raises(ApiError) as info:
            access.check_token("PATCH", header, tokens)
        assert info.value.status == 401 and text in info.value.body
    with pytest.raises(ApiError):
        access.check_token("DELETE", None, tokens)


def test_cors_decisions():
    assert access.cors_headers("https://a", ()) == {}
    assert access.cors_headers(None, ("*",)) == {}
    assert access.cors_headers("https://b", ("*",))["Access-Control-Allow-Origin"] == "*"
    assert access.cors_headers("https://a", ("https://a",))["Access-Control-Allow-Origin"] == "https://a"
    assert access.cors_headers("https://b", ("https://a",)) == {}
    with pytest.raises(ApiError) as info:
        access.preflight_headers("https://b", ("https://a",), ["GET"])
    assert info.value.status == 403


# -- responses and settings ------------------------------------------------------------------------

def test_json_body_is_pyde1_format():
    assert respond.json_body([]) == b"[]\n"
    assert respond.json_body({"b": 1, "a": [True]}) == b'{\n    "a": [\n        true\n    ],\n    "b": 1\n}\n'


def test_time_headers():
    headers = respond.time_headers(1675628682.0626736)
    assert headers["x-pyde1-timestamp"] == "1675628682.0626736"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} 2023 \d\d:\d\d:\d\d [+-]\d{4}", headers["Last-Modified"])


@pytest.mark.parametrize("t", [1675628682.0, 1675628682.0626736, 1675628682.9999, 1675628683.0, 86399.5, 0.25])
def test_last_modified_is_formatdate_of_the_same_second(t):
    from email.utils import formatdate

    # Cached per second; must agree with formatdate of the float itself, at second edges too.
    assert respond.time_headers(t)["Last-Modified"] == formatdate(t, localtime=True)


@pytest.mark.parametrize("name,content_type", [
    ("pyde1.log", "text/plain"), ("a.txt", "text/plain"), ("pyde1.log.46.gz", "application/gz"),
    ("x.json", "application/json"), ("x.zip", "application/zip"), ("x.bz2", "application/x-bzip2"),
    ("x.xz", "application/x-xz"), ("x.bin", "application/octet-stream")])
def test_log_content_types(name, content_type):
    assert respond.log_content_type(name) == content_type


def test_status_for_actor_errors():
    class DE1APIUnsupportedStateTransitionError(ValueError):
        pass

    class Custom(Exception):
        http_status = 418

    assert status_for(DE1APIUnsupportedStateTransitionError()) == 409  # before the ValueError 400
    assert status_for(Custom()) == 418
    assert status_for(TimeoutError()) == 504
    assert status_for(RuntimeError()) == 500


def test_settings_from_config():
    from pyde1.config import Config
    s = HttpSettings.from_config(Config())
    assert (s.host, s.port, s.root, s.patch_size_limit) == ("", 1234, "/", 16384)
    assert s.response_timeout == pytest.approx(16.1)
    assert s.bind_host == "0.0.0.0"
    assert s.body_limit("de1/firmware") == 1048576 and s.body_limit("de1") == 16384
    with pytest.raises(ValueError):
        HttpSettings(root="pyde1")


# -- OpenAPI ----------------------------------------------------------------------------------------

def test_openapi_document_is_complete_and_consistent():
    doc = openapi_document(root="/pyde1/", tokens=False)
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "/pyde1"}]
    documented = {(p, m.upper()) for p, item in doc["paths"].items() for m in ("get", "patch", "put") if m in item}
    assert documented == routed_operations()
    ids = [op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m in ("get", "patch", "put")]
    assert len(ids) == len(set(ids))
    espresso = doc["paths"]["/de1/control/espresso"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert espresso["additionalProperties"] is False
    assert espresso["properties"]["stop_at_weight"] == {"type": ["number", "null"], "minimum": 0,
                                                        "description": "g; 0 = null"}
    mode = doc["paths"]["/de1/mode"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert "Espresso" in mode["properties"]["mode"]["enum"]
    state = doc["paths"]["/de1/state"]["get"]
    assert state["x-pyde1-needs"] == ["DE1"] and "409" in state["responses"]
    log = doc["paths"]["/log/{id}"]["get"]
    assert log["parameters"][0]["schema"]["pattern"] == "^[a-zA-Z0-9._-]+$"
    json.dumps(doc)


def test_docs_hold_the_generated_resource_table():
    from pathlib import Path
    from pyde1.api.doc import resource_table
    doc = (Path(__file__).resolve().parent.parent / "docs" / "http-api.md").read_text()
    assert resource_table() in doc, "docs/http-api.md is stale: paste pyde1.api.doc.resource_table()"
