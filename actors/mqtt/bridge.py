"""The MQTT bridge actor (role ``mqtt``): pyDE1 2.0's MQTT API over paho-mqtt 2 / MQTT 5.

- every published event class goes to ``<root>/<class>`` as ``event.to_json()``, QoS 0,
  not retained (api-contract §2.2-2.4);
- ``publish_update(area, payload)`` (called by the HTTP gateway) sends the
  ``<root>/update/<area>`` synchronisation packets (§2.6);
- the log feeds ``<root>/log`` and ``<root>/log/record`` (§2.7) through
  :class:`~actors.mqtt.loghandler.MqttLogHandler`;
- the retained status topics with their wills: ``Here`` after connecting, ``Gone`` at a
  clean stop, ``Died`` from the broker when the connection is lost (§2.8);
- optional Home Assistant discovery (:mod:`pyde1.ha_discovery`).

The broker is never on anyone's critical path: the client connects and reconnects (with
paho's backoff) in its own thread, and while it is away each connection keeps a bounded
outbox that is flushed in order on reconnect; what does not fit is dropped and counted
(``health()``). A broker that refuses the connection (bad credentials) is logged and
retried, never a reason to stop (pyDE1 shut down).

Events take the express lane: a bus callback that serialises the event and hands it to the
socket in the publishing actor's own thread (:meth:`MqttBridge._express`), instead of a
``tell`` to this actor and a second hand-off to paho's thread. Each hand-off between threads
waits for the GIL behind every busy thread of the service; under HTTP load the two of them
were most of a ShotSample's way to a subscriber (docs/performance.md). The lane never
waits for the broker: paho's publish and the socket write do not block, and while the link
is down or has a backlog the message goes to the outbox like any other. It has a budget
(``EXPRESS_RATE``): beyond it, and behind anything already left to it, events go to the
actor's mailbox (:class:`Deferred`), as before the lane, so that the serialising never
slows a publisher that has a burst to deliver (a simulator at 1000x speed). The actor also
receives every event (``tell``) for Home Assistant's state; ``link.lock`` keeps the outbox,
the online flag and the order of messages consistent between the lane and the actor.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pykka

import pyde1
from actors.base import ServiceActor, ServiceContext, tell_later
from actors.mqtt.link import STATUS_DIED, STATUS_GONE, STATUS_HERE, Link
from actors.mqtt.loghandler import MqttLogHandler
from actors.mqtt.messages import Deferred, Inbound, LinkDown, LinkUp, LogFeedMessage, MqttLinkState, Tick
from actors.mqtt.outbox import OutMessage
from actors.mqtt.settings import MqttSettings
from pyde1 import ha_discovery as ha
from pyde1.events import Event
from pyde1.events.payloads import SENDER_DE1, SENDER_SCALE_PROCESSOR
from pyde1.lifecycle import ActorLifecycle, LifecycleKind
from pyde1.ratelimit import DropCounter, TokenBucket

UPDATE_AREAS = ("de1/control", "de1/setting", "de1/calibration", "de1/profile/id")
NOTIFICATION = "notification"
LOGGING = "logging"
#: Seconds to wait for an answer from the DE1 actor to a Home Assistant command.
DE1_COMMAND_TIMEOUT = 30.0
#: Seconds a clean stop waits, in all, for ``Gone`` to leave on every connection.
STOP_WAIT = 1.0
#: Events per second (and at once) the express lane publishes from the publishers' threads.
#: A real DE1, scale and thermometer send fewer than 50 a second; only a simulator at high
#: speed-up goes beyond, and then the rest goes through the actor's mailbox.
EXPRESS_RATE = 2000.0
EXPRESS_BURST = 200.0
#: The publishers that send many events a second get a connection each (no will, no status
#: topic), by the event class's default sender: a publisher's write then never waits for the
#: write lock of another one that lost the GIL in the middle of its own write. With one shared
#: connection that wait was the whole p99 of a ShotSample under HTTP load (docs/performance.md).
#: The price: events of different publishers may reach a subscriber in a slightly different
#: order than they were published (pyDE1 sent them all on one connection); each publisher's
#: own stay in order. ``mqtt.EXPRESS_CONNECTIONS: false`` keeps one connection.
EXPRESS_LINKS = {SENDER_DE1: "de1-events", SENDER_SCALE_PROCESSOR: "scale-events"}

_LIFECYCLE_STATUS = {
    LifecycleKind.STARTED: STATUS_HERE,
    LifecycleKind.RESTARTED: STATUS_HERE,
    LifecycleKind.REPLACED: STATUS_HERE,
    LifecycleKind.FAILED: STATUS_DIED,
    LifecycleKind.GAVE_UP: STATUS_DIED,
    LifecycleKind.STOPPED: STATUS_GONE,
}


class UnknownUpdateArea(ValueError):
    """``publish_update`` was asked for an area pyDE1 does not publish."""

    def __init__(self, area: Any) -> None:
        self.area = area
        super().__init__(f"update area {area!r} is not one of {', '.join(UPDATE_AREAS)}")


class MqttBridge(ServiceActor):
    subscribes = (Event, ActorLifecycle)

    def __init__(self, ctx: ServiceContext, role: str = "mqtt", settings: MqttSettings | None = None,
                 **_: Any) -> None:
        super().__init__(ctx, role)
        self.settings = settings if settings is not None else MqttSettings.from_config(ctx.config)
        self.root = self.settings.topic_root
        self._links: dict[str, Link] = {}
        self._status_roles = dict(self.settings.status_roles)
        self._role_status: dict[str, str] = {}
        self._log_handler: MqttLogHandler | None = None
        self._ha = ha.HaStateTracker(self.settings.ha_state_interval) if self.settings.ha_discovery else None
        self._timers: dict[str, threading.Timer] = {}
        self._pending_commands: list[tuple[Any, str, float]] = []
        self._log_limits = DropCounter()
        self.published: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self.updates_published = 0
        self.inbound_rejected = 0
        self.commands_sent = 0
        self.express_errors = 0
        self.expressed = 0
        self.deferred = 0
        self._express_budget = TokenBucket(EXPRESS_RATE, EXPRESS_BURST)

    # -- lifecycle ---------------------------------------------------------------------------
    def on_start(self) -> None:
        s = self.settings
        subscriptions: tuple[str, ...] = ()
        if self._ha is not None:
            subscriptions = (ha.power_command_topic(self.root), ha.birth_topic(s.ha_discovery_prefix))
        names = [NOTIFICATION] + ([LOGGING] if s.log_feed else []) + list(self._status_roles)
        for name in names:
            self._links[name] = Link(name, s, self.actor_ref.tell,
                                     subscriptions if name == NOTIFICATION else ())
        if s.express_connections:
            for name in EXPRESS_LINKS.values():
                self._links[name] = Link(name, s, self.actor_ref.tell, status=False)
        for link in self._links.values():
            link.start()
        self.ctx.bus.add_callback(self._express, (Event,))
        self.log.info("MQTT bridge: broker %s:%d (%s%s), topic root %r, %d connection(s), queue limit %d",
                      s.host, s.port, s.transport, ", TLS" if s.tls else "", self.root, len(self._links),
                      s.queue_limit)
        if s.log_feed:
            self._log_handler = MqttLogHandler(self.actor_ref, s.log_level, s.log_format, s.log_backlog)
            logging.getLogger().addHandler(self._log_handler)

    def on_stop(self) -> None:
        self._shutdown(STATUS_GONE)

    def on_failure(self, exception_type, exception_value, traceback) -> None:
        # Free the client ids first, or the restarted bridge and this one's paho threads
        # would take the connection from each other. The broker then sends the will: Died.
        self._shutdown(STATUS_DIED)
        super().on_failure(exception_type, exception_value, traceback)

    def _shutdown(self, status: str) -> None:
        self.ctx.bus.remove_callback(self._express)
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
            self._log_handler = None
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        links = list(self._links.values())
        if status != STATUS_DIED:
            infos = [link.goodbye(status) for link in links]
            deadline = time.monotonic() + STOP_WAIT
            for info in infos:
                if info is not None:
                    try:
                        info.wait_for_publish(timeout=max(0.0, deadline - time.monotonic()))
                    except (RuntimeError, ValueError):
                        pass
        for link in links:
            link.disconnect(with_will=status == STATUS_DIED)
        for link in links:
            link.finish_stop()
        self._links.clear()

    # -- messages ----------------------------------------------------------------------------
    def on_event(self, message: Any) -> None:
        if isinstance(message, Event):
            self._on_payload(message)
        elif isinstance(message, Deferred):
            self._on_deferred(message)
        elif isinstance(message, LogFeedMessage):
            self._on_log(message)
        elif isinstance(message, LinkUp):
            self._on_link_up(message)
        elif isinstance(message, LinkDown):
            self._on_link_down(message)
        elif isinstance(message, Inbound):
            self._on_inbound(message)
        elif isinstance(message, ActorLifecycle):
            self._on_lifecycle(message)
        elif isinstance(message, Tick):
            self._timers.pop(message.reason, None)
            if message.reason == "ha-state" and self._ha is not None and self._ha.pending:
                self._publish_ha_state()
        if self._pending_commands:
            self._check_commands()

    def _express(self, event: Event) -> None:
        """Bus callback, in the publishing actor's thread: the event to the broker now, or to
        the outbox if the link is down or has a backlog. Never raises to the publisher."""
        cls = type(event)
        if not cls.PUBLISHED:
            return
        link = self._event_link(cls)
        if link is None:  # stopping
            return
        try:
            with link.lock:
                if link.deferred_pending or not self._express_budget.take(time.monotonic()):
                    # Over budget, or behind events already left to the actor: leave it too,
                    # so that none overtakes another.
                    link.deferred_pending += 1
                    with self._count_lock:
                        self.deferred += 1
                    self.actor_ref.tell(Deferred(event))
                    return
                self._send_on(link, OutMessage(cls.topic(self.root), event.to_json()))
                with self._count_lock:
                    self.published[cls.__name__] += 1
                    self.expressed += 1
        except Exception as exc:  # a closing socket, a payload that will not serialise
            self.express_errors += 1
            n = self._log_limits.record("express", self.ctx.clock())
            if n is not None:
                self.log.warning("could not publish %s: %s (%d such since the last report)",
                                 cls.__name__, exc, n)

    def _event_link(self, cls: type) -> Link | None:
        """The connection that carries events of ``cls``: its publisher's own, or the
        ``notification`` one. None while stopping."""
        name = EXPRESS_LINKS.get(getattr(cls, "DEFAULT_SENDER", None), NOTIFICATION)
        return self._links.get(name) or self._links.get(NOTIFICATION)

    def _on_deferred(self, message: Deferred) -> None:
        event = message.event
        cls = type(event)
        link = self._event_link(cls)
        if link is None:
            return
        text = event.to_json()
        with link.lock:
            link.deferred_pending -= 1
            self._send_on(link, OutMessage(cls.topic(self.root), text))
            with self._count_lock:
                self.published[cls.__name__] += 1

    def _on_payload(self, event: Event) -> None:
        # Published to the broker by _express (or _on_deferred), not here.
        if self._ha is not None:
            wait = self._ha.observe(event, self.ctx.clock())
            if wait == 0.0:
                self._publish_ha_state()
            elif wait is not None:
                self._schedule("ha-state", wait)

    def _on_log(self, message: LogFeedMessage) -> None:
        if self._log_handler is not None:
            self._log_handler.taken()
        self._send(LOGGING, OutMessage(f"{self.root}/log", message.line))
        self._send(LOGGING, OutMessage(f"{self.root}/log/record", message.record_json))

    # -- the HTTP gateway's side -------------------------------------------------------------
    def publish_update(self, area: str, payload: Mapping[str, Any], timestamp: float | None = None) -> bool:
        """Publish ``<root>/update/<area>``: ``payload`` (what GET ``<area>`` returns) plus
        ``timestamp`` (given, or now) unless it has one. Returns True if handed to the broker,
        False if queued. Raises UnknownUpdateArea, or TypeError/ValueError for a payload that
        is not a JSON object."""
        if area not in UPDATE_AREAS:
            raise UnknownUpdateArea(area)
        if not isinstance(payload, Mapping):
            raise TypeError(f"update payload for {area} must be a mapping, got {type(payload).__name__}")
        body = dict(payload)
        if "timestamp" not in body:
            body["timestamp"] = timestamp if timestamp is not None else self.ctx.clock()
        text = json.dumps(body)
        self.updates_published += 1
        return self._send(NOTIFICATION, OutMessage(f"{self.root}/update/{area}", text))

    # -- sending -----------------------------------------------------------------------------
    def _send(self, link_name: str, message: OutMessage) -> bool:
        """Publish now if the link is up and nothing older waits; otherwise queue."""
        link = self._links.get(link_name)
        if link is None:
            return False
        with link.lock:
            return self._send_on(link, message)

    def _send_on(self, link: Link, message: OutMessage) -> bool:
        """:meth:`_send` with ``link.lock`` held (the actor's thread or the express lane)."""
        link_name = link.name
        if link.online and len(link.outbox):
            self._flush(link)
        if link.online and not len(link.outbox) and link.try_publish(message):
            return True
        if link.outbox.put(message):
            n = self._log_limits.record(f"{link_name}:queue-full", self.ctx.clock())
            if n is not None:
                self.log.warning("MQTT %s: broker away and %d message(s) queued; dropped the oldest "
                                 "%d since the last report (%d in all)", link_name, link.outbox.limit,
                                 n, link.outbox.dropped)
        return False

    def _flush(self, link: Link) -> int:
        items = link.outbox.take()
        for index, message in enumerate(items):
            if not link.try_publish(message):
                link.outbox.put_back(items[index:])
                return index
        return len(items)

    def _status_value(self, link_name: str) -> str:
        role = self._status_roles.get(link_name)
        if role is None:
            return STATUS_HERE
        known = self._role_status.get(link_name)
        if known is not None:
            return known
        return STATUS_HERE if self.ctx.roles.get(role) is not None else STATUS_GONE

    def _on_link_up(self, message: LinkUp) -> None:
        link = self._links.get(message.link)
        if link is None:
            return
        with link.lock:  # nothing from the express lane may overtake the queued messages
            self._link_up(link)
        self.ctx.bus.publish(MqttLinkState(link.name, True, "connected", self.ctx.clock()))

    def _link_up(self, link: Link) -> None:
        link.online = True
        link.down_announced = link.refused_last = False
        link.connects += 1
        queued = len(link.outbox)
        s = self.settings
        if link.connects == 1:
            self.log.info("MQTT %s connected to %s:%d as %s", link.name, s.host, s.port, link.client_id)
        else:
            self.log.log(self._level(link), "MQTT %s reconnected to %s:%d; sending %d queued message(s) (%d dropped so far)",
                             link.name, s.host, s.port, queued, link.outbox.dropped)
        if link.status_topic is not None:
            link.try_publish(OutMessage(link.status_topic, self._status_value(link.name), retain=True))
        link.subscribe_all()
        if link.name == NOTIFICATION and self._ha is not None:
            self._publish_discovery(link)
        self._flush(link)
        if link.name == NOTIFICATION and self._ha is not None:
            self._publish_ha_state()

    @staticmethod
    def _level(link: Link) -> int:
        """The event connection's ups and downs are warnings; the other connections share
        its fate, so theirs are detail."""
        return logging.WARNING if link.name == NOTIFICATION else logging.INFO

    def _on_link_down(self, message: LinkDown) -> None:
        link = self._links.get(message.link)
        if link is None:
            return
        with link.lock:
            was_online, link.online = link.online, False
        after_refusal, link.refused_last = link.refused_last, message.refused
        link.last_error = message.reason
        s = self.settings
        now = self.ctx.clock()
        if message.refused:
            link.refusals += 1
            n = self._log_limits.record(f"{link.name}:refused", now)
            if n is not None:
                # Every connection is refused alike: one error line, the rest as detail.
                self.log.log(
                    logging.ERROR if link.name == NOTIFICATION else logging.INFO,
                    "MQTT broker %s:%d refused the connection of %s: %s (%d time(s) since the last "
                    "report). Check mqtt.USERNAME / mqtt.PASSWORD and the broker's ACL; retrying "
                    "with backoff up to %g s, events are queued meanwhile", s.host, s.port,
                    link.client_id, message.reason, n, s.reconnect_delay_max)
        elif was_online:
            self.log.log(self._level(link), "MQTT %s lost the broker (%s); reconnecting with backoff, queueing up to "
                             "%d message(s)", link.name, message.reason, s.queue_limit)
        elif after_refusal:
            return  # paho's disconnect that follows a refusal: already reported
        else:
            link.failures += 1
            n = self._log_limits.record(f"{link.name}:unreachable", now)
            if n is not None:
                self.log.log(self._level(link), "MQTT broker %s:%d unreachable for %s: %s (%d attempt(s) since the "
                                 "last report); retrying with backoff up to %g s, queueing up to %d "
                                 "message(s)", s.host, s.port, link.name, message.reason, n,
                                 s.reconnect_delay_max, s.queue_limit)
            if link.down_announced:
                return
        link.down_announced = True
        self.ctx.bus.publish(MqttLinkState(link.name, False, message.reason, now, message.refused))

    def _on_lifecycle(self, message: ActorLifecycle) -> None:
        status = _LIFECYCLE_STATUS.get(message.kind)
        if status is None:
            return
        for link_name, role in self._status_roles.items():
            if role is not None and role == message.role:
                self._role_status[link_name] = status
                link = self._links.get(link_name)
                if link is not None:  # not queued: the current value is sent on (re)connect
                    with link.lock:
                        link.try_publish(OutMessage(link.status_topic, status, retain=True))

    # -- Home Assistant ----------------------------------------------------------------------
    def _publish_discovery(self, link: Link) -> None:
        for m in ha.discovery_messages(self.root, self.settings.ha_discovery_prefix,
                                       sw_version=pyde1.__version__):
            link.try_publish(OutMessage(m.topic, json.dumps(m.payload), retain=True))

    def _publish_ha_state(self) -> None:
        if self._ha is None:
            return
        self._send(NOTIFICATION, OutMessage(ha.state_topic(self.root), json.dumps(self._ha.to_dict()),
                                            retain=True))
        self._ha.published(self.ctx.clock())

    def _on_inbound(self, message: Inbound) -> None:
        try:
            if self._ha is not None and message.topic == ha.power_command_topic(self.root):
                self._request_de1_mode(ha.parse_power_command(message.topic, message.payload))
            elif self._ha is not None and message.topic == ha.birth_topic(self.settings.ha_discovery_prefix):
                link = self._links.get(NOTIFICATION)
                if ha.parse_birth(message.topic, message.payload) and link is not None and link.online:
                    self.log.info("Home Assistant came online; sending discovery again")
                    self._publish_discovery(link)
                    self._publish_ha_state()
            else:
                raise ha.HaCommandError(message.topic, message.payload, "not a topic pyde1 acts on")
        except ha.HaCommandError as exc:
            self.inbound_rejected += 1
            n = self._log_limits.record(f"inbound:{message.topic}", self.ctx.clock())
            if n is not None:
                self.log.warning("ignoring MQTT message: %s (%d such since the last report)", exc, n)

    def _request_de1_mode(self, mode: str) -> None:
        proxy = self.ctx.proxy("de1")
        if proxy is None:
            self.log.warning("Home Assistant asked for %s, but no DE1 actor is running; ignored", mode)
            return
        name = self.settings.de1_mode_method
        try:
            future = getattr(proxy, name)(mode)
        except AttributeError:
            self.log.error("Home Assistant asked for %s, but the DE1 actor has no %s(); ignored", mode, name)
            return
        except pykka.ActorDeadError:
            self.log.warning("Home Assistant asked for %s, but the DE1 actor just stopped; ignored", mode)
            return
        self.commands_sent += 1
        self._pending_commands.append((future, mode, self.ctx.clock() + DE1_COMMAND_TIMEOUT))
        self._schedule("de1-command", 0.2)

    def _check_commands(self) -> None:
        """Report answers to earlier DE1 commands without ever waiting for one."""
        now = self.ctx.clock()
        waiting = []
        for future, mode, deadline in self._pending_commands:
            try:
                future.get(timeout=0)
            except pykka.Timeout:
                if now < deadline:
                    waiting.append((future, mode, deadline))
                else:
                    self.log.warning("the DE1 did not answer Home Assistant's %s within %g s", mode,
                                     DE1_COMMAND_TIMEOUT)
            except Exception as exc:
                self.log.warning("the DE1 refused Home Assistant's %s: %s", mode, exc)
            else:
                self.log.info("the DE1 accepted Home Assistant's %s", mode)
        self._pending_commands = waiting
        if waiting:
            self._schedule("de1-command", 0.2)

    def _schedule(self, reason: str, delay: float) -> None:
        """Tell this actor ``Tick(reason)`` after ``delay`` s (one outstanding per reason)."""
        if reason in self._timers:
            return
        self._timers[reason] = tell_later(self.actor_ref, delay, Tick(reason))

    # -- reporting ---------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        out = super().health()
        links = {}
        for name, link in self._links.items():
            with link.lock:
                links[name] = link.stats()
        with self._count_lock:  # the express lane counts in other threads
            published = dict(self.published)
        out.update({
            "broker": f"{self.settings.host}:{self.settings.port}",
            "connected": bool(links) and links[NOTIFICATION]["connected"],
            "links": links,
            "queued": sum(x["queued"] for x in links.values()),
            "dropped": sum(x["dropped"] for x in links.values()),
            "published": published,
            "express_errors": self.express_errors,
            "express": {"sent": self.expressed, "deferred": self.deferred},
            "updates_published": self.updates_published,
            "inbound_rejected": self.inbound_rejected,
            "log_feed": None if self._log_handler is None else {
                "sent": self._log_handler.sent, "dropped": self._log_handler.dropped},
            "ha_discovery": self._ha is not None,
        })
        return out
