"""The broker going away, refusing, or the bridge dying: nothing blocks, nothing else dies,
queued messages arrive in order, drops are counted, wills say Died."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actors.mqtt import MqttLinkState
from pyde1.events import WaterLevelUpdate
from pyde1.lifecycle import ActorLifecycle, LifecycleKind
from support.broker import ConfiguredBroker, find_mosquitto
from support.mqtt import first_message
from test_mqtt_helpers import GatedProxy, Subscriber, fast_settings, start_bridge

ROOT = Path(__file__).resolve().parent.parent


def level(n: int) -> WaterLevelUpdate:
    return WaterLevelUpdate(level=float(n), start_fill_level=5.0, create_time=1000.0 + n)


def levels_received(sub: Subscriber, root: str) -> list[float]:
    return [json.loads(m.payload)["level"] for m in sub.on_topic(f"{root}/WaterLevelUpdate")]


#: WaterLevelUpdate is a DE1 event: it travels on the DE1's own connection (mqtt.EXPRESS_CONNECTIONS).
EVENTS_LINK = "de1-events"


def link_event(recorder, connected: bool, start: int = 0, link: str = EVENTS_LINK, **kw):
    return recorder.wait_for(MqttLinkState, lambda e: e.link == link and e.connected is connected,
                             start=start, **kw)


@pytest.fixture
def gate(mosquitto):
    proxy = GatedProxy(mosquitto.host, mosquitto.port)
    yield proxy
    proxy.stop()


def test_broker_away_at_start_then_queue_flushed_in_order(runtime, mosquitto, gate):
    gate.close_gate()
    settings = fast_settings(gate.host, gate.port, status_roles=())
    root = settings.topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/#"]).wait_subscribed()
    recorder = runtime.extras["recorder"]
    try:
        started = time.monotonic()
        sup, proxy = start_bridge(runtime, settings)
        assert time.monotonic() - started < 3, "an unreachable broker must not hold up the start"
        down = link_event(recorder, False)
        assert down.refused is False
        for n in range(20):
            runtime.bus.publish(level(n))
        # The actor answers at once while the broker is away: it never waits on the network.
        health = proxy.health().get(timeout=2)
        assert health["connected"] is False
        assert health["links"][EVENTS_LINK]["queued"] == 20
        assert health["dropped"] == 0

        gate.open_gate()
        link_event(recorder, True)
        sub.wait_count(lambda m: m.topic == f"{root}/WaterLevelUpdate", 20)
        assert levels_received(sub, root) == [float(n) for n in range(20)]
        # After the flush, new events go straight out, behind the queued ones.
        runtime.bus.publish(level(20))
        sub.wait_count(lambda m: m.topic == f"{root}/WaterLevelUpdate", 21)
        assert levels_received(sub, root)[-1] == 20.0
        health = proxy.health().get(timeout=2)
        assert health["queued"] == 0 and health["dropped"] == 0
        assert sup.status().get(timeout=2)["mqtt"]["restarts"] == 0
    finally:
        sub.close()


def test_overflow_drops_oldest_and_counts(runtime, mosquitto, gate):
    settings = fast_settings(gate.host, gate.port, status_roles=(), log_feed=False, queue_limit=5)
    root = settings.topic_root
    recorder = runtime.extras["recorder"]
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/WaterLevelUpdate"]).wait_subscribed()
    try:
        _, proxy = start_bridge(runtime, settings)
        link_event(recorder, True)
        runtime.bus.publish(level(0))
        sub.wait_for(lambda m: True)

        mark = len(recorder.events)
        gate.close_gate()
        link_event(recorder, False, start=mark)
        for n in range(1, 13):
            runtime.bus.publish(level(n))
        health = proxy.health().get(timeout=2)
        assert health["links"][EVENTS_LINK]["queued"] == 5
        assert health["dropped"] == 7

        mark = len(recorder.events)
        gate.open_gate()
        link_event(recorder, True, start=mark)
        sub.wait_count(lambda m: True, 6)
        # The oldest were dropped; the newest five arrive, in order.
        assert levels_received(sub, root) == [0.0, 8.0, 9.0, 10.0, 11.0, 12.0]
        assert proxy.health().get(timeout=2)["dropped"] == 7
    finally:
        sub.close()


def test_broker_restart_reconnects_and_actor_survives(runtime, mosquitto):
    settings = fast_settings(mosquitto.host, mosquitto.port)
    root = settings.topic_root
    recorder = runtime.extras["recorder"]
    sup, proxy = start_bridge(runtime, settings)
    link_event(recorder, True)
    ref = runtime.roles.get("mqtt")

    mark = len(recorder.events)
    mosquitto.stop()
    link_event(recorder, False, start=mark)
    for n in range(10):
        runtime.bus.publish(level(n))
    assert proxy.health().get(timeout=2)["links"][EVENTS_LINK]["queued"] == 10

    mark = len(recorder.events)
    mosquitto.start()
    link_event(recorder, True, start=mark, timeout=10)
    health = proxy.health().get(timeout=2)
    assert health["queued"] == 0 and health["dropped"] == 0
    assert health["links"][EVENTS_LINK]["connects"] == 2
    assert health["links"][EVENTS_LINK]["sent"] >= 10
    assert ref.is_alive() and runtime.roles.get("mqtt") is ref
    assert sup.status().get(timeout=2)["mqtt"]["restarts"] == 0

    # The restarted broker lost its retained values (no persistence): the bridge sent Here
    # again, and events flow to a new subscriber.
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/#"]).wait_subscribed()
    try:
        here = sub.wait_for(lambda m: m.topic == f"{root}/status/mqtt/notification")
        assert (here.text, here.retain) == ("Here", True)
        runtime.bus.publish(level(99))
        sub.wait_for(lambda m: m.topic.endswith("/WaterLevelUpdate") and json.loads(m.payload)["level"] == 99.0)
    finally:
        sub.close()


class AuthBroker(ConfiguredBroker):
    """A private mosquitto that wants a user name and password (or, with ``anonymous``,
    lets anybody in)."""

    def __init__(self, workdir: str, anonymous: bool = False) -> None:
        passwd = f"{workdir}/passwd"
        lines = ["allow_anonymous true"] if anonymous else ["allow_anonymous false", f"password_file {passwd}"]
        super().__init__(workdir, lines)
        self.passwd = passwd

    def start(self, timeout: float = 10.0) -> "AuthBroker":
        subprocess.run(["mosquitto_passwd", "-b", "-c", self.passwd, "coffee", "right"], check=True,
                       capture_output=True)
        os.chmod(self.passwd, 0o600)
        super().start(timeout)
        return self


@pytest.fixture
def auth_broker(tmp_path):
    if find_mosquitto() is None or subprocess.run(["which", "mosquitto_passwd"], capture_output=True).returncode:
        pytest.skip("mosquitto / mosquitto_passwd are not installed")
    broker = AuthBroker(str(tmp_path)).start()
    yield broker
    broker.stop()


def test_refused_connection_is_logged_and_retried_not_fatal(runtime, auth_broker, caplog, tmp_path):
    settings = fast_settings(auth_broker.host, auth_broker.port, username="coffee", password="wrong",
                             status_roles=(), log_feed=False)
    recorder = runtime.extras["recorder"]
    caplog.set_level(logging.WARNING, logger="pyde1.mqtt")
    sup, proxy = start_bridge(runtime, settings)
    first = recorder.wait_for(MqttLinkState, lambda e: e.refused and e.link == "notification")
    assert "authori" in first.reason.lower() or "password" in first.reason.lower()
    # Retried with backoff: a second refusal comes, and the bridge is still the same actor.
    recorder.wait_for(MqttLinkState, lambda e: e.refused and e.link == "notification" and e is not first)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "refused" in r.getMessage()]
    assert errors and "mqtt.USERNAME" in errors[0].getMessage()
    assert "wrong" not in errors[0].getMessage()
    runtime.bus.publish(level(1))
    health = proxy.health().get(timeout=2)
    assert health["links"]["notification"]["refusals"] >= 2 and health["queued"] == 1
    status = sup.status().get(timeout=2)["mqtt"]
    assert status["alive"] is True and status["restarts"] == 0 and status["recent_failures"] == 0

    # The broker's operator fixes the broker: the bridge gets in without anyone restarting it.
    mark = len(recorder.events)
    auth_broker.stop()
    fixed = AuthBroker(str(tmp_path), anonymous=True)
    fixed.port = auth_broker.port
    fixed.start()
    try:
        recorder.wait_for(MqttLinkState, lambda e: e.connected and e.link == EVENTS_LINK, start=mark, timeout=10)
        assert proxy.health().get(timeout=2)["queued"] == 0
    finally:
        fixed.stop()


_CHILD = r"""
import sys, threading
sys.path.insert(0, sys.argv[1])
from actors.base import ServiceContext
from actors.bus import EventBus, RoleTable
from actors.mqtt import MqttBridge, MqttLinkState, MqttSettings
roles = RoleTable(); bus = EventBus(roles)
ctx = ServiceContext(config=None, bus=bus, roles=roles)
up = threading.Event()
bus.add_callback(lambda e: up.set() if e.link == "notification" and e.connected else None, (MqttLinkState,))
settings = MqttSettings(host=sys.argv[2], port=int(sys.argv[3]), topic_root=sys.argv[4],
                        status_roles=(("controller", None),), client_id_suffix="-child")
MqttBridge.start(ctx, role="mqtt", settings=settings)
assert up.wait(10)
print("ready", flush=True)
sys.stdin.read()
"""


def test_killed_process_leaves_died_by_will(mosquitto):
    root = fast_settings(mosquitto.host, mosquitto.port).topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/status/#"]).wait_subscribed()
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(ROOT), mosquitto.host, str(mosquitto.port), root],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        topics = [f"{root}/status/mqtt/notification", f"{root}/status/mqtt/logging", f"{root}/status/controller"]
        for topic in topics:
            sub.wait_for(lambda m, t=topic: m.topic == t and m.text == "Here")
        child.kill()  # no DISCONNECT: the broker publishes each connection's will
        for topic in topics:
            sub.wait_for(lambda m, t=topic: m.topic == t and m.text == "Died")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(5)
        sub.close()
    m = first_message(mosquitto.host, mosquitto.port, f"{root}/status/mqtt/notification")
    assert (m.text, m.retain) == ("Died", True)


def test_bridge_failure_frees_its_connections(runtime, mosquitto):
    """A bridge killed by a bug says Died (its will) and stops its paho threads, so the
    supervisor's new bridge connects with the same client ids and stays connected."""
    settings = fast_settings(mosquitto.host, mosquitto.port, status_roles=(), log_feed=False)
    root = settings.topic_root
    recorder = runtime.extras["recorder"]
    status_topic = f"{root}/status/mqtt/notification"
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/status/#"]).wait_subscribed()
    try:
        sup, proxy = start_bridge(runtime, settings)
        link_event(recorder, True)
        first = runtime.roles.get("mqtt")
        mark = len(recorder.events)
        # A deferred call that raises is fatal for a pykka actor: the supervisor restarts it.
        proxy.publish_update.defer("no/such/area", {})
        sub.wait_for(lambda m: m.topic == status_topic and m.text == "Died")
        recorder.wait_for(ActorLifecycle, lambda e: e.kind is LifecycleKind.RESTARTED, start=mark, timeout=10)
        link_event(recorder, True, start=mark)
        sub.wait_count(lambda m: m.topic == status_topic and m.text == "Here", 2)
        assert [m.text for m in sub.on_topic(status_topic)] == ["Here", "Died", "Here"]
        second = runtime.roles.get("mqtt")
        assert second is not None and second is not first and not first.is_alive()
        runtime.bus.publish(level(5))
        health = second.proxy().health().get(timeout=2)
        assert health["connected"] is True
        assert health["links"]["notification"]["connects"] == 1
        assert sup.status().get(timeout=2)["mqtt"]["restarts"] == 1
    finally:
        sub.close()
