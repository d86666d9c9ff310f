"""Forward passes of a trained network, batch by batch."""

import numpy as np
from scipy.special import expit

from sklearn_multilabel._batches import batch_slices, dense_rows

PREDICT_BATCH_SIZE = 4096


def compile_forward(model, n_features):
    """Return a function mapping a float32 batch to float32 logits.

    ``model.predict`` rebuilds its data pipeline on every call (about 90 ms for
    one row); a traced function with a free batch dimension is traced once.

    Parameters
    ----------
    model : keras.Model
    n_features : int

    Returns
    -------
    forward : callable
        ``forward(batch) -> ndarray`` of shape (n_rows, n_labels).
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return lambda batch: keras.ops.convert_to_numpy(model(batch, training=False))
    import tensorflow as tf

    spec = tf.TensorSpec(shape=(None, n_features), dtype=tf.float32)

    @tf.function(input_signature=[spec], reduce_retracing=True)
    def traced(batch):
        return model(batch, training=False)

    return lambda batch: traced(batch).numpy()


NUMPY_ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": expit,
}


def numpy_forward(model):
    """Return a float64 numpy forward pass of a default (dense-only) network.

    Calling a Keras model costs milliseconds per call and its float32 kernels
    give slightly different results for a row depending on the batch it
    arrives in; a float64 numpy pass of the same weights costs microseconds
    and gives each row the same logits in any batch.

    Parameters
    ----------
    model : keras.Model
        Network made of Dense layers with activations from
        ``NUMPY_ACTIVATIONS``, and Dropout layers (identity at inference).

    Returns
    -------
    forward : callable
        ``forward(batch) -> ndarray`` of float64 logits.
    """
    from keras import ops

    layers = [
        (
            ops.convert_to_numpy(layer.kernel).astype(np.float64),
            ops.convert_to_numpy(layer.bias).astype(np.float64),
            NUMPY_ACTIVATIONS[layer.activation.__name__],
        )
        for layer in model.layers
        if hasattr(layer, "kernel")
    ]

    def forward(batch):
        hidden = np.asarray(batch, dtype=np.float64)
        for kernel, bias, activation in layers:
            hidden = activation(hidden @ kernel + bias)
        return hidden

    return forward


def batched_logits(forward, X, batch_size=PREDICT_BATCH_SIZE):
    """Compute float64 logits for every row of ``X``.

    Parameters
    ----------
    forward : callable
        As returned by :func:`compile_forward`.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    batch_size : int, default=4096

    Returns
    -------
    logits : ndarray of shape (n_samples, n_labels), float64
    """
    chunks = [
        forward(dense_rows(X, rows)) for rows in batch_slices(X.shape[0], batch_size)
    ]
    return np.concatenate(chunks).astype(np.float64)
