"""Piecewise-linear feature bins: edges, encoding, and the estimator's use."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.neural_network._binning import (
    AUTO_MAX_INPUTS,
    AUTO_N_BINS,
    PiecewiseLinearBins,
    auto_n_bins,
    quantile_edges,
    weighted_quantiles,
)
from sklearn_multilabel.neural_network._input_noise import noise_scales
from sklearn_multilabel.neural_network._persistence import load_model, save_model

from ..conftest import FAST, record_training_batches


def _encoded_by_hand(X, edges):
    """The encoding written out one feature and one bin at a time."""
    columns = [X[:, j] for j in range(X.shape[1])]
    for j, feature_edges in enumerate(edges):
        for left, right in zip(feature_edges[:-1], feature_edges[1:], strict=True):
            columns.append(np.clip((X[:, j] - left) / (right - left), 0.0, 1.0))
    return np.column_stack(columns)


def test_edges_are_the_features_quantiles_with_repeats_merged():
    """Check the edges against np.quantile, and that ties and constants merge."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    X[:150, 1] = 0.0  # three quarters tied: several quantiles coincide
    X[:, 2] = 7.0
    edges = quantile_edges(X, 4)
    assert_allclose(edges[0], np.quantile(X[:, 0], [0, 0.25, 0.5, 0.75, 1]))
    assert_allclose(edges[1], np.unique(np.quantile(X[:, 1], np.linspace(0, 1, 5))))
    assert len(edges[1]) == 3
    assert_array_equal(edges[2], [7.0])
    assert PiecewiseLinearBins(edges).n_outputs == 3 + 4 + 2 + 0


def test_edges_do_not_depend_on_the_column_blocks(monkeypatch):
    """Check that computing the quantiles a few columns at a time changes nothing."""
    from sklearn_multilabel.neural_network import _binning as _binning

    X = np.random.default_rng(1).normal(size=(100, 7))
    whole = quantile_edges(X, 5)
    monkeypatch.setattr(_binning, "QUANTILE_BLOCK_BYTES", 8 * 100 * 2)
    for a, b in zip(quantile_edges(X, 5), whole, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_encoding_matches_the_formula_and_keeps_the_dtype(dtype):
    """Check raw features first, then each bin's clipped position, in X's dtype."""
    rng = np.random.default_rng(2)
    edges = quantile_edges(rng.normal(size=(300, 4)), 6)
    X = (rng.normal(size=(50, 4)) * 2).astype(dtype)  # some beyond the edges
    encoded = PiecewiseLinearBins(edges).transform(X)
    assert encoded.dtype == dtype
    assert_array_equal(encoded[:, :4], X)
    expected = _encoded_by_hand(X.astype(np.float64), edges)
    assert_allclose(encoded, expected, rtol=1e-6, atol=1e-6)
    assert encoded[:, 4:].min() == 0.0 and encoded[:, 4:].max() == 1.0


def test_weighted_quantiles():
    """Check the weighted quantiles: np.quantile's linear method under equal
    weights, the minimum and maximum at the ends, and by hand on 3 rows."""
    rng = np.random.default_rng(6)
    values = rng.normal(size=(40, 3))
    levels = np.linspace(0, 1, 9)
    assert_allclose(
        weighted_quantiles(values, np.full(40, 2.0), levels),
        np.quantile(values, levels, axis=0),
    )
    skewed = weighted_quantiles(values, rng.uniform(0.1, 5, size=40), levels)
    assert_array_equal(skewed[[0, -1]], [values.min(axis=0), values.max(axis=0)])
    assert np.all(np.diff(skewed, axis=0) >= 0)
    # Rows 0, 1, 2 with weights 1, 2, 1 sit at (0, 1.5, 3) / 3 of the way.
    column = np.array([[0.0], [1.0], [3.0]])
    assert_allclose(
        weighted_quantiles(column, np.array([1.0, 2.0, 1.0]), np.array([0.25, 0.75])),
        [[0.5], [2.0]],
    )


def test_weighted_edges_leave_out_weight_zero_rows(multilabel_data):
    """Check that fit's bin edges ignore rows of weight 0, follow the weights
    of the others, and are the unweighted ones for equal weights."""
    X, Y = multilabel_data
    weight = np.where(np.arange(len(X)) % 3 == 0, 0.0, 1.0)
    kept = weight > 0
    assert all(
        np.array_equal(a, b)
        for a, b in zip(
            quantile_edges(X, 8, weight), quantile_edges(X[kept], 8), strict=True
        )
    )
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 1}).fit(
        X, Y, sample_weight=weight
    )
    for edges, expected in zip(
        clf.bin_edges_, quantile_edges(X[kept], AUTO_N_BINS), strict=True
    ):
        assert_array_equal(edges, expected)
    heavy = np.where(X[:, 0] > np.median(X[:, 0]), 10.0, 1.0)
    assert np.median(quantile_edges(X, 8, heavy)[0]) > np.median(
        quantile_edges(X, 8)[0]
    )


def test_noise_scales_of_encoded_rows_are_their_spread():
    """Check that with bins the noise is scaled to each encoded column's spread."""
    X = np.random.default_rng(3).normal(size=(500, 3))
    bins = PiecewiseLinearBins(quantile_edges(X, 4))
    assert_allclose(
        noise_scales(X, 0.5, bins), 0.5 * bins.transform(X).std(axis=0), rtol=1e-5
    )


def test_default_network_takes_encoded_rows(multilabel_data):
    """Check n_bins="auto" on dense rows: the edges, the network's width, and
    that predictions are the Keras network's outputs on the encoded rows."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**FAST).fit(X, Y)
    assert len(clf.bin_edges_) == X.shape[1]
    for feature, edges in enumerate(clf.bin_edges_):
        expected = np.unique(
            np.quantile(X[:, feature], np.linspace(0, 1, AUTO_N_BINS + 1))
        )
        assert_allclose(edges, expected)
    bins = PiecewiseLinearBins(clf.bin_edges_)
    assert clf.model_.input_shape == (None, bins.n_outputs)
    keras_logits = np.asarray(clf.model_(bins.transform(X).astype(np.float32)))
    assert_allclose(
        clf.decision_function(X.astype(np.float32)), keras_logits, atol=1e-5
    )


@pytest.mark.parametrize(
    "n_features, expected",
    [(1, 8), (294, 8), (333, 8), (334, 7), (500, 5), (768, 2), (1000, 2), (1001, 0)],
)
def test_auto_bins_keep_wide_inputs_within_the_budget(n_features, expected):
    """Check that "auto" gives fewer bins to wide X, and none below 2 bins."""
    assert auto_n_bins(n_features) == expected
    if expected:
        assert n_features * (expected + 1) <= AUTO_MAX_INPUTS
        assert expected == AUTO_N_BINS or n_features * (expected + 2) > AUTO_MAX_INPUTS


@pytest.mark.parametrize("n_features, n_bins", [(500, 5), (1200, 0)])
def test_wide_rows_get_fewer_bins(n_features, n_bins):
    """Check that the estimator's "auto" follows the budget on wide dense X."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, n_features))
    Y = (X[:, :3] > 0).astype(int)
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 1}).fit(X, Y)
    if n_bins == 0:
        assert clf.bin_edges_ is None
        assert clf.model_.input_shape == (None, n_features)
    else:
        assert {len(edges) - 1 for edges in clf.bin_edges_} == {n_bins}
        assert clf.model_.input_shape == (None, n_features * (n_bins + 1))


def test_training_batches_are_encoded(multilabel_data, monkeypatch):
    """Check that every training step receives encoded rows."""
    X, Y = multilabel_data
    batches = record_training_batches(monkeypatch)
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 2}, n_bins=3).fit(X, Y)
    bins = PiecewiseLinearBins(clf.bin_edges_)
    assert batches and {batch.shape[1] for batch in batches} == {bins.n_outputs}
    assert bins.n_outputs > X.shape[1]


def test_no_bins_gives_the_network_the_raw_features(multilabel_data):
    """Check that n_bins=0 keeps the raw features only."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**FAST, n_bins=0).fit(X, Y)
    assert clf.bin_edges_ is None
    assert clf.model_.input_shape == (None, X.shape[1])


def test_sparse_rows_get_no_bins_and_positive_bins_are_refused(multilabel_data):
    """Check that "auto" leaves sparse rows as they are and n_bins > 0 says why not."""
    X, Y = multilabel_data
    X_sparse = sp.csr_matrix(np.where(X > 0.5, X, 0.0))
    clf = MultiLabelNNClassifier(**FAST, input_noise=0).fit(X_sparse, Y)
    assert clf.bin_edges_ is None
    with pytest.raises(ValueError, match="n_bins=4 .*sparse rows dense.*n_bins=0"):
        MultiLabelNNClassifier(**FAST, input_noise=0, n_bins=4).fit(X_sparse, Y)


def _custom_network(meta):
    import keras

    inputs = keras.Input(shape=(meta["n_features_in"],))
    return keras.Model(inputs, keras.layers.Dense(meta["n_labels"])(inputs))


def test_custom_networks_get_raw_features(multilabel_data):
    """Check that a custom network gets the raw features under "auto", and that
    asking it for bins is refused with what to do instead."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**FAST, build_network=_custom_network).fit(X, Y)
    assert clf.bin_edges_ is None
    assert clf.model_.input_shape == (None, X.shape[1])
    with pytest.raises(ValueError, match="n_bins=4 .*custom build_network"):
        MultiLabelNNClassifier(**FAST, build_network=_custom_network, n_bins=4).fit(
            X, Y
        )


@pytest.mark.parametrize("value", [-1, 2.5, "many"])
def test_invalid_bins_are_refused(multilabel_data, value):
    """Check that negative, fractional or unknown n_bins values are refused by name."""
    X, Y = multilabel_data
    with pytest.raises(ValueError, match="n_bins"):
        MultiLabelNNClassifier(**FAST, n_bins=value).fit(X, Y)


def test_binned_fits_are_repeatable(multilabel_data):
    """Check that the same random_state gives the same binned network."""
    X, Y = multilabel_data
    first = MultiLabelNNClassifier(**FAST).fit(X, Y).predict_proba(X)
    second = MultiLabelNNClassifier(**FAST).fit(X, Y).predict_proba(X)
    assert_array_equal(first, second)


def test_bins_survive_pickle_and_save_model(multilabel_data, tmp_path):
    """Check that a binned estimator predicts the same after pickling and
    after save_model / load_model."""
    import pickle

    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**FAST, n_bins=5).fit(X, Y)
    expected = clf.predict_proba(X)
    assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    save_model(clf, tmp_path / "binned.skml")
    loaded = load_model(tmp_path / "binned.skml")
    assert loaded.get_params()["n_bins"] == 5
    for a, b in zip(loaded.bin_edges_, clf.bin_edges_, strict=True):
        assert_array_equal(a, b)
    assert_array_equal(loaded.predict_proba(X), expected)


def test_wide_encoded_batches_are_encoded_a_slice_at_a_time(monkeypatch):
    """Check that a batch whose encoding would pass the byte cap is encoded
    in slices, with the same logits."""
    from sklearn_multilabel.neural_network import _binning as _binning
    from sklearn_multilabel.neural_network._binning import EncodedForward

    X = np.random.default_rng(4).normal(size=(100, 3))
    bins = PiecewiseLinearBins(quantile_edges(X, 4))
    seen = []

    def forward(encoded):
        seen.append(len(encoded))
        return encoded[:, :2] * 2.0

    whole = EncodedForward(bins, forward)(X)
    monkeypatch.setattr(_binning, "DENSE_BATCH_BYTES", 8 * bins.n_outputs * 30)
    sliced = EncodedForward(bins, forward)(X)
    assert seen == [100, 30, 30, 30, 10]
    assert_array_equal(sliced, whole)
