"""Exact threshold search over cut-points, and per-label F-beta with it.

Pure numpy, shared by every strategy of ``_strategies`` and ``_search``.
The searches work on *cut-points*: sorting one label's scores in decreasing
order, predicting the top ``k`` samples positive for ``k = 0 .. n_samples``.
Only cuts that do not split a group of tied scores are reachable by a
threshold, and every reachable decision is one of them, so maximising over
these cuts is exact.
"""

import numbers

import numpy as np

from sklearn_multilabel.thresholds._decoding import check_targets

# Threshold of labels whose metric has no optimum, on the probability scale.
FALLBACK_THRESHOLD = 0.5

# Candidate cuts whose values are this close to the best are treated as tied.
_TIE_ATOL = 1e-12


def _check_beta(beta):
    """Return ``beta`` as a float, refusing anything but a finite number > 0."""
    if (
        not isinstance(beta, numbers.Real)
        or isinstance(beta, bool)
        or not np.isfinite(beta)
        or beta <= 0
    ):
        raise ValueError(
            f"beta must be a finite number greater than 0; got {beta!r}. "
            "Use beta=1 for F1, beta<1 to favour precision, beta>1 for recall."
        )
    return float(beta)


def _sort_columns(scores, *others):
    """Sort each column of ``scores`` by decreasing score; reorder ``others`` alike."""
    order = np.argsort(-scores, axis=0, kind="stable")
    return tuple(np.take_along_axis(a, order, axis=0) for a in (scores, *others))


def _valid_cuts(sorted_scores):
    """Mark the cuts ``k = 0 .. n_samples`` of each column that split no tied scores."""
    n_labels = sorted_scores.shape[1]
    edge = np.ones((1, n_labels), dtype=bool)
    return np.vstack([edge, sorted_scores[:-1] > sorted_scores[1:], edge])


def _middle_best_cut(values, valid):
    """Per column, the middle valid cut within 1e-12 of the best, and its value.

    The lower middle when even: the middle of the optimum is the least noise-sensitive.
    """
    masked = np.where(valid, values, -np.inf)
    optimal = valid & (masked >= masked.max(axis=0) - _TIE_ATOL)
    rank = np.cumsum(optimal, axis=0)
    middle = (rank[-1] - 1) // 2 + 1
    k = np.argmax(rank >= middle, axis=0)
    return k, values[k, np.arange(values.shape[1])]


def _cut_thresholds(sorted_scores, k):
    """Thresholds reproducing cuts ``k``: midpoints of the scores they separate.

    The upper score for adjacent floats, the lowest for all, +inf for none.
    """
    n_samples, n_labels = sorted_scores.shape
    labels = np.arange(n_labels)
    hi = sorted_scores[np.clip(k - 1, 0, None), labels]
    lo = sorted_scores[np.clip(k, None, n_samples - 1), labels]
    # Halving first cannot overflow, and rounding keeps the result <= hi.
    middle = hi / 2 + lo / 2
    thresholds = np.where(middle > lo, middle, hi)
    thresholds = np.where(k == n_samples, sorted_scores[-1], thresholds)
    return np.where(k == 0, np.inf, thresholds)


def _true_positive_curves(Y_true, scores):
    """Sorted scores, true positives of each cut per label, and the cut sizes ``k``."""
    sorted_scores, sorted_y = _sort_columns(scores, Y_true)
    n_samples, n_labels = scores.shape
    true_positives = np.vstack([np.zeros((1, n_labels)), np.cumsum(sorted_y, axis=0)])
    return sorted_scores, true_positives, np.arange(n_samples + 1)[:, None]


def _optimise_cuts(sorted_scores, values, defined, fallback):
    """Threshold ``defined`` labels at their middle best cut, others at ``fallback``.

    Also return the value at each cut, NaN for the labels not ``defined``.
    """
    k, best = _middle_best_cut(values, _valid_cuts(sorted_scores))
    thresholds = np.where(defined, _cut_thresholds(sorted_scores, k), float(fallback))
    return thresholds, np.where(defined, best, np.nan)


def best_fbeta_thresholds(Y_true, scores, *, beta=1.0, fallback=FALLBACK_THRESHOLD):
    """Find per-label thresholds maximising F-beta, exactly.

    For each label the scores are sorted in decreasing order and F-beta of
    predicting the top ``k`` samples positive, ``(1 + beta**2) TP_k /
    (beta**2 P + k)``, is evaluated at every cut that does not split tied
    scores, in ``O(n_samples log n_samples)`` per label. When several cuts
    reach the best value (within 1e-12), the middle one is kept. The threshold
    is the midpoint between the last score predicted positive and the next
    lower score.

    Labels with no positive in the tuning data keep `fallback`: every
    threshold gives them an F-beta of 0, so there is no optimum, and their
    best score is NaN.

    Parameters
    ----------
    Y_true, scores : array-like of shape (n_samples, n_labels)
        Multi-hot 0/1 true labels, and finite scores (higher: more likely).
    beta : float, default=1.0
        Weight of recall relative to precision; must be greater than 0.
    fallback : float, default=0.5
        Threshold of labels with no positive sample.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float64
        Per-label thresholds; a label is predicted when ``score >= threshold``.
    best_scores : ndarray of shape (n_labels,), dtype float64
        F-beta reached on the given data with these thresholds, NaN for labels
        with no positive.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._cut_points import best_fbeta_thresholds
    >>> Y_true = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    >>> scores = np.array([[0.9, 0.2], [0.6, 0.1], [0.3, 0.4], [0.1, 0.7]])
    >>> thresholds, best = best_fbeta_thresholds(Y_true, scores)
    >>> thresholds
    array([0.45, 0.55])
    >>> best
    array([1., 1.])
    """
    Y_true, scores = check_targets(Y_true, scores)
    beta2 = _check_beta(beta) ** 2
    sorted_scores, true_positives, n_predicted = _true_positive_curves(Y_true, scores)
    n_positives = Y_true.sum(axis=0)
    has_positive = n_positives > 0
    denominator = beta2 * np.maximum(n_positives, 1) + n_predicted
    fbeta = (1 + beta2) * true_positives / denominator
    return _optimise_cuts(sorted_scores, fbeta, has_positive, fallback)
