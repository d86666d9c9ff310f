"""One entry point for every threshold strategy, and the defaults they share.

``tune_thresholds`` is the single source of truth for the strategy names, their
defaults and their fallback rules: the classifier and the threshold tuner both
call it, and take their defaults from here.

Pure numpy: nothing here imports Keras.
"""

import numbers
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from sklearn_multilabel._validation import check_label_names
from sklearn_multilabel.thresholds._cut_points import (
    _TIE_ATOL,
    FALLBACK_THRESHOLD,
    _check_beta,
    best_fbeta_thresholds,
)
from sklearn_multilabel.thresholds._decoding import check_targets, check_thresholds
from sklearn_multilabel.thresholds._strategies import (
    best_global_threshold,
    coordinate_ascent_thresholds,
    prevalence_thresholds,
    shrink_thresholds,
    youden_thresholds,
)

STRATEGIES = (
    "f1",
    "fbeta",
    "micro_f1",
    "global_micro_f1",
    "samples_f1",
    "samples_jaccard",
    "youden",
    "prevalence",
)

DEFAULT_STRATEGY = "f1"
DEFAULT_BETA = 1.0
# Positives at which a label's own F-beta threshold and the global micro-F1
# threshold weigh equally; chosen by cross-validation (docs/design.md).
DEFAULT_SHRINKAGE = 20.0

# A callable metric is searched over this many quantiles of each label's scores.
CALLABLE_GRID_SIZE = 50
# ... for at most this many rounds over the labels.
CALLABLE_MAX_ROUNDS = 5

# Range of predict_proba: a label never positive in the training rows gets a
# cut just above its top (``proba >= threshold`` never holds), one always
# positive its bottom.
PROBABILITY_RANGE = (0.0, 1.0)

_SHRUNK = ("f1", "fbeta")
_COORDINATE_ASCENT = ("micro_f1", "samples_f1", "samples_jaccard")


@dataclass(frozen=True, eq=False)
class ThresholdSearch:
    """Result of a threshold search: thresholds and what they were chosen on.

    Parameters
    ----------
    thresholds : ndarray of shape (n_labels,)
        Per-label thresholds; a label is predicted when ``score >= threshold``.
        ``+inf``, or a value above the top of the scores' range (such as
        ``nextafter(1, 2)`` for probabilities), means the label is never
        predicted.
    strategy : str
        Name of the strategy, or of the callable metric, that chose them.
    score : float
        Value of the optimised metric on the tuning data with `thresholds`:
        macro F-beta over the labels with a positive or a prediction for
        "f1"/"fbeta", mean Youden's J over labels with both classes for
        "youden", the global metric for the others, the callable's value for
        a callable. NaN for "prevalence", which optimises nothing.
    per_label : dict of str to ndarray of shape (n_labels,)
        ``n_positives`` (positives in the tuning data), ``raw_thresholds``
        (before shrinkage; equal to `thresholds` for strategies that do not
        shrink) and ``label_scores`` (the per-label metric of "f1", "fbeta" and
        "youden" with `thresholds`, NaN where undefined and for the other
        strategies, whose metric does not split into labels).
    """

    thresholds: np.ndarray
    strategy: str
    score: float
    per_label: dict = field(default_factory=dict)

    def to_frame(self, label_names=None):
        """Return the per-label results as a DataFrame, one row per label.

        Parameters
        ----------
        label_names : array-like of shape (n_labels,), default=None
            Row names, e.g. an estimator's ``label_names_``; None for the
            label indices.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``threshold`` and every entry of `per_label`.

        Raises
        ------
        ImportError
            If pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError(
                "ThresholdSearch.to_frame needs pandas: pip install pandas, or "
                "read the arrays of ThresholdSearch.per_label directly."
            ) from error
        columns = {"threshold": self.thresholds, **self.per_label}
        index = None
        if label_names is not None:
            index = pd.Index(
                check_label_names(label_names, len(self.thresholds)), name="label"
            )
        return pd.DataFrame(columns, index=index).rename_axis("label")


def is_strategy(threshold):
    """Return True when ``threshold`` names a strategy (or metric) to tune by."""
    return isinstance(threshold, str) or callable(threshold)


def fixed_thresholds(threshold, n_labels):
    """Return the per-label probabilities fixed by ``threshold``, None to tune."""
    if is_strategy(threshold):
        return None
    return check_thresholds(
        threshold, n_labels, name="threshold", target="y", probabilities=True
    )


def tune_thresholds(
    Y_true,
    scores,
    strategy=DEFAULT_STRATEGY,
    *,
    beta=DEFAULT_BETA,
    shrinkage=DEFAULT_SHRINKAGE,
    prevalence=None,
    fallback=FALLBACK_THRESHOLD,
    Y_train=None,
    score_range=PROBABILITY_RANGE,
):
    """Tune per-label thresholds on held-out scores with a named strategy.

    Strategies, all exact over the cut-points of the tuning scores except
    for a callable:

    - "f1", "fbeta": each label's F-beta optimum (``best_fbeta_thresholds``;
      "f1" ignores `beta`), then shrunk toward the global micro-F1 threshold
      by ``shrink_thresholds(..., strength=shrinkage)``: a label tuned on
      ``n`` positives keeps the weight ``n / (n + shrinkage)`` of its own
      threshold, so rare labels, whose optimum is mostly noise, move most.
    - "global_micro_f1": one threshold for all labels maximising micro-F1.
    - "micro_f1", "samples_f1", "samples_jaccard": per-label thresholds
      maximising that global metric by coordinate ascent over the labels,
      starting from the best global threshold; never worse than it on the
      tuning data.
    - "youden": each label's maximum of Youden's J (TPR - FPR).
    - "prevalence": each label predicted at the rate `prevalence`.
    - a callable ``metric(Y_true, Y_pred) -> float``, greater is better
      (e.g. ``functools.partial(f1_score, average="macro")``): coordinate
      ascent from the global micro-F1 threshold, each label searched over
      the 50 quantiles ``0, 1/49, ..., 1`` of its scores, for at most 5
      rounds; a change is kept only if it raises the metric. A metric that
      is NaN for every threshold tried raises a ValueError naming it.

    Fallback rules: labels without a positive keep `fallback` under
    "fbeta"/"f1" when ``shrinkage=0`` (with shrinkage they get the global
    threshold), and labels with a single class keep it under "youden". The
    global strategies and "prevalence" may return ``+inf`` for a label best
    never predicted (e.g. one with no positive).

    Labels constant in the training rows: given `Y_train`, a label with no
    positive in it is never predicted (threshold just above the top of
    `score_range`, ``nextafter(1, 2)`` for probabilities) and a label with no
    negative in it is always predicted (threshold at the bottom, 0 for
    probabilities), whatever the strategy; this rule is applied after the
    search, whose `score` and per-label results it leaves unchanged. A label
    positive in `Y_train` but not in the tuning rows `Y_true` (e.g. absent
    from a validation split) follows the strategy and its fallback rules.

    Parameters
    ----------
    Y_true : {array-like, sparse matrix} of shape (n_samples, n_labels)
        Multi-hot indicator matrix of 0/1 true labels of the tuning rows.
    scores : array-like of shape (n_samples, n_labels)
        Finite scores of the same rows from a model that did not train on
        them (held-out or out-of-fold), e.g. ``predict_proba`` output.
    strategy : str or callable, default="f1"
        One of ``STRATEGIES``, or a metric as described above.
    beta : float, default=1.0
        Weight of recall relative to precision for "fbeta".
    shrinkage : float, default=20.0
        Number of positives at which a label's own "f1"/"fbeta" threshold and
        the global one weigh equally; 0 disables shrinkage.
    prevalence : float or array-like of shape (n_labels,), default=None
        Predicted rate per label for "prevalence"; None for the label
        frequencies of `Y_true`.
    fallback : float, default=0.5
        Threshold of labels whose metric has no optimum, see above; 0.5
        suits probabilities, 0 suits decision functions.
    Y_train : {array-like, sparse matrix} of shape (n_train, n_labels), \
            default=None
        Multi-hot targets of the rows the model was trained on, for the rule
        on constant labels above; None applies no such rule.
    score_range : tuple of (float, float), default=(0.0, 1.0)
        Lowest and highest score the model can give, for the rule on
        constant labels: (0, 1) for probabilities, ``(-inf, inf)`` for
        decision functions.

    Returns
    -------
    search : ThresholdSearch
        Thresholds, the metric reached and per-label details.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.thresholds._search import tune_thresholds
    >>> Y_true = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    >>> scores = np.array([[0.9, 0.2], [0.6, 0.1], [0.3, 0.4], [0.1, 0.7]])
    >>> search = tune_thresholds(Y_true, scores, "f1", shrinkage=0)
    >>> search.thresholds, search.score
    (array([0.45, 0.55]), 1.0)
    """
    Y_true, scores = check_targets(Y_true, scores)
    search = _search_strategy(
        Y_true, scores, strategy, beta, shrinkage, prevalence, fallback
    )
    if Y_train is None:
        return search
    return _pin_constant_labels(search, Y_train, score_range)


def _search_strategy(Y_true, scores, strategy, beta, shrinkage, prevalence, fallback):
    """Dispatch the checked tuning rows to ``strategy``; a ThresholdSearch."""
    n_positives = Y_true.sum(axis=0)
    if callable(strategy):
        thresholds, score = _callable_thresholds(Y_true, scores, strategy)
        return _search_result(thresholds, _callable_name(strategy), score, n_positives)
    if strategy not in STRATEGIES:
        raise ValueError(
            f"strategy must be one of {STRATEGIES} or a callable "
            f"metric(Y_true, Y_pred) -> float; got {strategy!r}."
        )
    if strategy in _SHRUNK:
        return _shrunk_fbeta(
            Y_true,
            scores,
            strategy,
            1.0 if strategy == "f1" else beta,
            shrinkage,
            fallback,
        )
    if strategy == "global_micro_f1":
        threshold, score = best_global_threshold(Y_true, scores)
        thresholds = np.full(scores.shape[1], threshold)
    elif strategy in _COORDINATE_ASCENT:
        thresholds, score = coordinate_ascent_thresholds(
            Y_true, scores, metric=strategy
        )
    elif strategy == "youden":
        thresholds, label_scores = youden_thresholds(Y_true, scores, fallback=fallback)
        return _search_result(
            thresholds, strategy, _nanmean(label_scores), n_positives, label_scores
        )
    else:
        rates = Y_true.mean(axis=0) if prevalence is None else prevalence
        thresholds, score = prevalence_thresholds(scores, rates), np.nan
    return _search_result(thresholds, strategy, score, n_positives)


def _pin_constant_labels(search, Y_train, score_range):
    """Set the thresholds of labels constant in ``Y_train``: never, or always.

    Return a new ThresholdSearch; the search's score and per-label results stay.
    """
    n_labels = search.thresholds.shape[0]
    shape = getattr(Y_train, "shape", np.shape(Y_train))
    if len(shape) != 2 or shape[1] != n_labels:
        raise ValueError(
            f"Y_train has shape {shape} but the tuning scores have {n_labels} "
            "labels: pass the training targets, one column per label."
        )
    values = Y_train.data if sp.issparse(Y_train) else np.asarray(Y_train)
    if not np.isin(values, (0, 1)).all():
        raise ValueError(
            f"Y_train contains values {np.unique(values)[:5]}: pass a multi-hot "
            "indicator matrix of 0/1 values."
        )
    low, high = (float(bound) for bound in score_range)
    if not low < high:
        raise ValueError(
            f"score_range must be (lowest, highest) with lowest < highest; got "
            f"{score_range!r}. Pass (0, 1) for probabilities, (-inf, inf) for "
            "decision functions."
        )
    n_positives = np.asarray(Y_train.sum(axis=0)).ravel()
    thresholds = np.where(n_positives == 0, np.nextafter(high, np.inf), low)
    constant = (n_positives == 0) | (n_positives == shape[0])
    thresholds = np.where(constant, thresholds, search.thresholds)
    thresholds.setflags(write=False)
    return replace(search, thresholds=thresholds)


def _shrunk_fbeta(Y_true, scores, strategy, beta, shrinkage, fallback):
    """Tune per-label F-beta thresholds, shrunk toward the micro-F1 one."""
    beta = _check_beta(beta)
    raw, _ = best_fbeta_thresholds(Y_true, scores, beta=beta, fallback=fallback)
    n_positives = Y_true.sum(axis=0)
    thresholds = raw
    if shrinkage != 0:
        global_threshold, _ = best_global_threshold(Y_true, scores)
        thresholds = shrink_thresholds(raw, global_threshold, n_positives, shrinkage)
    label_scores = _fbeta_per_label(Y_true, scores >= thresholds, beta)
    return _search_result(
        thresholds, strategy, _nanmean(label_scores), n_positives, label_scores, raw
    )


def _search_result(
    thresholds, strategy, score, n_positives, label_scores=None, raw=None
):
    """Assemble a read-only ThresholdSearch, NaN for absent label scores."""
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if label_scores is None:
        label_scores = np.full(thresholds.shape, np.nan)
    per_label = {
        "n_positives": np.asarray(n_positives, dtype=np.int64),
        "raw_thresholds": np.asarray(thresholds if raw is None else raw, float),
        "label_scores": np.asarray(label_scores, dtype=np.float64),
    }
    for array in (thresholds, *per_label.values()):
        array.setflags(write=False)
    return ThresholdSearch(thresholds, strategy, float(score), per_label)


def _fbeta_per_label(Y_true, Y_pred, beta):
    """F-beta of each label, NaN for labels with no positive and no prediction."""
    beta2 = beta**2
    true_positives = np.sum((Y_true == 1) & (Y_pred == 1), axis=0)
    denominator = beta2 * np.sum(Y_true, axis=0) + np.sum(Y_pred, axis=0)
    safe = np.where(denominator > 0, denominator, 1)
    return np.where(denominator > 0, (1 + beta2) * true_positives / safe, np.nan)


def _nanmean(values):
    """Mean of the non-NaN values, NaN (without a warning) when there is none."""
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else np.nan


def _callable_name(metric):
    """Name a callable metric for reports, looking through ``partial``."""
    function = getattr(metric, "func", metric)
    return getattr(function, "__name__", type(function).__name__)


def _callable_thresholds(Y_true, scores, metric):
    """Maximise ``metric`` by coordinate ascent over per-label score quantiles.

    Start from the global micro-F1 threshold; return the thresholds and the score.
    """
    start, _ = best_global_threshold(Y_true, scores)
    thresholds = np.full(scores.shape[1], start)
    Y_pred = (scores >= thresholds).astype(np.int64)
    # A NaN start (e.g. a metric undefined there) must not block every change.
    best = _call_metric(metric, Y_true, Y_pred)
    best = -np.inf if np.isnan(best) else best
    levels = np.linspace(0, 1, CALLABLE_GRID_SIZE)
    grid = np.quantile(scores, levels, axis=0, method="inverted_cdf")
    for _ in range(CALLABLE_MAX_ROUNDS):
        start_of_round = best
        for j in range(scores.shape[1]):
            kept = Y_pred[:, j].copy()
            for candidate in np.unique(grid[:, j]):
                Y_pred[:, j] = scores[:, j] >= candidate
                value = _call_metric(metric, Y_true, Y_pred)
                if value > best + _TIE_ATOL:
                    best, thresholds[j], kept = value, candidate, Y_pred[:, j].copy()
            Y_pred[:, j] = kept
        if best <= start_of_round + _TIE_ATOL:
            break
    if best == -np.inf:
        raise ValueError(
            f"strategy={_callable_name(metric)} returned NaN for every threshold "
            "tried, so none can be chosen: make the metric return a number for "
            "any prediction, e.g. pass zero_division=0 to scikit-learn's metrics."
        )
    return thresholds, best


def _call_metric(metric, Y_true, Y_pred):
    """Evaluate a user metric, refusing anything but one number."""
    value = metric(Y_true, Y_pred)
    if not isinstance(value, numbers.Real) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        raise ValueError(
            f"strategy={_callable_name(metric)} returned {value!r}: a callable "
            "strategy must return one number, greater is better, such as "
            "functools.partial(f1_score, average='macro')."
        )
    return float(value)
