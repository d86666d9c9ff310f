"""The classifier's threshold step: strategies, cross-fitting, decoding, re-tuning."""

from functools import partial

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import f1_score

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.thresholds._search import STRATEGIES

from ..conftest import FAST


@pytest.fixture(scope="module")
def split(multilabel_data):
    X, Y = multilabel_data
    return X[:200], Y[:200], X[200:], Y[200:]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_tunes_thresholds(split, strategy):
    """Check that each named strategy yields per-label thresholds and a search."""
    X, Y, X_test, Y_test = split
    clf = MultiLabelNNClassifier(**FAST, threshold=strategy).fit(X, Y)
    assert clf.thresholds_.shape == (Y.shape[1],)
    assert clf.threshold_search_.strategy == strategy
    assert f1_score(Y_test, clf.predict(X_test), average="micro") > 0.5


def test_callable_strategy(split):
    """Check that a metric callable is accepted as the threshold strategy."""
    X, Y, X_test, Y_test = split
    metric = partial(f1_score, average="macro", zero_division=0)
    clf = MultiLabelNNClassifier(**FAST, threshold=metric).fit(X, Y)
    assert clf.thresholds_.shape == (Y.shape[1],)
    assert f1_score(Y_test, clf.predict(X_test), average="macro") > 0.4


def test_micro_f1_strategy_beats_half_on_tuning_rows(split):
    """Check that the micro-F1 strategy is at least as good as 0.5 where tuned."""
    X, Y, _, _ = split
    clf = MultiLabelNNClassifier(**FAST, threshold="micro_f1").fit(X, Y)
    X_val, Y_val = X, Y
    tuned = f1_score(Y_val, clf.predict(X_val), average="micro")
    clf_half = MultiLabelNNClassifier(**FAST, threshold=0.5).fit(X, Y)
    assert clf.threshold_search_.score >= 0
    assert tuned >= f1_score(Y_val, clf_half.predict(X_val), average="micro") - 0.02


def test_cross_fitted_thresholds_keep_the_same_network(split):
    """Check that threshold_cv without ensemble changes the thresholds, not
    the final network."""
    X, Y, _, _ = split
    held_out = MultiLabelNNClassifier(**FAST).fit(X, Y)
    crossed = MultiLabelNNClassifier(**{**FAST, "threshold_cv": 3}, ensemble=False).fit(
        X, Y
    )
    assert_array_equal(crossed.predict_proba(X), held_out.predict_proba(X))
    assert not np.array_equal(crossed.thresholds_, held_out.thresholds_)
    assert crossed.threshold_search_.per_label["n_positives"].sum() == Y.sum()


def test_cross_fitting_without_early_stopping_trains_on_every_row(split):
    """Check that without early stopping, cross-fitting needs no validation split."""
    X, Y, _, _ = split
    clf = MultiLabelNNClassifier(
        **{**FAST, "threshold_cv": 2},
        ensemble=False,
        early_stopping=False,
        n_iter_no_change=100,
    ).fit(X, Y)
    assert clf.n_iter_ == FAST["max_iter"]
    assert [network["val_loss"] for network in clf.history_] == [[]]


@pytest.mark.parametrize("min_labels, max_labels", [(1, None), (0, 1), (2, 2)])
def test_label_count_bounds(split, min_labels, max_labels):
    """Check that predict respects min_labels and max_labels on every row."""
    X, Y, X_test, _ = split
    clf = MultiLabelNNClassifier(
        **FAST, min_labels=min_labels, max_labels=max_labels
    ).fit(X, Y)
    counts = clf.predict(X_test).sum(axis=1)
    assert counts.min() >= min_labels
    assert counts.max() <= (max_labels or Y.shape[1])


def test_min_labels_above_label_count(split):
    """Check that impossible label bounds are refused at fit."""
    X, Y, _, _ = split
    with pytest.raises(
        ValueError, match="min_labels=6 exceeds the number of labels, 5"
    ):
        MultiLabelNNClassifier(**FAST, min_labels=6).fit(X, Y)


def test_fixed_threshold_with_nan_is_refused(split):
    """Check that a NaN among fixed thresholds is refused at fit, naming it."""
    X, Y, _, _ = split
    threshold = [0.5, np.nan, 0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match=r"threshold contains NaN \(label 1\)"):
        MultiLabelNNClassifier(**FAST, threshold=threshold).fit(X, Y)


def test_thresholds_can_be_set_by_hand(split):
    """Check that predict follows thresholds_ assigned after fit."""
    X, Y, X_test, _ = split
    clf = MultiLabelNNClassifier(**FAST).fit(X, Y)
    clf.thresholds_ = np.array([0.0, 1.0, 0.5, 0.5, 0.5])
    prediction = clf.predict(X_test)
    assert prediction[:, 0].all() and not prediction[:, 1].any()


def test_retune_thresholds_on_new_rows(split):
    """Check that re-tuning keeps the network and sets new per-label cuts."""
    X, Y, X_test, Y_test = split
    clf = MultiLabelNNClassifier(**FAST, threshold=0.5).fit(X, Y)
    proba = clf.predict_proba(X_test)
    clf.retune_thresholds(X_test, Y_test)
    assert_array_equal(clf.predict_proba(X_test), proba)
    assert clf.threshold_search_.strategy == "f1"
    assert not np.allclose(clf.thresholds_, 0.5)
    assert_allclose(clf.threshold_search_.thresholds, clf.thresholds_)
    with pytest.raises(ValueError, match="y has 2 labels.*fitted on 5"):
        clf.retune_thresholds(X_test, Y_test[:, :2])
