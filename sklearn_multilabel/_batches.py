"""Row batches of dense or sparse inputs, densified one batch at a time."""

import numpy as np
import scipy.sparse as sp


def dense_rows(X, rows):
    """Return the given rows of ``X`` as a C-contiguous float32 array.

    A sparse ``X`` is densified only for these rows, so memory stays bounded
    by the batch size whatever the size of ``X``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    rows : slice or ndarray of int

    Returns
    -------
    batch : ndarray of shape (n_rows, n_features), float32
    """
    batch = X[rows]
    if sp.issparse(batch):
        batch = batch.toarray()
    return np.ascontiguousarray(batch, dtype=np.float32)


def batch_slices(n_samples, batch_size):
    """Yield consecutive slices covering ``range(n_samples)``.

    Parameters
    ----------
    n_samples : int
    batch_size : int

    Yields
    ------
    rows : slice
    """
    for start in range(0, n_samples, batch_size):
        yield slice(start, min(start + batch_size, n_samples))
