"""OpenAPI 3.1 document generated from the resource table that routes requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyde1 import __version__
from pyde1.api.model import BodyKind, Leaf, Outcome, Ref, Resource, ValueType
from pyde1.api.resources import ALL_RESOURCES, MAPPING_VERSION, RESOURCE_VERSION
from pyde1.api.validate import get_needs, resolve

_JSON_TYPES = {ValueType.INT: "integer", ValueType.FLOAT: "number", ValueType.BOOL: "boolean",
               ValueType.STR: "string", ValueType.OBJECT: "object"}

_ERROR_RESPONSES = {
    "400": "invalid request: bad JSON, unknown key, read-only key, wrong type or value",
    "401": "an API token is required (PATCH/PUT when http.API_TOKENS is set)",
    "409": "the device is not ready, or the request does not fit its state",
    "413": "body too large",
    "503": "no actor plays the device's role",
    "504": "the device did not answer in time",
}


def _leaf_schema(leaf: Leaf, output: bool) -> dict[str, Any]:
    value_type = leaf.output_type if output else leaf.type
    optional = leaf.output_optional if output else leaf.optional
    choices = leaf.output_choices if output else leaf.choices
    if value_type is ValueType.NUMBER_LIST:
        schema: dict[str, Any] = {"type": "array", "items": {"type": ["number", "null"]}}
    else:
        schema = {"type": _JSON_TYPES[value_type]}
    if optional:
        schema["type"] = [schema["type"], "null"]
    if choices:
        schema["enum"] = list(choices) + ([None] if optional else [])
    if not output and value_type is ValueType.NUMBER_LIST:
        if leaf.maximum is not None:
            schema["maxItems"] = int(leaf.maximum)
        schema["items"] = {"type": ["number", "null"], "minimum": 0}
    elif not output:
        if leaf.minimum is not None:
            schema["minimum"] = leaf.minimum
        if leaf.maximum is not None:
            schema["maximum"] = leaf.maximum
    if not output and leaf.pattern is not None:
        schema["pattern"] = f"^{leaf.pattern}$"
    if leaf.description:
        schema["description"] = leaf.description
    if leaf.needs:
        schema["x-pyde1-needs"] = sorted(n.value for n in leaf.needs)
    return schema


def node_schema(node: Any, output: bool) -> dict[str, Any] | None:
    """JSON schema of a mapping node for GET output (``output``) or PATCH input; None when
    the node has nothing in that direction."""
    if isinstance(node, Ref):
        node = resolve(node.path).mapping
    if node is None:
        return None
    if isinstance(node, Leaf):
        if output and not node.readable or not output and not node.writable:
            return None
        return _leaf_schema(node, output)
    properties = {}
    for key, child in node.items():
        sub = node_schema(child, output)
        if sub is not None:
            properties[key] = sub
    if not properties and node:
        return None
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _text(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def _ok(schema: Mapping[str, Any], content_type: str = "application/json") -> dict[str, Any]:
    return {"description": "OK", "headers": {
        "x-pyde1-timestamp": {"schema": {"type": "string"},
                              "description": "Unix time of the answer (compare with MQTT)"}},
        "content": {content_type: {"schema": dict(schema)}}}


def _result_list() -> dict[str, Any]:
    return _ok({"type": "array", "description": "one entry per setter that returned a value "
                "(addresses for */id, {id, fingerprint} for profiles)"})


def _errors(codes: tuple[str, ...]) -> dict[str, Any]:
    return {code: _text(_ERROR_RESPONSES[code]) for code in codes}


def _put_body(resource: Resource) -> dict[str, Any]:
    kind = resource.put_body
    if kind is BodyKind.JSON:
        return {"required": True, "content": {"application/json": {
            "schema": node_schema(resource.mapping, output=False)}}}
    if kind is BodyKind.TEXT:
        leaf = resource.mapping
        assert isinstance(leaf, Leaf)
        return {"required": True, "content": {"text/plain": {
            "schema": {"type": "string", "enum": list(leaf.choices)}}}}
    if kind is BodyKind.BYTES:
        media = "application/octet-stream" if "firmware" in resource.path else "application/json"
        return {"required": True, "content": {media: {"schema": {
            "type": "string", "contentMediaType": media,
            "description": "sent verbatim (a profile's id is the SHA-1 of these bytes)"}}}}
    return {"required": False, "content": {"*/*": {"schema": {}}}}


def _operation(resource: Resource, method: str, tokens: bool) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": resource.summary or resource.path,
                          "operationId": f"{method.lower()}_{resource.name.lower()}",
                          "tags": [resource.path.split("/")[0]]}
    device_errors = ("409", "503", "504")
    if method == "GET":
        if resource.local_schema is not None:
            content = "text/plain" if resource.path == "log/{id}" else "application/json"
            op["responses"] = {"200": _ok(resource.local_schema, content)}
            if resource.path == "log/{id}":
                op["responses"]["404"] = _text("no such log file")
            if resource.path == "health":
                op["responses"]["503"] = _ok(resource.local_schema)
                op["responses"]["503"]["description"] = "unhealthy"
        else:
            schema = node_schema(resource.mapping, output=True) or {"type": "object"}
            op["responses"] = {"200": _ok(schema)}
            if get_needs(resource):
                op["responses"].update(_errors(device_errors))
                op["x-pyde1-needs"] = sorted(n.value for n in get_needs(resource))
    else:
        if method == "PATCH":
            schema = node_schema(resource.mapping, output=False) or {
                "type": "object", "additionalProperties": False}
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        else:
            op["requestBody"] = _put_body(resource)
            if resource.put_needs:
                op["x-pyde1-needs"] = sorted(n.value for n in resource.put_needs)
        op["responses"] = {"200": _result_list(), **_errors(("400", "413") + device_errors)}
        if tokens:
            op["responses"].update(_errors(("401",)))
            op["security"] = [{"bearer": []}]
    if resource.parameter is not None:
        name, pattern = resource.parameter
        op["parameters"] = [{"name": name, "in": "path", "required": True,
                             "schema": {"type": "string", "pattern": f"^{pattern}$"}}]
    return op


def openapi_document(root: str = "/", tokens: bool = False) -> dict[str, Any]:
    """The whole API as OpenAPI 3.1. ``tokens``: PATCH/PUT need a bearer token."""
    paths: dict[str, Any] = {}
    for resource in ALL_RESOURCES:
        item = {m.lower(): _operation(resource, m, tokens)
                for m in ("GET", "PATCH", "PUT") if resource.outcome(m) is Outcome.ALLOWED}
        if item:
            item["x-pyde1-resource"] = resource.name
            paths["/" + resource.path] = item
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "pyde1 HTTP API", "version": __version__,
                 "description": f"pyDE1 2.0 compatible: RESOURCE_VERSION {RESOURCE_VERSION}, "
                                f"MAPPING_VERSION {MAPPING_VERSION}. Errors are text/plain."},
        "servers": [{"url": root.rstrip("/") or "/"}],
        "paths": paths,
    }
    if tokens:
        doc["components"] = {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}
    return doc


def routed_operations() -> set[tuple[str, str]]:
    """(path, METHOD) of every allowed operation in the table, for consistency checks."""
    return {("/" + r.path, m) for r in ALL_RESOURCES for m in r.allowed_methods}
