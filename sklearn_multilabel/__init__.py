"""Multi-label classification with a Keras network, the scikit-learn way.

Importing this package does not import TensorFlow: Keras is loaded on the
first ``fit`` (or on the first prediction of an unpickled estimator).
"""

from sklearn_multilabel._classifier import MultiLabelNNClassifier
from sklearn_multilabel._cross_fitting import out_of_fold_scores
from sklearn_multilabel._persistence import load_model, save_model
from sklearn_multilabel._scikeras import ScikerasBuilder
from sklearn_multilabel._tuner import MultiLabelThresholdTuner
from sklearn_multilabel._tuning import STRATEGIES, ThresholdSearch, tune_thresholds
from sklearn_multilabel._version import __version__

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
