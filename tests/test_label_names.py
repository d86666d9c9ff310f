import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import log_loss

from sklearn_multilabel.metrics import MULTILABEL_SCORERS, multilabel_log_loss
from sklearn_multilabel.neural_network import MultiLabelNNClassifier
from sklearn_multilabel.neural_network._state import migrate

from .conftest import FAST


def test_label_names_kept_from_dataframe(multilabel_data):
    """Check that a DataFrame y's column names become label_names_, while
    classes_ and predict keep scikit-learn's conventions."""
    X, Y = multilabel_data
    names = [f"tag{j}" for j in range(Y.shape[1])]
    clf = MultiLabelNNClassifier(**FAST).fit(X, pd.DataFrame(Y, columns=names))
    assert_array_equal(clf.label_names_, names)
    assert_array_equal(clf.classes_, np.arange(Y.shape[1]))
    assert isinstance(clf.predict(X), np.ndarray)
    frame = clf.threshold_search_.to_frame(label_names=clf.label_names_)
    assert list(frame.index) == names
    assert MultiLabelNNClassifier(**FAST).fit(X, Y).label_names_ is None


def test_format_3_state_gains_no_label_names():
    """Check that a state saved before label_names_ loads with None."""
    fitted = {}
    migrate(3, {}, fitted)
    assert fitted == {"label_names_": None}


def test_to_frame_refuses_wrong_number_of_names(multilabel_data):
    """Check that to_frame says how many names it needs."""
    X, Y = multilabel_data
    search = MultiLabelNNClassifier(**FAST).fit(X, Y).threshold_search_
    with pytest.raises(ValueError, match=r"shape \(2,\) but there are 5 labels"):
        search.to_frame(label_names=["a", "b"])


def test_multilabel_log_loss_matches_numpy_reference():
    """Check the mean per-label binary cross-entropy against numpy and
    scikit-learn's binary log_loss label by label, with sample weights."""
    rng = np.random.RandomState(0)
    Y = rng.randint(0, 2, size=(40, 4))
    P = rng.uniform(size=(40, 4))
    P[0, 0], P[1, 1] = 0.0, 1.0  # clipped, not infinite
    w = rng.uniform(size=40)
    eps = np.finfo(np.float64).eps
    Pc = np.clip(P, eps, 1 - eps)
    cells = -(Y * np.log(Pc) + (1 - Y) * np.log(1 - Pc))
    expected = np.average(cells.mean(axis=1), weights=w)
    assert_allclose(multilabel_log_loss(Y, P, sample_weight=w), expected)
    per_label = [log_loss(Y[:, j], P[:, j], labels=[0, 1]) for j in range(4)]
    assert_allclose(multilabel_log_loss(Y, P), np.mean(per_label))
    assert "neg_multilabel_log_loss" in MULTILABEL_SCORERS
