"""Per-label thresholds in plain numpy: search, strategies, decoding, tuner."""

from sklearn_multilabel.thresholds._cross_fitting import out_of_fold_scores
from sklearn_multilabel.thresholds._search import (
    STRATEGIES,
    ThresholdSearch,
    tune_thresholds,
)
from sklearn_multilabel.thresholds._tuner import MultiLabelThresholdTuner

__all__ = [
    "STRATEGIES",
    "MultiLabelThresholdTuner",
    "ThresholdSearch",
    "out_of_fold_scores",
    "tune_thresholds",
]
