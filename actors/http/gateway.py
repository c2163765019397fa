"""The HTTP gateway actor (role ``http``): owns the waitress server and its thread.

Request threads (waitress workers) never run in this actor; they ask the device actors
directly through proxies with a deadline. This actor's own thread keeps the device view up to
date from bus events and sends the MQTT ``update/<area>`` packets that follow a PATCH or PUT,
so neither ever delays an answer. It also applies ``de1.PATCH_ON_CONNECT`` each time the DE1
becomes ready (pyDE1 sent that PATCH to its own HTTP server).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors.base import ServiceActor, ServiceContext
from actors.http.app import make_app, routed_paths
from actors.http.devices import DeviceView
from actors.http.handler import Handler
from actors.http.server import HttpServer
from pyde1.api.errors import ApiError
from pyde1.api.resources import resource
from pyde1.api.settings import HttpSettings
from pyde1.events import DeviceAvailability, DeviceAvailabilityState, DeviceRole, StateUpdate
from pyde1.lifecycle import ActorLifecycle


@dataclass(frozen=True)
class PatchOnConnect:
    """Told to the gateway itself when the DE1 becomes ready and de1.PATCH_ON_CONNECT is set."""


@dataclass(frozen=True)
class PublishUpdate:
    """Told to the gateway itself: read ``area`` and publish it on MQTT ``update/<area>``."""

    area: str


class HttpGateway(ServiceActor):
    subscribes = (DeviceAvailability, StateUpdate, ActorLifecycle)

    def __init__(self, ctx: ServiceContext, role: str = "http",
                 settings: HttpSettings | None = None, **_: Any) -> None:
        super().__init__(ctx, role)
        self.settings = settings or HttpSettings.from_config(ctx.config)
        self.view = DeviceView()
        self.handler = Handler(ctx, self.settings, self.view, on_update=self._request_update,
                               clock=ctx.clock)
        self.server: HttpServer | None = None
        self.app = None
        self.updates_sent = 0
        self.update_failures = 0
        self.patches_on_connect = 0
        self.patch_on_connect_failures = 0

    # -- lifecycle ------------------------------------------------------------------------
    def on_start(self) -> None:
        self.app = make_app(self.handler)
        self.server = HttpServer(self.app, self.settings)
        self.server.start()
        self.log.info("HTTP API listening on %s", self.server.url)

    def on_stop(self) -> None:
        if self.server is not None:
            # Worker threads still waiting on a device give up at their own deadline; do not
            # hold the supervisor's stop for them.
            if not self.server.stop(timeout=2.0):
                self.log.warning("the HTTP server thread did not stop in time")
            self.server = None

    def on_failure(self, exception_type, exception_value, traceback) -> None:
        if self.server is not None:
            self.server.stop(timeout=2.0)
            self.server = None
        super().on_failure(exception_type, exception_value, traceback)

    # -- public ---------------------------------------------------------------------------
    def address(self) -> tuple[str, int]:
        """(host, port) actually bound (the port is chosen by the system when 0)."""
        assert self.server is not None
        return self.server.host, self.server.port

    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def routes(self) -> dict[str, str]:
        """resource path -> the bottle rule serving it (what the app really routes)."""
        return routed_paths(self.app) if self.app is not None else {}

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(url=self.server.url if self.server else None, updates_sent=self.updates_sent,
                   update_failures=self.update_failures, patches_on_connect=self.patches_on_connect,
                   patch_on_connect_failures=self.patch_on_connect_failures)
        return out

    # -- events ---------------------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        if isinstance(event, PublishUpdate):
            self._publish_update(event.area)
        elif isinstance(event, PatchOnConnect):
            self._patch_on_connect()
        else:
            self.view.on_event(event)
            if (self.settings.patch_on_connect and isinstance(event, DeviceAvailability)
                    and event.role is DeviceRole.DE1 and event.state is DeviceAvailabilityState.READY):
                # After the view has the new state, so the PATCH finds the DE1 ready.
                self.actor_ref.tell(PatchOnConnect())

    def _patch_on_connect(self) -> None:
        """pyDE1 PATCHes de1.PATCH_ON_CONNECT to its own ``de1`` resource on every connect."""
        body = self.settings.patch_on_connect or ""
        try:
            self.handler.patch(resource("de1"), body.encode("utf-8"))
        except ApiError as exc:
            self.patch_on_connect_failures += 1
            self.log.error("de1.PATCH_ON_CONNECT failed (%d): %s", exc.status, exc.body)
            return
        self.patches_on_connect += 1
        self.log.info("de1.PATCH_ON_CONNECT applied")

    def _request_update(self, area: str) -> None:
        # Called from a request thread: hand the work to this actor's thread.
        if self.ctx.roles.get("mqtt") is not None:
            self.actor_ref.tell(PublishUpdate(area))

    def _publish_update(self, area: str) -> None:
        mqtt = self.ctx.proxy("mqtt")
        if mqtt is None:
            return
        try:
            payload = self.handler.read(resource(area), self.handler.caller())
        except ApiError as exc:
            self.update_failures += 1
            self.log.info("no MQTT update/%s: %s", area, exc.body)
            return
        # Not awaited: the bridge queues it if the broker is away.
        mqtt.publish_update(area, payload, self.ctx.clock())
        self.updates_sent += 1
