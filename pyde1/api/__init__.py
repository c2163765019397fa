"""The HTTP API as data and pure functions: the resource table, request validation, OpenAPI
generation, tokens and CORS. The gateway (``actors.http``) serves it; nothing here does I/O.

    resource = BY_PATH["de1/control/espresso"]
    cleaned = validate_patch(resource, parse_json(body))   # ApiError(400) naming the field
    needs = patch_needs(resource, cleaned)                 # {Need.DE1} ...
    openapi_document(root="/", tokens=True)
"""

from pyde1.api.errors import ApiError, from_exception, status_for
from pyde1.api.model import (Access, BodyKind, Leaf, Need, Outcome, Ref, Resource, ValueType,
                             leaves)
from pyde1.api.resources import (ALL_RESOURCES, BY_PATH, EXTENSIONS, MAPPING_VERSION,
                                 RESOURCE_VERSION, RESOURCES, resource)
from pyde1.api.settings import HttpSettings
from pyde1.api.validate import (get_needs, parse_json, patch_needs, prune, readable_parts, split,
                                validate_patch, validate_text)

__all__ = [
    "ALL_RESOURCES", "Access", "ApiError", "BY_PATH", "BodyKind", "EXTENSIONS", "HttpSettings",
    "Leaf", "MAPPING_VERSION", "Need", "Outcome", "RESOURCES", "RESOURCE_VERSION", "Ref",
    "Resource", "ValueType", "from_exception", "get_needs", "leaves", "openapi_document",
    "parse_json", "patch_needs", "prune", "readable_parts", "resource", "routed_operations",
    "split", "status_for", "validate_patch", "validate_text",
]

#: Imported on first use: the OpenAPI generator is only needed for GET openapi.json and tests,
#: and importing it would otherwise be part of every start of the service.
_LAZY = {"openapi_document": "pyde1.api.openapi", "routed_operations": "pyde1.api.openapi"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
