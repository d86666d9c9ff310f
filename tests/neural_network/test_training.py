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
    from sklearn_multilabel.neural_network.training import _tensorflow_step

    monkeypatch.setattr(_tensorflow_step, "MAX_BATCHES_PER_CALL", 10**6)
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
    from sklearn_multilabel.neural_network.training import _tensorflow_step

    monkeypatch.setattr(_tensorflow_step, "DENSE_BATCH_BYTES", 4 * 8 * 100)
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
    from sklearn_multilabel.neural_network import _folds

    models, snapshots = [], []
    train, validation_loss = _folds.train, _training._validation_loss

    def remembering(model, *args, **kwargs):
        models.append(model)
        return train(model, *args, **kwargs)

    def recording(*args):
        snapshots.append(models[-1].get_weights())
        return validation_loss(*args)

    monkeypatch.setattr(_folds, "train", remembering)
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
    best = int(np.argmin(clf.history_[0]["val_loss"]))
    assert clf.best_epoch_ == [best] and best < clf.n_iter_ - 1
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
    alpha = 0.01

    @tf.function
    def update():
        gradient = tf.IndexedSlices(tf.constant(values), tf.constant(indices))
        _row_blocks.adam_in_row_blocks(kernel, gradient, m, v, tf.constant(alpha))

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


def history_of(losses, val_losses=()):
    """A training history holding the given per-epoch losses."""
    from sklearn_multilabel.neural_network.training import TrainingHistory

    return TrainingHistory(loss=list(losses), val_loss=list(val_losses))


@pytest.mark.parametrize(
    "losses, val_losses, bad",
    [([0.5, np.nan], (), "nan"), ([0.5, 0.4], [0.6, np.inf], "inf")],
)
def test_divergence_check_raises_on_a_non_finite_monitored_loss(
    losses, val_losses, bad
):
    """Check that a NaN or infinite monitored loss stops training with the
    epoch and the fix, and a finite one does not."""
    from sklearn_multilabel.neural_network.training._callbacks import (
        DivergenceCheck,
    )

    check = DivergenceCheck()
    assert check.on_epoch_end(0, history_of(losses[:1], val_losses[:1])) is False
    with pytest.raises(ValueError, match=f"loss became {bad} at epoch 2.*Scaler"):
        check.on_epoch_end(1, history_of(losses, val_losses))


@pytest.mark.parametrize(
    "losses, n_iter_no_change, tol, expected_stop",
    [
        ([1.0, 0.9, 0.95, 0.92, 0.91], 3, 0.0, 4),
        ([1.0, 0.9, 0.89, 0.88], 2, 0.05, 3),
        ([1.0, 0.5, 0.25, 0.1], 1, 0.0, None),
    ],
)
def test_early_stopping_counts_epochs_without_improvement(
    losses, n_iter_no_change, tol, expected_stop
):
    """Check that training stops once n_iter_no_change epochs in a row do not
    beat the best loss by more than tol."""
    from sklearn_multilabel.neural_network.training._callbacks import EarlyStopping

    stopping = EarlyStopping(n_iter_no_change, tol)
    stopping.on_train_begin(None, history_of([]))
    stops = [
        stopping.on_epoch_end(epoch, history_of(losses[: epoch + 1]))
        for epoch in range(len(losses))
    ]
    first_stop = stops.index(True) if True in stops else None
    assert first_stop == expected_stop


def test_best_weights_are_restored_at_the_end():
    """Check that the weights of the epoch with the lowest monitored loss are
    put back at the end of training, and their epoch recorded."""
    import keras

    from sklearn_multilabel.neural_network.training._callbacks import BestWeights

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    best = BestWeights()
    history = history_of([])
    best.on_train_begin(model, history)
    initial = [w.copy() for w in model.get_weights()]
    kept = None
    for epoch, loss in enumerate([0.9, 0.3, 0.5]):
        model.set_weights([w + epoch + 1 for w in initial])
        history.loss.append(loss)
        assert best.on_epoch_end(epoch, history) is False
        if epoch == 1:
            kept = [w.copy() for w in model.get_weights()]
    best.on_train_end(model, history)
    assert history.best_epoch == 1
    for restored, expected in zip(model.get_weights(), kept, strict=True):
        assert_array_equal(restored, expected)


def test_interrupt_keeps_the_best_weights_after_the_first_epoch():
    """Check that Ctrl-C during the first epoch propagates and later ends
    training with a warning naming both epochs."""
    from sklearn_multilabel.neural_network.training._callbacks import (
        KeepBestOnInterrupt,
    )

    handler, history = KeepBestOnInterrupt(), history_of([0.5, 0.4])
    history.best_epoch = 1
    assert handler.on_interrupt(0, history) is False
    with pytest.warns(UserWarning, match="during epoch 3; keeping .* epoch 2"):
        assert handler.on_interrupt(2, history) is True


def test_epoch_report_prints_one_line(capsys):
    """Check the verbose line, with and without a validation loss."""
    from sklearn_multilabel.neural_network.training._callbacks import EpochReport

    EpochReport().on_epoch_end(0, history_of([0.5]))
    EpochReport().on_epoch_end(1, history_of([0.5, 0.25], [0.75, 0.125]))
    assert capsys.readouterr().out == (
        "Epoch 1, loss = 0.500000\nEpoch 2, loss = 0.250000, val_loss = 0.125000\n"
    )


def test_default_callbacks_follow_the_schedule():
    """Check that verbose adds the epoch report, after the divergence check."""
    from sklearn_multilabel.neural_network.training import TrainingSchedule
    from sklearn_multilabel.neural_network.training._callbacks import (
        default_callbacks,
    )

    schedule = TrainingSchedule(0.01, 8, 5, 2, 1e-4, 0)
    quiet = [type(c).__name__ for c in default_callbacks(schedule)]
    schedule.verbose = 1
    loud = [type(c).__name__ for c in default_callbacks(schedule)]
    assert "EpochReport" not in quiet
    assert loud == ["DivergenceCheck", "EpochReport", *quiet[1:]]


def test_train_calls_extra_callbacks(multilabel_data):
    """Check that a callback passed to train sees every hook, in order, and
    can stop training."""
    from sklearn_multilabel.neural_network._inference import CompiledForward
    from sklearn_multilabel.neural_network._network import build_default_network
    from sklearn_multilabel.neural_network.training import (
        Callback,
        TrainingSchedule,
        make_objective,
        train,
    )

    X, Y = multilabel_data
    X = X.astype(np.float32)
    calls = []

    class StopAfterTwo(Callback):
        def on_train_begin(self, model, history):
            calls.append("begin")

        def on_epoch_end(self, epoch, history):
            calls.append(len(history.loss))
            return epoch == 1

        def on_train_end(self, model, history):
            calls.append("end")

    meta = {"n_features_in": X.shape[1], "n_labels": Y.shape[1], "random_state": 0}
    model = build_default_network(
        meta, hidden_layer_sizes=(8,), activation="relu", dropout=0.0, l2=0.0
    )
    history = train(
        model,
        CompiledForward(model, X.shape[1]),
        (X, Y.astype(np.float32), None),
        TrainingSchedule(0.01, 32, 10, 10, 0.0, 0),
        make_objective("binary_crossentropy"),
        callbacks=[StopAfterTwo()],
    )
    assert calls == ["begin", 1, 2, "end"]
    assert len(history.loss) == 2


def test_adam_matches_keras_adam():
    """Check that the one Adam update gives keras.optimizers.Adam's weights
    over a few steps."""
    import keras

    from sklearn_multilabel.neural_network.training import _adam

    rng = np.random.default_rng(0)
    weights = rng.standard_normal((3, 4)).astype(np.float32)
    gradients = rng.standard_normal((5, 3, 4)).astype(np.float32)
    variable = keras.Variable(weights)
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    optimizer.build([variable])
    w, m, v = weights, np.zeros_like(weights), np.zeros_like(weights)
    for iteration, gradient in enumerate(gradients, start=1):
        optimizer.apply([gradient], [variable])
        alpha = _adam.step_size(0.01, np.float32(iteration))
        m, v = _adam.moments(gradient, m, v)
        w = w - _adam.weight_change(alpha, m, v)
    assert_allclose(keras.ops.convert_to_numpy(w), variable.numpy(), rtol=1e-6)
    assert not np.allclose(variable.numpy(), weights)
