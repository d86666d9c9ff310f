"""Tests for the threshold strategies beyond per-label F-beta."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import f1_score, jaccard_score, roc_curve

from sklearn_multilabel.thresholds._decoding import apply_thresholds
from sklearn_multilabel.thresholds._strategies import (
    best_global_threshold,
    coordinate_ascent_thresholds,
    prevalence_thresholds,
    shrink_thresholds,
    youden_thresholds,
)

SETTINGS = settings(max_examples=100, deadline=None)
METRICS = ["micro_f1", "samples_f1", "samples_jaccard"]


def _metric_reference(Y_true, Y_pred, metric, zero_division):
    """A global metric (pooled micro-F1, or averaged over samples) in plain numpy."""
    axis = None if metric == "micro_f1" else 1
    tp = np.sum((Y_true == 1) & (Y_pred == 1), axis=axis)
    union = np.sum((Y_true == 1) | (Y_pred == 1), axis=axis)
    total = np.sum(Y_true, axis=axis) + np.sum(Y_pred, axis=axis)
    numerator, denominator = (tp, union) if "jaccard" in metric else (2 * tp, total)
    safe = np.where(denominator > 0, denominator, 1)
    return float(np.mean(np.where(denominator > 0, numerator / safe, zero_division)))


def _random_problem(seed, n_samples=40, n_labels=5):
    """Targets and correlated scores rounded to two decimals (so partly tied)."""
    rng = np.random.default_rng(seed)
    Y_true = (rng.random((n_samples, n_labels)) < 0.3).astype(int)
    scores = np.round(0.4 * Y_true + 0.8 * rng.random(Y_true.shape), 2)
    return Y_true, scores


@st.composite
def _problems(draw, max_side=8):
    """Draw 0/1 targets and often-tied scores in [-10, 10] of one shape."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=max_side))
    Y_true = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 1)))
    elements = st.integers(0, 5).map(float) | st.floats(-10, 10)
    scores = draw(hnp.arrays(np.float64, shape, elements=elements))
    return Y_true, scores


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_metric_reference_matches_scikit_learn(zero_division):
    """Check that the numpy metric reference agrees with scikit-learn."""
    Y_true, scores = _random_problem(0, n_samples=30)
    Y_true[:3] = 0
    Y_pred = (scores > 0.5).astype(int)
    Y_pred[:2] = 0
    kwargs = {"zero_division": zero_division}
    expected = {
        "micro_f1": f1_score(Y_true, Y_pred, average="micro", **kwargs),
        "samples_f1": f1_score(Y_true, Y_pred, average="samples", **kwargs),
        "samples_jaccard": jaccard_score(Y_true, Y_pred, average="samples", **kwargs),
    }
    for metric, value in expected.items():
        assert_allclose(_metric_reference(Y_true, Y_pred, metric, zero_division), value)


@SETTINGS
@given(
    problem=_problems(),
    metric=st.sampled_from(METRICS),
    zero_division=st.sampled_from([0.0, 1.0]),
)
def test_best_global_threshold_matches_brute_force(problem, metric, zero_division):
    """Check that the global search finds the best single threshold."""
    Y_true, scores = problem
    threshold, best = best_global_threshold(
        Y_true, scores, metric=metric, zero_division=zero_division
    )
    candidates = np.append(np.unique(scores), np.inf)
    expected = max(
        _metric_reference(Y_true, (scores >= t).astype(int), metric, zero_division)
        for t in candidates
    )
    assert abs(best - expected) <= 1e-12
    achieved = _metric_reference(
        Y_true, apply_thresholds(scores, threshold), metric, zero_division
    )
    assert abs(achieved - expected) <= 1e-12


def test_best_global_threshold_example():
    """Check the threshold and score on a hand-computed example."""
    Y_true = np.array([[1, 0], [0, 1], [0, 0]])
    scores = np.array([[0.8, 0.3], [0.2, 0.6], [0.4, 0.1]])
    assert best_global_threshold(Y_true, scores) == (0.5, 1.0)


def test_best_global_threshold_can_predict_nothing():
    """Check that +inf is returned when empty predictions score best."""
    Y_true = np.zeros((3, 2), dtype=int)
    scores = np.array([[0.8, 0.3], [0.2, 0.6], [0.4, 0.1]])
    threshold, best = best_global_threshold(
        Y_true, scores, metric="samples_f1", zero_division=1.0
    )
    assert threshold == np.inf
    assert best == 1.0


def _check_coordinate_ascent(Y_true, scores, metric, zero_division, init):
    """Assert the reported score, no loss to ``init``, and that no single
    label's threshold move improves the result.
    """
    thresholds, score = coordinate_ascent_thresholds(
        Y_true,
        scores,
        metric=metric,
        init=init,
        n_rounds=100,
        tol=0.0,
        zero_division=zero_division,
    )

    def reference(t):
        return _metric_reference(
            Y_true, apply_thresholds(scores, t), metric, zero_division
        )

    assert abs(score - reference(thresholds)) <= 1e-12
    assert score >= reference(init) - 1e-12
    for j in range(scores.shape[1]):
        for candidate in np.append(np.unique(scores[:, j]), np.inf):
            moved = thresholds.copy()
            moved[j] = candidate
            assert reference(moved) <= score + 1e-12


@SETTINGS
@given(
    problem=_problems(max_side=6),
    metric=st.sampled_from(METRICS),
    zero_division=st.sampled_from([0.0, 1.0]),
    data=st.data(),
)
def test_coordinate_ascent_beats_init_and_is_coordinate_optimal(
    problem, metric, zero_division, data
):
    """Check that no single threshold change improves the ascent's result."""
    Y_true, scores = problem
    init = data.draw(
        hnp.arrays(np.float64, scores.shape[1], elements=st.floats(-11, 11))
    )
    _check_coordinate_ascent(Y_true, scores, metric, zero_division, init)


@pytest.mark.parametrize("metric", METRICS)
def test_coordinate_ascent_improves_round_after_round(metric):
    """Check that each extra round never lowers the metric."""
    Y_true, scores = _random_problem(1, n_samples=60, n_labels=8)
    init = np.full(8, 0.5)
    results = [
        coordinate_ascent_thresholds(
            Y_true, scores, metric=metric, init=init, n_rounds=n_rounds, tol=-1.0
        )[1]
        for n_rounds in range(5)
    ]
    assert results[0] == _metric_reference(
        Y_true, apply_thresholds(scores, init), metric, 0.0
    )
    assert np.all(np.diff(results) >= 0)
    assert results[-1] > results[0]


@pytest.mark.parametrize("metric", METRICS)
def test_coordinate_ascent_starts_from_global_threshold(metric):
    """Check that without init the ascent starts from the global threshold."""
    Y_true, scores = _random_problem(2)
    threshold, best = best_global_threshold(Y_true, scores, metric=metric)
    thresholds, score = coordinate_ascent_thresholds(
        Y_true, scores, metric=metric, n_rounds=0
    )
    assert_array_equal(thresholds, np.full(5, threshold))
    assert_allclose(score, best, rtol=1e-12)
    _, improved = coordinate_ascent_thresholds(Y_true, scores, metric=metric)
    assert improved >= best


def test_coordinate_ascent_does_not_modify_init():
    """Check that the init array is copied, not updated in place."""
    Y_true, scores = _random_problem(3)
    init = np.full(5, 0.9)
    thresholds, _ = coordinate_ascent_thresholds(Y_true, scores, init=init)
    assert_array_equal(init, np.full(5, 0.9))
    assert np.any(thresholds != init)


@pytest.mark.parametrize(
    "params, err_msg",
    [
        ({"metric": "macro_f1"}, "metric must be one of"),
        ({"zero_division": 2.0}, r"zero_division must be a number in \[0, 1\]"),
        ({"n_rounds": -1}, "n_rounds must be a non-negative integer; got -1"),
        ({"init": [0.5, 0.5]}, r"thresholds has shape \(2,\) but scores has 5"),
    ],
)
def test_coordinate_ascent_invalid_params(params, err_msg):
    """Check that invalid parameters are rejected with a hint."""
    Y_true, scores = _random_problem(0)
    with pytest.raises(ValueError, match=err_msg):
        coordinate_ascent_thresholds(Y_true, scores, **params)


@SETTINGS
@given(problem=_problems())
def test_youden_thresholds_match_brute_force(problem):
    """Check that the exact search finds the best TPR - FPR of each label."""
    Y_true, scores = problem
    thresholds, best = youden_thresholds(Y_true, scores)
    Y_pred = apply_thresholds(scores, thresholds)
    for j in range(Y_true.shape[1]):
        y, s = Y_true[:, j], scores[:, j]
        n_pos, n_neg = y.sum(), (1 - y).sum()
        if n_pos == 0 or n_neg == 0:
            assert thresholds[j] == 0.5
            assert np.isnan(best[j])
            continue

        def youden(pred, y=y, n_pos=n_pos, n_neg=n_neg):
            return (pred @ y) / n_pos - (pred @ (1 - y)) / n_neg

        expected = max(youden((s >= t).astype(int)) for t in np.unique(s))
        assert abs(best[j] - max(expected, 0.0)) <= 1e-12
        assert abs(youden(Y_pred[:, j]) - best[j]) <= 1e-12


def test_youden_thresholds_match_roc_curve():
    """Check that the best J is the ROC curve's greatest height over chance."""
    Y_true, scores = _random_problem(4, n_samples=200)
    thresholds, best = youden_thresholds(Y_true, scores)
    for j in range(5):
        fpr, tpr, _ = roc_curve(Y_true[:, j], scores[:, j])
        assert_allclose(best[j], np.max(tpr - fpr), atol=1e-12)


@pytest.mark.parametrize("fallback", [0.5, 0.2])
def test_youden_thresholds_single_class_keeps_fallback(fallback):
    """Check that labels without positive or negative keep the fallback."""
    Y_true = np.array([[0, 1, 1], [0, 1, 0], [0, 1, 1]])
    scores = np.array([[0.9, 0.8, 0.7], [0.1, 0.2, 0.3], [0.4, 0.7, 0.5]])
    thresholds, best = youden_thresholds(Y_true, scores, fallback=fallback)
    assert_array_equal(thresholds, [fallback, fallback, 0.4])
    assert_array_equal(best, [np.nan, np.nan, 1.0])


@SETTINGS
@given(
    scores=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=10),
        elements=st.integers(0, 5).map(float) | st.floats(-10, 10),
    ),
    data=st.data(),
)
def test_prevalence_thresholds_predict_the_requested_count(scores, data):
    """Check that the top round(p * n) scores, and their ties, are predicted."""
    n_samples, n_labels = scores.shape
    prevalence = data.draw(hnp.arrays(np.float64, n_labels, elements=st.floats(0, 1)))
    Y_pred = apply_thresholds(scores, prevalence_thresholds(scores, prevalence))
    k = np.floor(prevalence * n_samples + 0.5).astype(int)
    for j in range(n_labels):
        s = np.sort(scores[:, j])[::-1]
        expected = 0 if k[j] == 0 else np.sum(s >= s[k[j] - 1])
        assert Y_pred[:, j].sum() == expected


def test_prevalence_thresholds_distinct_scores():
    """Check exact frequencies and midpoint thresholds with distinct scores."""
    scores = np.array([[0.9, 0.1], [0.4, 0.3], [0.6, 0.2], [0.1, 0.8]])
    thresholds = prevalence_thresholds(scores, [0.5, 0.25])
    assert_allclose(thresholds, [0.5, 0.55])
    assert_array_equal(apply_thresholds(scores, thresholds).sum(axis=0), [2, 1])
    assert_array_equal(prevalence_thresholds(scores, 0.0), [np.inf, np.inf])
    assert_array_equal(prevalence_thresholds(scores, 1.0), [0.1, 0.1])


@pytest.mark.parametrize("prevalence", [-0.1, 1.5, [0.5, np.nan]])
def test_prevalence_thresholds_invalid_prevalence(prevalence):
    """Check that prevalence must lie in [0, 1]."""
    with pytest.raises(ValueError, match=r"prevalence must be in \[0, 1\]"):
        prevalence_thresholds(np.zeros((3, 2)), prevalence)


def test_shrink_thresholds_formula():
    """Check the weighted average against a numpy reference."""
    rng = np.random.default_rng(5)
    per_label = rng.random(10)
    global_threshold = 0.4
    n_positives = rng.integers(0, 50, size=10)
    strength = 7.5
    expected = (n_positives * per_label + strength * global_threshold) / (
        n_positives + strength
    )
    result = shrink_thresholds(per_label, global_threshold, n_positives, strength)
    assert_allclose(result, expected, rtol=1e-14)
    low = np.minimum(per_label, global_threshold)
    high = np.maximum(per_label, global_threshold)
    assert np.all((low <= result) & (result <= high))


def test_shrink_thresholds_limits():
    """Check no shrinkage at strength 0 and full shrinkage without positives."""
    per_label = np.array([0.2, 0.8, np.inf, np.inf])
    n_positives = np.array([0, 3, 0, 3])
    assert_array_equal(shrink_thresholds(per_label, 0.5, n_positives, 0), per_label)
    with np.errstate(all="raise"):
        result = shrink_thresholds(per_label, 0.5, n_positives, strength=3)
    assert_allclose(result, [0.5, 0.65, 0.5, np.inf])


@pytest.mark.parametrize(
    "args, err_msg",
    [
        (([[0.5]], 0.5, [1], 1.0), "per_label has shape"),
        (([0.5], [0.5, 0.5], [1], 1.0), "thresholds has shape"),
        (([0.5], 0.5, [-1], 1.0), "n_positives must be 1 non-negative counts"),
        (([0.5], 0.5, [1, 2], 1.0), "n_positives must be 1 non-negative counts"),
        (([0.5], 0.5, [1], -1.0), "strength must be a finite number >= 0"),
        (([0.5], 0.5, [1], np.inf), "strength must be a finite number >= 0"),
    ],
)
def test_shrink_thresholds_invalid_input(args, err_msg):
    """Check that malformed shrinkage inputs are rejected."""
    with pytest.raises(ValueError, match=err_msg):
        shrink_thresholds(*args)
