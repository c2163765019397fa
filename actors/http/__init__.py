"""The HTTP gateway: pyDE1 2.0's HTTP API (bottle app served by waitress) in its own actor.

    specs = http_specs(config)            # [ActorSpec(role="http", ...)]
    GET /openapi.json, GET /health         # pyde1's additions
"""

from __future__ import annotations

from typing import Any

from actors.http.gateway import HttpGateway, PublishUpdate
from actors.supervisor import ActorSpec
from pyde1.api.settings import HttpSettings

ROLE = "http"


def http_specs(config: Any, simulate: bool = False) -> list[ActorSpec]:
    """The gateway's spec. It depends on no role: every other role is looked up per request,
    so a missing or restarting device answers 503/409 instead of blocking the start."""
    return [ActorSpec(ROLE, HttpGateway, kwargs={"settings": HttpSettings.from_config(config)},
                      depends_on=())]


__all__ = ["ROLE", "HttpGateway", "HttpSettings", "PublishUpdate", "http_specs"]
