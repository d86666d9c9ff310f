"""Cross-fitted scores: every row scored by a network trained on the other folds."""

import numpy as np
import scipy.sparse as sp

from sklearn_multilabel.thresholds._cross_fitting import fold_splits


def cross_fitted_scores(fit_and_score, X, Y, sample_weight, cv, seed, dtype=np.float64):
    """Score every row with a network trained on the other folds.

    Parameters
    ----------
    fit_and_score : callable
        ``fit_and_score(train, test) -> proba``, where ``train`` and ``test``
        are ``(X, labels, sample_weight)`` tuples of one fold's rows.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray or sparse matrix of shape (n_samples, n_labels)
    sample_weight : ndarray of shape (n_samples,) or None
    cv : int
        Number of per-label stratified folds.
    seed : int
    dtype : numpy dtype, default=np.float64
        Precision in which the scores are kept.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_labels)
        Out-of-fold probabilities.
    labels : ndarray of shape (n_samples, n_labels)
        The dense targets.
    """
    labels = (Y.toarray() if sp.issparse(Y) else np.asarray(Y)).astype(np.uint8)
    scores = np.empty(labels.shape, dtype=dtype)
    for train_rows, test_rows in fold_splits(labels, cv, seed):
        train, test = (
            (
                X[rows],
                labels[rows],
                None if sample_weight is None else sample_weight[rows],
            )
            for rows in (train_rows, test_rows)
        )
        scores[test_rows] = fit_and_score(train, test)
    return scores, labels
