"""Per-label decision thresholds: exact search, application and decoding.

Pure numpy, so that the classifier and the threshold tuner can share it
without importing Keras. A label is predicted positive when its score is
greater than or equal to its threshold, the convention of scikit-learn's
threshold classifiers.

The searches work on *cut-points*: sorting one label's scores in decreasing
order, predicting the top ``k`` samples positive for ``k = 0 .. n_samples``.
Only cuts that do not split a group of tied scores are reachable by a
threshold, and every reachable decision is one of them, so maximising over
these cuts is exact.
"""

import numbers

import numpy as np

# Candidate cuts whose values are this close to the best are treated as tied.
_TIE_ATOL = 1e-12


def _check_scores(scores):
    """Validate a score matrix.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_labels)
        Real-valued scores, e.g. probabilities, one column per label.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_labels), dtype float64
        The scores as a float64 array.

    Raises
    ------
    ValueError
        If ``scores`` is not 2-D, has no sample, or holds NaN or infinity.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(
            f"scores has shape {scores.shape}: pass a 2-D array of shape "
            "(n_samples, n_labels), one column per label."
        )
    if scores.shape[0] == 0:
        raise ValueError("scores has no sample: pass at least one row.")
    if not np.all(np.isfinite(scores)):
        raise ValueError(
            "scores contains NaN or infinity: pass finite scores, e.g. the "
            "output of predict_proba or decision_function."
        )
    return scores


def _check_targets(Y_true, scores):
    """Validate a multi-hot target matrix and the scores it goes with.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_labels)
        Multi-hot indicator matrix of 0/1 (or boolean) values.
    scores : array-like of shape (n_samples, n_labels)
        Scores for the same samples and labels.

    Returns
    -------
    Y_true : ndarray of shape (n_samples, n_labels), dtype int64
        The targets as 0/1 integers.
    scores : ndarray of shape (n_samples, n_labels), dtype float64
        The validated scores.

    Raises
    ------
    ValueError
        If the shapes differ or ``Y_true`` holds values other than 0 and 1.
    """
    scores = _check_scores(scores)
    Y_true = np.asarray(Y_true)
    if Y_true.shape != scores.shape:
        raise ValueError(
            f"Y_true has shape {Y_true.shape} but scores has shape "
            f"{scores.shape}: pass one score per sample and label."
        )
    if not np.isin(Y_true, (0, 1)).all():
        raise ValueError(
            f"Y_true contains values {np.unique(Y_true)[:5]}: pass a multi-hot "
            "indicator matrix of 0/1 values."
        )
    return Y_true.astype(np.int64), scores


def _check_beta(beta):
    """Validate the F-beta weight of recall.

    Parameters
    ----------
    beta : float
        Weight of recall relative to precision.

    Returns
    -------
    beta : float
        The validated value.

    Raises
    ------
    ValueError
        If ``beta`` is not a finite real number greater than 0.
    """
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
    """Sort each column by decreasing score, carrying other matrices along.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_labels)
        Scores to sort column-wise.
    *others : ndarray of shape (n_samples, n_labels)
        Matrices reordered with the same permutation, e.g. the targets.

    Returns
    -------
    sorted_arrays : tuple of ndarray
        ``scores`` then each of ``others``, each column in decreasing score
        order.
    """
    order = np.argsort(-scores, axis=0, kind="stable")
    return tuple(np.take_along_axis(a, order, axis=0) for a in (scores, *others))


def _valid_cuts(sorted_scores):
    """Mark the cuts that a threshold can produce.

    Parameters
    ----------
    sorted_scores : ndarray of shape (n_samples, n_labels)
        Scores, each column in decreasing order.

    Returns
    -------
    valid : ndarray of shape (n_samples + 1, n_labels), dtype bool
        ``valid[k, j]`` is True when predicting the top ``k`` samples of label
        ``j`` positive does not split a group of tied scores.
    """
    n_labels = sorted_scores.shape[1]
    edge = np.ones((1, n_labels), dtype=bool)
    return np.vstack([edge, sorted_scores[:-1] > sorted_scores[1:], edge])


def _middle_best_cut(values, valid):
    """Pick, per label, the middle one of the best valid cuts.

    Parameters
    ----------
    values : ndarray of shape (n_samples + 1, n_labels)
        Objective value of each cut; may hold anything where not ``valid``.
    valid : ndarray of shape (n_samples + 1, n_labels), dtype bool
        Which cuts can be chosen; row 0 must be all True.

    Returns
    -------
    k : ndarray of shape (n_labels,), dtype int64
        Chosen number of top samples predicted positive. Among the cuts within
        1e-12 of the best, the median position, the lower one when even: the
        middle of the optimal range is the least sensitive to score noise.
    best : ndarray of shape (n_labels,)
        Objective value of the chosen cut.
    """
    masked = np.where(valid, values, -np.inf)
    optimal = valid & (masked >= masked.max(axis=0) - _TIE_ATOL)
    rank = np.cumsum(optimal, axis=0)
    middle = (rank[-1] - 1) // 2 + 1
    k = np.argmax(rank >= middle, axis=0)
    return k, values[k, np.arange(values.shape[1])]


def _cut_thresholds(sorted_scores, k):
    """Turn per-label cuts into thresholds that reproduce them.

    Parameters
    ----------
    sorted_scores : ndarray of shape (n_samples, n_labels)
        Scores, each column in decreasing order.
    k : ndarray of shape (n_labels,), dtype int
        Valid cuts: number of top samples predicted positive per label.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float64
        The midpoint between the ``k``-th and ``(k+1)``-th highest scores,
        leaving equal room on both sides for unseen scores; the ``k``-th score
        itself when the two are adjacent floats. The lowest score when
        ``k == n_samples`` and ``+inf`` when ``k == 0``.
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
    """Count the true positives of every cut, per label.

    Parameters
    ----------
    Y_true : ndarray of shape (n_samples, n_labels)
        Multi-hot 0/1 targets.
    scores : ndarray of shape (n_samples, n_labels)
        Scores.

    Returns
    -------
    sorted_scores : ndarray of shape (n_samples, n_labels)
        Scores, each column in decreasing order.
    true_positives : ndarray of shape (n_samples + 1, n_labels), dtype float64
        ``true_positives[k, j]``: positives among the top ``k`` samples of
        label ``j``.
    n_predicted : ndarray of shape (n_samples + 1, 1), dtype int64
        The number of samples predicted positive by each cut, ``k``.
    """
    sorted_scores, sorted_y = _sort_columns(scores, Y_true)
    n_samples, n_labels = scores.shape
    true_positives = np.vstack([np.zeros((1, n_labels)), np.cumsum(sorted_y, axis=0)])
    return sorted_scores, true_positives, np.arange(n_samples + 1)[:, None]


def _optimise_cuts(sorted_scores, values, defined, fallback):
    """Threshold each label at its best cut, or at a fallback if undefined.

    Parameters
    ----------
    sorted_scores : ndarray of shape (n_samples, n_labels)
        Scores, each column in decreasing order.
    values : ndarray of shape (n_samples + 1, n_labels)
        Objective value of predicting the top ``k`` samples positive.
    defined : ndarray of shape (n_labels,), dtype bool
        Labels whose objective has an optimum; ``values`` may hold anything
        for the others.
    fallback : float
        Threshold of the labels that are not ``defined``.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float64
        Threshold reproducing the middle best cut, or ``fallback``.
    best : ndarray of shape (n_labels,), dtype float64
        Objective value at that cut, NaN for labels that are not ``defined``.
    """
    k, best = _middle_best_cut(values, _valid_cuts(sorted_scores))
    thresholds = np.where(defined, _cut_thresholds(sorted_scores, k), float(fallback))
    return thresholds, np.where(defined, best, np.nan)


def best_fbeta_thresholds(Y_true, scores, *, beta=1.0, fallback=0.5):
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
    Y_true : array-like of shape (n_samples, n_labels)
        Multi-hot indicator matrix of 0/1 true labels.
    scores : array-like of shape (n_samples, n_labels)
        Finite scores, higher meaning more likely positive.
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
    >>> from sklearn_multilabel.thresholds._per_label import best_fbeta_thresholds
    >>> Y_true = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    >>> scores = np.array([[0.9, 0.2], [0.6, 0.1], [0.3, 0.4], [0.1, 0.7]])
    >>> thresholds, best = best_fbeta_thresholds(Y_true, scores)
    >>> thresholds
    array([0.45, 0.55])
    >>> best
    array([1., 1.])
    """
    Y_true, scores = _check_targets(Y_true, scores)
    beta2 = _check_beta(beta) ** 2
    sorted_scores, true_positives, n_predicted = _true_positive_curves(Y_true, scores)
    n_positives = Y_true.sum(axis=0)
    has_positive = n_positives > 0
    denominator = beta2 * np.maximum(n_positives, 1) + n_predicted
    fbeta = (1 + beta2) * true_positives / denominator
    return _optimise_cuts(sorted_scores, fbeta, has_positive, fallback)


def apply_thresholds(scores, thresholds):
    """Predict each label whose score reaches its threshold.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_labels)
        Finite scores, e.g. probabilities.
    thresholds : float or array-like of shape (n_labels,)
        One threshold per label, or one shared by all labels.

    Returns
    -------
    Y_pred : ndarray of shape (n_samples, n_labels), dtype int64
        Multi-hot predictions, 1 where ``scores >= thresholds``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._per_label import apply_thresholds
    >>> apply_thresholds(np.array([[0.2, 0.7], [0.5, 0.4]]), [0.5, 0.5])
    array([[0, 1],
           [1, 0]])
    """
    scores = _check_scores(scores)
    thresholds = _check_thresholds(thresholds, scores.shape[1])
    return (scores >= thresholds).astype(np.int64)


def _check_thresholds(thresholds, n_labels):
    """Validate thresholds against the number of labels.

    Parameters
    ----------
    thresholds : float or array-like of shape (n_labels,)
        One threshold per label, or one for all labels.
    n_labels : int
        Number of score columns.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float64
        One threshold per label.

    Raises
    ------
    ValueError
        If the shape does not match or a threshold is NaN.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if thresholds.ndim == 0:
        thresholds = np.full(n_labels, thresholds)
    if thresholds.shape != (n_labels,):
        raise ValueError(
            f"thresholds has shape {thresholds.shape} but scores has {n_labels} "
            "labels: pass one threshold per label, or a single number."
        )
    if np.isnan(thresholds).any():
        raise ValueError("thresholds contains NaN: pass a number for every label.")
    return thresholds


def _check_label_bounds(min_labels, max_labels, n_labels):
    """Validate the bounds on the number of labels predicted per sample.

    Parameters
    ----------
    min_labels : int
        Minimum number of labels per sample.
    max_labels : int or None
        Maximum number of labels per sample; None for no maximum.
    n_labels : int
        Number of labels.

    Returns
    -------
    max_labels : int
        The maximum, ``n_labels`` when None was given.

    Raises
    ------
    ValueError
        If a bound is not a non-negative integer, ``min_labels`` exceeds
        ``n_labels`` or ``max_labels`` is below ``min_labels``.
    """
    for name, value in (("min_labels", min_labels), ("max_labels", max_labels)):
        if value is None and name == "max_labels":
            continue
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise ValueError(f"{name} must be a non-negative integer; got {value!r}.")
        if value < 0:
            raise ValueError(f"{name} must be a non-negative integer; got {value}.")
    if min_labels > n_labels:
        raise ValueError(
            f"min_labels={min_labels} exceeds the number of labels, {n_labels}: "
            "pass at most n_labels."
        )
    if max_labels is None:
        return n_labels
    if max_labels < min_labels:
        raise ValueError(
            f"max_labels={max_labels} is smaller than min_labels={min_labels}: "
            "pass max_labels >= min_labels, or None for no maximum."
        )
    return max_labels


def decode(scores, thresholds, *, min_labels=0, max_labels=None):
    """Predict labels by thresholds, then bound the number of labels per sample.

    Each label is first predicted where ``scores >= thresholds``. A sample with
    fewer than `min_labels` labels then also gets its highest-scoring
    unpredicted labels, and a sample with more than `max_labels` keeps only its
    `max_labels` highest-scoring ones. Equal scores are ranked by label index,
    the lower index first.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_labels)
        Finite scores, e.g. probabilities.
    thresholds : float or array-like of shape (n_labels,)
        One threshold per label, or one shared by all labels.
    min_labels : int, default=0
        Minimum number of labels per sample, at most ``n_labels``; e.g. 1 when
        every sample is known to have a label.
    max_labels : int, default=None
        Maximum number of labels per sample, at least `min_labels`; None for
        no maximum.

    Returns
    -------
    Y_pred : ndarray of shape (n_samples, n_labels), dtype int64
        Multi-hot predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._per_label import decode
    >>> scores = np.array([[0.2, 0.3, 0.1], [0.9, 0.8, 0.7]])
    >>> decode(scores, 0.5, min_labels=1, max_labels=2)
    array([[0, 1, 0],
           [1, 1, 0]])
    """
    scores = _check_scores(scores)
    n_labels = scores.shape[1]
    thresholds = _check_thresholds(thresholds, n_labels)
    max_labels = _check_label_bounds(min_labels, max_labels, n_labels)
    order = np.argsort(-scores, axis=1, kind="stable")
    predicted = np.take_along_axis(scores >= thresholds, order, axis=1)
    kept = predicted & (np.cumsum(predicted, axis=1) <= max_labels)
    n_missing = np.maximum(min_labels - predicted.sum(axis=1), 0)
    added = ~predicted & (np.cumsum(~predicted, axis=1) <= n_missing[:, None])
    Y_pred = np.empty_like(predicted)
    np.put_along_axis(Y_pred, order, kept | added, axis=1)
    return Y_pred.astype(np.int64)
