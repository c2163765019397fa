"""The MQTT bridge against a real private mosquitto: events, update packets, log feeds,
status topics."""

from __future__ import annotations

import enum
import json
import logging
import math
import types
import typing

import pytest

from actors.mqtt import MqttLinkState, UnknownUpdateArea
from actors.mqtt.bridge import EXPRESS_LINKS
from pyde1.events import (
    EVENT_CLASSES,
    PUBLISHED_CLASSES,
    ScanDevice,
    ShotSampleUpdate,
    StateUpdate,
    WaterLevelUpdate,
)
from pyde1.lifecycle import ActorLifecycle, LifecycleKind
from support.mqtt import first_message
from test_mqtt_helpers import Subscriber, fast_settings, start_bridge


def sample_event(cls, n: int = 0):
    """One instance of ``cls`` with a value of the right type in every field."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name in cls.field_names():
        tp = hints[name]
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            tp = args[0]
        if typing.get_origin(tp) is tuple:
            inner = typing.get_args(tp)[0]
            kwargs[name] = ((ScanDevice(address="AA:BB", name=None, rssi=-60),) if inner is ScanDevice
                            else (1.5, 2.25, 0.0))
        elif tp is float:
            kwargs[name] = 1.25 + n
        elif tp is bool:
            kwargs[name] = True
        elif tp is int:
            kwargs[name] = 7 + n
        elif tp is str:
            kwargs[name] = f"{name}-{n}"
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            kwargs[name] = list(tp)[-1]
        else:
            raise AssertionError(f"no sample for {cls.__name__}.{name}: {tp}")
    sender = None if cls.DEFAULT_SENDER else "AtomaxSkaleII"
    return cls(**kwargs, sender=sender, arrival_time=1700000000.5 + n, create_time=1700000000.75 + n,
               event_time=1700000001.0 + n)


@pytest.fixture
def bridge(runtime, mosquitto):
    settings = fast_settings(mosquitto.host, mosquitto.port)
    sup, proxy = start_bridge(runtime, settings)
    runtime.extras["recorder"].wait_for(MqttLinkState, lambda e: e.link == "notification" and e.connected)
    return runtime, settings, sup, proxy


def test_every_published_class_arrives_with_exact_topic_and_json(bridge, mosquitto):
    ctx, settings, _, proxy = bridge
    root = settings.topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/#"]).wait_subscribed()
    try:
        events = [sample_event(cls, n) for n, cls in enumerate(PUBLISHED_CLASSES.values())]
        # A NaN must go out as the bare token, as json.dumps writes it (api-contract §2.1).
        events.append(WaterLevelUpdate(level=math.nan, start_fill_level=5.0, create_time=1.0))
        # Internal classes are never published.
        events.insert(3, sample_event(ShotSampleUpdate))
        for event in events:
            ctx.bus.publish(event)
        published = [e for e in events if type(e).PUBLISHED]
        got = sub.wait_count(lambda m: m.topic.count("/") == 1, len(published))

        def connection(cls) -> str:  # the DE1's and the scale processor's have their own
            return EXPRESS_LINKS.get(cls.DEFAULT_SENDER, "notification")

        assert sorted(m.text for m in got) == sorted(e.to_json() for e in published)
        for link in {connection(type(e)) for e in published}:  # in order on each connection
            sent = [e for e in published if connection(type(e)) == link]
            arrived = [m for m in got if connection(PUBLISHED_CLASSES[m.topic.split("/", 1)[1]]) == link]
            assert [m.topic for m in arrived] == [f"{root}/{type(e).__name__}" for e in sent]
            assert [m.text for m in arrived] == [e.to_json() for e in sent]
        assert not any(m.retain for m in got)
        assert '"level": NaN' in [m.text for m in got if m.topic.endswith("/WaterLevelUpdate")][-1]
        assert f"{root}/ShotSampleUpdate" not in {m.topic for m in sub.messages}
        health = proxy.health().get(timeout=5)
        assert health["published"]["StateUpdate"] == 1
        assert sum(health["published"].values()) == len(published) == len(PUBLISHED_CLASSES) + 1
        assert health["connected"] is True and health["dropped"] == 0
    finally:
        sub.close()


def test_sample_events_cover_every_class():
    # The sample builder must handle every field type in use, or the test above skips classes.
    for cls in EVENT_CLASSES.values():
        assert sample_event(cls).to_dict()["class"] == cls.__name__


def test_status_topics_here_retained_then_gone_on_clean_stop(bridge, mosquitto):
    ctx, settings, sup, _ = bridge
    root = settings.topic_root
    recorder = ctx.extras["recorder"]
    for link in ("logging", "controller", "http", "db_recorder"):
        recorder.wait_for(MqttLinkState, lambda e, link=link: e.link == link and e.connected)
    # A subscriber arriving later gets the retained values.
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/status/#"]).wait_subscribed()
    try:
        def latest(topic):
            return sub.wait_for(lambda m: m.topic == f"{root}/status/{topic}")

        for topic in ("mqtt/notification", "mqtt/logging", "controller"):
            m = latest(topic)
            assert (m.text, m.retain) == ("Here", True)
        # No http or database actor runs in this test: their status says so.
        assert latest("http").text == "Gone"
        assert latest("db_recorder").text == "Gone"

        ctx.bus.publish(ActorLifecycle("http", "HttpGateway", LifecycleKind.STARTED))
        sub.wait_for(lambda m: m.topic == f"{root}/status/http" and m.text == "Here")
        ctx.bus.publish(ActorLifecycle("http", "HttpGateway", LifecycleKind.FAILED, "boom"))
        sub.wait_for(lambda m: m.topic == f"{root}/status/http" and m.text == "Died")

        sup.stop_all().get(timeout=10)
        for topic in ("mqtt/notification", "mqtt/logging", "controller", "http"):
            sub.wait_for(lambda m, t=topic: m.topic == f"{root}/status/{t}" and m.text == "Gone")
    finally:
        sub.close()
    m = first_message(mosquitto.host, mosquitto.port, f"{root}/status/mqtt/notification")
    assert (m.text, m.retain) == ("Gone", True)


def test_publish_update_packets(bridge, mosquitto):
    ctx, settings, _, proxy = bridge
    root = settings.topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/update/#"]).wait_subscribed()
    try:
        control = {"espresso": {"stop_at_time": None, "stop_at_weight": 34},
                   "steam": {"stop_at_time": 200, "disable_auto_tare": False}}
        assert proxy.publish_update("de1/control", control, 1675628682.0626736).get(timeout=5) is True
        m = sub.wait_for(lambda m: m.topic == f"{root}/update/de1/control")
        assert m.text == ('{"espresso": {"stop_at_time": null, "stop_at_weight": 34}, '
                          '"steam": {"stop_at_time": 200, "disable_auto_tare": false}, '
                          '"timestamp": 1675628682.0626736}')
        assert m.retain is False

        proxy.publish_update("de1/profile/id", {"id": None}).get(timeout=5)
        m = sub.wait_for(lambda m: m.topic == f"{root}/update/de1/profile/id")
        body = json.loads(m.payload)
        assert list(body) == ["id", "timestamp"] and body["id"] is None
        assert isinstance(body["timestamp"], float)

        for area in ("de1/setting", "de1/calibration"):
            proxy.publish_update(area, {"x": 1, "timestamp": 5.5}).get(timeout=5)
            assert json.loads(sub.wait_for(lambda m, a=area: m.topic == f"{root}/update/{a}").payload) == \
                {"x": 1, "timestamp": 5.5}

        with pytest.raises(UnknownUpdateArea, match="de1/bogus"):
            proxy.publish_update("de1/bogus", {}).get(timeout=5)
        with pytest.raises(TypeError, match="mapping"):
            proxy.publish_update("de1/control", ["not", "a", "dict"]).get(timeout=5)
        # A bad call is the caller's problem: the bridge keeps working.
        assert proxy.health().get(timeout=5)["updates_published"] == 4
    finally:
        sub.close()


def test_log_feed_line_and_record(bridge, mosquitto):
    ctx, settings, _, proxy = bridge
    root = settings.topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/log", f"{root}/log/record"]).wait_subscribed()
    try:
        log = logging.getLogger("pyde1.testfeed")
        log.info("below the MQTT level: not published")
        logging.getLogger("pyde1.mqtt.bridge-test").error("the bridge's own records are not fed back")
        log.error("boom %d", 3)
        record_msg = sub.wait_for(lambda m: m.topic == f"{root}/log/record")
        record = json.loads(record_msg.payload)
        assert list(record) == ["version", "created", "levelname", "levelno", "message", "name",
                                "process", "processName", "thread", "threadName"]
        assert record["version"] == "1.0.0"
        assert (record["levelname"], record["levelno"]) == ("ERROR", logging.ERROR)
        assert record["message"] == "boom 3" and record["name"] == "pyde1.testfeed"
        assert record["threadName"] == record["processName"] == "MainThread"
        assert isinstance(record["created"], float) and isinstance(record["thread"], int)
        line = sub.wait_for(lambda m: m.topic == f"{root}/log").text
        assert line.endswith(" ERROR [MainThread] pyde1.testfeed: boom 3")
        assert len(sub.on_topic(f"{root}/log")) == 1 and len(sub.on_topic(f"{root}/log/record")) == 1
        assert proxy.health().get(timeout=5)["log_feed"]["sent"] >= 1
    finally:
        sub.close()


def test_log_feed_can_be_turned_off(runtime, mosquitto):
    settings = fast_settings(mosquitto.host, mosquitto.port, log_feed=False)
    _, proxy = start_bridge(runtime, settings)
    health = proxy.health().get(timeout=5)
    assert "logging" not in health["links"] and health["log_feed"] is None
    assert not any(type(h).__name__ == "MqttLogHandler" for h in logging.getLogger().handlers
                   if getattr(h, "_bridge", None) is runtime.roles.get("mqtt"))


def test_stop_removes_log_handler(bridge):
    ctx, _, sup, _ = bridge
    ref = ctx.roles.get("mqtt")

    def ours():
        return [h for h in logging.getLogger().handlers if getattr(h, "_bridge", None) == ref]

    assert len(ours()) == 1
    sup.stop_all().get(timeout=10)
    assert ours() == []


def test_state_update_round_trip_matches_reference_shape(bridge, mosquitto):
    ctx, settings, _, _ = bridge
    root = settings.topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{root}/StateUpdate"]).wait_subscribed()
    try:
        ctx.bus.publish(StateUpdate(state="Espresso", substate="PreInfuse", previous_state="Idle",
                                    previous_substate="NoState", is_error_state=False,
                                    arrival_time=1.5, create_time=2.5, event_time=3.5))
        m = sub.wait_for(lambda m: True)
        assert m.text == ('{"arrival_time": 1.5, "create_time": 2.5, "state": "Espresso", '
                          '"substate": "PreInfuse", "previous_state": "Idle", "previous_substate": '
                          '"NoState", "is_error_state": false, "version": "1.0.0", "event_time": 3.5, '
                          '"sender": "DE1", "class": "StateUpdate"}')
    finally:
        sub.close()
