"""The bridge's plain parts without a broker: the outbox, the settings, the log handler."""

from __future__ import annotations

import json
import logging
import ssl
import threading
from types import SimpleNamespace

import pykka
import pytest

from actors.mqtt import MqttSettings, MqttSettingsError, mqtt_spec
from actors.mqtt.loghandler import MqttLogHandler, record_payload
from actors.mqtt.messages import LogFeedMessage
from actors.mqtt.outbox import OutMessage, Outbox


def msg(n: int) -> OutMessage:
    return OutMessage("t", str(n))


def test_outbox_keeps_order_and_drops_oldest_when_full():
    box = Outbox(3)
    assert [box.put(msg(n)) for n in range(5)] == [0, 0, 0, 1, 1]
    assert (len(box), box.dropped, box.queued) == (3, 2, 5)
    assert [m.payload for m in box.take()] == ["2", "3", "4"]
    assert len(box) == 0


def test_outbox_put_back_goes_to_the_front():
    box = Outbox(4)
    for n in range(3):
        box.put(msg(n))
    items = box.take()
    box.put(msg(9))  # arrived while the flush was running
    box.put_back(items[1:])
    assert [m.payload for m in box.take()] == ["1", "2", "9"]
    assert box.dropped == 0


def test_outbox_limit_zero_keeps_nothing():
    box = Outbox(0)
    assert box.put(msg(1)) == 1
    assert (len(box), box.dropped) == (0, 1)


def test_settings_from_config_object_and_defaults():
    config = SimpleNamespace(
        mqtt=SimpleNamespace(TOPIC_ROOT="kitchen", BROKER_HOSTNAME="broker.lan", BROKER_PORT=8883,
                             USERNAME="de1", PASSWORD="s3cret", TLS=True, TLS_CERT_REQS="CERT_REQUIRED",
                             TLS_VERSION="PROTOCOL_TLS_CLIENT", QUEUE_LIMIT=50, HA_DISCOVERY=True),
        logging=SimpleNamespace(handlers=SimpleNamespace(MQTT="WARNING"),
                                formatters=SimpleNamespace(MQTT="%(message)s")))
    s = MqttSettings.from_config(config, hostname="pi", pid=42)
    assert (s.topic_root, s.host, s.port, s.username, s.tls) == ("kitchen", "broker.lan", 8883, "de1", True)
    assert s.tls_cert_reqs == ssl.CERT_REQUIRED and s.tls_version == ssl.PROTOCOL_TLS_CLIENT
    assert (s.queue_limit, s.ha_discovery, s.log_level, s.log_format) == (50, True, logging.WARNING, "%(message)s")
    assert s.keepalive == 60 and s.transport == "tcp"  # absent keys: pyDE1's defaults
    assert s.client_id("notification") == "pyde1@pi[42]"
    assert s.client_id("logging") == "pyde1@pi[42]LogMQTT"
    assert s.client_id("controller") == "pyde1@pi[42]Controller"
    assert s.status_topic("notification") == "kitchen/status/mqtt/notification"
    assert s.status_topic("http") == "kitchen/status/http"
    assert "s3cret" not in repr(s) and "s3cret" not in repr(mqtt_spec(config))


def test_settings_defaults_without_config():
    s = MqttSettings.from_config(None)
    assert (s.topic_root, s.host, s.port, s.queue_limit, s.ha_discovery) == ("pyDE1", "::1", 1883, 10000, False)
    assert s.log_level == logging.ERROR


def test_settings_from_the_real_config_loader():
    config_module = pytest.importorskip("pyde1.config")
    config = config_module.load_config_text("---\nmqtt:\n  BROKER_PORT: 1999\n  TLS_CERT_REQS: CERT_NONE\n")
    s = MqttSettings.from_config(config)
    assert s.port == 1999 and s.tls_cert_reqs == ssl.CERT_NONE


@pytest.mark.parametrize("mqtt, key", [
    ({"TRANSPORT": "udp"}, "TRANSPORT"),
    ({"TOPIC_ROOT": "a/#"}, "TOPIC_ROOT"),
    ({"QUEUE_LIMIT": -1}, "QUEUE_LIMIT"),
    ({"TLS_CERT_REQS": "CERT_MAYBE"}, "TLS_CERT_REQS"),
])
def test_bad_settings_name_the_key(mqtt, key):
    with pytest.raises(MqttSettingsError, match=f"mqtt.{key}") as info:
        MqttSettings.from_config({"mqtt": mqtt})
    assert info.value.key == key


def test_spec_is_optional_role_mqtt():
    spec = mqtt_spec(None)
    assert spec.role == "mqtt" and spec.required is False
    assert spec.actor_class.__name__ == "MqttBridge"


class FakeRef:
    def __init__(self, dead: bool = False) -> None:
        self.told: list = []
        self.dead = dead

    def tell(self, message) -> None:
        if self.dead:
            raise pykka.ActorDeadError("gone")
        self.told.append(message)


def make_record(name="pyde1.x", level=logging.ERROR, msg="hello %s", args=("there",)):
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_log_handler_formats_and_tells_without_waiting():
    ref = FakeRef()
    handler = MqttLogHandler(ref, logging.ERROR, "%(levelname)s [%(processName)s] %(name)s: %(message)s")
    handler.handle(make_record())
    (told,) = ref.told
    assert isinstance(told, LogFeedMessage)
    assert told.line == f"ERROR [{threading.current_thread().name}] pyde1.x: hello there"
    record = json.loads(told.record_json)
    assert record["message"] == "hello there" and record["version"] == "1.0.0"
    assert handler.sent == 1


def test_log_handler_bounds_its_backlog_and_skips_its_own_records():
    ref = FakeRef()
    handler = MqttLogHandler(ref, logging.ERROR, "%(message)s", backlog=2)
    for _ in range(5):
        handler.handle(make_record())
    assert (len(ref.told), handler.dropped) == (2, 3)
    handler.taken()  # the bridge took one: room for one more
    handler.handle(make_record())
    assert len(ref.told) == 3
    handler.handle(make_record(name="pyde1.mqtt.link"))
    handler.handle(make_record(name="paho.client"))
    assert len(ref.told) == 3 and handler.dropped == 3


def test_log_handler_survives_a_dead_bridge():
    handler = MqttLogHandler(FakeRef(dead=True), logging.ERROR, "%(message)s", backlog=1)
    for _ in range(3):
        handler.handle(make_record())  # never raises into the code that logged
    assert handler.dropped == 3 and handler.sent == 0


def test_record_payload_key_order():
    assert list(record_payload(make_record())) == [
        "version", "created", "levelname", "levelno", "message", "name", "process", "processName",
        "thread", "threadName"]


def test_latency_benchmark_reports_percentiles(mosquitto_session):
    from actors.mqtt.bench import event_to_subscriber_latency

    result = event_to_subscriber_latency(30, mosquitto_session.host, mosquitto_session.port)
    assert (result["n"], result["received"], result["lost"]) == (30, 30, 0)
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    with pytest.raises(ValueError):
        event_to_subscriber_latency(0, mosquitto_session.host, mosquitto_session.port)
