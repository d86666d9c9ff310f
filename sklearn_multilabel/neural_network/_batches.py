"""Row batches of dense or sparse inputs.

Sparse rows stay sparse for the networks that accept them; the others get
one batch densified at a time, sized so that a wide sparse matrix never
becomes a large dense block.
"""

import numpy as np
import scipy.sparse as sp

# Upper bound on the bytes of one densified batch of features.
DENSE_BATCH_BYTES = 32 * 2**20


def dense_rows(X, rows, dtype=np.float32):
    """Return the given rows of ``X`` as a C-contiguous dense array.

    A sparse ``X`` is densified only for these rows. Rows of a C-contiguous
    array of the right dtype are returned without a copy when ``rows`` is a
    slice.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    rows : slice or ndarray of int
    dtype : numpy dtype, default=np.float32

    Returns
    -------
    batch : ndarray of shape (n_rows, n_features)
    """
    batch = X[rows]
    if sp.issparse(batch):
        batch = batch.toarray()
    return np.ascontiguousarray(batch, dtype=dtype)


def sparse_rows(X, rows, dtype=np.float32):
    """Return the given rows of a CSR matrix in canonical CSR form.

    Canonical means sorted column indices and no duplicates, which is the
    row-major order TensorFlow's sparse tensors require.

    Parameters
    ----------
    X : sparse matrix or array of shape (n_samples, n_features), CSR
    rows : slice or ndarray of int
    dtype : numpy dtype, default=np.float32

    Returns
    -------
    batch : scipy.sparse.csr_matrix of shape (n_rows, n_features)
    """
    batch = sp.csr_matrix(X[rows], dtype=dtype, copy=False)
    if not batch.has_canonical_format:
        batch = batch.copy()
        batch.sum_duplicates()
    return batch


def feature_rows(X, rows, *, keep_sparse, dtype=np.float32):
    """Return rows of ``X`` sparse when allowed and possible, else dense.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    rows : slice or ndarray of int
    keep_sparse : bool
        Whether the consumer multiplies sparse rows without densifying.
    dtype : numpy dtype, default=np.float32

    Returns
    -------
    batch : ndarray or scipy.sparse.csr_matrix
    """
    if keep_sparse and sp.issparse(X):
        return sparse_rows(X, rows, dtype)
    return dense_rows(X, rows, dtype)


def rows_per_batch(X, batch_size, *, keep_sparse):
    """Cap ``batch_size`` so that one densified batch stays small.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    batch_size : int
    keep_sparse : bool
        Whether sparse rows reach the consumer as they are.

    Returns
    -------
    batch_size : int
    """
    if keep_sparse or not sp.issparse(X):
        return batch_size
    return int(np.clip(DENSE_BATCH_BYTES // (4 * max(X.shape[1], 1)), 1, batch_size))


def as_row_major(X):
    """Return ``X`` as CSR when it is sparse, so row batches are cheap slices.

    Parameters
    ----------
    X : ndarray or sparse matrix

    Returns
    -------
    X : ndarray or CSR sparse matrix
    """
    if sp.issparse(X) and X.format != "csr":
        return X.tocsr()
    return X


def batch_slices(n_samples, batch_size):
    """Yield consecutive slices of ``batch_size`` rows covering ``range(n_samples)``."""
    for start in range(0, n_samples, batch_size):
        yield slice(start, min(start + batch_size, n_samples))


def to_sparse_tensor(batch):
    """Convert a canonical CSR batch to a ``tf.SparseTensor``.

    Parameters
    ----------
    batch : scipy.sparse.csr_matrix
        As returned by :func:`sparse_rows`.

    Returns
    -------
    tensor : tf.SparseTensor
    """
    import tensorflow as tf

    rows = np.repeat(np.arange(batch.shape[0], dtype=np.int64), np.diff(batch.indptr))
    indices = np.column_stack([rows, batch.indices.astype(np.int64)])
    return tf.SparseTensor(indices, batch.data, batch.shape)
