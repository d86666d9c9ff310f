"""Piecewise-linear encoding of dense numeric features.

Each feature is cut into bins at quantiles of its training values; a value
is encoded, per bin, as how far it has gone through that bin: 0 below it, 1
above it, linear inside (Gorishniy, Rubachev and Babenko, "On Embeddings for
Numerical Features in Tabular Deep Learning", NeurIPS 2022). The network
gets the raw features followed by these encodings, which lets one hidden
layer bend its response to a feature at its quantiles, as a tree's splits
do. Pure numpy, so that training and numpy inference share it.
"""

import numpy as np

from sklearn_multilabel.neural_network._batches import DENSE_BATCH_BYTES, batch_slices
from sklearn_multilabel.neural_network._row_weights import positive_weight_rows

# Features whose quantiles are computed together: bounds the sorted copy.
QUANTILE_BLOCK_BYTES = 2**26


# ``n_bins="auto"`` on dense rows (the evidence is in docs/design.md).
AUTO_N_BINS = 8
# "auto" keeps ``n_features * (n_bins + 1)`` within this: wider than any input
# the default was chosen on, and an encoded epoch grows with the columns.
AUTO_MAX_INPUTS = 3000
# One bin would only repeat each feature, clipped to its training range.
AUTO_MIN_BINS = 2


def auto_n_bins(n_features):
    """Bins per feature that ``n_bins="auto"`` gives dense rows.

    ``AUTO_N_BINS``, fewer when ``n_features * (n_bins + 1)`` would exceed
    ``AUTO_MAX_INPUTS``, none when fewer than ``AUTO_MIN_BINS`` would fit.

    Parameters
    ----------
    n_features : int

    Returns
    -------
    n_bins : int
    """
    n_bins = min(AUTO_N_BINS, AUTO_MAX_INPUTS // max(n_features, 1) - 1)
    return n_bins if n_bins >= AUTO_MIN_BINS else 0


def quantile_edges(X, n_bins, sample_weight=None):
    """Cut each feature of ``X`` at ``n_bins + 1`` evenly spaced quantiles.

    Repeated quantiles (a feature with few distinct values) merge, so such a
    feature gets fewer bins; a constant feature gets none.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense, finite training rows.
    n_bins : int
        Bins per feature, at least 1.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative row weights. Rows of weight 0 are left out; equal
        weights give the unweighted quantiles; otherwise each row counts by
        its weight (``weighted_quantiles``).

    Returns
    -------
    edges : list of ndarray, one per feature, float64
        Increasing bin edges, from the feature's minimum to its maximum.
    """
    rows, weights = positive_weight_rows(sample_weight, X.shape[0])
    n_samples = X.shape[0] if rows is None else len(rows)
    n_features = X.shape[1]
    levels = np.linspace(0.0, 1.0, n_bins + 1)
    # The weighted quantiles hold about five arrays of the block's size.
    block_bytes = QUANTILE_BLOCK_BYTES // (1 if weights is None else 5)
    block = max(1, block_bytes // (8 * max(n_samples, 1)))
    edges = []
    for columns in batch_slices(n_features, block):
        values = X[:, columns] if rows is None else X[rows, columns]
        values = np.asarray(values, dtype=np.float64)
        if weights is None:
            quantiles = np.quantile(values, levels, axis=0)
        else:
            quantiles = weighted_quantiles(values, weights, levels)
        edges.extend(np.unique(column) for column in quantiles.T)
    return edges


def weighted_quantiles(values, weights, levels):
    """Quantiles of each column, each row counting by its weight.

    Each row sits at the middle of its share of the total weight, the first
    row at 0 and the last at 1, and the quantile function interpolates
    linearly between rows: with equal weights this is ``np.quantile``'s
    default (linear) method, and the first and last levels are the column's
    minimum and maximum.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns), float64
    weights : ndarray of shape (n_samples,)
        Positive weights.
    levels : ndarray of shape (n_levels,)
        Increasing, in [0, 1].

    Returns
    -------
    quantiles : ndarray of shape (n_levels, n_columns)
    """
    if values.shape[0] == 1:
        return np.repeat(values, len(levels), axis=0)
    order = np.argsort(values, axis=0, kind="stable")
    sorted_values = np.take_along_axis(values, order, axis=0)
    sorted_weights = weights[order]
    cumulative = np.cumsum(sorted_weights, axis=0)
    first, last = sorted_weights[:1] / 2, sorted_weights[-1:] / 2
    positions = (cumulative - sorted_weights / 2 - first) / (
        cumulative[-1:] - first - last
    )
    return np.column_stack(
        [
            np.interp(levels, positions[:, j], sorted_values[:, j])
            for j in range(values.shape[1])
        ]
    )


class PiecewiseLinearBins:
    """The piecewise-linear encoding of features cut at given bin edges.

    Parameters
    ----------
    edges : list of ndarray
        Increasing bin edges of each feature (``quantile_edges``); a feature
        with fewer than two edges is passed on raw only.

    Attributes
    ----------
    n_features : int
        Raw features expected by ``transform``.
    n_outputs : int
        Columns of an encoded row: the raw features, then one per bin.
    """

    def __init__(self, edges):
        self.n_features = len(edges)
        widths = [np.diff(feature_edges) for feature_edges in edges]
        self._feature = np.concatenate(
            [np.full(len(w), j, dtype=np.int64) for j, w in enumerate(widths)]
        )
        left = np.concatenate([e[:-1] for e in edges]).astype(np.float64)
        width = np.concatenate(widths).astype(np.float64)
        # In each precision a batch may come in, cast once, not per batch.
        self._left_width = {
            np.dtype(dtype): (left.astype(dtype), width.astype(dtype))
            for dtype in (np.float32, np.float64)
        }
        self.n_outputs = self.n_features + len(self._feature)

    def transform(self, X):
        """Return the raw features followed by their bin encodings.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            Dense rows, float32 or float64.

        Returns
        -------
        encoded : ndarray of shape (n_rows, n_outputs), X's dtype
        """
        dtype = X.dtype if X.dtype in self._left_width else np.dtype(np.float64)
        left, width = self._left_width[dtype]
        encoded = np.empty((X.shape[0], self.n_outputs), dtype=dtype)
        encoded[:, : self.n_features] = X
        bins = encoded[:, self.n_features :]
        np.subtract(X[:, self._feature], left, out=bins)
        bins /= width
        np.clip(bins, 0.0, 1.0, out=bins)
        return encoded


class EncodedForward:
    """A forward pass that encodes each batch of raw rows first.

    Parameters
    ----------
    bins : PiecewiseLinearBins
    forward : callable
        Forward pass of the network, taking encoded rows.
    """

    accepts_sparse = False

    def __init__(self, bins, forward):
        self.bins = bins
        self.forward = forward

    def __call__(self, batch):
        """Return the logits of a batch of raw rows.

        Encoded rows are up to ``n_bins + 1`` times wider than raw ones: a
        batch sized for raw rows is encoded a slice at a time, each at most
        ``DENSE_BATCH_BYTES``.

        Parameters
        ----------
        batch : ndarray of shape (n_rows, n_features)

        Returns
        -------
        logits : ndarray of shape (n_rows, n_labels)
        """
        row_bytes = batch.dtype.itemsize * self.bins.n_outputs
        rows = max(1, DENSE_BATCH_BYTES // row_bytes)
        if batch.shape[0] <= rows:
            return self.forward(self.bins.transform(batch))
        return np.concatenate(
            [
                self.forward(self.bins.transform(batch[part]))
                for part in batch_slices(batch.shape[0], rows)
            ]
        )
