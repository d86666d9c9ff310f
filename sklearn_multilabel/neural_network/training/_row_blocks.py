"""Adam on the kernel of a sparse first layer, one block of rows at a time.

A CSR batch touches few of the kernel's rows, so TensorFlow hands that
kernel's gradient over as ``IndexedSlices``. Densifying it, adding the L2
penalty's gradient and running Adam's element-wise update on the whole
kernel would hold several kernel-sized temporaries at once (a 50,000 x 128
kernel is 24.5 MiB each). Here the same update runs on blocks of about a
MiB: every row still gets Adam's dense update (moments decay on untouched
rows, as in ``MLPClassifier``), with the same float32 operations.
"""

from sklearn_multilabel.neural_network.training import _adam

# Bytes of one block of kernel rows (float32): about a MiB stays in cache.
BLOCK_BYTES = 2**20


def row_updated_kernel(model):
    """Return the kernel to update in row blocks, or None.

    That is the first kernel of a default network built for sparse rows,
    when its penalty is an L2 one (or none), whose gradient is added here.

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    kernel : keras.Variable or None
    """
    import keras

    from sklearn_multilabel.neural_network._network import (
        DEFAULT_NETWORK_NAME,
        takes_sparse_input,
    )

    if model.name != DEFAULT_NETWORK_NAME or not takes_sparse_input(model):
        return None
    kernel = model.trainable_variables[0]
    if kernel.regularizer is None or type(kernel.regularizer) is keras.regularizers.L2:
        return kernel
    return None


def penalties(model, kernel):
    """Return the network's L2 penalties, the kernel's without a gradient.

    The order and values are those of ``model.losses`` for a default
    network; the kernel's gradient from its penalty is added block by block
    by ``adam_in_row_blocks`` instead of densifying the data gradient.

    Parameters
    ----------
    model : keras.Model
        A default network.
    kernel : keras.Variable
        From ``row_updated_kernel(model)``.

    Returns
    -------
    penalties : list of scalar tensors
    """
    import tensorflow as tf

    values = []
    for variable in model.trainable_variables:
        if variable.regularizer is None:
            continue
        value = variable.regularizer(variable)
        values.append(tf.stop_gradient(value) if variable is kernel else value)
    return values


def adam_in_row_blocks(kernel, gradient, m, v, alpha):
    """Apply one Adam update to ``kernel`` block by block (traced code).

    Every row gets ``_adam``'s update from the data gradient plus the L2
    gradient ``l2 * (2 * w)``. ``gradient`` is the data loss's
    ``tf.IndexedSlices`` (indices may repeat), ``m`` and ``v`` the kernel's
    moments, ``alpha`` the bias-corrected step size.
    """
    import tensorflow as tf

    weights = kernel.value
    n_rows, width = kernel.shape
    l2 = kernel.regularizer.l2 if kernel.regularizer is not None else 0.0
    block = max(1, BLOCK_BYTES // (4 * width))
    order = tf.argsort(gradient.indices, stable=True)
    indices = tf.cast(tf.gather(gradient.indices, order), tf.int32)
    values = tf.gather(gradient.values, order)
    for first in tf.range(0, n_rows, block):
        last = tf.minimum(first + block, n_rows)
        rows = tf.range(first, last)
        bounds = tf.searchsorted(indices, tf.stack([first, last]))
        g = tf.math.unsorted_segment_sum(
            values[bounds[0] : bounds[1]],
            indices[bounds[0] : bounds[1]] - first,
            last - first,
        )
        w_block = weights.sparse_read(rows)
        if l2:
            g = g + l2 * (w_block * 2.0)
        m_block, v_block = _adam.moments(g, m.sparse_read(rows), v.sparse_read(rows))
        w_block = w_block - _adam.weight_change(alpha, m_block, v_block)
        m.scatter_update(tf.IndexedSlices(m_block, rows))
        v.scatter_update(tf.IndexedSlices(v_block, rows))
        weights.scatter_update(tf.IndexedSlices(w_block, rows))
