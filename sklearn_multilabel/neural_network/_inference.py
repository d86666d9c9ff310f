"""Forward passes of a trained network, batch by batch.

Outputs follow the precision of the features, as in ``MLPClassifier``:
float32 rows give float32 outputs (the fast path), anything else float64.
"""

import numpy as np
from scipy.special import expit

from sklearn_multilabel.neural_network._batches import (
    batch_slices,
    feature_rows,
    rows_per_batch,
    to_sparse_tensor,
)

PREDICT_BATCH_SIZE = 4096


class CompiledForward:
    """A network's Keras forward pass, traced once for any batch size.

    ``model.predict`` rebuilds its data pipeline on every call; a traced
    function with a free batch dimension is traced once.

    Parameters
    ----------
    model : keras.Model
    n_features : int
    sparse : bool, default=False
        Whether ``model`` was built for sparse inputs (TensorFlow backend):
        CSR batches then reach it as ``tf.SparseTensor``.

    Attributes
    ----------
    accepts_sparse : bool
        Whether CSR batches may be passed without densifying.
    """

    def __init__(self, model, n_features, sparse=False):
        import keras

        self.accepts_sparse = False
        if keras.backend.backend() != "tensorflow":
            self._call = lambda batch: keras.ops.convert_to_numpy(
                model(np.asarray(batch, dtype=np.float32), training=False)
            )
            return
        import tensorflow as tf

        spec = tf.SparseTensorSpec if sparse else tf.TensorSpec
        to_tensor = to_sparse_tensor if sparse else tf.constant

        @tf.function(
            input_signature=[spec(shape=(None, n_features), dtype=tf.float32)],
            reduce_retracing=True,
        )
        def traced(batch):
            return model(batch, training=False)

        self.accepts_sparse = sparse
        self._call = lambda batch: traced(
            to_tensor(batch.astype(np.float32, copy=False))
        ).numpy()

    def __call__(self, batch):
        """Return the float32 logits of one batch of dense or CSR rows."""
        return self._call(batch)


NUMPY_ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0, out=z),
    "tanh": lambda z: np.tanh(z, out=z),
    "sigmoid": lambda z: expit(z, out=z),
}


class NumpyForward:
    """A numpy forward pass of a default (dense-only) network.

    Calling a Keras model costs milliseconds per call; a numpy pass of the
    same weights costs microseconds. It computes in the batch's precision:
    float32 matches Keras' float32 kernels and runs at BLAS speed, float64
    gives each row the same logits in any batch (to rounding at 1e-16).
    Sparse rows are multiplied without densifying.

    Parameters
    ----------
    model : keras.Model
        Network made of Dense layers with activations from
        ``NUMPY_ACTIVATIONS``, each optionally followed by BatchNormalization
        (folded into it) and an Activation layer, and Dropout layers
        (identity at inference).
    layers : list of tuple (kernel, bias, activation), default=None
        ``model``'s float32 weights as ``dense_stack`` returns them, when
        the caller already holds them; kept as they are, not copied.
    """

    accepts_sparse = True

    def __init__(self, model, layers=None):
        from sklearn_multilabel.neural_network._network import dense_stack

        self._layers = {
            np.dtype(np.float32): [
                (kernel, bias, NUMPY_ACTIVATIONS[activation])
                for kernel, bias, activation in layers or dense_stack(model)
            ]
        }

    def _weights(self, dtype):
        """Return the layers in ``dtype``, converting them on first use."""
        if dtype not in self._layers:
            self._layers[dtype] = [
                (kernel.astype(dtype), bias.astype(dtype), activation)
                for kernel, bias, activation in self._layers[np.dtype(np.float32)]
            ]
        return self._layers[dtype]

    def __call__(self, batch):
        """Return the logits of one batch of dense or sparse rows.

        float32 for float32 rows, float64 otherwise; NaN on the rows where a
        hidden layer overflowed.
        """
        dtype = np.dtype(np.float32 if batch.dtype == np.float32 else np.float64)
        hidden = batch if batch.dtype == dtype else batch.astype(dtype)
        layers = self._weights(dtype)
        overflowed = None
        for index, (kernel, bias, activation) in enumerate(layers):
            hidden = np.asarray(hidden @ kernel)
            hidden += bias
            # A ReLU turns -inf into 0, hiding the overflow from the outputs:
            # such rows get NaN logits instead. One min() is the cheap test;
            # the rows are looked for only when it fails.
            last = index == len(layers) - 1
            if not last and hidden.size and not np.isfinite(hidden.min()):
                rows = ~np.isfinite(hidden).all(axis=1)
                overflowed = rows if overflowed is None else overflowed | rows
            hidden = activation(hidden)
        if overflowed is not None:
            hidden[overflowed] = np.nan
        return hidden


def output_dtype(X):
    """Precision of the outputs for features ``X``: float32 or float64.

    Parameters
    ----------
    X : ndarray or sparse matrix

    Returns
    -------
    dtype : numpy dtype
    """
    return np.float32 if X.dtype == np.float32 else np.float64


def batched_logits(forward, X, link=None, batch_size=PREDICT_BATCH_SIZE):
    """Compute the network's outputs for every row of ``X``, batch by batch.

    Parameters
    ----------
    forward : NumpyForward or CompiledForward
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Sparse input must be CSR (see ``as_row_major``).
    link : callable, default=None
        Applied in place to each batch of logits (e.g. :func:`sigmoid`), while
        the batch is still in cache.
    batch_size : int, default=4096
        Rows per batch; fewer when sparse rows must be densified.

    Returns
    -------
    outputs : ndarray of shape (n_samples, n_labels)
        float32 for float32 ``X``, float64 otherwise.
    """
    dtype = output_dtype(X)
    keep_sparse = forward.accepts_sparse
    outputs = None
    for rows in batch_slices(
        X.shape[0], rows_per_batch(X, batch_size, keep_sparse=keep_sparse)
    ):
        logits = forward(feature_rows(X, rows, keep_sparse=keep_sparse, dtype=dtype))
        if outputs is None:
            outputs = np.empty((X.shape[0], logits.shape[1]), dtype=dtype)
        outputs[rows] = logits
        if link is not None:
            link(outputs[rows])
    return outputs


def sigmoid(logits):
    """Map logits to probabilities in place, kept strictly inside (0, 1).

    Parameters
    ----------
    logits : ndarray
        float32 or float64; overwritten.

    Returns
    -------
    proba : ndarray
        ``logits``, now holding probabilities.
    """
    eps = np.finfo(logits.dtype).eps
    expit(logits, out=logits)
    return np.clip(logits, eps, 1.0 - eps, out=logits)
