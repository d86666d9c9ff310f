"""The training loop: batches per call, best weights, row-block Adam, init."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.neural_network.training import _loop as _training

from ..conftest import FAST


def test_several_batches_per_call_train_the_same_network(multilabel_data, monkeypatch):
    """Check that updating on 16 batches per TensorFlow call (epochs of 38
    batches) gives the network that one batch per call gives."""
    X, Y = multilabel_data
    params = {**FAST, "batch_size": 8, "max_iter": 5, "dropout": 0.2}
    looped = MultiLabelNNClassifier(**params).fit(X, Y)
    monkeypatch.setattr(_training, "MAX_BATCHES_PER_CALL", 10**6)
    one_by_one = MultiLabelNNClassifier(**params).fit(X, Y)
    assert_allclose(
        looped.predict_proba(X), one_by_one.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    assert_allclose(looped.loss_curve_, one_by_one.loss_curve_, rtol=1e-5)
    assert not np.allclose(looped.loss_curve_[0], looped.loss_curve_[-1])


def test_several_batches_per_call_are_capped_by_bytes(monkeypatch):
    """Check that wider rows get fewer batches per call, down to one."""
    calls = []
    original = _training._run_epoch

    def recording(step, *args):
        calls.append(step.batches_per_call)
        return original(step, *args)

    monkeypatch.setattr(_training, "_run_epoch", recording)
    # One densified batch may hold 8 rows x 100 float32 features.
    monkeypatch.setattr(_training, "DENSE_BATCH_BYTES", 4 * 8 * 100)
    rng = np.random.default_rng(0)
    Y = (rng.random((600, 2)) < 0.3).astype(int)
    for n_features, expected in ((4, 16), (20, 5), (100, 1)):
        calls.clear()
        X = rng.normal(size=(600, n_features)).astype(np.float32)
        MultiLabelNNClassifier(
            **{**FAST, "batch_size": 8, "max_iter": 1, "early_stopping": False},
            threshold=0.5,
            n_bins=0,
        ).fit(X, Y)
        assert calls == [expected]


def test_best_epoch_weights_are_restored(multilabel_data, monkeypatch):
    """Check that early stopping hands back the weights of the epoch with the
    lowest validation loss, not the last epoch's."""
    X, Y = multilabel_data
    from sklearn_multilabel.neural_network import _classifier as _classifier

    models, snapshots = [], []
    train, validation_loss = _classifier.train, _training._validation_loss

    def remembering(model, *args, **kwargs):
        models.append(model)
        return train(model, *args, **kwargs)

    def recording(*args):
        snapshots.append(models[-1].get_weights())
        return validation_loss(*args)

    monkeypatch.setattr(_classifier, "train", remembering)
    monkeypatch.setattr(_training, "_validation_loss", recording)
    # A wide unpenalised network and a large step overfit after a few epochs.
    params = {
        **FAST,
        "hidden_layer_sizes": (64,),
        "alpha": 0.0,
        "learning_rate": 0.05,
        "n_iter_no_change": 8,
    }
    clf = MultiLabelNNClassifier(**params).fit(X, Y)
    best = int(np.argmin(clf.history_["val_loss"]))
    assert clf.best_epoch_ == best < clf.n_iter_ - 1
    for kept, recorded in zip(clf.model_.get_weights(), snapshots[best], strict=True):
        assert_array_equal(kept, recorded)
    assert not all(
        np.array_equal(kept, last)
        for kept, last in zip(clf.model_.get_weights(), snapshots[-1], strict=True)
    )


@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_row_block_adam_equals_dense_adam(monkeypatch, l2):
    """Check that Adam on blocks of a kernel's rows, from a gradient with
    repeated row indices, gives every row (touched or not) the dense update."""
    import keras
    import tensorflow as tf

    from sklearn_multilabel.neural_network.training import _row_blocks as _row_blocks

    # Blocks of 3 rows of width 4: 4 blocks for 11 rows, the last one short.
    monkeypatch.setattr(_row_blocks, "BLOCK_BYTES", 3 * 4 * 4)
    rng = np.random.default_rng(0)
    w0, m0, v0 = (rng.standard_normal((11, 4)).astype(np.float32) for _ in range(3))
    v0 = np.abs(v0)
    indices = np.array([7, 2, 7, 0, 10, 2], dtype=np.int64)
    values = rng.standard_normal((6, 4)).astype(np.float32)
    kernel = keras.Variable(w0)
    kernel.regularizer = keras.regularizers.L2(l2) if l2 else None
    m, v = tf.Variable(m0), tf.Variable(v0)
    alpha, constants = 0.01, (0.9, 0.999, 1e-7)

    @tf.function
    def update():
        gradient = tf.IndexedSlices(tf.constant(values), tf.constant(indices))
        _row_blocks.adam_in_row_blocks(
            kernel, gradient, m, v, tf.constant(alpha), constants
        )

    update()
    gradient = np.zeros_like(w0)
    np.add.at(gradient, indices, values)
    gradient += l2 * (w0 * 2.0)
    m_expected = m0 + (gradient - m0) * 0.1
    v_expected = v0 + (gradient**2 - v0) * (1.0 - 0.999)
    w_expected = w0 - alpha * m_expected / (np.sqrt(v_expected) + 1e-7)
    assert_allclose(m.numpy(), m_expected, rtol=1e-6, atol=1e-7)
    assert_allclose(v.numpy(), v_expected, rtol=1e-6, atol=1e-7)
    assert_allclose(kernel.numpy(), w_expected, rtol=1e-6, atol=1e-7)


def test_initial_kernel_drawn_in_blocks_equals_one_draw(monkeypatch):
    """Check that drawing a wide kernel a few rows at a time gives the numbers
    of one float64 draw from the same generator, cast to float32."""
    from sklearn_multilabel.neural_network import _network as _network

    monkeypatch.setattr(_network, "INIT_BLOCK_BYTES", 8 * 5 * 3)
    meta = {"n_features_in": 23, "n_labels": 5, "random_state": 0}
    model = _network.build_default_network(
        meta, hidden_layer_sizes=(), activation="relu", dropout=0.0, l2=0.0
    )
    limit = np.sqrt(6.0 / (23 + 5))
    expected = np.random.default_rng(0).uniform(-limit, limit, size=(23, 5))
    assert_array_equal(model.get_weights()[0], expected.astype(np.float32))
