"""Which training rows count in the statistics taken before training.

The bin edges and the input-noise scales are statistics of the training
rows; with ``sample_weight``, rows of weight 0 are left out of them and the
others count by their weight, as in scikit-learn's own preprocessing.
"""

import numpy as np


def positive_weight_rows(sample_weight, n_samples):
    """The rows that count in a statistic of the training rows, and their weights.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,) or None
    n_samples : int

    Returns
    -------
    rows : ndarray of int or None
        Rows of positive weight; None for every row (no weights, no row of
        weight 0, or no row of positive weight at all).
    weights : ndarray of float64 or None
        Their weights; None when they are all equal (an unweighted
        statistic of ``rows``).
    """
    if sample_weight is None:
        return None, None
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    rows = np.flatnonzero(sample_weight > 0)
    if len(rows) == 0:
        return None, None
    weights = sample_weight[rows]
    if np.all(weights == weights[0]):
        weights = None
    return (None if len(rows) == n_samples else rows), weights
