import numpy as np
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.preprocessing import StandardScaler

# Small, fast networks: every test fit takes well under a second.
FAST = {
    "hidden_layer_sizes": (16,),
    "max_iter": 30,
    "learning_rate": 0.01,
    "dropout": 0.0,
    "threshold_cv": None,
    "random_state": 0,
}


def record_training_batches(monkeypatch):
    """Make every training step record the feature rows it receives.

    Returns the list the rows of each call are appended to.
    """
    from sklearn_multilabel.neural_network.training import _loop as _training

    batches = []
    make_step = _training.make_backend_train_step

    def recording_step(*args, **kwargs):
        step = make_step(*args, **kwargs)
        run = step.run

        def recording_run(X_rows, Y_rows, weights):
            batches.append(np.array(X_rows, copy=True))
            return run(X_rows, Y_rows, weights)

        step.run = recording_run
        return step

    monkeypatch.setattr(_training, "make_backend_train_step", recording_step)
    return batches


def network_input(clf, X):
    """The rows ``clf.model_`` takes for raw rows ``X``: encoded by its
    feature bins when it has some, float32 as Keras computes."""
    from sklearn_multilabel.neural_network._binning import PiecewiseLinearBins

    if clf.bin_edges_ is not None:
        X = PiecewiseLinearBins(clf.bin_edges_).transform(X)
    return np.asarray(X, dtype=np.float32)


@pytest.fixture(scope="session")
def multilabel_data():
    """Scaled features and a 0/1 indicator target with 5 labels."""
    X, Y = make_multilabel_classification(
        n_samples=300, n_features=10, n_classes=5, n_labels=2, random_state=0
    )
    return StandardScaler().fit_transform(X), Y


@pytest.fixture(scope="session")
def imbalanced_data():
    """Features and 4 labels of decreasing frequency (40% down to 4%)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 8))
    rates = np.array([0.4, 0.2, 0.1, 0.04])
    offsets = np.diag(np.quantile(X[:, :4], 1 - rates, axis=0))
    noise = rng.normal(scale=1.0, size=(1000, 4))
    Y = (X[:, :4] + noise > offsets).astype(int)
    return X, Y
