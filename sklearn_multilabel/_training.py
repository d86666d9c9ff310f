"""The epoch loop: seeded shuffling, early stopping, divergence checks."""

import sys
from dataclasses import dataclass, field

import numpy as np

from sklearn_multilabel._batches import dense_rows
from sklearn_multilabel._inference import batched_logits
from sklearn_multilabel._losses import (
    binary_crossentropy_from_logits,
    binary_crossentropy_numpy,
)


@dataclass
class TrainingSchedule:
    """How long and how fast to train.

    Parameters
    ----------
    learning_rate : float
        Adam step size.
    batch_size : int
        Rows per gradient step.
    max_iter : int
        Maximum number of epochs.
    n_iter_no_change : int
        Epochs without a ``tol`` improvement of the monitored loss before
        stopping.
    tol : float
        Minimum improvement of the monitored loss.
    shuffle_seed : int
        Seed of the per-epoch row permutations.
    verbose : int
        0 is silent; 1 prints one line per epoch.
    """

    learning_rate: float
    batch_size: int
    max_iter: int
    n_iter_no_change: int
    tol: float
    shuffle_seed: int
    verbose: int = 0


@dataclass
class TrainingHistory:
    """What happened during training.

    Parameters
    ----------
    loss : list of float
        Mean training loss of each epoch (penalty included).
    val_loss : list of float
        Validation binary cross-entropy after each epoch; empty without a
        validation split.
    best_epoch : int
        Zero-based epoch whose weights were kept.
    """

    loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    best_epoch: int = 0


def train(model, forward, X, Y, schedule, validation=None):
    """Train ``model`` in place and keep the weights of its best epoch.

    The monitored loss is the validation loss when ``validation`` is given,
    else the training loss (as ``MLPClassifier`` does without early stopping).

    Parameters
    ----------
    model : keras.Model
        Network returning logits.
    forward : callable
        Inference function of ``model`` (see ``compile_forward``).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray or sparse matrix of shape (n_samples, n_labels)
    schedule : TrainingSchedule
    validation : tuple (X_val, Y_val) or None, default=None

    Returns
    -------
    history : TrainingHistory

    Raises
    ------
    ValueError
        If the loss becomes NaN or infinite.
    """
    step = _make_train_step(model, schedule.learning_rate, X.shape[1], Y.shape[1])
    rng = np.random.default_rng(schedule.shuffle_seed)
    history = TrainingHistory()
    best_loss, best_weights, stale_epochs = np.inf, model.get_weights(), 0
    for epoch in range(schedule.max_iter):
        history.loss.append(_run_epoch(step, X, Y, schedule.batch_size, rng))
        monitored = history.loss[-1]
        if validation is not None:
            X_val, Y_val = validation
            val_logits = batched_logits(forward, X_val)
            monitored = binary_crossentropy_numpy(_dense(Y_val), val_logits)
            history.val_loss.append(monitored)
        if not np.isfinite(monitored):
            raise ValueError(
                f"Training diverged: the loss became {monitored} at epoch "
                f"{epoch + 1}. Lower learning_rate or scale the features "
                "(e.g. StandardScaler in a Pipeline)."
            )
        if schedule.verbose:
            _report(epoch, history)
        if monitored < best_loss - schedule.tol:
            stale_epochs = 0
        else:
            stale_epochs += 1
        if monitored < best_loss:
            best_loss, best_weights = monitored, model.get_weights()
            history.best_epoch = epoch
        if stale_epochs >= schedule.n_iter_no_change:
            break
    model.set_weights(best_weights)
    return history


def _run_epoch(step, X, Y, batch_size, rng):
    """Run one pass over shuffled rows and return the mean batch loss.

    Parameters
    ----------
    step : callable
        ``step(X_batch, Y_batch) -> loss``.
    X, Y : array-like
    batch_size : int
    rng : numpy.random.Generator

    Returns
    -------
    loss : float
    """
    order = rng.permutation(X.shape[0])
    losses = []
    for start in range(0, len(order), batch_size):
        rows = np.sort(order[start : start + batch_size])
        losses.append(step(dense_rows(X, rows), dense_rows(Y, rows)))
    return float(np.mean([float(loss) for loss in losses]))


def _dense(Y):
    """Return ``Y`` as a dense float32 array.

    Parameters
    ----------
    Y : ndarray or sparse matrix

    Returns
    -------
    Y : ndarray
    """
    return dense_rows(Y, slice(None))


def _report(epoch, history):
    """Print one line about the finished epoch.

    Parameters
    ----------
    epoch : int
    history : TrainingHistory
    """
    line = f"Epoch {epoch + 1}, loss = {history.loss[-1]:.6f}"
    if history.val_loss:
        line += f", val_loss = {history.val_loss[-1]:.6f}"
    print(line, file=sys.stdout, flush=True)


def _make_train_step(model, learning_rate, n_features, n_labels):
    """Return a traced gradient step of Adam on binary cross-entropy.

    Parameters
    ----------
    model : keras.Model
    learning_rate : float
    n_features, n_labels : int

    Returns
    -------
    step : callable
        ``step(X_batch, Y_batch) -> loss`` (scalar tensor).
    """
    import keras
    import tensorflow as tf

    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    optimizer.build(model.trainable_variables)
    specs = [
        tf.TensorSpec((None, n_features), tf.float32),
        tf.TensorSpec((None, n_labels), tf.float32),
    ]

    @tf.function(input_signature=specs)
    def step(X_batch, Y_batch):
        with tf.GradientTape() as tape:
            logits = model(X_batch, training=True)
            loss = binary_crossentropy_from_logits(Y_batch, logits)
            if model.losses:
                loss = loss + tf.add_n(model.losses)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    return step
