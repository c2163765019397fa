"""The FlowSequencer's pure rules (devices-and-sequencing.md parts E and F).

* :mod:`.rules` — :class:`FlowSequencer`: events and the clock in, actions out (gates, stop-at
  and auto-tare notifications, stop / skip / end-steam / tare / sleep commands).
* :mod:`.controls` — the per-mode controls of ``de1/control/*`` and their validation.
* :mod:`.weightstop` — when to stop on weight: the Kalman predictor (``pyde1.stopat``) when
  the processor sends estimates, else :mod:`.weight` (reference lead terms, bump resist, a
  spike guard); learning the setup's drip.
* :mod:`.stoprules` — the stop decisions as the rules apply them (weight, move-on, fall-back).
* :mod:`.fallback` — what replaces stop-at-weight when the scale goes away mid-shot.
* :mod:`.steam` — steam to temperature with a BlueDOT.
* :mod:`.autooff` — sleep the DE1 after idle minutes.
* :mod:`.actions`, :mod:`.tracks`, :mod:`.params` — outputs, per-sequence state, parameters.

The actor that runs these is ``actors.sequencer``.
"""

from pyde1.sequencer.actions import (Action, DeviceFollow, EndSteam, FollowDE1, LeadLearned, Log,
                                     Publish, SkipToNext, SleepDE1, StopFlow, Tare, ThermometerRate)
from pyde1.sequencer.controls import (SEQUENCER_KEYS, ControlError, ControlMode, Controls,
                                      ProfileLimits, apply_profile, auto_off_minutes,
                                      control_as_dict, patch_controls)
from pyde1.sequencer.params import SequencerParams
from pyde1.sequencer.rules import FlowSequencer
from pyde1.sequencer.tracks import GATE_ORDER

__all__ = [
    "Action", "ControlError", "ControlMode", "Controls", "DeviceFollow", "EndSteam", "FlowSequencer",
    "FollowDE1", "GATE_ORDER", "LeadLearned", "Log", "ProfileLimits", "Publish", "SEQUENCER_KEYS",
    "SequencerParams", "SkipToNext", "SleepDE1", "StopFlow", "Tare", "ThermometerRate",
    "apply_profile", "auto_off_minutes", "control_as_dict", "patch_controls",
]
