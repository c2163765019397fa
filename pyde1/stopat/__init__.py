"""Stop-at-weight (pure): final-weight prediction, the stop decision, per-setup drip learning,
and the replay of real recorded shots."""

from pyde1.stopat.learning import (
    PERSIST_HEADER,
    LeadState,
    LeadStateError,
    LearningSettings,
    ShotOutcome,
    implied_drip,
    learn,
)
from pyde1.stopat.predictor import (
    FALL_TIME_S,
    STOP_DELAY_S,
    Decision,
    StopPredictor,
    StopSettings,
    should_stop,
)

__all__ = [
    "FALL_TIME_S", "PERSIST_HEADER", "STOP_DELAY_S", "Decision", "LeadState", "LeadStateError",
    "LearningSettings", "ShotOutcome", "StopPredictor", "StopSettings", "implied_drip", "learn",
    "should_stop",
]
