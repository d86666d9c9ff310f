"""Multi-label classification with a Keras network, the scikit-learn way.

Importing this package does not import TensorFlow: Keras is loaded on the
first ``fit``.
"""

from sklearn_multilabel._classifier import MultiLabelNNClassifier

__version__ = "0.1.0"

__all__ = ["MultiLabelNNClassifier", "__version__"]
