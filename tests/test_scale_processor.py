"""The scale processor (pure) and its actor: WeightAndFlowUpdate out for ScaleWeightUpdate in."""

from __future__ import annotations

import pykka
import pytest

from actors.scale_processor import ROLE, ScaleProcessorActor, scale_processor_spec
from actors.supervisor import Supervisor
from pyde1.events import (
    SENDER_SCALE_PROCESSOR,
    DeviceAvailabilityState,
    DeviceRole,
    ScaleChange,
    ScaleTareSeen,
    ScaleWeightUpdate,
    WeightAndFlowUpdate,
)
from pyde1.scale import FlowEstimate, ProcessorConfig, ScaleProcessor, Verdict

LAG = 0.38


def reports(n: int, flow: float = 2.0, t0: float = 1000.0, period: float = 0.1):
    for i in range(n):
        arrival = t0 + i * period
        yield arrival, arrival - LAG, round(flow * i * period, 1)


def test_processor_publishes_estimates_for_good_readings_only():
    p = ScaleProcessor()
    results = [p.process(*r) for r in reports(30)]
    assert all(r.estimates is not None for r in results)
    last = results[-1]
    assert last.estimates.average_flow == pytest.approx(2.0, abs=0.05)
    assert last.estimates.current_weight_time == pytest.approx(1000.0 + 2.9 - LAG)
    assert last.flow.flow == pytest.approx(2.0, abs=0.2)
    assert last.flow.sensor_lag == pytest.approx(LAG)
    spike = p.process(1003.0, 1003.0 - LAG, 40.0)
    assert spike.verdict is Verdict.SPIKE and spike.estimates is None
    assert p.history.weights[-1] != 40.0
    assert p.health()["rejected_spikes"] == 1


def test_gap_clears_everything_and_discards_the_report():
    p = ScaleProcessor()
    for r in reports(20):
        p.process(*r)
    gap = p.process(1010.0, 1010.0 - LAG, 5.0)
    assert gap.verdict is None and gap.estimates is None
    assert len(p.history) == 0 and p.estimate() is None
    assert p.health()["gaps"] == 1
    nxt = p.process(1010.1, 1010.1 - LAG, 5.2)
    assert nxt.verdict is Verdict.FIRST and len(p.history) == 1


def test_a_tare_shift_resets_the_pyde1_history():
    p = ScaleProcessor()
    for i in range(20):
        p.process(1000 + 0.1 * i, 1000 + 0.1 * i - LAG, 300.0)
    for i in range(20, 23):
        p.process(1000 + 0.1 * i, 1000 + 0.1 * i - LAG, 0.0)
    assert p.health()["level_shifts"] == 1
    assert p.history.weights == [0.0, 0.0, 0.0]


def test_frozen_readings_are_counted_and_kept_out_of_the_history():
    p = ScaleProcessor()
    for r in reports(50, flow=2.5):
        p.process(*r)
    t, w = 1005.0, p.history.weights[-1]
    verdicts = [p.process(t + 0.1 * i, t + 0.1 * i - LAG, w).verdict for i in range(8)]
    assert Verdict.FROZEN in verdicts
    assert p.health()["frozen_readings"] == verdicts.count(Verdict.FROZEN)
    assert p.estimate().frozen
    # the repeats accepted before the freeze was recognised are there, none after
    assert p.history.weights.count(w) == 1 + verdicts.index(Verdict.FROZEN)


def test_period_persistence_is_requested_every_1000_reports():
    p = ScaleProcessor(period=0.1)
    due = [r.persist_period for r in (p.process(*x) for x in reports(1001, flow=0.0))]
    assert [d for d in due if d is not None] == [pytest.approx(0.1)]
    assert due[1000] is not None


# -- the actor ------------------------------------------------------------------------------

def start_processor(runtime):
    ref = ScaleProcessorActor.start(runtime, role=ROLE)
    runtime.roles.set(ROLE, ref)
    runtime.bus.subscribe(ROLE, ScaleProcessorActor.subscribes)
    return ref


def weight_update(arrival: float, weight: float) -> ScaleWeightUpdate:
    return ScaleWeightUpdate(weight=weight, scale_time=arrival - LAG, arrival_time=arrival,
                             create_time=arrival, sender="AtomaxSkaleII")


def test_actor_publishes_weight_and_flow_update(runtime):
    recorder = runtime.extras["recorder"]
    ref = start_processor(runtime)
    for i in range(12):
        runtime.bus.publish(weight_update(2000.0 + 0.1 * i, round(0.2 * i, 1)))
    update = recorder.wait_for(WeightAndFlowUpdate, lambda e: e.average_flow != 0)
    assert update.sender == SENDER_SCALE_PROCESSOR
    assert update.arrival_time == pytest.approx(2001.0)
    assert update.scale_time == pytest.approx(2001.0 - LAG)
    assert update.average_flow == pytest.approx(2.0, abs=0.05)
    assert update.to_dict()["class"] == "WeightAndFlowUpdate"
    estimate = recorder.wait_for(FlowEstimate, lambda e: e.samples == 12)
    assert estimate.sensor_lag == pytest.approx(LAG)
    assert ref.proxy().estimate().get(timeout=5).samples == 12
    assert ref.proxy().current_weight(2001.2).get(timeout=5) == pytest.approx(2.2)
    assert ref.proxy().current_weight(2003.0).get(timeout=5) is None   # more than 1 s old


def test_actor_rejects_a_spike_and_counts_it_in_health(runtime):
    recorder = runtime.extras["recorder"]
    ref = start_processor(runtime)
    for i in range(20):
        runtime.bus.publish(weight_update(3000.0 + 0.1 * i, 10.0))
    runtime.bus.publish(weight_update(3002.0, 60.0))
    runtime.bus.publish(weight_update(3002.1, 10.0))
    recorder.wait_count(WeightAndFlowUpdate, 21)
    estimates = recorder.wait_count(FlowEstimate, 22)   # one per reading, the spike's included
    spiked, before = estimates[20], estimates[19]       # the spike left the estimate as it was
    assert (spiked.time, spiked.weight, spiked.flow) == (before.time, before.weight, before.flow)
    health = ref.proxy().health().get(timeout=5)
    assert health["rejected_spikes"] == 1
    assert health["frozen_readings"] == 0
    assert all(e.current_weight == 10.0 for e in recorder.of_type(WeightAndFlowUpdate))


def test_actor_resets_on_tare_seen_and_scale_change(runtime):
    recorder = runtime.extras["recorder"]
    ref = start_processor(runtime)
    for i in range(5):
        runtime.bus.publish(weight_update(4000.0 + 0.1 * i, 100.0))
    runtime.bus.publish(ScaleTareSeen(arrival_time=4000.5, sender="AtomaxSkaleII"))
    runtime.bus.publish(weight_update(4000.6, 0.0))
    recorder.wait_count(WeightAndFlowUpdate, 6)
    assert ref.proxy().estimate().get(timeout=5).samples == 1
    runtime.bus.publish(ScaleChange(state=DeviceAvailabilityState.READY, role=DeviceRole.SCALE,
                                    id="AA:BB", name="Skale", sender="AtomaxSkaleII"))
    runtime.bus.publish(weight_update(4000.7, 0.0))
    recorder.wait_count(WeightAndFlowUpdate, 7)
    health = ref.proxy().health().get(timeout=5)
    assert health["resets"] == 2 and health["scale_id"] == "AA:BB"


class _FakeDatabase(pykka.ThreadingActor):
    def __init__(self, store):
        super().__init__()
        self.store = store

    def hkv_get(self, header, key, default=None):
        return self.store.get((header, key), default)

    def hkv_put(self, header, key, value):
        self.store[(header, key)] = value


def test_actor_restores_the_period_from_the_database_when_a_scale_is_ready(runtime):
    store = {("scale.period", "AA:BB"): "0.0625"}
    runtime.roles.set("database", _FakeDatabase.start(store))
    ref = start_processor(runtime)
    runtime.bus.publish(ScaleChange(state=DeviceAvailabilityState.READY, role=DeviceRole.SCALE,
                                    id="AA:BB", name="Skale", sender="AtomaxSkaleII"))
    assert ref.proxy().health().get(timeout=5)["period_s"] == pytest.approx(0.0625)


def test_spec_starts_the_actor_under_the_supervisor(runtime):
    spec = scale_processor_spec(None, processor_config=ProcessorConfig(nominal_period=0.2))
    assert spec.role == ROLE
    sup = Supervisor.start(runtime, [spec])
    try:
        assert sup.proxy().start_all().get(timeout=10) == {ROLE: "running"}
        assert ROLE in runtime.bus.subscribers()
        runtime.bus.publish(weight_update(5000.0, 1.0))
        runtime.extras["recorder"].wait_for(WeightAndFlowUpdate)
        assert runtime.proxy(ROLE).health().get(timeout=5)["period_s"] == pytest.approx(0.2)
    finally:
        sup.proxy().stop_all().get(timeout=10)
