"""Labels never or always positive in the training rows, through the classifier."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.neural_network._persistence import load_model, save_model

from ..conftest import FAST

NEVER = np.nextafter(1.0, 2.0)

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 4))
Y = np.column_stack([X[:, 0] > 0, np.zeros(60), np.ones(60)]).astype(int)


@pytest.mark.parametrize("params", [{}, {"threshold_cv": 2}])
def test_constant_labels_through_predict_decode_and_persistence(params, tmp_path):
    """Check that a label never positive in training is never predicted and one
    always positive always is, with bounds, after pickling and save_model."""
    clf = MultiLabelNNClassifier(**{**FAST, **params}).fit(X, Y)
    assert_array_equal(clf.thresholds_[1:], [NEVER, 0.0])
    prediction = clf.predict(X)
    assert not prediction[:, 1].any() and prediction[:, 2].all()
    clf.set_params(max_labels=2)
    assert clf.predict(X)[:, 2].all()
    save_model(clf, tmp_path / "model.skml")
    for loaded in (
        pickle.loads(pickle.dumps(clf)),
        load_model(tmp_path / "model.skml"),
    ):
        assert_array_equal(loaded.thresholds_, clf.thresholds_)
        assert_array_equal(loaded.predict(X), clf.predict(X))


def test_all_zero_target_predicts_nothing():
    """Check the issue's case: an all-zero Y gives no label to any row."""
    clf = MultiLabelNNClassifier(**FAST).fit(X, np.zeros((60, 3), dtype=int))
    assert_array_equal(clf.thresholds_, NEVER)
    assert not clf.predict(X).any()


def test_predict_refuses_nan_thresholds_set_by_hand():
    """Check that NaN in thresholds_ set by hand is refused by predict, as the
    min_labels path does, instead of never predicting that label."""
    clf = MultiLabelNNClassifier(**FAST).fit(X, Y)
    clf.thresholds_ = np.array([0.5, np.nan, 0.5])
    with pytest.raises(ValueError, match=r"thresholds_ contains NaN \(label 1\)"):
        clf.predict(X)
