"""The epoch loop: seeded shuffling, early stopping, divergence checks."""

import gc
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from sklearn_multilabel.neural_network._batches import (
    DENSE_BATCH_BYTES,
    dense_rows,
    feature_rows,
    to_sparse_tensor,
)
from sklearn_multilabel.neural_network._inference import batched_logits
from sklearn_multilabel.neural_network._input_noise import BatchNoise, noise_scales
from sklearn_multilabel.neural_network._losses import loss_numpy, make_loss
from sklearn_multilabel.neural_network.training._row_blocks import (
    adam_in_row_blocks,
    penalties,
    row_updated_kernel,
)

# Most batches one traced call updates on (see TrainStep).
MAX_BATCHES_PER_CALL = 16

# Weights from which a network's leftovers are collected at once (16 MB of
# float32 weights, four times that of training state).
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
        0 is silent; 1 prints one line per epoch.
    input_noise : float, default=0.0
        Standard deviation of the Gaussian noise added to each feature of
        every training batch, in units of that feature's standard deviation
        over the training rows. Dense rows only.
    """

    learning_rate: float
    batch_size: int
    max_iter: int
    n_iter_no_change: int
    tol: float
    shuffle_seed: int
    verbose: int = 0
    input_noise: float = 0.0


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


@dataclass
class TrainStep:
    """Adam updates on consecutive batches of rows.

    Parameters
    ----------
    run : callable
        ``run(X_rows, Y_rows, weights) -> losses``: one update per batch of
        ``batch_size`` consecutive rows, returning each batch's loss.
    batches_per_call : int, default=1
        How many batches ``run`` should receive at once: one traced call for
        several batches saves TensorFlow's per-call cost (about a tenth of a
        millisecond, a large share of a small batch's update).
    """

    run: object
    batches_per_call: int = 1


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


def train(model, forward, data, schedule, objective, validation=None, bins=None):
    """Train ``model`` in place and keep the weights of its best epoch.

    The monitored loss is the validation loss when ``validation`` is given,
    else the training loss (as ``MLPClassifier`` does without early stopping).
    A ``KeyboardInterrupt`` after the first epoch ends training with a
    warning and the best weights so far; during the first, it propagates.

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
    best_loss, best_weights, stale_epochs = np.inf, _copy_of_weights(model), 0
    for epoch in range(schedule.max_iter):
        try:
            history.loss.append(
                _run_epoch(
                    step,
                    data,
                    schedule.batch_size,
                    rng,
                    forward.accepts_sparse,
                    noise,
                    bins,
                )
            )
        except KeyboardInterrupt:
            if epoch == 0:
                raise
            warnings.warn(
                f"Training interrupted during epoch {epoch + 1}; keeping the "
                f"weights of epoch {history.best_epoch + 1}, the best so far.",
                UserWarning,
                stacklevel=3,
            )
            break
        monitored = history.loss[-1]
        if validation is not None:
            monitored = _validation_loss(forward, validation, objective)
            history.val_loss.append(monitored)
        if not np.isfinite(monitored):
            raise ValueError(
                f"Training diverged: the loss became {monitored} at epoch "
                f"{epoch + 1}. Lower learning_rate or scale the features "
                "(e.g. StandardScaler in a Pipeline)."
            )
        if schedule.verbose:
            _report(epoch, history)
        stale_epochs = 0 if monitored < best_loss - schedule.tol else stale_epochs + 1
        if monitored < best_loss:
            best_loss = monitored
            _assign(best_weights, model.weights)
            history.best_epoch = epoch
        if stale_epochs >= schedule.n_iter_no_change:
            break
    _assign(model.weights, best_weights)
    return history


def collect_if_large(n_parameters):
    """Free now what a large network left in reference cycles.

    Once ``train`` returns, its traced step, optimizer moments and
    best-epoch copy (and, once merged, a fold network) sit in reference
    cycles that only Python's cyclic collector frees, at a moment of its
    choosing. For a large network (the first layer of a 50,000-term
    vocabulary is 98 MiB, its training state four times that) the next fit
    or fold would allocate beside them; a collection, about 0.2 s with
    TensorFlow loaded, is cheap at that size. Callers collect once they
    have dropped what they no longer need.

    Parameters
    ----------
    n_parameters : int
        Weights of the network just trained or merged.
    """
    if n_parameters >= LARGE_NETWORK_PARAMETERS:
        gc.collect()


def _copy_of_weights(model):
    """Return a copy of the network's weights, as variables of its backend.

    Unlike ``get_weights`` (new numpy arrays at every improvement), the copy
    is refreshed in place, in memory TensorFlow reuses for its tensors.

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    copies : list of keras.Variable
    """
    import keras

    # Built empty, then assigned: a variable made from another variable's
    # value would be that same variable on TensorFlow.
    copies = [
        keras.Variable(
            keras.initializers.Zeros(),
            shape=weight.shape,
            dtype=weight.dtype,
            trainable=False,
        )
        for weight in model.weights
    ]
    _assign(copies, model.weights)
    return copies


def _assign(targets, sources):
    """Give each variable of ``targets`` the value of its ``sources`` twin."""
    for target, source in zip(targets, sources, strict=True):
        target.assign(source.value)


def _validation_loss(forward, validation, objective):
    """Return the loss of the current network on held-out rows.

    Parameters
    ----------
    forward : callable
    validation : tuple (X_val, Y_val, sample_weight_val)
    objective : Objective

    Returns
    -------
    loss : float
    """
    X_val, Y_val, weight = validation
    logits = batched_logits(forward, X_val)
    return objective.numpy_loss(dense_rows(Y_val, slice(None)), logits, weight)


def _batch_noise(X, schedule, bins=None, sample_weight=None):
    """Return the noise added to training batches, or None without noise.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Dense whenever ``schedule.input_noise`` is positive (the estimator
        refuses noise on sparse rows).
    schedule : TrainingSchedule
    bins : PiecewiseLinearBins or None, default=None
        The noise is added to the encoded rows, scaled to their spread.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the rows in that spread.

    Returns
    -------
    noise : BatchNoise or None
    """
    if schedule.input_noise == 0:
        return None
    scales = noise_scales(X, schedule.input_noise, bins, sample_weight)
    return BatchNoise(scales, schedule.shuffle_seed)


def _run_epoch(step, data, batch_size, rng, keep_sparse, noise=None, bins=None):
    """Run one pass over shuffled rows and return the mean batch loss.

    Parameters
    ----------
    step : TrainStep
    data : tuple (X, Y, sample_weight)
    batch_size : int
    rng : numpy.random.Generator
    keep_sparse : bool
        Whether ``step`` takes CSR rows of a sparse ``X``.
    noise : BatchNoise or None, default=None
        Added to the dense feature rows of every batch.
    bins : PiecewiseLinearBins or None, default=None
        Encodes the dense feature rows of every batch (before the noise).

    Returns
    -------
    loss : float
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
    """Return the float32 weights of a batch, ones when unweighted.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,) or None
    rows : ndarray of int

    Returns
    -------
    weight : ndarray of shape (len(rows),)
    """
    if sample_weight is None:
        return np.ones(len(rows), dtype=np.float32)
    return np.asarray(sample_weight[rows], dtype=np.float32)


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


def _make_train_step(
    model, loss, learning_rate, n_features, n_labels, sparse, batch_size, n_samples
):
    """Return traced Adam updates on ``loss`` plus the network's penalties.

    Parameters
    ----------
    model : keras.Model
    loss : callable
        ``loss(Y, logits, sample_weight) -> scalar tensor``.
    learning_rate : float
    n_features, n_labels : int
    sparse : bool
        Whether the step takes CSR feature batches (``model`` built for
        sparse inputs), one batch per call.
    batch_size : int
        Rows per update.
    n_samples : int
        Rows per epoch.

    Returns
    -------
    step : TrainStep
    """
    import tensorflow as tf

    # Adam written out on plain tf.Variables, with Keras' defaults and update
    # order: a traced keras.optimizers.Adam.apply keeps ~2 MiB alive per fit
    # (tensorflow/tensorflow#62854), which grid searches of hundreds of fits
    # would accumulate.
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    shapes = [variable.shape for variable in model.trainable_variables]
    moments = [tf.Variable(tf.zeros(shape), trainable=False) for shape in shapes]
    velocities = [tf.Variable(tf.zeros(shape), trainable=False) for shape in shapes]
    iterations = tf.Variable(0.0, trainable=False)

    row_kernel = row_updated_kernel(model) if sparse else None

    def update(X_batch, Y_batch, weight_batch):
        with tf.GradientTape() as tape:
            logits = model(X_batch, training=True)
            value = _penalised(
                loss(Y_batch, logits, weight_batch),
                model.losses if row_kernel is None else penalties(model, row_kernel),
            )
        gradients = tape.gradient(value, model.trainable_variables)
        iterations.assign_add(1.0)
        alpha = (
            learning_rate
            * tf.sqrt(1.0 - tf.pow(beta_2, iterations))
            / (1.0 - tf.pow(beta_1, iterations))
        )
        for variable, gradient, m, v in zip(
            model.trainable_variables, gradients, moments, velocities, strict=True
        ):
            if variable is row_kernel:
                adam_in_row_blocks(
                    variable, gradient, m, v, alpha, (beta_1, beta_2, epsilon)
                )
                continue
            # Other sparse first layers (custom networks) get their kernel
            # gradient as IndexedSlices too; Adam's moments decay on every
            # row, so the update is dense, as MLPClassifier's.
            gradient = tf.convert_to_tensor(gradient)
            m.assign_add((gradient - m) * (1.0 - beta_1))
            v.assign_add((tf.square(gradient) - v) * (1.0 - beta_2))
            variable.assign_sub(alpha * m / (tf.sqrt(v) + epsilon))
        return value

    label_specs = [
        tf.TensorSpec((None, n_labels), tf.float32),
        tf.TensorSpec((None,), tf.float32),
    ]
    batch_bytes = 4 * batch_size * max(n_features, 1)
    batches_per_call = int(
        np.clip(DENSE_BATCH_BYTES // batch_bytes, 1, MAX_BATCHES_PER_CALL)
    )
    # Tracing the loop over batches costs tens of milliseconds per fit: worth
    # it only when an epoch has several calls' worth of batches.
    if sparse or n_samples < 2 * batches_per_call * batch_size:
        return _one_batch_per_call(
            _traced_update(update, n_features, sparse, label_specs)
        )

    feature_spec = tf.TensorSpec((None, n_features), tf.float32)

    @tf.function(input_signature=[feature_spec, *label_specs])
    def several_batches(X_rows, Y_rows, weights):
        n_rows = tf.shape(X_rows)[0]
        n_batches = (n_rows + batch_size - 1) // batch_size
        losses = tf.TensorArray(tf.float32, size=n_batches)
        for index in tf.range(n_batches):
            start = index * batch_size
            end = tf.minimum(start + batch_size, n_rows)
            losses = losses.write(
                index,
                update(X_rows[start:end], Y_rows[start:end], weights[start:end]),
            )
        return losses.stack()

    concrete = several_batches.get_concrete_function()

    def run(X_rows, Y_rows, weights):
        return concrete(
            tf.constant(X_rows), tf.constant(Y_rows), tf.constant(weights)
        ).numpy()

    return TrainStep(run, batches_per_call)


def _traced_update(update, n_features, sparse, label_specs):
    """Trace a one-batch update; return a function of numpy or CSR batches.

    Parameters
    ----------
    update : callable
        ``update(X_batch, Y_batch, weight_batch) -> loss`` on tensors.
    n_features : int
    sparse : bool
        Whether feature batches are CSR matrices.
    label_specs : list of tf.TensorSpec
        Specs of the target and weight batches.

    Returns
    -------
    step : callable
        ``step(X_batch, Y_batch, weight_batch) -> loss``.
    """
    import tensorflow as tf

    spec = tf.SparseTensorSpec if sparse else tf.TensorSpec
    to_features = to_sparse_tensor if sparse else tf.constant
    # Calling the concrete function skips the signature binding of each call.
    traced = tf.function(
        update, input_signature=[spec((None, n_features), tf.float32), *label_specs]
    ).get_concrete_function()

    def step(X_batch, Y_batch, weight_batch):
        return traced(
            to_features(X_batch), tf.constant(Y_batch), tf.constant(weight_batch)
        )

    return step


def make_backend_train_step(
    model,
    loss,
    learning_rate,
    n_features,
    n_labels,
    sparse=False,
    batch_size=32,
    n_samples=0,
):
    """Return an Adam step for the Keras backend in use.

    TensorFlow, the default backend, gets a traced ``tf.function``; JAX and
    PyTorch get steps of their own, with the same loss, penalties and Adam
    update, so that a fit gives the same network on every backend up to
    float32 rounding.

    Parameters
    ----------
    model : keras.Model
    loss : callable
        ``loss(Y, logits, sample_weight) -> scalar tensor``.
    learning_rate : float
    n_features, n_labels : int
    sparse : bool, default=False
        Whether feature batches are CSR matrices (TensorFlow only).
    batch_size : int, default=32
        Rows per update.
    n_samples : int, default=0
        Rows per epoch; TensorFlow updates on several batches per call when
        an epoch has enough of them.

    Returns
    -------
    step : TrainStep

    Raises
    ------
    ValueError
        If the backend cannot compute gradients (``numpy``, ``openvino``).
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _make_train_step(
            model,
            loss,
            learning_rate,
            n_features,
            n_labels,
            sparse,
            batch_size,
            n_samples,
        )
    if backend == "jax":
        return _one_batch_per_call(_make_jax_train_step(model, loss, learning_rate))
    if backend == "torch":
        return _one_batch_per_call(_make_torch_train_step(model, loss, learning_rate))
    raise ValueError(
        f"The Keras backend {backend!r} cannot train networks (it has no "
        "gradients). Set the environment variable KERAS_BACKEND to "
        "'tensorflow', 'jax' or 'torch' before Keras is first imported."
    )


def _one_batch_per_call(step):
    """Wrap a one-batch update function as a ``TrainStep``.

    Parameters
    ----------
    step : callable
        ``step(X_batch, Y_batch, weight_batch) -> loss``.

    Returns
    -------
    step : TrainStep
    """
    return TrainStep(lambda X_rows, Y_rows, weights: [step(X_rows, Y_rows, weights)])


def _penalised(loss_value, losses):
    """Add the network's penalties (e.g. L2 of the kernels) to the loss.

    Parameters
    ----------
    loss_value : scalar tensor
    losses : list of scalar tensors

    Returns
    -------
    total : scalar tensor
    """
    from keras import ops

    if not losses:
        return loss_value
    return loss_value + ops.sum(ops.stack(losses))


def _make_jax_train_step(model, loss, learning_rate):
    """Return a jitted Adam step for the JAX backend.

    JAX has no gradient tape: the step differentiates a pure function of the
    variables' values (``stateless_call``), then writes the new values back,
    so that ``model.get_weights`` and the forward pass see every update.

    Parameters
    ----------
    model : keras.Model
    loss : callable
        ``loss(Y, logits, sample_weight) -> scalar tensor``.
    learning_rate : float

    Returns
    -------
    step : callable
        ``step(X_batch, Y_batch, weight_batch) -> loss`` (scalar array).
    """
    import jax
    import keras

    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    optimizer.build(model.trainable_variables)
    variable_groups = (
        model.trainable_variables,
        model.non_trainable_variables,
        optimizer.variables,
    )

    def penalised_loss(trainable, non_trainable, X_batch, Y_batch, weight_batch):
        logits, non_trainable, losses = model.stateless_call(
            trainable, non_trainable, X_batch, training=True, return_losses=True
        )
        value = _penalised(loss(Y_batch, logits, weight_batch), losses)
        return value, non_trainable

    loss_and_gradients = jax.value_and_grad(penalised_loss, has_aux=True)

    @jax.jit
    def update(state, X_batch, Y_batch, weight_batch):
        trainable, non_trainable, optimizer_state = state
        (value, non_trainable), gradients = loss_and_gradients(
            trainable, non_trainable, X_batch, Y_batch, weight_batch
        )
        trainable, optimizer_state = optimizer.stateless_apply(
            optimizer_state, gradients, trainable
        )
        return value, (trainable, non_trainable, optimizer_state)

    def step(X_batch, Y_batch, weight_batch):
        state = tuple([v.value for v in group] for group in variable_groups)
        value, state = update(state, X_batch, Y_batch, weight_batch)
        for group, values in zip(variable_groups, state, strict=True):
            for variable, new_value in zip(group, values, strict=True):
                variable.assign(new_value)
        return value

    return step


def _make_torch_train_step(model, loss, learning_rate):
    """Return an eager Adam step for the PyTorch backend.

    Parameters
    ----------
    model : keras.Model
    loss : callable
        ``loss(Y, logits, sample_weight) -> scalar tensor``.
    learning_rate : float

    Returns
    -------
    step : callable
        ``step(X_batch, Y_batch, weight_batch) -> loss`` (scalar tensor).
    """
    import keras
    import torch

    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    optimizer.build(model.trainable_variables)

    def step(X_batch, Y_batch, weight_batch):
        X_batch, Y_batch, weight_batch = (
            keras.ops.convert_to_tensor(part)
            for part in (X_batch, Y_batch, weight_batch)
        )
        model.zero_grad()
        logits = model(X_batch, training=True)
        value = _penalised(loss(Y_batch, logits, weight_batch), model.losses)
        value.backward()
        gradients = [variable.value.grad for variable in model.trainable_variables]
        with torch.no_grad():
            optimizer.apply(gradients, model.trainable_variables)
        return value.detach()

    return step
