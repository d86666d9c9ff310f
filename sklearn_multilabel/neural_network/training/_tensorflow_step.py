"""The TensorFlow training step: traced Adam updates, several batches a call."""

import numpy as np
import tensorflow as tf

from sklearn_multilabel.neural_network._batches import (
    DENSE_BATCH_BYTES,
    to_sparse_tensor,
)
from sklearn_multilabel.neural_network.training import _adam
from sklearn_multilabel.neural_network.training._row_blocks import (
    adam_in_row_blocks,
    penalties,
    row_updated_kernel,
)
from sklearn_multilabel.neural_network.training._train_step import (
    TrainStep,
    one_batch_per_call,
    penalised,
)

# Most batches one traced call updates on.
MAX_BATCHES_PER_CALL = 16


def make_train_step(
    model, loss, learning_rate, n_features, n_labels, sparse, batch_size, n_samples
):
    """Return traced Adam updates on ``loss`` plus the network's penalties.

    Sparse steps take one CSR batch per call; dense ones several batches per
    call when an epoch of ``n_samples`` rows has enough of them.
    """
    update = _adam_update(model, loss, learning_rate, sparse)
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
        return one_batch_per_call(
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


def _adam_update(model, loss, learning_rate, sparse):
    """Return the one-batch update ``update(X, Y, weight) -> loss`` to trace."""
    # Adam's state on plain tf.Variables rather than keras.optimizers.Adam: a
    # traced Adam.apply keeps ~2 MiB alive per fit (tensorflow/tensorflow#62854),
    # which grid searches of hundreds of fits would accumulate.
    shapes = [variable.shape for variable in model.trainable_variables]
    moments = [tf.Variable(tf.zeros(shape), trainable=False) for shape in shapes]
    velocities = [tf.Variable(tf.zeros(shape), trainable=False) for shape in shapes]
    iterations = tf.Variable(0.0, trainable=False)
    row_kernel = row_updated_kernel(model) if sparse else None

    def update(X_batch, Y_batch, weight_batch):
        with tf.GradientTape() as tape:
            logits = model(X_batch, training=True)
            value = penalised(
                loss(Y_batch, logits, weight_batch),
                model.losses if row_kernel is None else penalties(model, row_kernel),
            )
        gradients = tape.gradient(value, model.trainable_variables)
        iterations.assign_add(1.0)
        alpha = _adam.step_size(learning_rate, iterations)
        for variable, gradient, m, v in zip(
            model.trainable_variables, gradients, moments, velocities, strict=True
        ):
            if variable is row_kernel:
                adam_in_row_blocks(variable, gradient, m, v, alpha)
                continue
            # Other sparse first layers (custom networks) get their kernel
            # gradient as IndexedSlices too; Adam's moments decay on every
            # row, so the update is dense, as MLPClassifier's.
            m_new, v_new = _adam.moments(tf.convert_to_tensor(gradient), m, v)
            m.assign(m_new)
            v.assign(v_new)
            variable.assign_sub(_adam.weight_change(alpha, m_new, v_new))
        return value

    return update


def _traced_update(update, n_features, sparse, label_specs):
    """Trace a one-batch update; return it as a function of numpy or CSR batches."""
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
