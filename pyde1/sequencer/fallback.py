"""When the scale goes away mid-shot (drops its link, stops reporting, freezes), the shot goes
on and stop-at-weight is replaced by the best estimate left:

* **volume** — if the DE1's volume estimate is running: the grams still missing are taken as
  millilitres still to pump (once drops reach the cup, what the pump pushes through a
  saturated puck lands in it), less what flows during the stop's lead time. The target is on
  *total* volume, since preinfusion water already counts in the cup weight.
* **time** — else, from the last flow estimate: the missing grams over that flow.
* neither — the profile ends the shot; the error is logged.

Accuracy is that of the DE1's flow estimate (a few grams), far better than a shot that runs to
the end of its profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyde1.events import StopAtType


@dataclass(frozen=True)
class FallbackPlan:
    kind: StopAtType | None     # VOLUME, TIME, or None (nothing to fall back on)
    #: VOLUME: mL of total volume; TIME: the moment (clock seconds) to stop
    target: float | None
    message: str


def plan_fallback(*, target_weight: float, weight: float | None, volume_total: float | None,
                  de1_flow: float, scale_flow: float, lead: float, now: float,
                  flow_begin_time: float | None, reason: str) -> FallbackPlan:
    remaining = max(target_weight - (weight or 0.0), 0.0)
    if volume_total is not None and volume_total > 0:
        target = volume_total + remaining - max(de1_flow, 0.0) * lead
        return FallbackPlan(StopAtType.VOLUME, target,
                            f"stop at weight {target_weight:g} g: {reason}; the shot goes on and "
                            f"stops at {target:.1f} mL of total volume")
    flow = scale_flow if scale_flow > 0 else max(de1_flow, 0.0)
    if flow > 0 and flow_begin_time is not None:
        moment = now + remaining / flow - lead
        return FallbackPlan(StopAtType.TIME, moment,
                            f"stop at weight {target_weight:g} g: {reason}; no volume estimate, so "
                            f"the shot stops by time at {moment - flow_begin_time:.1f} s of flow")
    return FallbackPlan(None, None, f"stop at weight {target_weight:g} g: {reason}; no volume or "
                        "flow estimate to fall back on, so the profile decides when the shot ends")
