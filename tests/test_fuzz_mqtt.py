"""MQTT fuzzing: random payloads on the topics the bridge subscribes to (Home Assistant's
power command and birth topics) through a real mosquitto and the real bridge. Every
malformed message is ignored, counted (``inbound_rejected``) and logged (one line per
topic per minute, rate-limited); well-formed ones still act; the bridge never dies.
"""

from __future__ import annotations

import os
import queue
import time

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion

from pyde1 import ha_discovery as ha
from test_mqtt_ha import FakeDE1, LogWaiter, bridge_log, ha_bridge  # noqa: F401 (fixtures)
from test_mqtt_helpers import unique_root

pytestmark = pytest.mark.broker
LONG = bool(os.environ.get("PYDE1_LONG_TESTS"))  # many more examples
T = 10.0


def _expected(topic_kind: str, payload: bytes) -> str | None:
    """What the bridge must do: a mode for the DE1, "birth", or None (rejected)."""
    try:
        if topic_kind == "command":
            return ha.parse_power_command("t", payload)
        ha.parse_birth("t", payload)
        return "birth"
    except ha.HaCommandError:
        return None


payloads = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=40).map(lambda s: s.encode("utf-8")),
    st.sampled_from([b"ON", b"off", b" wake ", b"SLEEP", b"online", b"offline", b"", b"\xff\xfe",
                     b'{"state": "ON"}', b"ON\x00", b"O N", b"null", b"1", b"x" * 10_000]),
)


class Publisher:
    def __init__(self, host: str, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fuzz-{unique_root()}",
                                  protocol=mqtt.MQTTv5)
        self.client.connect(host, port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(T)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _wait_health(proxy, key: str, value: int) -> dict:
    deadline = time.monotonic() + T
    while True:
        health = proxy.health().get(timeout=T)  # each ask is a round trip through the actor
        if health[key] >= value or time.monotonic() > deadline:
            return health


@pytest.mark.timeout(3600 if LONG else 120)
def test_malformed_payloads_on_subscribed_topics_are_ignored_with_a_log_line(ha_bridge, mosquitto,
                                                                            bridge_log):
    ctx, s, proxy, sub = ha_bridge
    calls: queue.Queue = queue.Queue()
    ref = FakeDE1.start(ctx, role="de1", calls=calls)
    ctx.roles.set("de1", ref)
    topics = {"command": ha.power_command_topic(s.topic_root), "birth": ha.birth_topic(s.ha_discovery_prefix)}
    pub = Publisher(mosquitto.host, mosquitto.port)
    counts = {"rejected": 0, "modes": [], "rejected_by_topic": {"command": 0, "birth": 0}}
    try:
        @settings(max_examples=600 if LONG else 60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(kind=st.sampled_from(sorted(topics)), payload=payloads)
        def run(kind, payload):
            outcome = _expected(kind, payload)
            pub.publish(topics[kind], payload)
            if outcome is None:
                counts["rejected"] += 1
                counts["rejected_by_topic"][kind] += 1
                health = _wait_health(proxy, "inbound_rejected", counts["rejected"])
                assert health["inbound_rejected"] == counts["rejected"], (kind, payload)
            elif outcome != "birth":
                counts["modes"].append(outcome)
                assert calls.get(timeout=T) == outcome
            assert proxy.health().get(timeout=T)["alive"]

        run()
    finally:
        pub.close()
    assert counts["rejected"] > 10
    for kind, n in counts["rejected_by_topic"].items():
        if n:
            expected_text = "expected ON or OFF" if kind == "command" else "expected online or offline"
            if kind == "command":
                # non-UTF-8 payloads have their own reason; either is a logged rejection
                assert any("ignoring MQTT message" in line and topics[kind] in line for line in bridge_log.lines)
            else:
                bridge_log.wait_for(expected_text)
    health = proxy.health().get(timeout=T)
    assert health["alive"] and health["inbound_rejected"] == counts["rejected"]
