"""Tests for the strategy dispatcher and the out-of-fold scores."""

import sys
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, jaccard_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.thresholds._cross_fitting import (
    fold_splits,
    out_of_fold_scores,
    positive_scores,
)
from sklearn_multilabel.thresholds._cut_points import best_fbeta_thresholds
from sklearn_multilabel.thresholds._decoding import apply_thresholds
from sklearn_multilabel.thresholds._search import (
    CALLABLE_GRID_SIZE,
    DEFAULT_BETA,
    DEFAULT_SHRINKAGE,
    DEFAULT_STRATEGY,
    STRATEGIES,
    fixed_thresholds,
    is_strategy,
    tune_thresholds,
)
from sklearn_multilabel.thresholds._strategies import (
    best_global_threshold,
    shrink_thresholds,
)
from sklearn_multilabel.thresholds._tuner import MultiLabelThresholdTuner

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def _problems(draw, max_side=8):
    """Draw 0/1 targets and often-tied scores in [0, 1] of one shape."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=max_side))
    Y_true = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 1)))
    elements = st.integers(0, 4).map(lambda k: k / 4) | st.floats(0, 1)
    return Y_true, draw(hnp.arrays(np.float64, shape, elements=elements))


def _random_problem(seed, n_samples=60, n_labels=4):
    """Targets with one rare label, and scores correlated with them."""
    rng = np.random.default_rng(seed)
    rates = np.linspace(0.5, 0.05, n_labels)
    Y_true = (rng.random((n_samples, n_labels)) < rates).astype(int)
    scores = np.clip(0.3 * Y_true + 0.7 * rng.random(Y_true.shape), 0, 1)
    return Y_true, scores


def _f1_per_label(Y_true, Y_pred):
    """Per-label F1 in plain numpy, NaN with no positive and no prediction.

    scikit-learn agrees for two labels or more, but reads a single column as
    a binary target.
    """
    true_positives = np.sum(Y_true * Y_pred, axis=0)
    denominator = np.sum(Y_true, axis=0) + np.sum(Y_pred, axis=0)
    safe = np.where(denominator > 0, denominator, 1)
    return np.where(denominator > 0, 2 * true_positives / safe, np.nan)


@SETTINGS
@given(problem=_problems())
def test_f1_without_shrinkage_is_the_exact_per_label_optimum(problem):
    """Check that "f1" with shrinkage=0 keeps each label's exact F1 optimum."""
    Y_true, scores = problem
    search = tune_thresholds(Y_true, scores, "f1", shrinkage=0)
    expected, _ = best_fbeta_thresholds(Y_true, scores)
    assert_array_equal(search.thresholds, expected)
    assert_array_equal(search.per_label["raw_thresholds"], expected)
    label_scores = _f1_per_label(Y_true, apply_thresholds(scores, expected))
    assert_allclose(search.per_label["label_scores"], label_scores)
    if np.isnan(label_scores).all():
        assert np.isnan(search.score)
    else:
        assert_allclose(search.score, np.nanmean(label_scores))


@pytest.mark.parametrize("shrinkage", [1.0, 10.0, 1e6])
def test_f1_shrinks_rare_labels_toward_the_global_threshold(shrinkage):
    """Check that "f1" applies the documented shrinkage to the raw optima."""
    Y_true, scores = _random_problem(0)
    search = tune_thresholds(Y_true, scores, "f1", shrinkage=shrinkage)
    raw, _ = best_fbeta_thresholds(Y_true, scores)
    global_threshold, _ = best_global_threshold(Y_true, scores)
    n_positives = Y_true.sum(axis=0)
    expected = shrink_thresholds(raw, global_threshold, n_positives, shrinkage)
    assert_allclose(search.thresholds, expected)
    assert_array_equal(search.per_label["raw_thresholds"], raw)
    assert_array_equal(search.per_label["n_positives"], n_positives)
    apart = raw != global_threshold
    moved = (search.thresholds - raw)[apart] / (global_threshold - raw)[apart]
    assert_allclose(moved, (shrinkage / (n_positives + shrinkage))[apart])
    Y_pred = apply_thresholds(scores, search.thresholds)
    label_scores = f1_score(Y_true, Y_pred, average=None, zero_division=np.nan)
    assert_allclose(search.per_label["label_scores"], label_scores)
    assert_allclose(search.score, np.nanmean(label_scores))


def test_label_without_positive_gets_fallback_or_global_threshold():
    """Check the fallback rule of "f1": fallback unshrunk, global when shrunk."""
    Y_true, scores = _random_problem(1)
    Y_true[:, 2] = 0
    unshrunk = tune_thresholds(Y_true, scores, "f1", shrinkage=0, fallback=0.25)
    shrunk = tune_thresholds(Y_true, scores, "f1", shrinkage=5, fallback=0.25)
    global_threshold, _ = best_global_threshold(Y_true, scores)
    assert unshrunk.thresholds[2] == 0.25
    assert shrunk.thresholds[2] == global_threshold
    assert np.isnan(unshrunk.per_label["label_scores"][2]) == (
        not (scores[:, 2] >= 0.25).any()
    )


def test_fbeta_uses_beta_and_f1_ignores_it():
    """Check that beta reaches "fbeta" only."""
    Y_true, scores = _random_problem(2)
    expected, _ = best_fbeta_thresholds(Y_true, scores, beta=3.0)
    fbeta = tune_thresholds(Y_true, scores, "fbeta", beta=3.0, shrinkage=0)
    f1 = tune_thresholds(Y_true, scores, "f1", beta=3.0, shrinkage=0)
    assert_array_equal(fbeta.thresholds, expected)
    assert_array_equal(f1.thresholds, best_fbeta_thresholds(Y_true, scores)[0])
    assert not np.array_equal(fbeta.thresholds, f1.thresholds)


def _global_metric(strategy, Y_true, Y_pred):
    """A global metric computed by scikit-learn."""
    if strategy == "samples_jaccard":
        return jaccard_score(Y_true, Y_pred, average="samples", zero_division=0)
    average = "samples" if strategy == "samples_f1" else "micro"
    return f1_score(Y_true, Y_pred, average=average, zero_division=0)


@pytest.mark.parametrize(
    "strategy", ["micro_f1", "global_micro_f1", "samples_f1", "samples_jaccard"]
)
def test_global_strategies_report_the_metric_they_reach(strategy):
    """Check that global strategies' score is their metric on the tuning data."""
    Y_true, scores = _random_problem(3)
    search = tune_thresholds(Y_true, scores, strategy)
    Y_pred = apply_thresholds(scores, search.thresholds)
    assert_allclose(search.score, _global_metric(strategy, Y_true, Y_pred))
    assert np.isnan(search.per_label["label_scores"]).all()
    assert_array_equal(search.per_label["raw_thresholds"], search.thresholds)
    if strategy == "global_micro_f1":
        assert np.unique(search.thresholds).size == 1


@SETTINGS
@given(problem=_problems(), metric=st.sampled_from(["f1", "jaccard"]))
def test_coordinate_ascent_never_loses_to_the_global_threshold(problem, metric):
    """Check that per-label ascent is at least as good as one global threshold."""
    Y_true, scores = problem
    strategy = "micro_f1" if metric == "f1" else "samples_jaccard"
    start = "global_micro_f1" if metric == "f1" else None
    ascent = tune_thresholds(Y_true, scores, strategy)
    if start is None:
        _, reference = best_global_threshold(Y_true, scores, metric=strategy)
    else:
        reference = tune_thresholds(Y_true, scores, start).score
    assert ascent.score >= reference - 1e-12


def test_youden_reports_mean_j_and_keeps_fallback_for_single_class():
    """Check that "youden" scores J per label and skips single-class labels."""
    Y_true, scores = _random_problem(4)
    Y_true[:, 1] = 1
    search = tune_thresholds(Y_true, scores, "youden", fallback=0.3)
    assert search.thresholds[1] == 0.3
    Y_pred = apply_thresholds(scores, search.thresholds)
    positives = Y_true == 1
    tpr = (positives & (Y_pred == 1)).sum(0) / positives.sum(0)
    fpr = (~positives & (Y_pred == 1)).sum(0) / np.maximum((~positives).sum(0), 1)
    expected = np.where(np.arange(4) == 1, np.nan, tpr - fpr)
    assert_allclose(search.per_label["label_scores"], expected)
    assert_allclose(search.score, np.nanmean(expected))


@pytest.mark.parametrize("prevalence", [None, [0.5, 0.25, 0.1, 0.0]])
def test_prevalence_predicts_labels_at_the_requested_rate(prevalence):
    """Check that "prevalence" predicts each label at its (training) frequency."""
    rng = np.random.default_rng(5)
    Y_true = (rng.random((40, 4)) < [0.5, 0.25, 0.1, 0.05]).astype(int)
    scores = rng.random((40, 4))
    search = tune_thresholds(Y_true, scores, "prevalence", prevalence=prevalence)
    rates = Y_true.mean(axis=0) if prevalence is None else np.array(prevalence)
    predicted = apply_thresholds(scores, search.thresholds).mean(axis=0)
    assert_allclose(predicted, np.round(rates * 40) / 40)
    assert np.isnan(search.score)
    if prevalence is not None:
        assert search.thresholds[3] == np.inf


def test_callable_strategy_maximises_the_metric():
    """Check that a callable is optimised from the global threshold, on a grid."""
    Y_true, scores = _random_problem(6, n_samples=80)
    macro = partial(f1_score, average="macro", zero_division=0)
    search = tune_thresholds(Y_true, scores, macro)
    Y_pred = apply_thresholds(scores, search.thresholds)
    assert search.strategy == "f1_score"
    assert_allclose(search.score, macro(Y_true, Y_pred))
    start, _ = best_global_threshold(Y_true, scores)
    assert search.score > macro(Y_true, apply_thresholds(scores, start))
    grid = np.quantile(
        scores, np.linspace(0, 1, CALLABLE_GRID_SIZE), axis=0, method="inverted_cdf"
    )
    for j, threshold in enumerate(search.thresholds):
        assert threshold == start or threshold in grid[:, j]


def test_callable_strategy_must_return_a_number():
    """Check that a callable returning an array is refused with advice."""
    Y_true, scores = _random_problem(7)
    per_label = partial(f1_score, average=None)
    with pytest.raises(ValueError, match="must return one number"):
        tune_thresholds(Y_true, scores, per_label)


def test_callable_strategy_returning_nan_everywhere_is_refused():
    """Check that a metric NaN at every cut raises, naming the metric."""
    Y_true, scores = _random_problem(8)

    def undefined_metric(Y_true, Y_pred):
        return np.nan

    with pytest.raises(ValueError, match="strategy=undefined_metric returned NaN"):
        tune_thresholds(Y_true, scores, undefined_metric)


def test_callable_strategy_nan_at_the_start_does_not_block_the_search():
    """Check that a metric NaN at the starting thresholds still gets tuned."""
    Y_true, scores = _random_problem(9)
    start, _ = best_global_threshold(Y_true, scores)
    macro = partial(f1_score, average="macro", zero_division=0)

    def nan_at_start(Y_true, Y_pred):
        at_start = np.array_equal(Y_pred, apply_thresholds(scores, start))
        return np.nan if at_start else macro(Y_true, Y_pred)

    search = tune_thresholds(Y_true, scores, nan_at_start)
    assert np.isfinite(search.score)
    assert not np.array_equal(search.thresholds, np.full(scores.shape[1], start))


def test_sparse_targets_tune_like_dense_ones():
    """Check that tune_thresholds accepts a sparse indicator matrix."""
    Y_true, scores = _random_problem(10)
    dense = tune_thresholds(Y_true, scores)
    sparse = tune_thresholds(sp.csr_matrix(Y_true.astype(np.uint8)), scores)
    assert_array_equal(sparse.thresholds, dense.thresholds)


def test_classifier_and_tuner_share_the_threshold_defaults():
    """Check that both estimators take strategy, beta and shrinkage from _search."""
    tuner = MultiLabelThresholdTuner(LogisticRegression())
    clf = MultiLabelNNClassifier()
    assert tuner.strategy == clf.threshold == DEFAULT_STRATEGY == "f1"
    assert tuner.beta == clf.beta == DEFAULT_BETA
    assert tuner.shrinkage == clf.threshold_shrinkage == DEFAULT_SHRINKAGE == 20


@pytest.mark.parametrize("threshold", ["f1", "micro_f1", partial(f1_score)])
def test_strategies_fix_no_threshold(threshold):
    """Check that strategy names and callables ask for tuning."""
    assert is_strategy(threshold)
    assert fixed_thresholds(threshold, 3) is None


def test_fixed_thresholds_spread_a_single_number():
    """Check that one probability is fixed for every label."""
    assert not is_strategy(0.3)
    assert_array_equal(fixed_thresholds(0.3, 3), [0.3, 0.3, 0.3])
    assert_array_equal(fixed_thresholds([0.1, 0.9], 2), [0.1, 0.9])


@pytest.mark.parametrize(
    "threshold, err_msg",
    [
        ([0.5, 0.5], r"threshold has shape \(2,\) but y has 3 labels"),
        ([0.5, np.nan, 0.5], r"threshold contains NaN \(label 1\)"),
        ([0.5, 1.5, 0.5], r"threshold has values in \[0.5, 1.5\]"),
        (-0.1, r"one probability in \[0, 1\] per label"),
    ],
)
def test_fixed_thresholds_invalid(threshold, err_msg):
    """Check that fixed thresholds must be one probability per label."""
    with pytest.raises(ValueError, match=err_msg):
        fixed_thresholds(threshold, 3)


@pytest.mark.parametrize("strategy", ["F1", "macro", None])
def test_unknown_strategy_is_refused(strategy):
    """Check that unknown strategies list the valid ones."""
    Y_true, scores = _random_problem(8)
    with pytest.raises(ValueError, match="strategy must be one of .*'youden'"):
        tune_thresholds(Y_true, scores, strategy)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_strategies_survive_degenerate_labels(strategy):
    """Check every strategy on labels all 0, all 1 and with constant scores."""
    Y_true, scores = _random_problem(9, n_samples=30, n_labels=5)
    Y_true[:, 0], Y_true[:, 1] = 0, 1
    scores[:, 2] = 0.4
    search = tune_thresholds(Y_true, scores, strategy)
    assert search.thresholds.shape == (5,)
    assert not np.isnan(search.thresholds).any()
    predicted = apply_thresholds(scores, search.thresholds)
    # A constant score is either fully predicted or not at all.
    assert predicted[:, 2].min() == predicted[:, 2].max()
    if strategy in ("micro_f1", "samples_f1", "samples_jaccard"):
        # Predicting an always-true label only adds true positives.
        assert predicted[:, 1].all()


def test_threshold_search_is_read_only_and_converts_to_a_frame():
    """Check ThresholdSearch's immutability and its DataFrame."""
    pd = pytest.importorskip("pandas")
    Y_true, scores = _random_problem(10)
    search = tune_thresholds(Y_true, scores)
    with pytest.raises(ValueError, match="read-only"):
        search.thresholds[0] = 0.1
    frame = search.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "threshold",
        "n_positives",
        "raw_thresholds",
        "label_scores",
    ]
    assert frame.index.name == "label"
    assert_array_equal(frame["threshold"], search.thresholds)


def test_to_frame_without_pandas_explains(monkeypatch):
    """Check the ImportError raised by to_frame when pandas is missing."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    search = tune_thresholds(*_random_problem(11))
    with pytest.raises(ImportError, match="pip install pandas"):
        search.to_frame()


def _manual_oof(estimator, X, Y, splits, method):
    """Out-of-fold scores with a plain loop, for reference."""
    scores = np.full(Y.shape, np.nan)
    for train, test in splits:
        model = clone(estimator).fit(X[train], Y[train])
        raw = getattr(model, method)(X[test])
        if isinstance(raw, list):
            raw = np.column_stack([p[:, -1] for p in raw])
        scores[test] = raw
    return scores


@pytest.mark.parametrize(
    "estimator, method",
    [
        (OneVsRestClassifier(LogisticRegression()), "predict_proba"),
        (RandomForestClassifier(n_estimators=5, random_state=0), "predict_proba"),
        (KNeighborsClassifier(), "predict_proba"),
        (OneVsRestClassifier(LinearSVC()), "decision_function"),
    ],
)
def test_out_of_fold_scores_match_a_manual_loop(multilabel_data, estimator, method):
    """Check out-of-fold scores, for array, list and decision outputs."""
    X, Y = multilabel_data
    scores = out_of_fold_scores(estimator, X, Y, cv=3, random_state=0)
    splits = fold_splits(Y, 3, 0)
    assert_allclose(scores, _manual_oof(estimator, X, Y, splits, method))
    tested = np.concatenate([test for _, test in splits])
    assert_array_equal(np.sort(tested), np.arange(len(Y)))


def test_out_of_fold_scores_constant_label_in_a_fold(multilabel_data):
    """Check that a label with a single class in a training fold scores 0."""
    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 1] = 0
    Y[0, 1] = 1
    forest = RandomForestClassifier(n_estimators=5, random_state=0)
    scores = out_of_fold_scores(forest, X, Y, cv=3, random_state=0)
    (test,) = [test for _, test in fold_splits(Y, 3, 0) if 0 in test]
    assert scores.shape == Y.shape
    assert_array_equal(scores[test, 1], 0.0)
    assert ((scores >= 0) & (scores <= 1)).all()


def test_out_of_fold_scores_binary_target(multilabel_data):
    """Check that a 1-D binary target gives one column of P(class 1)."""
    X, Y = multilabel_data
    y = np.where(Y[:, 0] == 1, "yes", "no")
    estimator = LogisticRegression()
    scores = out_of_fold_scores(estimator, X, y, cv=4, random_state=0)
    assert scores.shape == (len(y), 1)
    (train, test), *_ = fold_splits(y, 4, 0)
    model = clone(estimator).fit(X[train], y[train])
    assert_allclose(scores[test, 0], model.predict_proba(X[test])[:, 1])


def test_fold_splits_stratify_every_label(imbalanced_data):
    """Check that int folds share each label's positives almost evenly."""
    _, Y = imbalanced_data
    splits = fold_splits(Y, 5, 0)
    counts = np.array([Y[test].sum(axis=0) for _, test in splits])
    assert (counts.max(axis=0) - counts.min(axis=0) <= 1).all()
    assert fold_splits(Y, 5, 0)[0][1].tolist() == splits[0][1].tolist()
    assert fold_splits(Y, 5, 1)[0][1].tolist() != splits[0][1].tolist()


@pytest.mark.parametrize(
    "kwargs, err_msg",
    [
        ({"cv": 400}, "n_splits=400 greater than the number of samples"),
        ({"method": "predict"}, "method must be 'auto'"),
    ],
)
def test_out_of_fold_scores_invalid_input(multilabel_data, kwargs, err_msg):
    """Check the errors of out_of_fold_scores."""
    X, Y = multilabel_data
    with pytest.raises(ValueError, match=err_msg):
        out_of_fold_scores(KNeighborsClassifier(), X, Y, **kwargs)


def test_positive_scores_normalises_every_format():
    """Check the positive-class column of each score format."""
    proba = np.array([[0.8, 0.2], [0.3, 0.7]])
    assert_array_equal(positive_scores(proba, binary=True), [[0.2], [0.7]])
    assert_array_equal(positive_scores(proba, binary=False), proba)
    assert_array_equal(positive_scores(np.array([-1.0, 2.0]), binary=True), [[-1], [2]])
    listed = [proba, np.ones((2, 1)), np.ones((2, 1))]
    classes = [np.array([0, 1]), np.array([1]), np.array([0])]
    assert_array_equal(
        positive_scores(listed, binary=False, classes=classes),
        [[0.2, 1.0, 0.0], [0.7, 1.0, 0.0]],
    )
