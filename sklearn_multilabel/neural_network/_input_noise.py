"""Gaussian noise added to the features of training batches."""

from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sklearn_multilabel.neural_network._batches import DENSE_BATCH_BYTES, batch_slices
from sklearn_multilabel.neural_network._row_weights import positive_weight_rows

# ``input_noise="auto"`` on dense rows (the evidence is in docs/design.md).
AUTO_INPUT_NOISE = 1.0

# Seeds the noise apart from the row shuffling, so that turning noise on or
# off leaves the order of the batches unchanged.
NOISE_STREAM = 1


def noise_scales(X, input_noise, bins=None, sample_weight=None):
    """Return the standard deviation of the noise of each feature.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense training rows.
    input_noise : float
        Noise standard deviation in units of each feature's standard
        deviation over ``X``.
    bins : PiecewiseLinearBins or None, default=None
        When given, the scales are those of the encoded rows' columns.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative row weights: rows of weight 0 are left out, and the
        others count by their weight (equal weights: the unweighted spread).

    Returns
    -------
    scales : ndarray of shape (n_features,) or (bins.n_outputs,), float32
        Zero for constant features.
    """
    rows, weights = positive_weight_rows(sample_weight, X.shape[0])
    n_rows = X.shape[0] if rows is None else len(rows)
    n_columns = X.shape[1] if bins is None else bins.n_outputs
    # One pass over blocks of rows, each encoded once and taken to float64
    # (no float64 copy of X): every block's mean and squared deviations,
    # merged as Chan et al. do, so no cancellation when a feature's mean
    # dwarfs its spread. One block gives exactly the two-pass result.
    rows_per_block = max(DENSE_BATCH_BYTES // (8 * max(n_columns, 1)), 1)
    total, mean, squares = 0.0, None, None
    for block_rows in batch_slices(n_rows, rows_per_block):
        block = X[block_rows] if rows is None else X[rows[block_rows]]
        block = block if bins is None else bins.transform(block)
        block = np.asarray(block, dtype=np.float64)
        if weights is None:
            block_total = len(block)
            block_mean = block.sum(axis=0) / block_total
            block_squares = np.square(block - block_mean).sum(axis=0)
        else:
            block_weights = weights[block_rows]
            block_total = block_weights.sum()
            block_mean = block_weights @ block / block_total
            block_squares = block_weights @ np.square(block - block_mean)
        if mean is None:
            total, mean, squares = block_total, block_mean, block_squares
            continue
        merged = total + block_total
        delta = block_mean - mean
        mean = mean + delta * (block_total / merged)
        squares = squares + block_squares + delta**2 * (total * block_total / merged)
        total = merged
    return (input_noise * np.sqrt(squares / total)).astype(np.float32)


class BatchNoise:
    """Seeded Gaussian noise, scaled per feature, for the batches of an epoch.

    Parameters
    ----------
    scales : ndarray of shape (n_features,)
        Noise standard deviation of each feature.
    seed : int
        Seed of the noise draws.
    """

    def __init__(self, scales, seed):
        self.scales = scales
        self._rng = np.random.default_rng([seed, NOISE_STREAM])

    def epoch(self, row_counts):
        """Yield the noise of each training call of an epoch, in order.

        Numpy draws without holding the GIL, so one background thread draws
        the next call's noise while the current call trains: this hides
        about half of the drawing time. Every draw is made by that thread in
        the order of ``row_counts``, so the noise does not depend on timing.

        Parameters
        ----------
        row_counts : list of int
            Rows of each call.

        Yields
        ------
        noise : ndarray of shape (n_rows, n_features), float32
        """
        with ThreadPoolExecutor(1, thread_name_prefix="input-noise") as worker:
            pending = deque(worker.submit(self._draw, n) for n in row_counts[:1])
            for index in range(len(row_counts)):
                if index + 1 < len(row_counts):
                    pending.append(worker.submit(self._draw, row_counts[index + 1]))
                yield pending.popleft().result()

    def _draw(self, n_rows):
        noise = self._rng.standard_normal((n_rows, len(self.scales)), dtype=np.float32)
        noise *= self.scales
        return noise
