"""Out-of-fold scores: cross-fitting any multi-label estimator.

Thresholds must be tuned on scores of rows the model did not train on;
``out_of_fold_scores`` provides them for any estimator, normalising the
output formats of scikit-learn's multi-label classifiers.
"""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import _safe_indexing, check_random_state, indexable
from sklearn.utils.parallel import Parallel, delayed


def positive_scores(raw, *, binary, classes=None):
    """One float64 column per label from any ``predict_proba``/``decision_function``.

    A list of per-label class arrays gives the column of class 1 by ``classes``
    (the last column when None, zeros for a label seen without class 1).
    """
    if isinstance(raw, list):
        columns = [
            _positive_column(np.asarray(a), None if classes is None else classes[j])
            for j, a in enumerate(raw)
        ]
        return np.column_stack(columns).astype(np.float64)
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim == 1:
        return raw[:, None]
    if binary and raw.shape[1] == 2:
        return raw[:, 1:]
    return raw


def _positive_column(proba, label_classes):
    """Probability of class 1 of one label, zeros if it was never seen."""
    if label_classes is None:
        return proba[:, -1]
    positive = np.flatnonzero(np.asarray(label_classes) == 1)
    if positive.size == 0:
        return np.zeros(proba.shape[0])
    return proba[:, positive[0]]


def response_method(estimator):
    """Name the per-label score method: predict_proba, else decision_function."""
    for method in ("predict_proba", "decision_function"):
        if hasattr(estimator, method):
            return method
    raise AttributeError(
        f"{type(estimator).__name__} has neither predict_proba nor "
        "decision_function: thresholds need per-label scores."
    )


def fold_splits(y, cv, random_state):
    """Train/test rows of each fold: a splitter's own, or for an int `cv`
    shuffled folds stratified per label (seeded by ``random_state``).
    """
    Y = to_indicator_matrix(y)
    n_samples = Y.shape[0]
    placeholder = np.zeros((n_samples, 1))
    if not isinstance(cv, numbers.Integral):
        return list(cv.split(placeholder, y))
    if cv > n_samples:
        raise ValueError(
            f"Cannot have number of splits n_splits={cv} greater than the number "
            f"of samples: n_samples={n_samples}. Pass fewer folds or more samples."
        )
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    if Y.shape[1] > 1:
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        splitter = MultilabelStratifiedKFold(cv, shuffle=True, random_state=seed)
    elif np.bincount(Y[:, 0], minlength=2).min() >= cv:
        splitter = StratifiedKFold(cv, shuffle=True, random_state=seed)
    else:
        splitter = KFold(cv, shuffle=True, random_state=seed)
    return list(splitter.split(placeholder, Y if Y.shape[1] > 1 else Y[:, 0]))


def to_indicator_matrix(y):
    """View a validated target as a 0/1 int64 matrix, one column for a 1-D target."""
    Y = y.toarray() if hasattr(y, "toarray") else np.asarray(y)
    if Y.ndim == 1:
        classes = np.unique(Y)
        return (Y == classes[-1]).astype(np.int64)[:, None]
    return Y.astype(np.int64)


def cross_fit(estimator, X, y, splits, *, method, n_jobs=None):
    """Fit a clone on each fold's training rows and score its test rows.

    Return the scores averaged over the folds testing each row (NaN if none)
    and the fold estimators.
    """
    X, y = indexable(X, y)
    binary = np.ndim(y) == 1
    fitted = Parallel(n_jobs=n_jobs)(
        delayed(_fit_fold)(estimator, X, y, train) for train, _ in splits
    )
    totals, counts = None, np.zeros(_n_rows(y))
    for model, (_, test) in zip(fitted, splits, strict=True):
        raw = getattr(model, method)(_safe_indexing(X, test))
        fold_scores = positive_scores(
            raw, binary=binary, classes=getattr(model, "classes_", None)
        )
        if totals is None:
            totals = np.zeros((counts.size, fold_scores.shape[1]))
        totals[test] += fold_scores
        counts[test] += 1
    with np.errstate(invalid="ignore"):
        return totals / counts[:, None], fitted


def _n_rows(y):
    """Number of rows of a target of any supported container."""
    return y.shape[0] if hasattr(y, "shape") else len(y)


def _fit_fold(estimator, X, y, train):
    """Fit a clone of the estimator on the given rows."""
    return clone(estimator).fit(_safe_indexing(X, train), _safe_indexing(y, train))


def out_of_fold_scores(
    estimator, X, Y, cv=5, *, method="auto", random_state=None, n_jobs=None
):
    """Score every row with a model that did not train on it, by cross-fitting.

    With an int `cv`, rows are split into `cv` shuffled folds stratified per
    label (iterative stratification, ``MultilabelStratifiedKFold``); a clone
    of the estimator is fitted on all folds but one and scores the remaining
    one. This costs `cv` fits, and uses every row for tuning.

    Parameters
    ----------
    estimator : estimator instance
        Unfitted multi-label classifier with ``predict_proba`` or
        ``decision_function``.
    X : array-like of shape (n_samples, n_features)
        Features.
    Y : array-like of shape (n_samples, n_labels) or (n_samples,)
        Multi-hot indicator matrix, or a 1-D binary target.
    cv : int or cross-validation splitter, default=5
        Number of folds, or a splitter; a splitter that leaves rows out of
        every test fold gives them NaN scores.
    method : {"auto", "predict_proba", "decision_function"}, default="auto"
        Scores to collect; "auto" prefers ``predict_proba``. Probabilities are
        taken for the positive class whatever the output format: an
        (n_samples, n_labels) array, or one (n_samples, 2) array per label.
    random_state : int, RandomState instance or None, default=None
        Seeds the fold shuffling when `cv` is an int.
    n_jobs : int, default=None
        Folds fitted in parallel; None means 1.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_labels)
        One column per label (one column for a binary target).

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn_multilabel.thresholds import out_of_fold_scores
    >>> X, Y = make_multilabel_classification(n_samples=60, random_state=0)
    >>> out_of_fold_scores(KNeighborsClassifier(), X, Y, cv=3,
    ...                    random_state=0).shape
    (60, 5)
    """
    if method == "auto":
        method = response_method(estimator)
    elif method not in ("predict_proba", "decision_function"):
        raise ValueError(
            "method must be 'auto', 'predict_proba' or 'decision_function'; "
            f"got {method!r}."
        )
    splits = fold_splits(Y, cv, random_state)
    scores, _ = cross_fit(estimator, X, Y, splits, method=method, n_jobs=n_jobs)
    return scores
