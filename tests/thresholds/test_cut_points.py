"""Tests for the exact per-label F-beta search over cut-points."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import fbeta_score

from sklearn_multilabel.thresholds._cut_points import best_fbeta_thresholds
from sklearn_multilabel.thresholds._decoding import apply_thresholds

SETTINGS = settings(max_examples=100, deadline=None)


def _fbeta_reference(y_true, y_pred, beta):
    """F-beta of one label in plain numpy, 0 when it is 0/0."""
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    denominator = (1 + beta**2) * tp + beta**2 * fn + fp
    return 0.0 if denominator == 0 else (1 + beta**2) * tp / denominator


def _brute_force_best(y_true, scores, beta):
    """Best F-beta of one label over every distinct score and +inf."""
    candidates = np.append(np.unique(scores), np.inf)
    return max(
        _fbeta_reference(y_true, (scores >= t).astype(int), beta) for t in candidates
    )


@st.composite
def _targets_and_scores(draw, tied=False):
    """Draw 0/1 targets and scores of one shape; with ``tied``, few distinct scores."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=12))
    Y_true = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 1)))
    if tied:
        elements = st.integers(0, 3).map(float)
    else:
        elements = st.floats(allow_nan=False, allow_infinity=False)
    scores = draw(hnp.arrays(np.float64, shape, elements=elements))
    return Y_true, scores


def _check_against_brute_force(Y_true, scores, beta):
    """Assert that best_fbeta_thresholds matches a brute-force search."""
    thresholds, best = best_fbeta_thresholds(Y_true, scores, beta=beta)
    Y_pred = apply_thresholds(scores, thresholds)
    for j in range(Y_true.shape[1]):
        if Y_true[:, j].sum() == 0:
            assert thresholds[j] == 0.5
            assert np.isnan(best[j])
            continue
        expected = _brute_force_best(Y_true[:, j], scores[:, j], beta)
        assert abs(best[j] - expected) <= 1e-12
        achieved = _fbeta_reference(Y_true[:, j], Y_pred[:, j], beta)
        assert abs(achieved - expected) <= 1e-12


@SETTINGS
@given(data=_targets_and_scores(), beta=st.sampled_from([0.5, 1.0, 2.0]))
def test_best_fbeta_thresholds_matches_brute_force(data, beta):
    """Check that the exact search finds the brute-force optimum of F-beta."""
    _check_against_brute_force(*data, beta)


@SETTINGS
@given(data=_targets_and_scores(tied=True), beta=st.sampled_from([0.3, 1.0, 3.0]))
def test_best_fbeta_thresholds_matches_brute_force_with_ties(data, beta):
    """Check that the exact search handles many tied scores."""
    _check_against_brute_force(*data, beta)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_fbeta_reference_matches_scikit_learn(beta):
    """Check that the numpy F-beta reference agrees with scikit-learn."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        y_true = rng.integers(0, 2, size=15)
        y_pred = rng.integers(0, 2, size=15)
        expected = fbeta_score(y_true, y_pred, beta=beta, zero_division=0)
        assert_allclose(_fbeta_reference(y_true, y_pred, beta), expected)


def test_best_fbeta_thresholds_takes_middle_of_tied_optima():
    """Check that among equally good cuts the median one is chosen."""
    # F1 is 2/3 when predicting the top 2, 5 or 8 samples.
    y = np.array([1, 1, 0, 0, 1, 0, 0, 1])
    scores = np.arange(8, 0, -1, dtype=float)
    thresholds, best = best_fbeta_thresholds(y[:, None], scores[:, None])
    assert_allclose(thresholds, [3.5])
    assert_allclose(best, [2 / 3])


def test_best_fbeta_thresholds_takes_lower_middle_of_even_optima():
    """Check that with two equally good cuts the smaller one is chosen."""
    # F1 is 2/3 when predicting the top 1 or 4 samples.
    y = np.array([1, 0, 0, 1, 0])
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    thresholds, best = best_fbeta_thresholds(y[:, None], scores[:, None])
    assert_allclose(thresholds, [4.5])
    assert_allclose(best, [2 / 3])


def test_best_fbeta_thresholds_is_a_midpoint():
    """Check that the threshold is midway between the two scores it separates."""
    Y_true = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    scores = np.array([[0.9, 0.2], [0.6, 0.1], [0.3, 0.4], [0.1, 0.7]])
    thresholds, best = best_fbeta_thresholds(Y_true, scores)
    assert_allclose(thresholds, [0.45, 0.55])
    assert_array_equal(best, [1.0, 1.0])


def test_best_fbeta_thresholds_adjacent_floats():
    """Check that adjacent floats still get a threshold separating them."""
    high = 1.0
    low = np.nextafter(high, 0.0)
    scores = np.array([[high], [low]])
    thresholds, best = best_fbeta_thresholds(np.array([[1], [0]]), scores)
    assert low < thresholds[0] <= high
    assert_array_equal(apply_thresholds(scores, thresholds), [[1], [0]])
    assert_array_equal(best, [1.0])


def test_best_fbeta_thresholds_huge_scores_do_not_overflow():
    """Check that the midpoint of scores near the float limits is finite."""
    big = np.finfo(np.float64).max
    scores = np.array([[big], [-big]])
    thresholds, best = best_fbeta_thresholds(np.array([[1], [0]]), scores)
    assert_array_equal(thresholds, [0.0])
    assert_array_equal(best, [1.0])


@pytest.mark.parametrize("fallback", [0.5, 0.3])
def test_best_fbeta_thresholds_label_without_positive_keeps_fallback(fallback):
    """Check that a label with no positive gets the fallback and a NaN score."""
    Y_true = np.array([[0, 1], [0, 0], [0, 1]])
    scores = np.array([[0.9, 0.8], [0.1, 0.2], [0.4, 0.7]])
    thresholds, best = best_fbeta_thresholds(Y_true, scores, fallback=fallback)
    assert thresholds[0] == fallback
    assert np.isnan(best[0])
    assert_allclose(thresholds[1], 0.45)
    assert best[1] == 1.0


def test_best_fbeta_thresholds_all_positive_label_predicts_everything():
    """Check that a label positive everywhere gets a threshold <= its min score."""
    scores = np.array([[0.9], [0.2], [0.5], [0.2]])
    thresholds, best = best_fbeta_thresholds(np.ones((4, 1)), scores)
    assert thresholds[0] <= scores.min()
    assert_array_equal(apply_thresholds(scores, thresholds), np.ones((4, 1)))
    assert_array_equal(best, [1.0])


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_best_fbeta_thresholds_constant_scores(beta):
    """Check that constant scores leave only all-or-nothing, and all wins."""
    Y_true = np.array([[1], [0], [0], [1], [0]])
    scores = np.full((5, 1), 0.3)
    thresholds, best = best_fbeta_thresholds(Y_true, scores, beta=beta)
    assert_array_equal(thresholds, [0.3])
    precision, recall = 2 / 5, 1.0
    expected = (1 + beta**2) * precision * recall / (beta**2 * precision + recall)
    assert_allclose(best, [expected], rtol=1e-14)


def test_best_fbeta_thresholds_beta_moves_threshold():
    """Check that a larger beta, favouring recall, never raises the threshold."""
    rng = np.random.default_rng(0)
    Y_true = rng.integers(0, 2, size=(200, 5))
    scores = Y_true + rng.normal(scale=1.0, size=Y_true.shape)
    low_beta, _ = best_fbeta_thresholds(Y_true, scores, beta=0.25)
    high_beta, _ = best_fbeta_thresholds(Y_true, scores, beta=4.0)
    assert np.all(high_beta <= low_beta)
    assert np.any(high_beta < low_beta)


def test_best_fbeta_thresholds_single_sample():
    """Check that one sample gives thresholds at its scores or the fallback."""
    thresholds, best = best_fbeta_thresholds([[1, 0, 1]], [[0.2, 0.7, 0.9]])
    assert_array_equal(thresholds, [0.2, 0.5, 0.9])
    assert_array_equal(best, [1.0, np.nan, 1.0])


def test_best_fbeta_thresholds_shapes_and_dtypes():
    """Check the output shapes and dtypes for boolean, int and float inputs."""
    rng = np.random.default_rng(1)
    Y_true = rng.integers(0, 2, size=(30, 4))
    scores = rng.random((30, 4)).astype(np.float32)
    reference = best_fbeta_thresholds(Y_true, scores)
    for targets in (Y_true.astype(bool), Y_true.astype(float), Y_true.tolist()):
        thresholds, best = best_fbeta_thresholds(targets, scores)
        assert thresholds.shape == best.shape == (4,)
        assert thresholds.dtype == best.dtype == np.float64
        assert_array_equal(thresholds, reference[0])
        assert_array_equal(best, reference[1])


def test_best_fbeta_thresholds_no_label():
    """Check that zero labels give empty outputs."""
    thresholds, best = best_fbeta_thresholds(np.zeros((3, 0)), np.zeros((3, 0)))
    assert thresholds.shape == best.shape == (0,)


@pytest.mark.parametrize(
    "Y_true, scores, err_msg",
    [
        ([1, 0], [0.1, 0.2], "pass a 2-D array"),
        (np.zeros((0, 2)), np.zeros((0, 2)), "no sample"),
        ([[1, 0]], [[0.1, np.nan]], "NaN or infinity"),
        ([[1, 0]], [[0.1, np.inf]], "NaN or infinity"),
        ([[1, 0]], [[0.1, 0.2, 0.3]], r"Y_true has shape \(1, 2\)"),
        ([[1, 2]], [[0.1, 0.2]], "multi-hot indicator matrix of 0/1"),
    ],
)
def test_best_fbeta_thresholds_invalid_input(Y_true, scores, err_msg):
    """Check that malformed targets and scores are rejected with a hint."""
    with pytest.raises(ValueError, match=err_msg):
        best_fbeta_thresholds(Y_true, scores)


@pytest.mark.parametrize("beta", [0, -1.0, np.inf, np.nan, "1", True])
def test_best_fbeta_thresholds_invalid_beta(beta):
    """Check that beta must be a finite number greater than 0."""
    with pytest.raises(ValueError, match="beta must be a finite number greater"):
        best_fbeta_thresholds([[1]], [[0.5]], beta=beta)
