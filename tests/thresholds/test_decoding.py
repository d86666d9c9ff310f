"""Tests for applying thresholds and decoding scores into label sets."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal

from sklearn_multilabel.thresholds._decoding import apply_thresholds, decode

SETTINGS = settings(max_examples=100, deadline=None)


def test_apply_thresholds_per_column():
    """Check that each column is compared with its own threshold, inclusively."""
    scores = np.array([[0.2, 0.7, 0.5], [0.5, 0.4, 0.1]])
    Y_pred = apply_thresholds(scores, [0.2, 0.5, 0.6])
    assert_array_equal(Y_pred, [[1, 1, 0], [1, 0, 0]])
    assert Y_pred.dtype == np.int64


def test_apply_thresholds_scalar_and_infinite():
    """Check that a scalar threshold is shared and +inf predicts nothing."""
    scores = np.array([[0.2, 0.7], [0.5, 0.4]])
    assert_array_equal(apply_thresholds(scores, 0.5), [[0, 1], [1, 0]])
    assert_array_equal(apply_thresholds(scores, [np.inf, -np.inf]), [[0, 1], [0, 1]])


@pytest.mark.parametrize(
    "thresholds, err_msg",
    [
        ([0.5], r"thresholds has shape \(1,\) but scores has 2 labels"),
        ([[0.5, 0.5]], r"thresholds has shape \(1, 2\)"),
        ([0.5, np.nan], "thresholds contains NaN"),
    ],
)
def test_apply_thresholds_invalid_thresholds(thresholds, err_msg):
    """Check that thresholds must match the number of labels."""
    with pytest.raises(ValueError, match=err_msg):
        apply_thresholds(np.zeros((3, 2)), thresholds)


def _decode_reference(scores, thresholds, min_labels, max_labels):
    """Decode row by row, in plain Python, as documented."""
    n_labels = scores.shape[1]
    max_labels = n_labels if max_labels is None else max_labels
    Y_pred = np.zeros(scores.shape, dtype=int)
    for i, row in enumerate(scores):
        ranked = sorted(range(n_labels), key=lambda j: (-row[j], j))
        chosen = [j for j in ranked if row[j] >= thresholds[j]][:max_labels]
        others = [j for j in ranked if j not in chosen]
        chosen += others[: max(min_labels - len(chosen), 0)]
        Y_pred[i, chosen] = 1
    return Y_pred


@st.composite
def _decode_problems(draw):
    """Draw tied scores, thresholds and consistent label bounds."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=8))
    values = st.integers(0, 4).map(float)
    scores = draw(hnp.arrays(np.float64, shape, elements=values))
    thresholds = draw(hnp.arrays(np.float64, shape[1], elements=values))
    min_labels = draw(st.integers(0, shape[1]))
    max_labels = draw(st.none() | st.integers(min_labels, shape[1] + 1))
    return scores, thresholds, min_labels, max_labels


@SETTINGS
@given(problem=_decode_problems())
def test_decode_matches_reference(problem):
    """Check decode against a row-by-row reference and its count bounds."""
    scores, thresholds, min_labels, max_labels = problem
    Y_pred = decode(scores, thresholds, min_labels=min_labels, max_labels=max_labels)
    expected = _decode_reference(scores, thresholds, min_labels, max_labels)
    assert_array_equal(Y_pred, expected)
    assert Y_pred.dtype == np.int64
    n_thresholded = apply_thresholds(scores, thresholds).sum(axis=1)
    upper = scores.shape[1] if max_labels is None else max_labels
    assert_array_equal(Y_pred.sum(axis=1), np.clip(n_thresholded, min_labels, upper))


@SETTINGS
@given(problem=_decode_problems())
def test_decode_keeps_top_scoring_labels(problem):
    """Check that every dropped label scores no higher than every kept one."""
    scores, thresholds, _, max_labels = problem
    Y_pred = decode(scores, thresholds, max_labels=max_labels)
    thresholded = apply_thresholds(scores, thresholds)
    assert np.all(Y_pred <= thresholded)
    dropped = (thresholded == 1) & (Y_pred == 0)
    for i in np.flatnonzero(dropped.any(axis=1)):
        kept = Y_pred[i] == 1
        if kept.any():
            assert scores[i, dropped[i]].max() <= scores[i, kept].min()


@SETTINGS
@given(problem=_decode_problems())
def test_decode_adds_top_scoring_labels(problem):
    """Check that every added label scores no lower than every unpredicted one."""
    scores, thresholds, min_labels, _ = problem
    Y_pred = decode(scores, thresholds, min_labels=min_labels)
    thresholded = apply_thresholds(scores, thresholds)
    assert np.all(Y_pred >= thresholded)
    added = (thresholded == 0) & (Y_pred == 1)
    for i in np.flatnonzero(added.any(axis=1)):
        left_out = Y_pred[i] == 0
        if left_out.any():
            assert scores[i, added[i]].min() >= scores[i, left_out].max()


def test_decode_breaks_ties_by_label_index():
    """Check that among tied scores the lower label indices are chosen."""
    scores = np.array([[0.5, 0.5, 0.5, 0.5], [0.1, 0.2, 0.2, 0.2]])
    Y_pred = decode(scores, 0.4, min_labels=1, max_labels=2)
    assert_array_equal(Y_pred, [[1, 1, 0, 0], [0, 1, 0, 0]])


def test_decode_defaults_equal_apply_thresholds():
    """Check that without bounds decode is plain thresholding."""
    rng = np.random.default_rng(0)
    scores = rng.random((50, 6))
    thresholds = rng.random(6)
    assert_array_equal(decode(scores, thresholds), apply_thresholds(scores, thresholds))


@pytest.mark.parametrize(
    "params, err_msg",
    [
        ({"min_labels": -1}, "min_labels must be a non-negative integer; got -1"),
        ({"min_labels": 1.5}, "min_labels must be a non-negative integer; got 1.5"),
        ({"max_labels": True}, "max_labels must be a non-negative integer"),
        ({"min_labels": 4}, "min_labels=4 exceeds the number of labels, 3"),
        ({"min_labels": 2, "max_labels": 1}, "max_labels=1 is smaller than min"),
    ],
)
def test_decode_invalid_bounds(params, err_msg):
    """Check that inconsistent label-count bounds are rejected."""
    with pytest.raises(ValueError, match=err_msg):
        decode(np.zeros((2, 3)), 0.5, **params)


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=2, max_dims=2, max_side=8),
    data=st.data(),
)
def test_decode_properties_on_any_finite_input(shape, data):
    """Check that decode never yields NaN, meets its bounds, and is a plain
    threshold comparison without bounds."""
    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
    scores = data.draw(hnp.arrays(np.float64, shape, elements=finite))
    thresholds = data.draw(hnp.arrays(np.float64, shape[1], elements=finite))
    min_labels = data.draw(st.integers(0, shape[1]))
    max_labels = data.draw(st.none() | st.integers(min_labels, shape[1] + 2))
    Y_pred = decode(scores, thresholds, min_labels=min_labels, max_labels=max_labels)
    assert Y_pred.shape == shape and Y_pred.dtype == np.int64
    assert np.isin(Y_pred, (0, 1)).all()
    counts = Y_pred.sum(axis=1)
    assert (counts >= min_labels).all()
    assert (counts <= (shape[1] if max_labels is None else max_labels)).all()
    assert_array_equal(decode(scores, thresholds), scores >= thresholds)
