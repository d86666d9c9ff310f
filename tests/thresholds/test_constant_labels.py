"""The rule for labels constant in the training rows: never, or always, predicted."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import LinearSVC

from sklearn_multilabel.thresholds._decoding import decode
from sklearn_multilabel.thresholds._search import STRATEGIES, tune_thresholds
from sklearn_multilabel.thresholds._tuner import MultiLabelThresholdTuner

NEVER = np.nextafter(1.0, 2.0)

rng = np.random.default_rng(0)
X = rng.normal(size=(80, 3))
# Label 0 learnable, label 1 never positive, label 2 always positive.
Y = np.column_stack([X[:, 0] > 0, np.zeros(80), np.ones(80)]).astype(int)
SCORES = rng.uniform(0.01, 0.99, size=(80, 3))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_constant_training_labels_are_never_or_always_predicted(strategy):
    """Check that, given Y_train, every strategy gives a label never positive
    there a threshold above 1 and a label always positive there 0."""
    search = tune_thresholds(Y, SCORES, strategy, Y_train=Y)
    assert search.thresholds[1] == NEVER
    assert search.thresholds[2] == 0.0
    Y_pred = SCORES >= search.thresholds
    assert not Y_pred[:, 1].any() and Y_pred[:, 2].all()


def test_without_y_train_constant_labels_follow_the_strategy():
    """Check that Y_train=None keeps the strategy's own rule (the fallback)."""
    search = tune_thresholds(Y, SCORES, "f1", shrinkage=0)
    assert search.thresholds[1] == 0.5


def test_label_positive_in_training_but_not_in_tuning_rows_follows_strategy():
    """Check the rule when the tuning rows (e.g. a validation split) lack the
    positives of a label the training rows have: the strategy decides."""
    Y_train = Y.copy()
    Y_train[0, 1] = 1  # one positive outside the tuning rows
    Y_train[0, 2] = 0
    search = tune_thresholds(Y[1:], SCORES[1:], "f1", shrinkage=0, Y_train=Y_train)
    assert search.thresholds[1] == 0.5  # the fallback of a label without positive
    assert search.thresholds[2] != 0.0


def test_sparse_y_train_and_decision_function_range():
    """Check a sparse Y_train, and -inf/+inf on an unbounded score range."""
    search = tune_thresholds(
        Y, SCORES, "f1", Y_train=sp.csr_array(Y), score_range=(-np.inf, np.inf)
    )
    assert search.thresholds[1] == np.inf
    assert search.thresholds[2] == -np.inf


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"Y_train": Y[:, :2]}, r"Y_train has shape \(80, 2\) but the tuning scores"),
        ({"Y_train": Y * 2}, r"Y_train contains values \[0 2\]: pass a multi-hot"),
        ({"Y_train": Y, "score_range": (1, 0)}, r"score_range must be \(lowest, hi"),
    ],
)
def test_bad_y_train_or_score_range_is_refused(kwargs, match):
    """Check that a Y_train or score_range that cannot apply the rule is refused."""
    with pytest.raises(ValueError, match=match):
        tune_thresholds(Y, SCORES, "f1", **kwargs)


def test_decode_bounds_override_never_and_always():
    """Check that min_labels/max_labels still bound every row when thresholds
    are never/always: bounds come after the thresholds."""
    thresholds = np.array([0.5, NEVER, 0.0])
    plain = decode(SCORES, thresholds)
    assert not plain[:, 1].any() and plain[:, 2].all()
    bounded = decode(SCORES, thresholds, min_labels=2, max_labels=2)
    assert_array_equal(bounded.sum(axis=1), 2)
    # Rows with two labels by their thresholds keep them, without the never one.
    full = plain.sum(axis=1) == 2
    assert full.any() and not full.all()
    assert_array_equal(bounded[full], plain[full])


@pytest.mark.parametrize(
    "estimator, never, always",
    [
        (OneVsRestClassifier(LogisticRegression()), NEVER, 0.0),
        (OneVsRestClassifier(LinearSVC()), np.inf, -np.inf),
    ],
)
def test_tuner_follows_the_rule(estimator, never, always):
    """Check that the tuner never predicts a label never positive in the rows
    passed to fit, and always predicts one always positive, on its scale."""
    Y_fit = Y[:, [0, 1, 1, 2]]
    Y_fit[:2, 2] = 1  # a rare label, learned, for OneVsRest's sake
    tuner = MultiLabelThresholdTuner(estimator, cv=2, random_state=0).fit(X, Y_fit)
    assert tuner.thresholds_[1] == never
    assert tuner.thresholds_[3] == always
    prediction = tuner.predict(X)
    assert not prediction[:, 1].any() and prediction[:, 3].all()


def test_prefit_tuner_keeps_the_strategy_rule():
    """Check that with cv="prefit", whose training rows are unknown, a label
    without positive in the tuning rows follows the strategy."""
    estimator = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    tuner = MultiLabelThresholdTuner(estimator, cv="prefit", shrinkage=0)
    assert tuner.fit(X, Y).thresholds_[1] == 0.5


def test_tuner_predict_refuses_nan_thresholds():
    """Check that NaN set by hand in the tuner's thresholds_ is refused."""
    tuner = MultiLabelThresholdTuner(OneVsRestClassifier(LogisticRegression()), cv=2)
    tuner.fit(X, Y[:, [0, 0]])
    tuner.thresholds_ = np.array([0.5, np.nan])
    with pytest.raises(ValueError, match=r"thresholds contains NaN \(label 1\)"):
        tuner.predict(X)
