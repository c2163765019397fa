"""The bridge's express lane and paho writes from the publishing thread: events reach the
broker without waiting for the bridge actor or paho's thread, and never out of order."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from actors.bus import EventBus, RoleTable
from actors.mqtt import MqttLinkState
from actors.mqtt.bridge import MqttBridge
from actors.mqtt.link import _Client, _no_delay
from pyde1.events import WaterLevelUpdate
from support.mqtt import unique_root
from test_mqtt_bridge import sample_event
from test_mqtt_helpers import Subscriber, fast_settings, start_bridge


def level(n: int) -> WaterLevelUpdate:
    return WaterLevelUpdate(level=float(n), start_fill_level=5.0, create_time=1000.0 + n)


def test_events_reach_the_broker_while_the_bridge_actor_is_busy(runtime, mosquitto):
    """The bridge actor is stuck on an event; the next events are published anyway, from the
    publisher's thread, and in order. The actor still sees them afterwards (counters, HA)."""
    settings = fast_settings(mosquitto.host, mosquitto.port, status_roles=(), log_feed=False)
    root = settings.topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/WaterLevelUpdate"]).wait_subscribed()
    release = threading.Event()
    stuck = threading.Event()

    class HeldBridge(MqttBridge):
        def _on_payload(self, event) -> None:
            stuck.set()
            release.wait(20)
            super()._on_payload(event)

    ref = None
    try:
        ref = HeldBridge.start(runtime, role="mqtt", settings=settings)
        runtime.roles.set("mqtt", ref)
        runtime.bus.subscribe("mqtt", MqttBridge.subscribes)
        proxy = ref.proxy()
        # WaterLevelUpdate is a DE1 event: it travels on the DE1's own connection.
        runtime.extras["recorder"].wait_for(MqttLinkState, lambda e: e.link == "de1-events" and e.connected)
        runtime.bus.publish(level(0))
        assert stuck.wait(5), "the bridge actor never received the first event"
        for n in range(1, 6):
            runtime.bus.publish(level(n))
        got = sub.wait_count(lambda m: True, 6, timeout=5)
        assert [json.loads(m.payload)["level"] for m in got] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        assert not release.is_set() and stuck.is_set()  # all of it while the actor was held
        release.set()
        health = proxy.health().get(timeout=5)
        assert health["published"]["WaterLevelUpdate"] == 6
        assert health["express_errors"] == 0
    finally:
        release.set()
        if ref is not None:
            runtime.bus.unsubscribe("mqtt")
            runtime.roles.set("mqtt", None)
            ref.stop(timeout=10)
        sub.close()


def test_each_busy_publisher_has_its_own_connection_and_the_rest_share_one(runtime, mosquitto):
    """The DE1's events go out on the DE1's connection, the scale processor's on its own, the
    rest on ``notification``; with EXPRESS_CONNECTIONS off everything is on ``notification``."""
    from pyde1.events import StopAtNotification, WeightAndFlowUpdate

    for express in (True, False):
        settings = fast_settings(mosquitto.host, mosquitto.port, status_roles=(), log_feed=False,
                                 express_connections=express)
        root = settings.topic_root
        sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/#"]).wait_subscribed()
        sup, proxy = start_bridge(runtime, settings)
        try:
            links = {"notification"} | ({"de1-events", "scale-events"} if express else set())
            for name in links:
                runtime.extras["recorder"].wait_for(MqttLinkState, lambda e, n=name: e.link == n and e.connected)
            runtime.bus.publish(level(1))
            runtime.bus.publish(sample_event(WeightAndFlowUpdate))
            runtime.bus.publish(sample_event(StopAtNotification))
            sub.wait_count(lambda m: m.topic.count("/") == 1, 3)
            health = proxy.health().get(timeout=5)
            assert set(health["links"]) == links
            sent = {name: link["sent"] for name, link in health["links"].items()}
            if express:
                assert sent["de1-events"] == 1 and sent["scale-events"] == 1
                assert health["links"]["de1-events"]["status_topic"] is None  # no will, no status
            assert sent["notification"] >= (1 if express else 3)
        finally:
            sup.stop_all().get(timeout=10)
            sub.close()


def test_a_stopped_bridge_leaves_no_callback_on_the_bus(runtime, mosquitto):
    settings = fast_settings(mosquitto.host, mosquitto.port, status_roles=(), log_feed=False)
    before = len(runtime.bus._callbacks)
    sup, _ = start_bridge(runtime, settings)
    assert len(runtime.bus._callbacks) == before + 1
    sup.stop_all().get(timeout=10)
    assert len(runtime.bus._callbacks) == before


def test_bus_callbacks_run_before_the_tells_and_bound_methods_can_be_removed():
    bus = EventBus(RoleTable())
    order: list[str] = []

    class Hook:
        def on(self, event) -> None:
            order.append("hook")

    hook = Hook()
    bus.add_callback(hook.on)
    bus.add_callback(lambda e: order.append("second"))
    assert bus.publish(object()) == 2
    assert order == ["hook", "second"]
    bus.remove_callback(hook.on)  # a new bound-method object, equal to the registered one
    order.clear()
    assert bus.publish(object()) == 1
    assert order == ["second"]


def test_publishers_writing_from_many_threads_never_interleave_packets(mosquitto):
    """Four threads publish through one client, each writing its packets itself while paho's
    own thread runs too: every message arrives whole, and each thread's in its order."""
    root = unique_root()
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/#"]).wait_subscribed()
    client = _Client(CallbackAPIVersion.VERSION2, client_id=f"{root}-pub", protocol=mqtt.MQTTv5)
    client.on_socket_open = _no_delay
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.connect(mosquitto.host, mosquitto.port)
    client.loop_start()
    per_thread = 300
    try:
        assert connected.wait(5)

        def publisher(k: int) -> None:
            for i in range(per_thread):
                # Sizes vary so that a torn packet would not parse as MQTT.
                client.publish(f"{root}/t{k}", json.dumps({"i": i, "pad": "x" * (i % 97) * 13}))

        threads = [threading.Thread(target=publisher, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        got = sub.wait_count(lambda m: True, 4 * per_thread, timeout=20)
        for k in range(4):
            seq = [json.loads(m.payload)["i"] for m in got if m.topic == f"{root}/t{k}"]
            assert seq == list(range(per_thread))
        assert not client.want_write()
        assert client.publish(f"{root}/last", "x").is_published()  # written before publish returned
    finally:
        client.disconnect()
        client.loop_stop()
        sub.close()


def test_over_budget_events_go_through_the_actor_and_stay_in_order(runtime, mosquitto):
    """A burst far above the express lane's budget: the first ones go at once, the rest through
    the actor's mailbox, and the subscriber sees every one, in publishing order."""
    from actors.mqtt.bridge import EXPRESS_BURST

    settings = fast_settings(mosquitto.host, mosquitto.port, status_roles=(), log_feed=False)
    root = settings.topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/WaterLevelUpdate"]).wait_subscribed()
    try:
        _, proxy = start_bridge(runtime, settings)
        runtime.extras["recorder"].wait_for(MqttLinkState, lambda e: e.link == "de1-events" and e.connected)
        n = 1500
        for i in range(n):
            runtime.bus.publish(level(i))
        got = sub.wait_count(lambda m: True, n, timeout=20)
        assert [json.loads(m.payload)["level"] for m in got] == [float(i) for i in range(n)]
        health = proxy.health().get(timeout=5)
        assert health["express"]["sent"] >= EXPRESS_BURST
        assert health["express"]["deferred"] > 0
        assert health["express"]["sent"] + health["express"]["deferred"] == n
        assert health["published"]["WaterLevelUpdate"] == n
    finally:
        sub.close()


def test_token_bucket():
    from pyde1.ratelimit import TokenBucket

    bucket = TokenBucket(rate=10.0, burst=3.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert [bucket.take(100.25) for _ in range(3)] == [True, True, False]  # 2.5 tokens back
    assert [bucket.take(200.0) for _ in range(4)] == [True, True, True, False]  # never above burst
    assert bucket.take(199.0) is False  # a clock that steps back gives nothing
