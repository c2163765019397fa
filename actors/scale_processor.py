"""The scale processor actor (role ``scale_processor``): raw scale reports in, WeightAndFlowUpdate out.

A thin owner of :class:`pyde1.scale.ScaleProcessor` (the plain class does all the work):

* every :class:`ScaleWeightUpdate` is judged and, unless rejected as a spike or a frozen
  repeat, published as a :class:`WeightAndFlowUpdate` (sender ``ScaleProcessor``) with
  pyDE1's estimators; the Kalman filter's :class:`~pyde1.scale.FlowEstimate` (weight,
  flow, their spread, age and latency) is published after every reading, rejected ones
  included, as an internal bus message (not an Event, so it never reaches MQTT or the
  database) for the FlowSequencer;
* :class:`ScaleTareSeen` and a :class:`ScaleChange` clear the history and the filter
  (pyDE1 meant to reset on a scale change and did not);
* the scale period estimate is read from the database's ``persist_hkv`` (header
  ``scale.period``, key = the scale's id) when a scale becomes ready, and written back
  every 1000 reports.

``health()`` counts rejected spikes and frozen readings among the processor's figures.
"""

from __future__ import annotations

from typing import Any

from actors.base import ServiceActor, ServiceContext
from actors.supervisor import ActorSpec
from pyde1.events import (
    SENDER_SCALE_PROCESSOR,
    DeviceAvailabilityState,
    ScaleChange,
    ScaleTareSeen,
    ScaleWeightUpdate,
    WeightAndFlowUpdate,
)
from pyde1.scale import PERSIST_HEADER, FlowEstimate, ProcessorConfig, ScaleProcessor

ROLE = "scale_processor"
DATABASE_ROLE = "database"
#: The "current weight" query answers only for a weight at most this old (reference D.3).
CURRENT_WEIGHT_MAX_AGE_S = 1.0
_DB_TIMEOUT_S = 0.5


class ScaleProcessorActor(ServiceActor):
    subscribes = (ScaleWeightUpdate, ScaleTareSeen, ScaleChange)

    def __init__(self, ctx: ServiceContext, role: str = ROLE, *,
                 processor_config: ProcessorConfig | None = None, **kw: Any) -> None:
        super().__init__(ctx, role)
        self.processor = ScaleProcessor(processor_config or ProcessorConfig())
        self.scale_id: str | None = None
        self.published = 0
        self.persist_failures = 0
        self._last_weight: tuple[float, float] | None = None  # (weight, scale time)

    # -- events -----------------------------------------------------------------------------
    def on_event(self, event: Any) -> None:
        if isinstance(event, ScaleWeightUpdate):
            self._on_weight(event)
        elif isinstance(event, ScaleTareSeen):
            self.processor.reset()
        elif isinstance(event, ScaleChange):
            self._on_scale_change(event)

    def _on_weight(self, event: ScaleWeightUpdate) -> None:
        result = self.processor.process(event.arrival_time, event.scale_time, event.weight)
        if result.persist_period is not None:
            self._persist_period(result.persist_period)
        e = result.estimates
        if e is not None:
            self._last_weight = (e.current_weight, e.current_weight_time)
            self.ctx.bus.publish(WeightAndFlowUpdate(
                arrival_time=event.arrival_time, create_time=self.ctx.clock(),
                sender=SENDER_SCALE_PROCESSOR, scale_time=event.scale_time,
                current_weight=e.current_weight, current_weight_time=e.current_weight_time,
                average_flow=e.average_flow, average_flow_time=e.average_flow_time,
                median_weight=e.median_weight, median_weight_time=e.median_weight_time,
                median_flow=e.median_flow, median_flow_time=e.median_flow_time))
            self.published += 1
        # The estimate goes out after every reading, rejected ones included: the sequencer
        # then sees a freeze (estimate.frozen) and keeps a decision point per reading.
        if result.flow is not None:
            self.ctx.bus.publish(result.flow)

    def _on_scale_change(self, event: ScaleChange) -> None:
        if event.id != self.scale_id:
            self.processor.reset()
            self._last_weight = None
        self.scale_id = event.id or None
        if event.state is DeviceAvailabilityState.READY and self.scale_id:
            self._restore_period()

    # -- persistence of the period estimate -----------------------------------------------------
    def _restore_period(self) -> None:
        db = self.ctx.proxy(DATABASE_ROLE)
        if db is None:
            return
        try:
            text = db.hkv_get(PERSIST_HEADER, self.scale_id).get(timeout=_DB_TIMEOUT_S)
            if text is not None:
                self.processor.period.restore(float(text))
        except Exception as exc:  # a missing or odd value: keep the nominal period
            self.log.warning("scale period for %s not restored: %s", self.scale_id, exc)

    def _persist_period(self, value: float) -> None:
        db = self.ctx.proxy(DATABASE_ROLE)
        if db is None or not self.scale_id:
            return
        try:
            db.hkv_put(PERSIST_HEADER, self.scale_id, repr(value))  # fire and forget
        except Exception as exc:
            self.persist_failures += 1
            self.log.warning("scale period not persisted: %s", exc)

    # -- asks -------------------------------------------------------------------------------
    def estimate(self) -> FlowEstimate | None:
        """The filter's newest estimate (None before the first reading or after a reset)."""
        return self.processor.estimate()

    def current_weight(self, now: float | None = None) -> float | None:
        """The newest published weight if it is less than a second old, else None."""
        if self._last_weight is None:
            return None
        now = self.ctx.clock() if now is None else now
        weight, when = self._last_weight
        return weight if now - when < CURRENT_WEIGHT_MAX_AGE_S else None

    def restore_period(self, value: float) -> None:
        self.processor.period.restore(value)

    def health(self) -> dict[str, Any]:
        out = super().health()
        out.update(self.processor.health())
        out.update({"published": self.published, "scale_id": self.scale_id,
                    "persist_failures": self.persist_failures})
        return out


def scale_processor_spec(config: Any = None, *, processor_config: ProcessorConfig | None = None,
                         depends_on: tuple[str, ...] = ()) -> ActorSpec:
    """The supervisor's entry for the scale processor (it needs nothing from the config today;
    the argument keeps the shape every ``*_spec(config)`` has)."""
    kwargs = {} if processor_config is None else {"processor_config": processor_config}
    return ActorSpec(role=ROLE, actor_class=ScaleProcessorActor, kwargs=kwargs,
                     depends_on=depends_on, required=False)
