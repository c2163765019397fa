"""Home Assistant discovery: the pure builder and state tracker, then the bridge announcing
the entities and handling the sleep/wake switch against a real mosquitto."""

from __future__ import annotations

import json
import logging
import queue
import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from actors.base import ServiceActor
from actors.mqtt import MqttLinkState
from pyde1 import ha_discovery as ha
from pyde1.events import (
    GateAction,
    SequencerGateName,
    SequencerGateNotification,
    ShotSampleWithVolumesUpdate,
    StateUpdate,
    WaterLevelUpdate,
    WeightAndFlowUpdate,
)
from support.mqtt import first_message
from support.waiting import wait_until
from test_mqtt_helpers import Subscriber, fast_settings, start_bridge, unique_root


def state(name: str, substate: str = "NoState") -> StateUpdate:
    return StateUpdate(state=name, substate=substate, previous_state="Idle", previous_substate="NoState",
                       is_error_state=False)


def gate(name: SequencerGateName, t: float, seq: str = "seq-1", active: str = "Espresso",
         action: GateAction = GateAction.SET) -> SequencerGateNotification:
    return SequencerGateNotification(name=name, action=action, sequence_id=seq, active_state=active,
                                     create_time=t)


def weight(w: float) -> WeightAndFlowUpdate:
    return WeightAndFlowUpdate(scale_time=0.0, current_weight=w, current_weight_time=0.0, average_flow=0.0,
                               average_flow_time=0.0, median_weight=w, median_weight_time=0.0,
                               median_flow=0.0, median_flow_time=0.0)


def sample(head_temp: float) -> ShotSampleWithVolumesUpdate:
    return ShotSampleWithVolumesUpdate(
        sample_time=1, group_pressure=0.0, group_flow=0.0, mix_temp=90.0, head_temp=head_temp,
        set_mix_temp=90.0, set_head_temp=92.0, set_group_pressure=0.0, set_group_flow=0.0, frame_number=0,
        steam_temp=140.0, de1_time=0.0, volume_preinfuse=0.0, volume_pour=0.0, volume_total=0.0,
        volume_by_frames=())


# -- the pure builder ------------------------------------------------------------------------

def test_discovery_messages_describe_six_sensors_and_a_switch():
    messages = ha.discovery_messages("pyDE1", "homeassistant", sw_version="9.9")
    assert [(m.component, m.object_id) for m in messages] == [
        ("sensor", "state"), ("sensor", "water_level"), ("sensor", "group_temperature"),
        ("sensor", "scale_weight"), ("sensor", "last_shot_time"), ("sensor", "last_shot_weight"),
        ("switch", "power")]
    keys = set(ha.HaStateTracker().to_dict())
    for m in messages:
        assert m.topic == f"homeassistant/{m.component}/pyde1_pyDE1/{m.object_id}/config"
        p = m.payload
        assert p["state_topic"] == "pyDE1/ha/state"
        assert p["unique_id"] == f"pyde1_pyDE1_{m.object_id}"
        assert p["device"]["identifiers"] == ["pyde1_pyDE1"] and p["device"]["sw_version"] == "9.9"
        (avail,) = p["availability"]
        assert avail["topic"] == "pyDE1/status/mqtt/notification"
        # Every template reads a key the state document has.
        key = p["value_template"].split("value_json.")[1].split()[0]
        assert key in keys
        json.dumps(p)  # serialisable as is
    units = {m.object_id: m.payload.get("unit_of_measurement") for m in messages}
    assert units == {"state": None, "water_level": "mm", "group_temperature": "°C", "scale_weight": "g",
                     "last_shot_time": "s", "last_shot_weight": "g", "power": None}
    switch = messages[-1].payload
    assert switch["command_topic"] == "pyDE1/ha/power/set"
    assert (switch["payload_on"], switch["payload_off"]) == ("ON", "OFF")


def test_node_id_is_safe_for_discovery_topics():
    assert ha.node_id("pyDE1") == "pyde1_pyDE1"
    assert ha.node_id("home/kitchen de1") == "pyde1_home_kitchen_de1"
    assert ha.node_id("///") == "pyde1_root"


@pytest.mark.parametrize("payload, mode", [(b"ON", "Wake"), (b" off\n", "Sleep"), (b"wake", "Wake"),
                                           (b"SLEEP", "Sleep")])
def test_power_commands(payload, mode):
    assert ha.parse_power_command("t", payload) == mode


@pytest.mark.parametrize("payload", [b"", b"toggle", b"\xff\xfe", b'{"state": "ON"}'])
def test_malformed_power_commands_raise_typed_error(payload):
    with pytest.raises(ha.HaCommandError, match="t/x"):
        ha.parse_power_command("t/x", payload)


def test_birth_messages():
    assert ha.parse_birth("hb", b"online") is True
    assert ha.parse_birth("hb", b"offline") is False
    with pytest.raises(ha.HaCommandError):
        ha.parse_birth("hb", b"maybe")


def test_tracker_state_and_power_are_urgent():
    t = ha.HaStateTracker(min_interval=2.0)
    assert t.observe(state("Sleep"), now=10.0) == 0.0
    assert t.to_dict()["power"] == "OFF" and t.to_dict()["state"] == "Sleep"
    t.published(10.0)
    assert t.observe(state("Sleep"), now=10.5) is None  # nothing new
    assert t.observe(state("Idle"), now=10.6) == 0.0  # state changes never wait
    assert t.to_dict()["power"] == "ON"


def test_tracker_rate_limits_measurements_and_ignores_noise():
    t = ha.HaStateTracker(min_interval=2.0)
    assert t.observe(WaterLevelUpdate(level=30.01, start_fill_level=5.0), now=0.0) == 0.0
    t.published(0.0)
    assert t.observe(WaterLevelUpdate(level=30.04, start_fill_level=5.0), now=0.5) is None  # same at 0.1 mm
    assert t.observe(WaterLevelUpdate(level=29.5, start_fill_level=5.0), now=0.5) == pytest.approx(1.5)
    assert t.pending
    assert t.observe(sample(91.94), now=2.5) == 0.0
    d = t.to_dict()
    assert (d["water_level"], d["group_temperature"]) == (29.5, 91.9)
    assert t.observe(weight(float("nan")), now=3.0) is None  # NaN weight: unknown, as before


def test_tracker_last_shot_from_espresso_gates():
    t = ha.HaStateTracker()
    t.observe(weight(0.0), now=0)
    t.observe(gate(SequencerGateName.SEQUENCE_START, 100.0), now=0)
    t.observe(gate(SequencerGateName.SEQUENCE_FLOW_BEGIN, 101.0), now=0)
    t.observe(weight(20.0), now=0)
    t.observe(gate(SequencerGateName.SEQUENCE_FLOW_END, 129.44), now=0)
    t.observe(weight(36.26), now=0)  # drips after flow end count
    assert t.to_dict()["last_shot_time"] is None
    assert t.observe(gate(SequencerGateName.SEQUENCE_COMPLETE, 135.0), now=0) == 0.0
    d = t.to_dict()
    assert (d["last_shot_time"], d["last_shot_weight"]) == (28.4, 36.3)
    assert d["last_shot_end"].startswith("1970-01-01T00:02:09")


def test_tracker_ignores_other_sequences_and_flowless_ones():
    t = ha.HaStateTracker()
    for name, when in ((SequencerGateName.SEQUENCE_START, 1.0), (SequencerGateName.SEQUENCE_FLOW_BEGIN, 2.0),
                       (SequencerGateName.SEQUENCE_FLOW_END, 9.0), (SequencerGateName.SEQUENCE_COMPLETE, 10.0)):
        t.observe(gate(name, when, seq="steam", active="Steam"), now=0)
    assert t.to_dict()["last_shot_time"] is None
    t.observe(gate(SequencerGateName.SEQUENCE_START, 20.0, seq="e2"), now=0)
    # A cleared gate is not a set one.
    t.observe(gate(SequencerGateName.SEQUENCE_FLOW_BEGIN, 21.0, seq="e2", action=GateAction.CLEAR), now=0)
    t.observe(gate(SequencerGateName.SEQUENCE_COMPLETE, 22.0, seq="e2"), now=0)
    assert t.to_dict()["last_shot_time"] is None  # left before flow began: not a shot
    # Without a scale the shot has a time but no weight.
    t.observe(gate(SequencerGateName.SEQUENCE_START, 30.0, seq="e3"), now=0)
    t.observe(gate(SequencerGateName.SEQUENCE_FLOW_BEGIN, 31.0, seq="e3"), now=0)
    t.observe(gate(SequencerGateName.SEQUENCE_COMPLETE, 40.0, seq="e3"), now=0)
    assert (t.to_dict()["last_shot_time"], t.to_dict()["last_shot_weight"]) == (9.0, None)


# -- the bridge with discovery on ------------------------------------------------------------

class FakeDE1(ServiceActor):
    """Stands in for the DE1 actor: records set_mode calls, refuses Sleep when told to."""

    def __init__(self, ctx, role, calls: queue.Queue, refuse_sleep: bool = False, **_):
        super().__init__(ctx, role)
        self.calls = calls
        self.refuse_sleep = refuse_sleep

    def set_mode(self, mode: str) -> None:
        self.calls.put(mode)
        if mode == "Sleep" and self.refuse_sleep:
            raise RuntimeError("DE1 is busy (409)")


def publish_raw(host: str, port: int, topic: str, payload: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cmd-{unique_root()}", protocol=mqtt.MQTTv5)
    client.connect(host, port)
    client.loop_start()
    try:
        client.publish(topic, payload).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.fixture
def ha_bridge(runtime, mosquitto):
    prefix = f"ha{unique_root()}"
    settings = fast_settings(mosquitto.host, mosquitto.port, ha_discovery=True, ha_discovery_prefix=prefix,
                             ha_state_interval=0.05)
    sub = Subscriber(mosquitto.host, mosquitto.port, [f"{prefix}/#", f"{settings.topic_root}/ha/#"])
    sub.wait_subscribed()
    _, proxy = start_bridge(runtime, settings)
    runtime.extras["recorder"].wait_for(MqttLinkState, lambda e: e.link == "notification" and e.connected)
    # The bridge subscribes before it announces; the broker handles one connection's packets in
    # order, so once a config arrives the bridge's subscriptions are in place.
    sub.wait_for(lambda m: m.topic.endswith("/config"))
    yield runtime, settings, proxy, sub
    sub.close()


def test_bridge_announces_entities_and_state(ha_bridge, mosquitto):
    ctx, settings, proxy, sub = ha_bridge
    root, prefix = settings.topic_root, settings.ha_discovery_prefix
    import pyde1
    expected = ha.discovery_messages(root, prefix, sw_version=pyde1.__version__)
    got = sub.wait_count(lambda m: m.topic.endswith("/config"), len(expected))
    assert [(m.topic, json.loads(m.payload)) for m in got] == [(e.topic, e.payload) for e in expected]
    ctx.bus.publish(state("Sleep"))
    doc = sub.wait_for(lambda m: m.topic == f"{root}/ha/state" and json.loads(m.payload)["state"] == "Sleep")
    assert json.loads(doc.payload)["power"] == "OFF"
    # Measurements are rate-limited but the last value always goes out (timer flush).
    ctx.bus.publish(WaterLevelUpdate(level=12.0, start_fill_level=5.0))
    ctx.bus.publish(WaterLevelUpdate(level=13.0, start_fill_level=5.0))
    sub.wait_for(lambda m: m.topic == f"{root}/ha/state" and json.loads(m.payload)["water_level"] == 13.0)
    # Retained: what Home Assistant sees after its own restart.
    m = first_message(mosquitto.host, mosquitto.port, f"{root}/ha/state")
    assert m.retain and json.loads(m.payload)["water_level"] == 13.0
    # Home Assistant restarting says "online": the configs go out again.
    publish_raw(mosquitto.host, mosquitto.port, f"{prefix}/status", b"online")
    sub.wait_count(lambda m: m.topic.endswith("/config"), 2 * len(expected))


class LogWaiter(logging.Handler):
    """Collects log lines and lets a test wait for one with a deadline."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self._cond = threading.Condition()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with self._cond:
            self.lines.append(record.getMessage())
            self._cond.notify_all()

    def wait_for(self, text: str, count: int = 1, timeout: float = 5.0) -> None:
        wait_until(self._cond, lambda: True if sum(text in line for line in self.lines) >= count else None,
                   timeout, lambda: f"no log line with {text!r} (x{count}) within {timeout} s: {self.lines[-5:]}")


@pytest.fixture
def bridge_log():
    waiter = LogWaiter()
    logger = logging.getLogger("pyde1.mqtt")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(waiter)
    yield waiter
    logger.removeHandler(waiter)
    logger.setLevel(old_level)


def test_switch_commands_reach_the_de1_and_junk_is_ignored(ha_bridge, mosquitto, bridge_log):
    ctx, settings, proxy, sub = ha_bridge
    command = ha.power_command_topic(settings.topic_root)
    calls: queue.Queue = queue.Queue()
    ref = FakeDE1.start(ctx, role="de1", calls=calls, refuse_sleep=True)
    ctx.roles.set("de1", ref)

    publish_raw(mosquitto.host, mosquitto.port, command, b"ON")
    assert calls.get(timeout=5) == "Wake"
    bridge_log.wait_for("the DE1 accepted Home Assistant's Wake")
    publish_raw(mosquitto.host, mosquitto.port, command, b"not a command")
    publish_raw(mosquitto.host, mosquitto.port, command, b"OFF")
    assert calls.get(timeout=5) == "Sleep"
    # The DE1's refusal is reported in the log, without the bridge waiting for it.
    bridge_log.wait_for("the DE1 refused Home Assistant's Sleep: DE1 is busy (409)")
    bridge_log.wait_for("expected ON or OFF")
    publish_raw(mosquitto.host, mosquitto.port, ha.birth_topic(settings.ha_discovery_prefix), b"maybe")
    bridge_log.wait_for("expected online or offline")
    health = proxy.health().get(timeout=5)
    assert health["inbound_rejected"] == 2 and health["alive"] is True

    # No DE1 actor: logged and ignored.
    ctx.roles.set("de1", None)
    ref.stop()
    publish_raw(mosquitto.host, mosquitto.port, command, b"ON")
    bridge_log.wait_for("no DE1 actor is running")
    assert calls.empty()
    assert proxy.health().get(timeout=5)["alive"] is True


def test_no_discovery_when_off(runtime, mosquitto):
    settings = fast_settings(mosquitto.host, mosquitto.port)
    root = settings.topic_root
    sub = Subscriber(mosquitto.host, mosquitto.port, ["homeassistant/#", f"{root}/#"]).wait_subscribed()
    try:
        _, proxy = start_bridge(runtime, settings)
        runtime.bus.publish(state("Idle"))
        sub.wait_for(lambda m: m.topic == f"{root}/StateUpdate")
        assert not [m for m in sub.messages if m.topic.startswith("homeassistant/") or "/ha/" in m.topic]
        assert proxy.health().get(timeout=5)["ha_discovery"] is False
    finally:
        sub.close()
