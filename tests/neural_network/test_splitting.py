"""Stratified validation splits."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_multilabel.neural_network._splitting import validation_split


def test_split_keeps_label_rates():
    """Check that every label's positive rate is close in both parts."""
    rng = np.random.default_rng(0)
    Y = (rng.random((1000, 6)) < [0.5, 0.3, 0.1, 0.05, 0.02, 0.01]).astype(int)
    train_rows, validation_rows = validation_split(Y, 0.2, seed=0)
    assert len(validation_rows) == 200
    assert np.intersect1d(train_rows, validation_rows).size == 0
    assert_rates = np.abs(Y[train_rows].mean(0) - Y[validation_rows].mean(0))
    assert np.all(assert_rates < 0.01)
    assert np.all(Y[validation_rows].sum(0) >= 1)


def test_split_is_seeded_and_accepts_sparse():
    """Check that one seed gives one split, for dense and sparse targets."""
    Y = (np.random.default_rng(1).random((200, 4)) < 0.3).astype(int)
    first = validation_split(Y, 0.25, seed=3)
    second = validation_split(sp.csr_matrix(Y), 0.25, seed=3)
    other = validation_split(Y, 0.25, seed=4)
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], other[1])


def test_single_label_split_is_stratified():
    """Check that one label is split with both classes in each part."""
    y = np.r_[np.zeros(90), np.ones(10)].astype(int).reshape(-1, 1)
    train_rows, validation_rows = validation_split(y, 0.2, seed=0)
    assert y[validation_rows].sum() == 2 and y[train_rows].sum() == 8


def test_too_few_samples_to_split():
    """Check that an impossible split names the way out."""
    with pytest.raises(ValueError, match="n_samples=1.*early_stopping=False"):
        validation_split(np.array([[0, 1]]), 0.2, seed=0)
