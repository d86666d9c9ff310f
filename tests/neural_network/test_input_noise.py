"""Gaussian input noise: its scale, where it is added, seeding, sparse rows."""

import threading

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.neural_network import _folds
from sklearn_multilabel.neural_network._input_noise import (
    AUTO_INPUT_NOISE,
    NOISE_STREAM,
    BatchNoise,
    noise_scales,
)

from ..conftest import FAST, record_training_batches

# One full-batch epoch: the step sees every row once, in the order of X.
ONE_BATCH = {
    **FAST,
    "max_iter": 1,
    "early_stopping": False,
    "threshold": 0.5,
    "n_bins": 0,
}


def _features(n_samples=2000):
    """Features of different spreads, one constant, one with a large mean."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 4)) * [1.0, 5.0, 0.0, 0.01]
    X[:, 3] += 1e6
    Y = (rng.random((n_samples, 3)) < 0.3).astype(int)
    return X, Y


def test_noise_scales_are_the_features_spread(monkeypatch):
    """Check the per-feature scale, accumulated over several blocks of rows,
    with no cancellation on a feature whose mean dwarfs its spread."""
    X, _ = _features()
    monkeypatch.setattr(
        "sklearn_multilabel.neural_network._input_noise.DENSE_BATCH_BYTES", 8 * 4 * 7
    )
    scales = noise_scales(X.astype(np.float32), 0.7)
    assert scales.dtype == np.float32
    assert_allclose(scales, 0.7 * X.astype(np.float32).std(axis=0, dtype=np.float64))
    assert scales[2] == 0


def test_noise_scales_are_the_weighted_spread(monkeypatch):
    """Check that weight-0 rows are left out, that an integer weight counts as
    that many copies of the row, and that equal weights change nothing."""
    X, _ = _features()
    monkeypatch.setattr(
        "sklearn_multilabel.neural_network._input_noise.DENSE_BATCH_BYTES", 8 * 4 * 7
    )
    weight = np.random.default_rng(5).integers(0, 4, size=len(X)).astype(float)
    repeated = np.repeat(X, weight.astype(int), axis=0)
    assert_allclose(
        noise_scales(X, 0.7, sample_weight=weight), noise_scales(repeated, 0.7)
    )
    kept = weight > 0
    assert_array_equal(
        noise_scales(X, 0.7, sample_weight=kept * 2.5), noise_scales(X[kept], 0.7)
    )
    assert_array_equal(
        noise_scales(X, 0.7, sample_weight=np.full(len(X), 3.0)), noise_scales(X, 0.7)
    )


def test_epoch_noise_is_drawn_in_call_order():
    """Check that the noise drawn ahead in a background thread is the seeded
    stream cut into the calls' row counts, in order, whatever the timing; an
    epoch left unfinished stops its thread."""
    scales = np.array([1.0, 0.0, 3.0], dtype=np.float32)
    counts = [5, 16, 16, 3]
    for _ in range(3):
        drawn = np.concatenate(list(BatchNoise(scales, 7).epoch(counts)))
        expected = np.random.default_rng([7, NOISE_STREAM]).standard_normal(
            (sum(counts), 3), dtype=np.float32
        )
        assert_array_equal(drawn, expected * scales)
    unfinished = BatchNoise(scales, 7).epoch(counts)
    next(unfinished)
    assert any(t.name.startswith("input-noise") for t in threading.enumerate())
    unfinished.close()
    assert not any(t.name.startswith("input-noise") for t in threading.enumerate())


def test_training_batches_get_noise_scaled_per_feature(monkeypatch):
    """Check that the step receives X plus zero-mean noise whose spread is
    input_noise times each feature's, and that X itself is left unchanged."""
    X, Y = _features()
    X = X[:, :3].astype(np.float32)
    before = X.copy()
    batches = record_training_batches(monkeypatch)
    MultiLabelNNClassifier(**ONE_BATCH, batch_size=len(X), input_noise=0.5).fit(X, Y)
    (batch,) = batches
    noise = batch - X
    assert_allclose(noise.std(axis=0), 0.5 * X.std(axis=0), rtol=0.05)
    assert_allclose(noise.mean(axis=0), 0.0, atol=0.1)
    assert np.all(noise[:, 2] == 0)
    assert_array_equal(X, before)


def test_fit_scales_noise_to_the_weighted_rows(monkeypatch):
    """Check that fit scales the noise to the spread of the rows its
    sample_weight keeps: rows of weight 0 far out do not widen it."""
    X, Y = _features()
    X = X[:, :2].astype(np.float32)
    weight = np.ones(len(X))
    weight[::10] = 0.0
    X[::10, 0] = np.where(np.arange(len(X))[::10] % 20 == 0, 1e3, -1e3)
    batches = record_training_batches(monkeypatch)
    MultiLabelNNClassifier(**ONE_BATCH, batch_size=len(X), input_noise=0.5).fit(
        X, Y, sample_weight=weight
    )
    noise = batches[0] - X
    kept = weight > 0
    assert_allclose(noise.std(axis=0), 0.5 * X[kept].std(axis=0), rtol=0.05)


def test_without_noise_batches_are_the_rows(monkeypatch):
    """Check that input_noise=0 hands the step the rows unchanged."""
    X, Y = _features()
    X = X[:, :3].astype(np.float32)
    batches = record_training_batches(monkeypatch)
    MultiLabelNNClassifier(**ONE_BATCH, batch_size=len(X), input_noise=0).fit(X, Y)
    assert_array_equal(batches[0], X)


def test_noise_leaves_the_batch_order_unchanged(multilabel_data):
    """Check that the noise has a stream of its own: noise too small to change
    a float32 feature trains the network that no noise trains."""
    X, Y = multilabel_data
    params = {**FAST, "max_iter": 5, "batch_size": 16}
    quiet = MultiLabelNNClassifier(**params, input_noise=1e-12).fit(X, Y)
    plain = MultiLabelNNClassifier(**params, input_noise=0).fit(X, Y)
    assert_allclose(quiet.predict_proba(X), plain.predict_proba(X), rtol=1e-6)


def test_noisy_fits_are_repeatable_and_seeded(multilabel_data):
    """Check that random_state fixes the noise and that the noise matters."""
    X, Y = multilabel_data
    params = {**FAST, "max_iter": 5, "input_noise": 1.0}
    first = MultiLabelNNClassifier(**params).fit(X, Y).predict_proba(X)
    again = MultiLabelNNClassifier(**params).fit(X, Y).predict_proba(X)
    plain = MultiLabelNNClassifier(**{**params, "input_noise": 0})
    plain = plain.fit(X, Y).predict_proba(X)
    assert_array_equal(first, again)
    assert np.abs(first - plain).max() > 1e-3


def test_auto_noise_is_on_for_dense_and_off_for_sparse(multilabel_data, monkeypatch):
    """Check what input_noise="auto" resolves to, in one network and in every
    network of the fold ensemble."""
    X, Y = multilabel_data
    levels = []
    train = _folds.train

    def remembering(model, forward, data, schedule, *args, **kwargs):
        levels.append(schedule.input_noise)
        return train(model, forward, data, schedule, *args, **kwargs)

    monkeypatch.setattr(_folds, "train", remembering)
    params = {**FAST, "max_iter": 2}
    MultiLabelNNClassifier(**params).fit(X, Y)
    MultiLabelNNClassifier(**params).fit(sp.csr_matrix(X), Y)
    MultiLabelNNClassifier(**{**params, "threshold_cv": 3}).fit(X, Y)
    assert levels == [AUTO_INPUT_NOISE, 0.0] + [AUTO_INPUT_NOISE] * 3
    assert AUTO_INPUT_NOISE > 0


def test_sparse_rows_with_auto_noise_train_without_noise(multilabel_data):
    """Check that sparse X under the default trains as input_noise=0 does."""
    X, Y = multilabel_data
    X = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    params = {**FAST, "max_iter": 3}
    auto = MultiLabelNNClassifier(**params).fit(X, Y)
    off = MultiLabelNNClassifier(**params, input_noise=0).fit(X, Y)
    assert_array_equal(auto.predict_proba(X), off.predict_proba(X))


def test_positive_noise_on_sparse_rows_is_refused(multilabel_data):
    """Check that asking for noise on sparse X fails before training, saying
    what to pass instead."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**FAST, input_noise=0.5)
    with pytest.raises(ValueError, match=r"input_noise=0.5.*sparse.*input_noise=0"):
        clf.fit(sp.csr_matrix(X), Y)
    assert not hasattr(clf, "model_")


@pytest.mark.parametrize("value", [-0.1, "high", None])
def test_invalid_noise_is_refused(multilabel_data, value):
    """Check that negative or unknown input_noise values are refused by name."""
    X, Y = multilabel_data
    with pytest.raises(ValueError, match="input_noise"):
        MultiLabelNNClassifier(**FAST, input_noise=value).fit(X, Y)
