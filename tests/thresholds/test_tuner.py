"""Tests for MultiLabelThresholdTuner."""

import numpy as np
import pytest
from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.thresholds._cross_fitting import fold_splits, out_of_fold_scores
from sklearn_multilabel.thresholds._decoding import decode
from sklearn_multilabel.thresholds._search import tune_thresholds
from sklearn_multilabel.thresholds._tuner import MultiLabelThresholdTuner

from ..conftest import FAST

THRESHOLD_AT_HALF = (
    "The check asserts predict == predict_proba.round() and decision_function "
    "> 0; predict uses the tuned per-label thresholds by design. scikit-learn "
    "expects its binary TunedThresholdClassifierCV to fail the binary "
    "counterpart, check_classifiers_train, for the same reason."
)

# Checks expected to fail, each with its reason. check_classifiers_train makes
# the same 0.5 assumption on binary blobs, but passes: the blobs are separated
# enough for the tuned threshold of a default LogisticRegression to agree.
EXPECTED_FAILED_CHECKS = {"check_classifier_multioutput": THRESHOLD_AT_HALF}


def _ovr():
    """A fast inner estimator with predict_proba and decision_function."""
    return OneVsRestClassifier(LogisticRegression(solver="liblinear"))


@parametrize_with_checks(
    [MultiLabelThresholdTuner(OneVsRestClassifier(LogisticRegression()), cv=2)],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_estimator(estimator, check):
    """Check that the tuner passes scikit-learn's estimator checks."""
    check(estimator)


INNER_ESTIMATORS = {
    "ovr": _ovr(),
    "forest": RandomForestClassifier(n_estimators=10, random_state=0),
    "knn": KNeighborsClassifier(),
    "mlp": MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0),
    "network": MultiLabelNNClassifier(**FAST, threshold=0.5),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", INNER_ESTIMATORS)
def test_tuner_works_with_any_multilabel_estimator(multilabel_data, name):
    """Check fit, thresholds and predictions for each kind of inner estimator."""
    X, Y = multilabel_data
    inner = INNER_ESTIMATORS[name]
    tuner = MultiLabelThresholdTuner(inner, cv=2, random_state=0).fit(X, Y)
    proba = tuner.predict_proba(X)
    assert proba.shape == Y.shape
    assert proba.dtype == np.float64
    assert ((proba >= 0) & (proba <= 1)).all()
    assert tuner.thresholds_.shape == (Y.shape[1],)
    assert_array_equal(tuner.predict(X), (proba >= tuner.thresholds_).astype(int))
    assert_array_equal(tuner.classes_, np.arange(Y.shape[1]))
    assert tuner.n_features_in_ == X.shape[1]
    assert tuner.best_score_ == tuner.threshold_search_.score
    assert f1_score(Y, tuner.predict(X), average="macro") > 0.5


@pytest.mark.parametrize("strategy", ["f1", "micro_f1"])
def test_thresholds_come_from_out_of_fold_scores(multilabel_data, strategy):
    """Check that fit tunes on out-of-fold scores and refits on all rows."""
    X, Y = multilabel_data
    tuner = MultiLabelThresholdTuner(
        _ovr(), strategy=strategy, shrinkage=3, cv=3, random_state=1
    ).fit(X, Y)
    scores = out_of_fold_scores(_ovr(), X, Y, cv=3, random_state=1)
    expected = tune_thresholds(Y, scores, strategy, shrinkage=3)
    assert_allclose(tuner.thresholds_, expected.thresholds)
    assert tuner.best_score_ == expected.score
    refit = clone(_ovr()).fit(X, Y)
    assert_allclose(tuner.predict_proba(X), refit.predict_proba(X))


def test_prefit_tunes_on_the_given_rows(multilabel_data):
    """Check that cv="prefit" keeps the fitted estimator and tunes on (X, y)."""
    X, Y = multilabel_data
    fitted = _ovr().fit(X[:200], Y[:200])
    tuner = MultiLabelThresholdTuner(fitted, cv="prefit").fit(X[200:], Y[200:])
    assert tuner.estimator_ is fitted
    expected = tune_thresholds(Y[200:], fitted.predict_proba(X[200:]))
    assert_allclose(tuner.thresholds_, expected.thresholds)


def test_prefit_needs_a_fitted_estimator(multilabel_data):
    """Check that cv="prefit" refuses an unfitted estimator."""
    X, Y = multilabel_data
    with pytest.raises(NotFittedError):
        MultiLabelThresholdTuner(_ovr(), cv="prefit").fit(X, Y)


def test_single_split_without_refit_keeps_the_split_model(multilabel_data):
    """Check refit=False: one fit on the training part, tuned on the rest."""
    X, Y = multilabel_data
    splitter = MultilabelStratifiedShuffleSplit(
        n_splits=1, test_size=0.25, random_state=0
    )
    tuner = MultiLabelThresholdTuner(_ovr(), cv=splitter, refit=False).fit(X, Y)
    ((train, held_out),) = fold_splits(Y, splitter, None)
    model = clone(_ovr()).fit(X[train], Y[train])
    assert_allclose(tuner.predict_proba(X), model.predict_proba(X))
    expected = tune_thresholds(Y[held_out], model.predict_proba(X[held_out]))
    assert_allclose(tuner.thresholds_, expected.thresholds)


def test_refit_false_needs_a_single_split(multilabel_data):
    """Check that refit=False with several folds is refused with advice."""
    X, Y = multilabel_data
    tuner = MultiLabelThresholdTuner(_ovr(), cv=3, refit=False)
    with pytest.raises(ValueError, match="refit=False keeps the model of a single"):
        tuner.fit(X, Y)


@pytest.mark.parametrize("min_labels, max_labels", [(1, None), (0, 1), (2, 3)])
def test_predict_bounds_the_number_of_labels(multilabel_data, min_labels, max_labels):
    """Check that predict decodes with min_labels and max_labels."""
    X, Y = multilabel_data
    tuner = MultiLabelThresholdTuner(
        _ovr(), min_labels=min_labels, max_labels=max_labels, cv=3, random_state=0
    ).fit(X, Y)
    Y_pred = tuner.predict(X)
    counts = Y_pred.sum(axis=1)
    assert counts.min() >= min_labels
    assert counts.max() <= (max_labels or Y.shape[1])
    expected = decode(
        tuner.predict_proba(X),
        tuner.thresholds_,
        min_labels=min_labels,
        max_labels=max_labels,
    )
    assert_array_equal(Y_pred, expected)


def test_thresholds_can_be_set_by_hand(multilabel_data):
    """Check that predict uses thresholds_ as set after fit."""
    X, Y = multilabel_data
    tuner = MultiLabelThresholdTuner(_ovr(), cv=3, random_state=0).fit(X, Y)
    tuner.thresholds_ = np.full(Y.shape[1], 0.5)
    assert_array_equal(tuner.predict(X), (tuner.predict_proba(X) >= 0.5).astype(int))


def test_binary_target_is_one_label(multilabel_data):
    """Check the 1-D binary case: class labels, (n, 2) probabilities."""
    X, Y = multilabel_data
    y = np.where(Y[:, 0] == 1, "spam", "ham")
    tuner = MultiLabelThresholdTuner(LogisticRegression(), cv=3, random_state=0)
    tuner.fit(X, y)
    assert_array_equal(tuner.classes_, ["ham", "spam"])
    proba = tuner.predict_proba(X)
    assert proba.shape == (len(y), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    expected = np.where(proba[:, 1] >= tuner.thresholds_[0], "spam", "ham")
    assert_array_equal(tuner.predict(X), expected)
    assert tuner.decision_function(X).shape == (len(y),)


def test_decision_function_only_estimator(multilabel_data):
    """Check that thresholds live on the decision scale without predict_proba."""
    X, Y = multilabel_data
    tuner = MultiLabelThresholdTuner(OneVsRestClassifier(LinearSVC()), cv=3)
    assert not hasattr(tuner, "predict_proba")
    tuner.set_params(random_state=0, shrinkage=0).fit(X, Y)
    scores = tuner.decision_function(X)
    assert scores.shape == Y.shape
    assert (scores < 0).any()
    assert_array_equal(tuner.predict(X), (scores >= tuner.thresholds_).astype(int))


def test_decision_function_is_available_only_if_the_estimator_has_it():
    """Check that available_if hides decision_function of a forest."""
    assert hasattr(MultiLabelThresholdTuner(_ovr()), "decision_function")
    assert not hasattr(
        MultiLabelThresholdTuner(KNeighborsClassifier()), "decision_function"
    )


def test_callable_strategy(multilabel_data):
    """Check that a metric callable is optimised and reported."""
    X, Y = multilabel_data

    def macro_f1(Y_true, Y_pred):
        return f1_score(Y_true, Y_pred, average="macro", zero_division=0)

    tuner = MultiLabelThresholdTuner(_ovr(), strategy=macro_f1, cv=3, random_state=0)
    tuner.fit(X, Y)
    assert tuner.threshold_search_.strategy == "macro_f1"
    assert 0.5 < tuner.best_score_ <= 1


def test_pipeline_and_grid_search(multilabel_data):
    """Check the tuner inside a Pipeline and searched by GridSearchCV."""
    X, Y = multilabel_data
    pipeline = make_pipeline(
        StandardScaler(), MultiLabelThresholdTuner(_ovr(), cv=3, random_state=0)
    )
    assert pipeline.fit(X, Y).predict(X).shape == Y.shape
    C = "estimator__onevsrestclassifier__estimator__C"
    search = GridSearchCV(
        MultiLabelThresholdTuner(make_pipeline(StandardScaler(), _ovr()), cv=2),
        {"strategy": ["f1", "micro_f1"], C: [0.01, 1.0]},
        scoring="f1_micro",
        cv=2,
    ).fit(X, Y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert best.get_params()[C] == search.best_params_[C]
    assert best.estimator_[-1].estimator.C == search.best_params_[C]
    assert best.thresholds_.shape == (Y.shape[1],)


def test_tags_follow_the_inner_estimator():
    """Check that the tags say what the inner estimator supports."""
    ovr_tags = get_tags(MultiLabelThresholdTuner(_ovr()))
    assert ovr_tags.classifier_tags.multi_label
    assert not ovr_tags.classifier_tags.multi_class
    assert ovr_tags.input_tags.sparse
    binary_tags = get_tags(MultiLabelThresholdTuner(LogisticRegression()))
    assert not binary_tags.classifier_tags.multi_label
    forest = RandomForestClassifier()
    forest_tags = get_tags(MultiLabelThresholdTuner(forest))
    assert forest_tags.input_tags == get_tags(forest).input_tags
    assert forest_tags.input_tags.allow_nan


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        ({"strategy": "macro"}, InvalidParameterError, "The 'strategy' parameter"),
        ({"cv": 1}, InvalidParameterError, "The 'cv' parameter"),
        ({"shrinkage": -1}, InvalidParameterError, "The 'shrinkage' parameter"),
        ({"beta": 0}, InvalidParameterError, "The 'beta' parameter"),
        ({"max_labels": -1}, InvalidParameterError, "The 'max_labels' parameter"),
        ({"estimator": KMeans()}, InvalidParameterError, "The 'estimator' parameter"),
        ({"min_labels": 9}, ValueError, "min_labels=9 exceeds the number of labels"),
    ],
)
def test_invalid_parameters(multilabel_data, params, err_type, err_msg):
    """Check the errors raised for invalid parameters."""
    X, Y = multilabel_data
    tuner = MultiLabelThresholdTuner(_ovr(), cv=3).set_params(**params)
    with pytest.raises(err_type, match=err_msg):
        tuner.fit(X, Y).predict(X)


@pytest.mark.parametrize(
    "y, err_msg",
    [
        (None, "requires y to be passed"),
        (np.arange(300) % 3, "Only binary classification is supported"),
        ([["a", "b"], ["c"]] * 150, "looks like a list of label lists"),
        (np.zeros(300), "y has only one class"),
    ],
)
def test_invalid_targets(multilabel_data, y, err_msg):
    """Check the errors raised for targets the tuner cannot handle."""
    X, _ = multilabel_data
    with pytest.raises(ValueError, match=err_msg):
        MultiLabelThresholdTuner(_ovr(), cv=3).fit(X, y)
