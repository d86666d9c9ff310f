"""Multi-label classification with a Keras network, the scikit-learn way.

Importing this package does not import TensorFlow: Keras is loaded on the
first ``fit`` (or on the first prediction of an unpickled estimator).
"""

from sklearn_multilabel._legacy import register_legacy_modules
from sklearn_multilabel._version import __version__
from sklearn_multilabel.neural_network import (
    MultiLabelNNClassifier,
    ScikerasBuilder,
    load_model,
    save_model,
)
from sklearn_multilabel.thresholds import (
    STRATEGIES,
    MultiLabelThresholdTuner,
    ThresholdSearch,
    out_of_fold_scores,
    tune_thresholds,
)

register_legacy_modules()

__all__ = [
    "STRATEGIES",
    "MultiLabelNNClassifier",
    "MultiLabelThresholdTuner",
    "ScikerasBuilder",
    "ThresholdSearch",
    "__version__",
    "load_model",
    "out_of_fold_scores",
    "save_model",
    "tune_thresholds",
]
