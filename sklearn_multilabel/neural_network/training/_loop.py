"""The epoch loop: seeded shuffling, batches, validation, then the callbacks."""

import gc
from dataclasses import dataclass, field

import numpy as np

from sklearn_multilabel.neural_network._batches import dense_rows, feature_rows
from sklearn_multilabel.neural_network._inference import batched_logits
from sklearn_multilabel.neural_network._input_noise import BatchNoise, noise_scales
from sklearn_multilabel.neural_network._losses import loss_numpy, make_loss
from sklearn_multilabel.neural_network.training._callbacks import default_callbacks
from sklearn_multilabel.neural_network.training._train_step import (
    make_backend_train_step,
)

# Weights from which a network's leftovers are collected at once (16 MB of
# float32 weights, four times that of training state). Measured on a
# three-fold default fit of 6,000 x 50,000 sparse rows: peak extra RSS 835 MiB
# with the collections, 1,103 MiB without.
LARGE_NETWORK_PARAMETERS = 4_000_000


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
        Seed of the per-epoch row permutations (and of the input noise).
    verbose : int
        0 is silent; 1 prints one line per epoch; 2 shows a tqdm bar when
        tqdm is installed (else lines).
    input_noise : float, default=0.0
        Standard deviation of the Gaussian noise added to each feature of
        every training batch, in units of that feature's standard deviation
        over the training rows. Dense rows only.
    keep_best_on_interrupt : bool, default=True
        Whether a ``KeyboardInterrupt`` after the first epoch ends training
        with the best weights so far; False lets it propagate (the network
        is one of several, and the whole fit stops).
    """

    learning_rate: float
    batch_size: int
    max_iter: int
    n_iter_no_change: int
    tol: float
    shuffle_seed: int
    verbose: int = 0
    input_noise: float = 0.0
    keep_best_on_interrupt: bool = True


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
    stopped : bool
        Whether training ended before ``max_iter`` epochs (a callback such
        as early stopping, or Ctrl-C, ended it).
    """

    loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    best_epoch: int = 0
    stopped: bool = False


@dataclass
class Objective:
    """The loss, in its two forms.

    Parameters
    ----------
    keras_loss : callable
        ``keras_loss(Y, logits, sample_weight) -> scalar tensor``, minimised.
    numpy_loss : callable
        ``numpy_loss(Y, logits, sample_weight) -> float``, the same formula,
        used to monitor held-out rows.
    """

    keras_loss: object
    numpy_loss: object


def make_objective(loss, **params):
    """Return a loss and its numpy twin, with the same parameters.

    Parameters
    ----------
    loss : str
        One of ``LOSSES``.
    **params : dict
        Keyword arguments of ``make_loss`` (``pos_weight``, ``gamma``, ...).

    Returns
    -------
    objective : Objective
    """

    def numpy_loss(Y, logits, weight):
        return loss_numpy(loss, Y, logits, sample_weight=weight, **params)

    return Objective(keras_loss=make_loss(loss, **params), numpy_loss=numpy_loss)


def train(
    model,
    forward,
    data,
    schedule,
    objective,
    validation=None,
    bins=None,
    callbacks=None,
    title=None,
):
    """Train ``model`` in place and keep the weights of its best epoch.

    The monitored loss is the validation loss when ``validation`` is given,
    else the training loss (as ``MLPClassifier`` does without early stopping).
    A ``KeyboardInterrupt`` after the first epoch ends training with a
    warning and the best weights so far (unless the schedule says otherwise);
    during the first, it propagates.

    Parameters
    ----------
    model : keras.Model
        Network returning logits.
    forward : CompiledForward
        Inference function of ``model``. When it accepts sparse rows, so do
        the training steps: CSR batches are never densified.
    data : tuple (X, Y, sample_weight)
        Training rows; ``sample_weight`` of shape (n_samples,) or None.
        Sparse ``X`` must be CSR.
    schedule : TrainingSchedule
    objective : Objective
    validation : tuple (X_val, Y_val, sample_weight_val) or None, default=None
    bins : PiecewiseLinearBins or None, default=None
        Encodes each batch of dense rows before the step (``model`` takes the
        encoded rows; ``forward`` takes raw rows and encodes them itself).
    callbacks : list of Callback, default=None
        Called after the schedule's own (divergence check, epoch report,
        best weights, early stopping, interrupt handling), in order.
    title : str, default=None
        What the progress output (``schedule.verbose``) calls this network.

    Returns
    -------
    history : TrainingHistory

    Raises
    ------
    ValueError
        If the loss becomes NaN or infinite.
    """
    X, Y, sample_weight = data
    step = make_backend_train_step(
        model,
        objective.keras_loss,
        schedule.learning_rate,
        X.shape[1] if bins is None else bins.n_outputs,
        Y.shape[1],
        sparse=forward.accepts_sparse,
        batch_size=schedule.batch_size,
        n_samples=X.shape[0],
    )
    rng = np.random.default_rng(schedule.shuffle_seed)
    noise = _batch_noise(X, schedule, bins, sample_weight)
    history = TrainingHistory()
    callbacks = [*default_callbacks(schedule, title), *(callbacks or [])]
    for callback in callbacks:
        callback.on_train_begin(model, history)
    for epoch in range(schedule.max_iter):
        try:
            loss = _run_epoch(
                step,
                data,
                schedule.batch_size,
                rng,
                forward.accepts_sparse,
                noise,
                bins,
            )
        except KeyboardInterrupt:
            handled = False
            for callback in callbacks:
                handled = callback.on_interrupt(epoch, history) or handled
            if not handled:
                raise
            history.stopped = True
            break
        history.loss.append(loss)
        if validation is not None:
            history.val_loss.append(_validation_loss(forward, validation, objective))
        stop = False
        for callback in callbacks:
            stop = callback.on_epoch_end(epoch, history) or stop
        if stop:
            history.stopped = True
            break
    for callback in callbacks:
        callback.on_train_end(model, history)
    return history


def collect_if_large(n_parameters):
    """Free now what a large network left in reference cycles.

    Once ``train`` returns, its traced step, Adam's moments and the
    best-epoch copy (and, once merged, a fold network) sit in reference
    cycles that only Python's cyclic collector frees, at a moment of its
    choosing, so the next fit or fold of a large network would allocate
    beside them. Callers collect once they have dropped what they no longer
    need; ``n_parameters`` is the size of the network just trained or merged.
    """
    if n_parameters >= LARGE_NETWORK_PARAMETERS:
        gc.collect()


def _validation_loss(forward, validation, objective):
    """Return the loss of the current network on held-out ``(X, Y, weight)``."""
    X_val, Y_val, weight = validation
    logits = batched_logits(forward, X_val)
    return objective.numpy_loss(dense_rows(Y_val, slice(None)), logits, weight)


def _batch_noise(X, schedule, bins=None, sample_weight=None):
    """Return the noise added to training batches (of dense rows), or None.

    With ``bins`` the noise is scaled to the spread of the encoded rows.
    """
    if schedule.input_noise == 0:
        return None
    scales = noise_scales(X, schedule.input_noise, bins, sample_weight)
    return BatchNoise(scales, schedule.shuffle_seed)


def _run_epoch(step, data, batch_size, rng, keep_sparse, noise=None, bins=None):
    """Run one pass over rows shuffled by ``rng``; return the mean batch loss.

    ``bins`` encodes, then ``noise`` perturbs, the dense rows of every batch.
    """
    X, Y, sample_weight = data
    order = rng.permutation(X.shape[0])
    batches = [
        np.sort(order[start : start + batch_size])
        for start in range(0, len(order), batch_size)
    ]
    calls = [
        np.concatenate(batches[first : first + step.batches_per_call])
        for first in range(0, len(batches), step.batches_per_call)
    ]
    noises = None if noise is None else noise.epoch([len(rows) for rows in calls])
    losses = []
    for rows in calls:
        X_rows = feature_rows(X, rows, keep_sparse=keep_sparse)
        if bins is not None:
            X_rows = bins.transform(X_rows)
        if noises is not None:
            noisy = next(noises)
            noisy += X_rows
            X_rows = noisy
        losses.extend(
            step.run(
                X_rows,
                dense_rows(Y, rows),
                _batch_weight(sample_weight, rows),
            )
        )
    if noises is not None:
        noises.close()  # stops its drawing thread now
    return float(np.mean([float(loss) for loss in losses]))


def _batch_weight(sample_weight, rows):
    """Return the float32 weights of a batch, ones when unweighted."""
    if sample_weight is None:
        return np.ones(len(rows), dtype=np.float32)
    return np.asarray(sample_weight[rows], dtype=np.float32)
