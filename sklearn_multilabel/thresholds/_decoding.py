"""From scores to labels: the input checks, threshold application and decoding.

Pure numpy, shared by the classifier, the threshold tuner, the metrics and the
plots. A label is predicted positive when its score is greater than or equal
to its threshold, the convention of scikit-learn's threshold classifiers.
"""

import numbers

import numpy as np
import scipy.sparse as sp


def check_scores(scores):
    """Return ``scores`` as a 2-D float64 array with a row, refusing NaN and inf."""
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


def check_targets(Y_true, scores):
    """Return a dense int64 0/1 ``Y_true`` and the checked ``scores`` of its shape."""
    scores = check_scores(scores)
    Y_true = Y_true.toarray() if sp.issparse(Y_true) else np.asarray(Y_true)
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


def check_thresholds(
    thresholds, n_labels, *, name="thresholds", target="scores", probabilities=False
):
    """Return one float64 threshold per label from one per label or one for all.

    ``name`` and ``target`` name the parameter and the data in the messages;
    ``probabilities`` also refuses values outside [0, 1].
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if thresholds.ndim == 0:
        thresholds = np.full(n_labels, thresholds)
    what = "probability in [0, 1]" if probabilities else "threshold"
    if thresholds.shape != (n_labels,):
        raise ValueError(
            f"{name} has shape {thresholds.shape} but {target} has {n_labels} "
            f"labels: pass one {what} per label, or a single number."
        )
    if np.isnan(thresholds).any():
        raise ValueError(
            f"{name} contains NaN (label {np.flatnonzero(np.isnan(thresholds))[0]}): "
            f"pass one {what} per label, or a single number."
        )
    if probabilities and np.any((thresholds < 0) | (thresholds > 1)):
        raise ValueError(
            f"{name} has values in [{thresholds.min():g}, {thresholds.max():g}]: "
            f"pass one {what} per label, or a single number."
        )
    return thresholds


def check_label_bounds(min_labels, max_labels, n_labels):
    """Refuse label-count bounds no prediction can meet; return the maximum.

    ``max_labels=None`` means ``n_labels``.
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


def apply_thresholds(scores, thresholds):
    """Predict each label whose score reaches its threshold (one, or one per label).

    Return int64 0/1 predictions, 1 where ``scores >= thresholds``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._decoding import apply_thresholds
    >>> apply_thresholds(np.array([[0.2, 0.7], [0.5, 0.4]]), [0.5, 0.5])
    array([[0, 1],
           [1, 0]])
    """
    scores = check_scores(scores)
    thresholds = check_thresholds(thresholds, scores.shape[1])
    return (scores >= thresholds).astype(np.int64)


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
    >>> from sklearn_multilabel.thresholds._decoding import decode
    >>> scores = np.array([[0.2, 0.3, 0.1], [0.9, 0.8, 0.7]])
    >>> decode(scores, 0.5, min_labels=1, max_labels=2)
    array([[0, 1, 0],
           [1, 1, 0]])
    """
    scores = check_scores(scores)
    n_labels = scores.shape[1]
    thresholds = check_thresholds(thresholds, n_labels)
    max_labels = check_label_bounds(min_labels, max_labels, n_labels)
    order = np.argsort(-scores, axis=1, kind="stable")
    predicted = np.take_along_axis(scores >= thresholds, order, axis=1)
    kept = predicted & (np.cumsum(predicted, axis=1) <= max_labels)
    n_missing = np.maximum(min_labels - predicted.sum(axis=1), 0)
    added = ~predicted & (np.cumsum(~predicted, axis=1) <= n_missing[:, None])
    Y_pred = np.empty_like(predicted)
    np.put_along_axis(Y_pred, order, kept | added, axis=1)
    return Y_pred.astype(np.int64)
