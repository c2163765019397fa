"""Scale actors against the simulator (Bluetooth actor + simulator backend + scale models):
connect, weights, tare, the generic scale replaced by the specific class through the
supervisor with subscribers still receiving, and a scale that vanishes and comes back."""

from __future__ import annotations

import pytest

from actors.base import ServiceActor
from actors.ble.actor import BluetoothActor
from actors.devices import SIM_SCALE_ADDRESS, add_simulated_scale
from actors.scale_families import AtomaxSkaleII, FelicitaArc
from actors.scales import GenericScale, ScaleNotReadyError
from actors.sim.harness import FAST_SETTINGS
from actors.sim.registry import SimRegistry
from actors.supervisor import ActorSpec, Supervisor
from pyde1.events import (AutoTareAction, AutoTareNotification, DeviceAvailability,
                          DeviceAvailabilityState as A, DeviceRole, ScaleButtonPress, ScaleChange,
                          ScaleTareSeen, ScaleWeightUpdate)
from pyde1.lifecycle import ActorLifecycle, LifecycleKind, RestartPolicy
from pyde1.scales import skale

T = 10.0
EXPECTED_CLASS = {"skale": "AtomaxSkaleII", "acaia": "AcaiaAcaia", "acaia_pyxis": "AcaiaPyxis",
                  "felicita": "FelicitaArc", "decent": "DecentScale", "bookoo": "BookooScale"}


class WeightListener(ServiceActor):
    """A bus subscriber by role: keeps receiving whichever actor plays "scale"."""

    subscribes = (ScaleWeightUpdate,)

    def __init__(self, ctx, role, **kw):
        super().__init__(ctx, role)
        self.senders: list[str] = []

    def on_event(self, event):
        self.senders.append(event.sender)

    def seen(self):
        return list(self.senders)


class Rig:
    def __init__(self, runtime, kind="skale", cls=GenericScale, capture=True, speedup=20.0,
                 listener=False, address=SIM_SCALE_ADDRESS, **scale_kwargs):
        self.ctx = runtime
        self.rec = runtime.extras["recorder"]
        self.registry = SimRegistry(speedup=speedup)
        self.device = add_simulated_scale(self.registry, kind, SIM_SCALE_ADDRESS, seed=3)
        self.model = self.device.model
        kwargs = {"settings": FAST_SETTINGS, "address": address, "capture_on_start": capture}
        kwargs.update(scale_kwargs)
        specs = [ActorSpec("bluetooth", BluetoothActor, {"settings": FAST_SETTINGS, "sim_registry": self.registry}),
                 ActorSpec("scale", cls, kwargs, depends_on=("bluetooth",))]
        if listener:
            specs.append(ActorSpec("listener", WeightListener, {}))
        self.sup = Supervisor.start(runtime, specs, RestartPolicy(initial=0.01, maximum=0.05),
                                    start_timeout=10, stop_timeout=5).proxy()
        self.sup.start_all().get(timeout=20)

    @property
    def scale(self):
        return self.ctx.roles.get("scale").proxy()

    def call(self, fn):
        return self.registry.call(fn)

    def ready(self, sender=None, start=0):
        return self.rec.wait_for(DeviceAvailability, lambda e: e.role is DeviceRole.SCALE and e.state is A.READY
                                 and (sender is None or e.sender == sender), timeout=T, start=start)

    def weight_near(self, grams, tol=0.3, start=0):
        return self.rec.wait_for(ScaleWeightUpdate, lambda e: abs(e.weight - grams) <= tol, timeout=T, start=start)

    def mark(self):
        return len(self.rec.events)

    def stop(self):
        self.sup.stop_all().get(timeout=20)
        self.sup.actor_ref.stop(block=True, timeout=5)


@pytest.fixture
def rigs(runtime):
    made = []

    def make(**kw):
        rig = Rig(runtime, **kw)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.stop()


def test_generic_scale_becomes_the_specific_class_and_subscribers_keep_receiving(rigs):
    rig = rigs(listener=True)
    ready = rig.ready(sender="AtomaxSkaleII")
    assert ready.name == "AtomaxSkaleII: Skale" and ready.id == SIM_SCALE_ADDRESS
    replaced = rig.rec.wait_for(ActorLifecycle, lambda e: e.kind is LifecycleKind.REPLACED, timeout=T)
    assert replaced.reason == "GenericScale -> AtomaxSkaleII"
    assert rig.sup.status().get(timeout=T)["scale"]["class"] == "AtomaxSkaleII"
    changes = rig.rec.of_type(ScaleChange)
    assert [c.sender for c in changes][:2] == ["GenericScale", "AtomaxSkaleII"]
    assert changes[0].name == "GenericScale: Skale" and changes[0].role is DeviceRole.SCALE
    rig.call(lambda: rig.model.place(50.0))
    update = rig.weight_near(50.0)
    assert update.sender == "AtomaxSkaleII"
    assert update.scale_time == pytest.approx(update.arrival_time - skale.SkaleCodec.SENSOR_LAG)
    listener = rig.ctx.roles.get("listener").proxy()
    assert "AtomaxSkaleII" in listener.seen().get(timeout=T)
    assert rig.device.stats.connects == 1          # the generic scale handed its link over


@pytest.mark.parametrize("kind", sorted(EXPECTED_CLASS))
def test_every_family_connects_weighs_and_tares(rigs, kind):
    rig = rigs(kind=kind)
    cls = EXPECTED_CLASS[kind]
    rig.ready(sender=cls)
    rig.call(lambda: rig.model.place(123.4))
    update = rig.weight_near(123.4)
    assert update.sender == cls
    mark = rig.mark()
    assert rig.scale.tare().get(timeout=T) is True
    seen = rig.rec.wait_for(ScaleTareSeen, timeout=T, start=mark)
    assert seen.sender == cls
    rig.weight_near(0.0, tol=0.15, start=rig.mark())
    assert rig.call(lambda: len(rig.model.log.tares)) >= 1


def test_tares_closer_than_a_quarter_second_are_dropped(rigs):
    rig = rigs(kind="bookoo")
    rig.ready(sender="BookooScale")
    assert rig.scale.tare().get(timeout=T) is True
    assert rig.scale.tare().get(timeout=T) is False


def test_hold_at_tare_follows_the_sequencer_auto_tare_notification(rigs):
    rig = rigs(kind="felicita")
    rig.ready(sender="FelicitaArc")
    rig.ctx.bus.publish(AutoTareNotification(action=AutoTareAction.ENABLED))
    mark = rig.mark()
    rig.call(lambda: rig.model.place(200.0))
    rig.rec.wait_for(ScaleTareSeen, timeout=T, start=mark)
    assert rig.scale.health().get(timeout=T)["hold_at_tare"] is True
    rig.ctx.bus.publish(AutoTareNotification(action=AutoTareAction.DISABLED))
    rig.call(lambda: rig.model.place(20.0))
    rig.weight_near(20.0, start=rig.mark())
    assert rig.scale.health().get(timeout=T)["hold_at_tare"] is False


def test_skale_button_one_is_published_and_tares(rigs):
    rig = rigs(kind="skale")
    rig.ready(sender="AtomaxSkaleII")
    rig.call(lambda: rig.model.place(30.0))
    rig.weight_near(30.0)
    mark = rig.mark()
    rig.call(lambda: rig.model.press_button(1))
    press = rig.rec.wait_for(ScaleButtonPress, timeout=T, start=mark)
    assert press.button == 1 and press.sender == "AtomaxSkaleII"
    rig.rec.wait_for(ScaleTareSeen, timeout=T, start=mark)


def test_display_where_the_scale_has_one_and_a_no_op_elsewhere(rigs):
    rig = rigs(kind="skale")
    rig.ready(sender="AtomaxSkaleII")
    assert rig.scale.display(False).get(timeout=T) is True
    # A write without response reaches the model in the radio loop's next turn: two later
    # reports mean at least one whole loop turn after the write.
    rig.weight_near(0.0, start=rig.mark())
    rig.weight_near(0.0, start=rig.mark())
    assert rig.call(lambda: rig.model.display_on) is False
    other = rigs(kind="felicita", address="5C:A1:E5:00:00:01")
    other.ready(sender="FelicitaArc")
    assert other.scale.display(True).get(timeout=T) is False


def test_commands_need_a_ready_scale(rigs):
    rig = rigs(kind="skale", capture=False)
    with pytest.raises(ScaleNotReadyError, match="not ready"):
        rig.scale.tare().get(timeout=T)


def test_a_vanishing_scale_is_reported_and_reconnected_by_the_same_actor(rigs):
    rig = rigs(kind="decent")
    rig.ready(sender="DecentScale")
    urn = rig.ctx.roles.get("scale").actor_urn
    mark = rig.mark()
    rig.call(lambda: setattr(rig.device.faults, "refuse_connections", 2))
    rig.call(rig.device.drop_link)
    lost = rig.rec.wait_for(DeviceAvailability, lambda e: e.state is A.NOT_READY, timeout=T, start=mark)
    assert lost.sender == "DecentScale"
    rig.ready(sender="DecentScale", start=mark)
    assert rig.ctx.roles.get("scale").actor_urn == urn
    assert rig.device.stats.refused == 2
    rig.call(lambda: rig.model.place(10.0))
    rig.weight_near(10.0, start=rig.mark())


def test_the_scale_model_can_drop_its_own_link_more_than_once(rigs):
    rig = rigs(kind="acaia_pyxis")
    rig.ready(sender="AcaiaPyxis")
    for _ in range(2):
        mark = rig.mark()
        rig.call(lambda: rig.model.drop_link())
        rig.rec.wait_for(DeviceAvailability, lambda e: e.state is A.NOT_READY, timeout=T, start=mark)
        rig.ready(start=mark)
    assert rig.device.stats.drops == 2
    assert rig.scale.health().get(timeout=T)["link_losses"] == 2


def test_bad_packets_are_counted_and_the_actor_keeps_weighing(rigs):
    rig = rigs(kind="skale")
    rig.ready(sender="AtomaxSkaleII")
    rig.call(lambda: rig.device.inject(skale.WEIGHT, b"\x01"))
    rig.call(lambda: rig.model.place(5.0))
    rig.weight_near(5.0, start=rig.mark())
    health = rig.scale.health().get(timeout=T)
    assert health["bad_packets"] == {"weight": 1} and health["alive"]


def test_acaia_heartbeats_and_battery_from_settings(rigs):
    rig = rigs(kind="acaia", heartbeat_period=0.1)
    rig.ready(sender="AcaiaAcaia")
    assert rig.call(lambda: rig.model.identified and rig.model.streaming)
    heartbeats = rig.call(lambda: rig.model.heartbeats)
    rig.call(lambda: rig.model.place(1.0))
    rig.weight_near(1.0)
    # ~220 reports per real second at 20x: 100 more take longer than a heartbeat period
    rig.rec.wait_count(ScaleWeightUpdate, len(rig.rec.of_type(ScaleWeightUpdate)) + 100, timeout=T)
    assert rig.call(lambda: rig.model.heartbeats) > heartbeats
    assert rig.scale.battery_level().get(timeout=T) == rig.model.battery   # from get-settings


def test_decent_scale_stays_connected_without_heartbeats(rigs):
    rig = rigs(kind="decent", speedup=50.0)
    rig.ready(sender="DecentScale")
    mark = rig.mark()
    rig.call(lambda: rig.model.place(3.0))
    rig.weight_near(3.0, start=mark)
    sim_then = rig.call(lambda: rig.model.sim_time)
    while rig.call(lambda: rig.model.sim_time) < sim_then + 12.0:   # > 2 heartbeat timeouts
        rig.rec.wait_for(ScaleWeightUpdate, timeout=T, start=rig.mark())
    assert not [e for e in rig.rec.events[mark:] if isinstance(e, DeviceAvailability) and e.state is A.NOT_READY]
    assert rig.device.stats.drops == 0


def test_assigning_an_address_then_capturing_settles_the_class_on_connect(rigs):
    """The HTTP "id: scan" path: set_address(address, advertised name), then request_capture
    on the role, back to back."""
    rig = rigs(kind="felicita", capture=False, address="")
    mark = rig.mark()
    assert rig.scale.set_address(SIM_SCALE_ADDRESS, "FELICITA").get(timeout=T) == SIM_SCALE_ADDRESS
    change = rig.rec.wait_for(ScaleChange, timeout=T, start=mark)
    assert change.id == SIM_SCALE_ADDRESS and change.state is A.INITIAL
    rig.scale.request_capture().get(timeout=T)
    rig.ready(sender="FelicitaArc")
    assert rig.device.stats.connects == 1
    mark = rig.mark()
    assert rig.scale.set_address(None).get(timeout=T) == ""
    rig.rec.wait_for(ActorLifecycle, lambda e: e.kind is LifecycleKind.REPLACED, timeout=T, start=mark)
    assert rig.sup.status().get(timeout=T)["scale"]["class"] == "GenericScale"
    assert rig.scale.address.get(timeout=T) == ""
    assert rig.device.connected is False


def test_a_specific_class_given_an_unknown_device_does_not_assume_its_protocol(rigs):
    rig = rigs(kind="skale", cls=AtomaxSkaleII, capture=False, address="")
    rig.call(lambda: setattr(rig.model, "name", "Mystery"))
    rig.scale.set_address(SIM_SCALE_ADDRESS).get(timeout=T)
    rig.scale.request_capture().get(timeout=T)
    rig.rec.wait_for(DeviceAvailability, lambda e: e.state is A.RELEASED, timeout=T)
    assert not [e for e in rig.rec.of_type(DeviceAvailability) if e.state is A.READY]


def test_a_specific_class_connected_to_another_scale_hands_over(rigs):
    rig = rigs(kind="bookoo", cls=AtomaxSkaleII)
    rig.ready(sender="BookooScale")
    assert rig.sup.status().get(timeout=T)["scale"]["class"] == "BookooScale"


def test_scan_assigns_and_captures_the_first_scale(rigs):
    rig = rigs(kind="skale", capture=False, address="")
    assert rig.scale.assign_by_scan(2.0).get(timeout=T) == SIM_SCALE_ADDRESS
    rig.ready(sender="AtomaxSkaleII")


def test_unsupported_device_is_released(rigs):
    rig = rigs(kind="bookoo", capture=False)
    rig.call(lambda: setattr(rig.model, "name", "Mystery"))
    rig.scale.request_capture().get(timeout=T)
    rig.rec.wait_for(DeviceAvailability, lambda e: e.state is A.RELEASED, timeout=T)
    assert rig.sup.status().get(timeout=T)["scale"]["class"] == "GenericScale"
    assert not [e for e in rig.rec.of_type(DeviceAvailability) if e.state is A.READY]


def test_felicita_class_used_directly(rigs):
    rig = rigs(kind="felicita", cls=FelicitaArc)
    rig.ready(sender="FelicitaArc")
    assert not rig.rec.of_type(ActorLifecycle) or all(
        e.kind is not LifecycleKind.REPLACED for e in rig.rec.of_type(ActorLifecycle))
