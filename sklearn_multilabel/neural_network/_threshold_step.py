"""The classifier's threshold step: fixed cuts, tuning, cross-fitted scores."""

import numpy as np
import scipy.sparse as sp

from sklearn_multilabel.thresholds._search import STRATEGIES, tune_thresholds

# Labels whose strategy has no optimum on the tuning rows keep this cut.
FALLBACK_THRESHOLD = 0.5


def is_strategy(threshold):
    """Return True when ``threshold`` asks for tuning rather than fixing cuts.

    Parameters
    ----------
    threshold : str, callable, float or array-like

    Returns
    -------
    tuned : bool
    """
    return isinstance(threshold, str) or callable(threshold)


def fixed_thresholds(threshold, n_labels):
    """Return the thresholds fixed by ``threshold``, or None to tune them.

    Parameters
    ----------
    threshold : str, callable, float or array-like of shape (n_labels,)
    n_labels : int

    Returns
    -------
    thresholds : ndarray of shape (n_labels,) or None

    Raises
    ------
    ValueError
        If an array has the wrong length or a value outside [0, 1].
    """
    if is_strategy(threshold):
        return None
    thresholds = np.asarray(threshold, dtype=np.float64)
    if thresholds.ndim == 0:
        return np.full(n_labels, float(thresholds))
    if thresholds.shape != (n_labels,) or np.any((thresholds < 0) | (thresholds > 1)):
        raise ValueError(
            f"threshold has shape {thresholds.shape} with values in "
            f"[{thresholds.min(initial=0):g}, {thresholds.max(initial=0):g}], "
            f"but y has {n_labels} labels: pass one probability in [0, 1] per "
            f"label, a single float, or one of {STRATEGIES}."
        )
    return thresholds


def check_label_bounds(min_labels, max_labels, n_labels):
    """Check ``min_labels`` and ``max_labels`` against the label count.

    Parameters
    ----------
    min_labels : int
    max_labels : int or None
    n_labels : int

    Raises
    ------
    ValueError
        If no prediction could satisfy both bounds.
    """
    if min_labels > n_labels or (max_labels is not None and max_labels < min_labels):
        raise ValueError(
            f"min_labels={min_labels} and max_labels={max_labels} are "
            f"incompatible with {n_labels} labels: pass 0 <= min_labels <= "
            "max_labels and min_labels <= n_labels."
        )


def search_thresholds(Y_tune, scores, strategy, *, beta, shrinkage):
    """Run a threshold strategy on probabilities of held-out rows.

    Parameters
    ----------
    Y_tune : ndarray or sparse matrix of shape (n_rows, n_labels)
    scores : ndarray of shape (n_rows, n_labels)
        Probabilities from a network that did not train on these rows.
    strategy : str or callable
        See ``tune_thresholds``.
    beta : float
    shrinkage : float

    Returns
    -------
    search : ThresholdSearch
    """
    labels = Y_tune.toarray() if sp.issparse(Y_tune) else np.asarray(Y_tune)
    return tune_thresholds(
        labels.astype(int),
        scores,
        strategy,
        beta=beta,
        shrinkage=shrinkage,
        fallback=FALLBACK_THRESHOLD,
    )
