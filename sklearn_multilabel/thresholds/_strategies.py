"""Threshold strategies beyond per-label F-beta.

Pure numpy, built on the cut-point primitives of ``_cut_points``: every
search below is exact over the thresholds that change a decision on the
tuning data.

Global metrics couple the labels: micro-F1 pools every (sample, label) pair,
and the samples-averaged F1 and Jaccard index score each sample's set of
labels. For a sample (or, for micro-F1, the whole pool) with ``tp`` true
positives among ``n_pred`` predicted labels and ``n_pos`` true labels::

    f1 = 2 tp / (n_pos + n_pred)
    jaccard = tp / (n_pos + n_pred - tp)

and both are ``zero_division`` when the denominator is 0, as in scikit-learn.
"""

import numbers

import numpy as np

from sklearn_multilabel.thresholds._cut_points import (
    _TIE_ATOL,
    FALLBACK_THRESHOLD,
    _cut_thresholds,
    _middle_best_cut,
    _optimise_cuts,
    _sort_columns,
    _true_positive_curves,
    _valid_cuts,
)
from sklearn_multilabel.thresholds._decoding import (
    check_scores,
    check_targets,
    check_thresholds,
)

_METRICS = ("micro_f1", "samples_f1", "samples_jaccard")


def _check_metric(metric, zero_division):
    """Refuse an unknown global metric or a ``zero_division`` outside [0, 1]."""
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {_METRICS}; got {metric!r}.")
    if not isinstance(zero_division, numbers.Real) or not 0 <= zero_division <= 1:
        raise ValueError(
            f"zero_division must be a number in [0, 1]; got {zero_division!r}."
        )
    return float(zero_division)


def _set_scores(metric, tp, n_pred, n_pos, zero_division):
    """F1 or Jaccard (by the suffix of ``metric``) of label sets from their counts.

    Element-wise; ``zero_division`` where the denominator is 0.
    """
    tp = np.asarray(tp, dtype=np.float64)
    if metric.endswith("f1"):
        numerator, denominator = 2 * tp, n_pos + n_pred
    else:
        numerator, denominator = tp, n_pos + n_pred - tp
    safe = np.where(denominator > 0, denominator, 1)
    return np.where(denominator > 0, numerator / safe, zero_division)


def _score_counts(metric, counts, n_pos, zero_division):
    """Global metric of per-sample ``counts`` ("tp", "n_pred"), pooled or averaged."""
    tp, n_pred = counts["tp"], counts["n_pred"]
    if metric == "micro_f1":
        tp, n_pred, n_pos = tp.sum(), n_pred.sum(), n_pos.sum()
    return float(np.mean(_set_scores(metric, tp, n_pred, n_pos, zero_division)))


def _prefix_scores(metric, sorted_y, groups, n_pos, zero_division):
    """Samples-averaged metric when the first ``m`` pairs, sorted by decreasing
    score, are predicted positive, for every ``m``.
    """
    # Each pair changes only its own sample's score, by an amount that depends
    # on the pairs of that sample ahead of it: count those within each group.
    by_group = np.argsort(groups, kind="stable")
    y = sorted_y[by_group]
    start = np.searchsorted(groups[by_group], groups[by_group], side="left")
    ahead_tp = np.cumsum(y) - y
    tp_before = np.empty_like(y)
    tp_before[by_group] = ahead_tp - ahead_tp[start]
    n_before = np.empty_like(y)
    n_before[by_group] = np.arange(y.size) - start
    pos = n_pos[groups]
    delta = _set_scores(
        metric, tp_before + sorted_y, n_before + 1, pos, zero_division
    ) - _set_scores(metric, tp_before, n_before, pos, zero_division)
    base = _set_scores(metric, 0, 0, n_pos, zero_division).sum()
    return (base + np.concatenate([[0.0], np.cumsum(delta)])) / n_pos.size


def best_global_threshold(Y_true, scores, *, metric="micro_f1", zero_division=0.0):
    """Find the one threshold for all labels that maximises a global metric.

    All scores are pooled and sorted once; the metric of every cut between
    distinct scores is computed incrementally, in ``O(N log N)`` for ``N``
    scores. Among equally good cuts (within 1e-12) the middle one is kept,
    and the threshold is the midpoint between the scores it separates,
    ``+inf`` if predicting nothing is best.

    Parameters
    ----------
    Y_true, scores : array-like of shape (n_samples, n_labels)
        Multi-hot 0/1 true labels, and finite scores (higher: more likely).
    metric : {"micro_f1", "samples_f1", "samples_jaccard"}, default="micro_f1"
        Metric to maximise, see the module docstring.
    zero_division : float, default=0.0
        Score of an empty prediction for an empty truth.

    Returns
    -------
    threshold : float
        Threshold shared by all labels.
    best_score : float
        Metric reached on the given data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._strategies import best_global_threshold
    >>> Y_true = np.array([[1, 0], [0, 1], [0, 0]])
    >>> scores = np.array([[0.8, 0.3], [0.2, 0.6], [0.4, 0.1]])
    >>> best_global_threshold(Y_true, scores)
    (0.5, 1.0)
    """
    Y_true, scores = check_targets(Y_true, scores)
    zero_division = _check_metric(metric, zero_division)
    n_labels = scores.shape[1]
    order = np.argsort(-scores.ravel(), kind="stable")
    sorted_scores = scores.ravel()[order]
    sorted_y = Y_true.ravel()[order]
    n_pos = Y_true.sum(axis=1)
    if metric == "micro_f1":
        tp = np.concatenate([[0], np.cumsum(sorted_y)])
        n_pred = np.arange(tp.size)
        values = _set_scores(metric, tp, n_pred, n_pos.sum(), zero_division)
    else:
        groups = order // n_labels
        values = _prefix_scores(metric, sorted_y, groups, n_pos, zero_division)
    thresholds, best = _optimise_cuts(
        sorted_scores[:, None], values[:, None], np.array([True]), np.nan
    )
    return float(thresholds[0]), float(best[0])


def _label_cut_scores(metric, label_y, tp_other, n_pred_other, n_pos, zero_division):
    """Global metric of every cut of one label, the other labels' decisions fixed.

    All per-sample arrays are ordered by decreasing score of the label.
    """
    if metric == "micro_f1":
        tp = tp_other.sum() + np.concatenate([[0], np.cumsum(label_y)])
        n_pred = n_pred_other.sum() + np.arange(label_y.size + 1)
        return _set_scores(metric, tp, n_pred, n_pos.sum(), zero_division)
    without = _set_scores(metric, tp_other, n_pred_other, n_pos, zero_division)
    with_label = _set_scores(
        metric, tp_other + label_y, n_pred_other + 1, n_pos, zero_division
    )
    steps = np.concatenate([[0.0], np.cumsum(with_label - without)])
    return (without.sum() + steps) / label_y.size


def _ascent_round(Y_true, sorted_scores, order, valid, state, metric, zero_division):
    """Move each label's threshold in turn to its best cut, the others fixed.

    Updates ``state`` ("thresholds", "Y_pred", per-sample "tp", "n_pred") in place.
    """
    n_pos = Y_true.sum(axis=1)
    for j in range(Y_true.shape[1]):
        rows, predicted = order[:, j], state["Y_pred"][:, j]
        tp_other = state["tp"] - (Y_true[:, j] & predicted)
        n_pred_other = state["n_pred"] - predicted
        values = _label_cut_scores(
            metric,
            Y_true[rows, j],
            tp_other[rows],
            n_pred_other[rows],
            n_pos[rows],
            zero_division,
        )
        current = values[predicted.sum()]
        if np.max(values[valid[:, j]]) <= current + _TIE_ATOL:
            continue
        k, _ = _middle_best_cut(values[:, None], valid[:, j, None])
        state["thresholds"][j] = _cut_thresholds(sorted_scores[:, j, None], k)[0]
        predicted = np.zeros_like(predicted)
        predicted[rows[: k[0]]] = True
        state["Y_pred"][:, j] = predicted
        state["tp"] = tp_other + (Y_true[:, j] & predicted)
        state["n_pred"] = n_pred_other + predicted


def coordinate_ascent_thresholds(
    Y_true,
    scores,
    *,
    metric="micro_f1",
    init=None,
    n_rounds=10,
    tol=1e-6,
    zero_division=0.0,
):
    """Tune per-label thresholds for a global metric by coordinate ascent.

    Starting from `init`, each label's threshold in turn is set to its best
    cut for the global metric, the other labels' decisions fixed. Each step
    is exact over the label's cuts and costs ``O(n_samples)``: the other
    labels' per-sample counts are kept and only the label's contribution is
    swept. A threshold changes only when the metric improves by more than
    1e-12, so the result is never worse than `init` on the tuning data. The
    search stops after `n_rounds` rounds over all labels, or when a round
    improves the metric by no more than `tol`.

    Macro-averaged F-beta needs no coordinate ascent, its labels being
    independent: use ``best_fbeta_thresholds``.

    Parameters
    ----------
    Y_true, scores : array-like of shape (n_samples, n_labels)
        Multi-hot 0/1 true labels, and finite scores (higher: more likely).
    metric : {"micro_f1", "samples_f1", "samples_jaccard"}, default="micro_f1"
        Global metric to maximise, see the module docstring.
    init : float or array-like of shape (n_labels,), default=None
        Starting thresholds; None for the ``best_global_threshold`` of
        `metric`.
    n_rounds : int, default=10
        Maximum number of rounds over all labels.
    tol : float, default=1e-6
        Stop when a round improves the metric by no more than this.
    zero_division : float, default=0.0
        Score of an empty prediction for an empty truth.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float64
        Per-label thresholds; ``+inf`` for a label best never predicted.
    best_score : float
        Metric reached on the given data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._strategies import (
    ...     coordinate_ascent_thresholds)
    >>> Y_true = np.array([[1, 0], [0, 1], [1, 1]])
    >>> scores = np.array([[0.6, 0.1], [0.2, 0.3], [0.9, 0.2]])
    >>> coordinate_ascent_thresholds(Y_true, scores, init=0.5)
    (array([0.5 , 0.15]), 1.0)
    """
    Y_true, scores = check_targets(Y_true, scores)
    zero_division = _check_metric(metric, zero_division)
    if not isinstance(n_rounds, numbers.Integral) or n_rounds < 0:
        raise ValueError(f"n_rounds must be a non-negative integer; got {n_rounds!r}.")
    if init is None:
        init, _ = best_global_threshold(
            Y_true, scores, metric=metric, zero_division=zero_division
        )
    thresholds = check_thresholds(init, scores.shape[1]).copy()
    Y_true = Y_true.astype(bool)
    Y_pred = scores >= thresholds
    state = {
        "thresholds": thresholds,
        "Y_pred": Y_pred,
        "tp": (Y_true & Y_pred).sum(axis=1),
        "n_pred": Y_pred.sum(axis=1),
    }
    order = np.argsort(-scores, axis=0, kind="stable")
    sorted_scores = np.take_along_axis(scores, order, axis=0)
    valid = _valid_cuts(sorted_scores)
    n_pos = Y_true.sum(axis=1)
    score = _score_counts(metric, state, n_pos, zero_division)
    for _ in range(n_rounds):
        previous = score
        _ascent_round(Y_true, sorted_scores, order, valid, state, metric, zero_division)
        score = _score_counts(metric, state, n_pos, zero_division)
        if score - previous <= tol:
            break
    return state["thresholds"], score


def youden_thresholds(Y_true, scores, *, fallback=FALLBACK_THRESHOLD):
    """Find per-label thresholds maximising Youden's J, exactly.

    Youden's J statistic, ``TPR - FPR``, is the height of the ROC curve above
    the diagonal; it weighs both classes equally whatever their frequency.
    Every cut between distinct scores is evaluated, the middle of the best
    ones (within 1e-12) is kept, and the threshold is the midpoint between
    the scores it separates.

    Labels with no positive or no negative in the tuning data keep
    `fallback`: J is undefined for them, and their best score is NaN.

    Parameters
    ----------
    Y_true, scores : array-like of shape (n_samples, n_labels)
        Multi-hot 0/1 true labels, and finite scores (higher: more likely).
    fallback : float, default=0.5
        Threshold of labels with a single class.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float64
        Per-label thresholds; ``+inf`` for a label best never predicted.
    best_scores : ndarray of shape (n_labels,), dtype float64
        J reached on the given data, NaN for labels with a single class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._strategies import youden_thresholds
    >>> Y_true = np.array([[1], [1], [0], [0]])
    >>> youden_thresholds(Y_true, np.array([[0.9], [0.4], [0.6], [0.1]]))
    (array([0.75]), array([0.5]))
    """
    Y_true, scores = check_targets(Y_true, scores)
    sorted_scores, true_positives, n_predicted = _true_positive_curves(Y_true, scores)
    n_positives = Y_true.sum(axis=0)
    n_negatives = Y_true.shape[0] - n_positives
    defined = (n_positives > 0) & (n_negatives > 0)
    tpr = true_positives / np.maximum(n_positives, 1)
    fpr = (n_predicted - true_positives) / np.maximum(n_negatives, 1)
    return _optimise_cuts(sorted_scores, tpr - fpr, defined, fallback)


def prevalence_thresholds(scores, prevalence):
    """Set thresholds so that each label is predicted at a given frequency.

    For a label of prevalence ``p``, the ``k = round(p * n_samples)`` highest
    scores are predicted positive: the threshold is the midpoint between the
    ``k``-th and ``(k+1)``-th highest scores, a ``1 - p`` quantile. Scores tied
    with the ``k``-th are all predicted, so with ties a label may be predicted
    more often than ``p``. ``p = 0`` gives ``+inf``; ``p = 1`` the lowest
    score.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_labels)
        Finite scores, higher meaning more likely positive.
    prevalence : float or array-like of shape (n_labels,)
        Fraction of samples to predict positive per label, in [0, 1]; e.g.
        the label frequencies of the training data.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float64
        Per-label thresholds.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._strategies import prevalence_thresholds
    >>> scores = np.array([[0.9, 0.1], [0.4, 0.3], [0.6, 0.2], [0.1, 0.8]])
    >>> prevalence_thresholds(scores, [0.5, 0.25])
    array([0.5 , 0.55])
    """
    scores = check_scores(scores)
    n_samples, n_labels = scores.shape
    prevalence = np.broadcast_to(np.asarray(prevalence, dtype=np.float64), n_labels)
    if not np.all((prevalence >= 0) & (prevalence <= 1)):
        raise ValueError(
            f"prevalence must be in [0, 1]; got {prevalence}. Pass label "
            "frequencies, e.g. Y_train.mean(axis=0)."
        )
    k = np.floor(prevalence * n_samples + 0.5).astype(np.int64)
    (sorted_scores,) = _sort_columns(scores)
    return _cut_thresholds(sorted_scores, k)


def shrink_thresholds(per_label, global_threshold, n_positives, strength):
    """Pull the thresholds of rare labels toward a global threshold.

    A label's threshold tuned on few positives is noisy. Each threshold is
    shrunk toward the global one in proportion to how few positives it was
    tuned on::

        t = (n_positives * t_label + strength * t_global) / (n_positives + strength)

    so a label with ``strength`` positives lands halfway, a label with no
    positive gets ``t_global`` and ``strength=0`` changes nothing.

    Parameters
    ----------
    per_label : array-like of shape (n_labels,)
        Per-label thresholds, e.g. from ``best_fbeta_thresholds``.
    global_threshold : float or array-like of shape (n_labels,)
        Threshold to shrink toward, e.g. from ``best_global_threshold``.
    n_positives : array-like of shape (n_labels,)
        Positives each per-label threshold was tuned on,
        e.g. ``Y_true.sum(axis=0)``.
    strength : float
        Number of positives at which a label's own threshold and the global
        one weigh equally; at least 0.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float64
        Shrunk thresholds.

    Examples
    --------
    >>> from sklearn_multilabel.thresholds._strategies import shrink_thresholds
    >>> shrink_thresholds([0.2, 0.8, 0.9], 0.5, [10, 10, 0], strength=10)
    array([0.35, 0.65, 0.5 ])
    """
    per_label = np.asarray(per_label, dtype=np.float64)
    if per_label.ndim != 1:
        raise ValueError(
            f"per_label has shape {per_label.shape}: pass one threshold per label."
        )
    n_labels = per_label.size
    global_threshold = check_thresholds(global_threshold, n_labels)
    n_positives = np.asarray(n_positives, dtype=np.float64)
    if n_positives.shape != (n_labels,) or np.any(n_positives < 0):
        raise ValueError(
            f"n_positives must be {n_labels} non-negative counts, one per label; "
            f"got {n_positives}."
        )
    if not isinstance(strength, numbers.Real) or not 0 <= strength < np.inf:
        raise ValueError(f"strength must be a finite number >= 0; got {strength!r}.")
    total = n_positives + strength
    weight = np.divide(n_positives, total, out=np.ones(n_labels), where=total > 0)
    # 0 * inf is NaN for infinite thresholds (labels never predicted), but it
    # is only computed where the weight of that threshold is 0, and not used.
    with np.errstate(invalid="ignore"):
        mixed = weight * per_label + (1 - weight) * global_threshold
    mixed = np.where(weight == 0, global_threshold, mixed)
    return np.where(weight == 1, per_label, mixed)
