"""Tests for the multi-label scorers of sklearn_multilabel.metrics."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    coverage_error,
    hamming_loss,
    label_ranking_average_precision_score,
    label_ranking_loss,
)
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.metrics import (
    MULTILABEL_SCORERS,
    lrap_scorer,
    neg_coverage_error_scorer,
    neg_hamming_loss_scorer,
    neg_label_ranking_loss_scorer,
)

from .conftest import FAST

# Each ranking scorer, its metric, and the sign the scorer applies.
RANKING = [
    (lrap_scorer, label_ranking_average_precision_score, 1),
    (neg_coverage_error_scorer, coverage_error, -1),
    (neg_label_ranking_loss_scorer, label_ranking_loss, -1),
]


def _stacked_positive_proba(model, X):
    """Probability of class 1 of each label, from a list or an array."""
    proba = model.predict_proba(X)
    if isinstance(proba, list):
        return np.column_stack([p[:, 1] for p in proba])
    return proba


@pytest.mark.parametrize(
    "model",
    [
        OneVsRestClassifier(LogisticRegression(solver="liblinear")),
        RandomForestClassifier(n_estimators=10, random_state=0),
        KNeighborsClassifier(n_neighbors=7),
    ],
    ids=["array-proba", "forest-list-proba", "knn-list-proba"],
)
@pytest.mark.parametrize("scorer, metric, sign", RANKING)
def test_ranking_scorers_match_their_metric(
    multilabel_data, model, scorer, metric, sign
):
    """Check each ranking scorer against its metric on per-label probabilities."""
    X, Y = multilabel_data
    model.fit(X[:200], Y[:200])
    expected = metric(Y[200:], _stacked_positive_proba(model, X[200:]))
    assert_allclose(scorer(model, X[200:], Y[200:]), sign * expected)


def test_ranking_scorers_fall_back_to_decision_function(multilabel_data):
    """Check that a model without predict_proba is ranked by decision_function."""
    X, Y = multilabel_data
    model = OneVsRestClassifier(LinearSVC(random_state=0)).fit(X[:200], Y[:200])
    assert not hasattr(model, "predict_proba")
    expected = label_ranking_average_precision_score(
        Y[200:], model.decision_function(X[200:])
    )
    assert_allclose(lrap_scorer(model, X[200:], Y[200:]), expected)


def test_neg_hamming_loss_scorer_is_minus_the_loss(multilabel_data):
    """Check that the Hamming scorer returns minus the loss of predict."""
    X, Y = multilabel_data
    model = KNeighborsClassifier().fit(X[:200], Y[:200])
    expected = hamming_loss(Y[200:], model.predict(X[200:]))
    assert expected > 0
    assert_allclose(neg_hamming_loss_scorer(model, X[200:], Y[200:]), -expected)


def test_scorers_drive_grid_search(multilabel_data):
    """Check that the scorers select parameters in GridSearchCV, per fold."""
    X, Y = multilabel_data
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        KNeighborsClassifier(),
        {"n_neighbors": [1, 15]},
        scoring=MULTILABEL_SCORERS,
        refit="lrap",
        cv=cv,
    ).fit(X, Y)
    train, test = next(cv.split(X))
    for i, k in enumerate([1, 15]):
        model = KNeighborsClassifier(n_neighbors=k).fit(X[train], Y[train])
        proba = _stacked_positive_proba(model, X[test])
        results = search.cv_results_
        assert_allclose(
            results["split0_test_lrap"][i],
            label_ranking_average_precision_score(Y[test], proba),
        )
        assert_allclose(
            results["split0_test_neg_hamming_loss"][i],
            -hamming_loss(Y[test], model.predict(X[test])),
        )
    # One neighbour ranks labels by a single 0/1 vote: ties rank worse.
    assert search.best_params_ == {"n_neighbors": 15}
    assert search.best_score_ == search.cv_results_["mean_test_lrap"][1]


def test_single_scorer_grid_search_over_network_thresholds(multilabel_data):
    """Check GridSearchCV over MultiLabelNNClassifier with one ready-made scorer."""
    X, Y = multilabel_data
    search = GridSearchCV(
        MultiLabelNNClassifier(**FAST),
        {"threshold": ["f1", 0.5]},
        scoring=neg_hamming_loss_scorer,
        cv=2,
    ).fit(X, Y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,)
    assert (scores < 0).all()
    assert search.best_score_ == scores.max()


def test_scorers_in_cross_validate(multilabel_data):
    """Check that every scorer reports one finite score per fold."""
    X, Y = multilabel_data
    results = cross_validate(
        OneVsRestClassifier(LogisticRegression(solver="liblinear")),
        X,
        Y,
        scoring=MULTILABEL_SCORERS,
        cv=3,
    )
    for name in MULTILABEL_SCORERS:
        assert results[f"test_{name}"].shape == (3,)
        assert np.isfinite(results[f"test_{name}"]).all()
    assert (results["test_lrap"] > 0.5).all()
    assert (results["test_neg_coverage_error"] <= -1).all()
