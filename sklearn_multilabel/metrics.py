"""Multi-label metrics and scorers that scikit-learn does not provide.

``per_label_report`` gathers each label's threshold, precision, recall and
F1. The scorers cover the multi-label metrics without a scorer string in
scikit-learn; pass them as ``scoring=`` to ``GridSearchCV`` or
``cross_validate``, alone or together in ``MULTILABEL_SCORERS``.
"""

import numpy as np
from sklearn.metrics import (
    coverage_error,
    hamming_loss,
    label_ranking_average_precision_score,
    label_ranking_loss,
    make_scorer,
    precision_recall_fscore_support,
)

from sklearn_multilabel._validation import check_label_names, target_label_names
from sklearn_multilabel.thresholds._cross_fitting import positive_scores
from sklearn_multilabel.thresholds._decoding import (
    apply_thresholds,
    check_targets,
    check_thresholds,
)

REPORT_COLUMNS = ("support", "threshold", "precision", "recall", "f1")


class _TextReport(dict):
    """A dict of report columns whose ``str`` is an aligned text table."""

    def __str__(self):
        names = [str(name) for name in self["label"]]
        width = max(len("label"), *(len(name) for name in names))
        lines = [f"{'label':<{width}}" + "".join(f"{c:>11}" for c in REPORT_COLUMNS)]
        for j, name in enumerate(names):
            cells = [f"{self['support'][j]:>11d}"] + [
                f"{self[c][j]:>11.4f}" for c in REPORT_COLUMNS[1:]
            ]
            lines.append(f"{name:<{width}}" + "".join(cells))
        return "\n".join(lines)


def per_label_report(
    Y_true, Y_pred_or_scores, thresholds=None, label_names=None, as_frame=True
):
    """Report support, threshold, precision, recall and F1 of every label.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_labels)
        Multi-hot indicator matrix of 0/1 true labels.
    Y_pred_or_scores : array-like of shape (n_samples, n_labels)
        0/1 predictions when `thresholds` is None; otherwise scores, predicted
        positive where ``score >= threshold``.
    thresholds : float or array-like of shape (n_labels,), default=None
        Per-label thresholds applied to the scores, e.g. an estimator's
        ``thresholds_``; None when predictions are given (the threshold column
        is then NaN).
    label_names : array-like of shape (n_labels,), default=None
        Row names, e.g. an estimator's ``label_names_``; None for the column
        names of `Y_true` when it is a DataFrame, else the label indices.
    as_frame : bool, default=True
        Return a pandas DataFrame (pandas required). If False, return a dict
        of arrays (``label`` and the five columns) whose ``str()`` is an
        aligned text table, needing no pandas.

    Returns
    -------
    report : pandas.DataFrame or dict
        One row per label: ``support`` (true positives + false negatives),
        ``threshold``, ``precision``, ``recall`` and ``f1``. Precision of a
        label never predicted, and recall and F1 of a label without a
        positive and never predicted, are 0, as scikit-learn's
        ``zero_division=0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.metrics import per_label_report
    >>> Y_true = np.array([[1, 0], [1, 1], [0, 1]])
    >>> scores = np.array([[0.9, 0.2], [0.4, 0.8], [0.3, 0.6]])
    >>> print(per_label_report(Y_true, scores, [0.35, 0.5], as_frame=False))
    label    support  threshold  precision     recall         f1
    0              2     0.3500     1.0000     1.0000     1.0000
    1              2     0.5000     1.0000     1.0000     1.0000
    """
    given_names = target_label_names(Y_true)
    Y_true, values = check_targets(Y_true, Y_pred_or_scores)
    n_labels = Y_true.shape[1]
    if thresholds is None:
        if not np.isin(values, (0, 1)).all():
            raise ValueError(
                "Y_pred_or_scores holds values other than 0 and 1 but thresholds "
                "is None: pass 0/1 predictions, or scores with their thresholds "
                "(e.g. thresholds=estimator.thresholds_)."
            )
        Y_pred, threshold_column = values.astype(np.int64), np.full(n_labels, np.nan)
    else:
        threshold_column = check_thresholds(thresholds, n_labels)
        Y_pred = apply_thresholds(values, threshold_column)
    precision, recall, f1, support = precision_recall_fscore_support(
        Y_true, Y_pred, average=None, labels=np.arange(n_labels), zero_division=0.0
    )
    if label_names is None:
        names = np.arange(n_labels) if given_names is None else given_names
    else:
        names = check_label_names(label_names, n_labels)
    columns = {
        "support": support.astype(np.int64),
        "threshold": threshold_column,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    if not as_frame:
        return _TextReport(label=names, **columns)
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError(
            "per_label_report(as_frame=True) needs pandas: pip install pandas, or "
            "pass as_frame=False for a dict that prints as a text table."
        ) from error
    return pd.DataFrame(columns, index=pd.Index(names, name="label"))


def _score_columns(y_score):
    """One column per label from a scorer's scores, whatever the output format.

    scikit-learn stacks a multi-output classifier's list of (n_samples, 2) arrays
    only for recognised multi-label classifiers; this also covers the others.
    """
    return positive_scores(y_score, binary=False)


def _label_ranking_average_precision(y_true, y_score):
    """Label ranking average precision of scores in any multi-label format."""
    return label_ranking_average_precision_score(y_true, _score_columns(y_score))


def _coverage_error(y_true, y_score):
    """Coverage error of scores in any multi-label format."""
    return coverage_error(y_true, _score_columns(y_score))


def _label_ranking_loss(y_true, y_score):
    """Label ranking loss of scores in any multi-label format."""
    return label_ranking_loss(y_true, _score_columns(y_score))


def multilabel_log_loss(Y_true, Y_proba, *, sample_weight=None):
    """Mean over the labels of each label's binary cross-entropy.

    scikit-learn's ``log_loss`` (and so ``scoring="neg_log_loss"``) reads a
    multi-label target as one multiclass problem, which means nothing for
    independent labels; this is the loss the network itself minimises.

    Parameters
    ----------
    Y_true : {array-like, sparse matrix} of shape (n_samples, n_labels)
        Multi-hot indicator matrix of 0/1 true labels.
    Y_proba : array-like of shape (n_samples, n_labels) or list of ndarray
        Per-label probabilities of the positive class, e.g. ``predict_proba``
        output (a list of ``(n_samples, 2)`` arrays, one per label, is read
        too). Clipped to ``[eps, 1 - eps]`` with ``eps`` the float64 machine
        epsilon, as ``sklearn.metrics.log_loss`` clips float64 probabilities.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each row.

    Returns
    -------
    loss : float
        ``mean over rows (weighted) of mean over labels of
        -(y log p + (1 - y) log(1 - p))``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.metrics import multilabel_log_loss
    >>> Y_true = np.array([[1, 0], [0, 1]])
    >>> proba = np.array([[0.9, 0.2], [0.4, 0.8]])
    >>> round(multilabel_log_loss(Y_true, proba), 4)
    0.2656
    """
    Y_true, proba = check_targets(Y_true, _score_columns(Y_proba))
    eps = np.finfo(np.float64).eps
    proba = np.clip(proba, eps, 1 - eps)
    cells = -(Y_true * np.log(proba) + (1 - Y_true) * np.log1p(-proba))
    return float(np.average(cells.mean(axis=1), weights=sample_weight))


# Ranking metrics need scores: probabilities, else the decision function.
_SCORES = ("predict_proba", "decision_function")

#: Minus the Hamming loss (share of wrong label cells) of ``predict``.
neg_hamming_loss_scorer = make_scorer(hamming_loss, greater_is_better=False)

#: Label ranking average precision of the per-label scores (higher is better).
lrap_scorer = make_scorer(_label_ranking_average_precision, response_method=_SCORES)

#: Minus the coverage error: how far down the ranking all true labels are.
neg_coverage_error_scorer = make_scorer(
    _coverage_error, greater_is_better=False, response_method=_SCORES
)

#: Minus the label ranking loss: the share of wrongly ordered label pairs.
neg_label_ranking_loss_scorer = make_scorer(
    _label_ranking_loss, greater_is_better=False, response_method=_SCORES
)

#: Minus the mean per-label binary cross-entropy of ``predict_proba``; use it
#: instead of ``"neg_log_loss"``, which is multiclass-only.
neg_multilabel_log_loss_scorer = make_scorer(
    multilabel_log_loss, greater_is_better=False, response_method="predict_proba"
)

#: The scorers above by name, for multi-metric ``scoring=`` or ``cross_validate``.
MULTILABEL_SCORERS = {
    "neg_hamming_loss": neg_hamming_loss_scorer,
    "lrap": lrap_scorer,
    "neg_coverage_error": neg_coverage_error_scorer,
    "neg_label_ranking_loss": neg_label_ranking_loss_scorer,
    "neg_multilabel_log_loss": neg_multilabel_log_loss_scorer,
}
