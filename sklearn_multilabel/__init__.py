"""Multi-label classification with a Keras network, the scikit-learn way.

Importing this package does not import TensorFlow: Keras is loaded on the
first ``fit`` (or on the first prediction of an unpickled estimator).
"""

from sklearn_multilabel._classifier import MultiLabelNNClassifier
from sklearn_multilabel._scikeras import ScikerasBuilder
from sklearn_multilabel._version import __version__

__all__ = ["MultiLabelNNClassifier", "ScikerasBuilder", "__version__"]
