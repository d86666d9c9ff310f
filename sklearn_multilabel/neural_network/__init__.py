"""The Keras estimator: network, training loop, inference and persistence.

Only this subpackage imports Keras, and only inside ``fit`` and the first
prediction.
"""

from sklearn_multilabel.neural_network._classifier import MultiLabelNNClassifier
from sklearn_multilabel.neural_network._persistence import load_model, save_model
from sklearn_multilabel.neural_network._scikeras import ScikerasBuilder

__all__ = ["MultiLabelNNClassifier", "ScikerasBuilder", "load_model", "save_model"]
