"""Scale processing (pure): pyDE1's history and estimators, period estimation, tare-seen
detection, and a robust Kalman flow filter with spike and frozen-reading rejection."""

from pyde1.scale.estimate import FlowEstimate
from pyde1.scale.history import GAP_S, HISTORY_LENGTH, Estimates, WeightHistory
from pyde1.scale.kalman import FilterConfig, FlowFilter, Verdict
from pyde1.scale.period import NOMINAL_PERIOD_S, PERSIST_HEADER, PeriodEstimator
from pyde1.scale.processor import Processed, ProcessorConfig, ScaleProcessor
from pyde1.scale.tare import TareOutcome, TareTracker

__all__ = [
    "GAP_S", "HISTORY_LENGTH", "NOMINAL_PERIOD_S", "PERSIST_HEADER", "Estimates", "FilterConfig",
    "FlowEstimate", "FlowFilter", "PeriodEstimator", "Processed", "ProcessorConfig",
    "ScaleProcessor", "TareOutcome", "TareTracker", "Verdict", "WeightHistory",
]
