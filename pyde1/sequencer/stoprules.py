"""The stop decisions of the FlowSequencer (weight, move-on, and the fall-back when the scale
goes away), split from :mod:`pyde1.sequencer.rules` to keep each module readable. A mixin:
it works on the rules' own state (tracks, sequence, last reports) and output list."""

from __future__ import annotations

from pyde1.events import StopAtAction, StopAtType, WeightAndFlowUpdate
from pyde1.sequencer import actions as A
from pyde1.sequencer.fallback import plan_fallback
from pyde1.sequencer.tracks import StopTrack, TrackPhase
from pyde1.sequencer.weight import choose_reading, move_on_moment
from pyde1.sequencer.weightstop import WeightVerdict

T = StopAtType
STOP_RETRY = 1.0   # s before a stop that did not take is sent again


class StopRules:
    """Mixed into FlowSequencer; see there for the attributes used."""

    def _trigger_stop(self, track: StopTrack, target: float, current: float | None,
                      trigger_time: float, now: float, scheduled: bool = False) -> None:
        if not track.triggered:
            track.triggered = True
            self._notify(track.kind, StopAtAction.TRIGGERED, target, current, now)
        if self.stop_requested_at is None or now - self.stop_requested_at >= STOP_RETRY:
            self.stop_requested_at = now
            if track.kind is T.WEIGHT:
                self.weight_stop.stopped(now)
            self._out.append(A.StopFlow(track.kind, trigger_time, scheduled))

    # -- stop at weight ----------------------------------------------------------------------------
    def _decide_weight(self, track: StopTrack, verdict: WeightVerdict | None, now: float) -> bool:
        """Act on a verdict: stop now, or schedule the stop if its moment comes before the
        next report is likely. Returns True if the stop went out."""
        target = self._weight_target()
        self.weight_moment = None
        if verdict is None or target is None:
            return False
        if verdict.stop:
            self._trigger_stop(track, target, self._weight_now(), verdict.trigger_time, now)
            return True
        if (verdict.moment is not None and not track.triggered
                and verdict.moment - now <= self.params.schedule_horizon):
            self.weight_moment = verdict.moment
        return False

    def _tick_weight(self, now: float) -> None:
        weight = self.tracks.get(T.WEIGHT)
        if weight is None or not weight.armed:
            return
        target = self._weight_target()
        if self.weight_moment is not None and now >= self.weight_moment and target is not None:
            moment, self.weight_moment = self.weight_moment, None
            self._trigger_stop(weight, target, self._weight_now(), moment, now, scheduled=True)
        elif (self.fallback is None and target is not None
              and now - self._weight_seen_at(weight) > self.params.scale_stale_seconds):
            self._fall_back(f"no weight report for {self.params.scale_stale_seconds:g} s", now)

    def _weight_seen_at(self, track: StopTrack) -> float:
        seen = self.last_weight.arrival_time if self.last_weight is not None else track.armed_at
        # Silence counts only while the DE1 pushes water into the cup. In a pause (a bloom, a
        # profile's "dripping" step) the cup is still, and the Kalman processor holds the
        # repeated readings back as frozen until it believes them (1.5 s): not a lost scale.
        sample = self.last_sample
        if self.de1_flowing_since is not None:
            quiet = self.de1_flowing_since
        else:
            quiet = sample.arrival_time if sample is not None else seen
        return max(seen, track.armed_at, quiet)

    def _frozen(self, track: StopTrack, ev: WeightAndFlowUpdate) -> bool:
        """The scale repeats one value while the DE1 has been pumping for a while, after drops
        were already reaching the cup (before that a still weight is normal). With the Kalman
        processor upstream, frozen repeats are dropped there and the scale goes silent instead."""
        p = self.params
        if self.weight_changed_at is None or self.de1_flowing_since is None:
            return False
        if ev.current_weight < 1.0:
            return False
        t = ev.arrival_time
        return (t - self.weight_changed_at > p.frozen_seconds
                and t - max(self.de1_flowing_since, track.armed_at) > p.frozen_seconds)

    # -- move on by weight --------------------------------------------------------------------------
    def _decide_move_on(self, ev: WeightAndFlowUpdate, now: float) -> None:
        frame = self._current_frame()
        if frame is None or frame in self.advanced_frames:
            return
        targets = self.controls.espresso.move_on_weight
        target = targets[frame] if 0 <= frame < len(targets) else None
        if target is None:
            return
        sample = self.last_sample
        reading = choose_reading(ev, self.params.bump, sample.group_flow if sample else None,
                                 sample.arrival_time if sample else None, now)
        moment = move_on_moment(reading, target, self.frame_start_weight, self.params.timing)
        if moment is not None and now >= moment:
            self.advanced_frames.add(frame)
            self._out.append(A.SkipToNext(frame, ev.arrival_time))
            self.tracks[T.MOVE_ON_WEIGHT].triggered = True
            self._notify(T.MOVE_ON_WEIGHT, StopAtAction.TRIGGERED, target, ev.current_weight, now)

    # -- scale gone: fall back to volume or time ---------------------------------------------------
    def _fall_back(self, reason: str, now: float) -> None:
        weight = self.tracks[T.WEIGHT]
        target = self._weight_target()
        if target is None:
            return   # nothing to fall back from
        current = self._weight_now()
        weight.phase = TrackPhase.DONE
        self.weight_moment = None
        self._notify(T.WEIGHT, StopAtAction.DISABLED, target, current, now)
        sample, seq = self.last_sample, self.sequence
        scale_flow = self.last_weight.average_flow if self.last_weight is not None else 0.0
        plan = plan_fallback(
            target_weight=target, weight=current, now=now, reason=reason,
            volume_total=sample.volume_total if sample else None,
            de1_flow=sample.group_flow if sample else 0.0,
            scale_flow=min(scale_flow, self.params.bump.flow_threshold),
            lead=self.params.timing.weight_lead, flow_begin_time=seq.flow_begin_time)
        self.fallback_reason = reason
        self.fallback = StopTrack(plan.kind or T.WEIGHT,
                                  TrackPhase.ARMED if plan.kind else TrackPhase.DONE, armed_at=now)
        self.fallback_target = plan.target
        self._out.append(A.Log("warning" if plan.kind else "error", plan.message))
        if plan.kind is not None:
            self._notify(plan.kind, StopAtAction.ENABLED, self._target_of(self.fallback),
                         self._current_of(self.fallback, now), now)

    def _tick_fallback(self, now: float) -> None:
        fb, seq = self.fallback, self.sequence
        if (fb is not None and fb.armed and not fb.triggered and fb.kind is T.TIME
                and now >= self.fallback_target):
            self._trigger_stop(fb, self.fallback_target - seq.flow_begin_time,
                               now - seq.flow_begin_time, self.fallback_target, now, scheduled=True)

    # -- learning the drip ---------------------------------------------------------------------------
    def _learn_from_sequence(self, now: float) -> None:
        """At sequence end: a shot stopped on weight, its scale still reporting, teaches the
        setup's drip (the settled weight against what the filter predicted at the stop)."""
        weight = self.tracks.get(T.WEIGHT)
        last = self.last_weight
        if (weight is None or not weight.triggered or self.fallback is not None or last is None
                or now - last.arrival_time > self.params.scale_stale_seconds):
            return
        settled = last.median_weight if last.median_weight_time > 0 else last.current_weight
        target = self._weight_target()
        landed = "" if target is None else f" (target {target:.1f} g, error {settled - target:+.1f} g)"
        lead = self.weight_stop.outcome(settled)
        if lead is not None:
            self._out.append(A.LeadLearned(lead))
            self._out.append(A.Log("info", f"stop-at-weight: cup settled at {settled:.1f} g{landed}; "
                                   f"drip now {lead.drip_s:.3f} s after {lead.shots} shot(s)"))
