"""MultiLabelThresholdTuner: per-label thresholds for any multi-label classifier."""

from copy import deepcopy
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from sklearn_multilabel._validation import (
    encode_target,
    reject_label_lists,
    target_label_names,
)
from sklearn_multilabel.thresholds._cross_fitting import (
    cross_fit,
    fold_splits,
    positive_scores,
    response_method,
)
from sklearn_multilabel.thresholds._cut_points import FALLBACK_THRESHOLD
from sklearn_multilabel.thresholds._decoding import decode
from sklearn_multilabel.thresholds._search import (
    DEFAULT_BETA,
    DEFAULT_SHRINKAGE,
    DEFAULT_STRATEGY,
    PROBABILITY_RANGE,
    STRATEGIES,
    tune_thresholds,
)

# Thresholds of labels without an optimum, on each response method's scale.
_FALLBACKS = {"predict_proba": FALLBACK_THRESHOLD, "decision_function": 0.0}
_SCORE_RANGES = {
    "predict_proba": PROBABILITY_RANGE,
    "decision_function": (-np.inf, np.inf),
}


def _estimator_has(method):
    """Tell ``available_if`` whether the (fitted) inner estimator has ``method``."""

    def check(self):
        return hasattr(getattr(self, "estimator_", self.estimator), method)

    return check


class MultiLabelThresholdTuner(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Tune per-label decision thresholds of any multi-label classifier.

    The inner estimator's per-label scores (``predict_proba``, else
    ``decision_function``) are collected on rows it did not train on, the
    thresholds are tuned on them with a strategy of ``tune_thresholds``, and
    ``predict`` compares each label's score with its threshold. Works with
    any estimator returning per-label scores for an indicator target:
    ``OneVsRestClassifier``, ``RandomForestClassifier`` and
    ``KNeighborsClassifier`` (one probability array per label),
    ``MLPClassifier``, ``MultiLabelNNClassifier``, or a ``Pipeline`` ending in
    one. A 1-D binary target is tuned as one label.

    Where the tuning scores come from, and what it costs:

    - ``cv=K`` (default 5): out-of-fold scores from ``K`` folds stratified per
      label, then, with ``refit=True``, one more fit on all rows: ``K + 1``
      fits, and every row is used for tuning.
    - a splitter with a single split and ``refit=False``: the model fitted on
      the training part is kept and tuned on the held-out part: one fit, but
      fewer rows to fit and to tune on.
    - ``cv="prefit"``: the estimator is already fitted and is tuned on the
      ``(X, y)`` passed to ``fit``, which must be held-out data (tuning on
      the training rows makes the thresholds fit the training scores, which
      are over-confident). No fit at all; `refit` is ignored.

    Unless ``cv="prefit"``, a label never positive in the rows passed to
    ``fit`` is never predicted (threshold ``nextafter(1, 2)`` for
    probabilities, ``+inf`` for a decision function), and a label always
    positive there is always predicted (threshold 0, or ``-inf``), whatever
    the strategy. With ``cv="prefit"`` the training rows are unknown and
    every label follows the strategy.

    Parameters
    ----------
    estimator : estimator instance
        Classifier with ``fit`` and ``predict_proba`` or
        ``decision_function``; fitted when ``cv="prefit"``.
    strategy : str or callable, default="f1"
        One of "f1", "fbeta", "micro_f1", "global_micro_f1", "samples_f1",
        "samples_jaccard", "youden", "prevalence", or a metric
        ``metric(Y_true, Y_pred) -> float`` to maximise; see
        ``tune_thresholds``. Use "micro_f1" when micro-F1 (or Hamming loss)
        matters, "f1" for macro-F1.
    beta : float, default=1.0
        Weight of recall relative to precision for ``strategy="fbeta"``.
    shrinkage : float, default=20.0
        For "f1" and "fbeta": number of positives at which a label's own
        threshold and the global micro-F1 threshold weigh equally, so rare
        labels are pulled toward the global one; 0 disables it.
    cv : int, cross-validation splitter or "prefit", default=5
        Where the tuning scores come from, see above.
    refit : bool, default=True
        Refit the estimator on all rows after cross-fitting. False needs a
        splitter with a single split.
    min_labels : int, default=0
        ``predict`` adds each sample's highest-scoring labels until it has at
        least this many.
    max_labels : int, default=None
        ``predict`` keeps at most this many labels per sample, the
        highest-scoring; None for no limit.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of the folds when `cv` is an int. The inner
        estimator's own randomness is set by its parameters.
    n_jobs : int, default=None
        Folds fitted in parallel; None means 1.

    Attributes
    ----------
    estimator_ : estimator instance
        The estimator that ``predict`` uses: refitted on all rows, fitted on
        the single split's training part, or `estimator` itself with
        ``cv="prefit"``.
    thresholds_ : ndarray of shape (n_labels,)
        Per-label thresholds on the scale of the response method; ``+inf``
        or ``nextafter(1, 2)`` means never predicted. May be set by hand.
    threshold_search_ : ThresholdSearch
        Per-label details of the search (positives, thresholds before
        shrinkage, per-label metric); ``.to_frame()`` gives a DataFrame.
    best_score_ : float
        Value of the optimised metric on the tuning scores.
    classes_ : ndarray
        ``arange(n_labels)`` for an indicator target; the two classes for a
        1-D binary target.
    label_names_ : ndarray of shape (n_labels,) or None
        Names of the labels, in the order of the columns of ``predict``: the
        column names of ``y`` when it is a DataFrame with string column
        names, else None.
    n_features_in_ : int
        Number of features seen by the inner estimator during fit.

    See Also
    --------
    sklearn.model_selection.TunedThresholdClassifierCV : The binary-only
        counterpart of scikit-learn.
    MultiLabelNNClassifier : A network whose thresholds are tuned during fit.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from sklearn_multilabel import MultiLabelThresholdTuner
    >>> X, Y = make_multilabel_classification(n_samples=200, random_state=0)
    >>> tuner = MultiLabelThresholdTuner(
    ...     OneVsRestClassifier(LogisticRegression()), strategy="micro_f1",
    ...     random_state=0).fit(X, Y)
    >>> tuner.thresholds_.shape, tuner.predict(X[:2]).shape
    ((5,), (2, 5))
    """

    _parameter_constraints: dict = {
        "estimator": [
            HasMethods(["fit", "predict_proba"]),
            HasMethods(["fit", "decision_function"]),
        ],
        "strategy": [StrOptions(set(STRATEGIES)), callable],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "shrinkage": [Interval(Real, 0, None, closed="left")],
        "cv": [
            Interval(Integral, 2, None, closed="left"),
            HasMethods(["split", "get_n_splits"]),
            StrOptions({"prefit"}),
        ],
        "refit": ["boolean"],
        "min_labels": [Interval(Integral, 0, None, closed="left")],
        "max_labels": [Interval(Integral, 0, None, closed="left"), None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator,
        *,
        strategy=DEFAULT_STRATEGY,
        beta=DEFAULT_BETA,
        shrinkage=DEFAULT_SHRINKAGE,
        cv=5,
        refit=True,
        min_labels=0,
        max_labels=None,
        random_state=None,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.strategy = strategy
        self.beta = beta
        self.shrinkage = shrinkage
        self.cv = cv
        self.refit = refit
        self.min_labels = min_labels
        self.max_labels = max_labels
        self.random_state = random_state
        self.n_jobs = n_jobs

    @_fit_context(
        # The inner estimator's parameters are validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y):
        """Fit the inner estimator and tune its per-label thresholds.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features, in any format the inner estimator accepts.
        y : {array-like, sparse matrix} of shape (n_samples, n_labels)
            Multi-hot indicator matrix of 0/1; a 1-D target with two classes
            is one label. With ``cv="prefit"``, held-out rows.

        Returns
        -------
        self : object
            Fitted tuner.
        """
        label_names = target_label_names(y)
        y, Y, classes, binary = _check_target(self, X, y)
        method = response_method(self.estimator)
        if self.cv == "prefit":
            check_is_fitted(self.estimator)
            estimator = self.estimator
            scores = positive_scores(
                getattr(estimator, method)(X),
                binary=binary,
                classes=getattr(estimator, "classes_", None),
            )
        else:
            estimator, scores = self._cross_fit(X, y, method)
        tuned = np.isfinite(scores).all(axis=1)
        search = tune_thresholds(
            Y[tuned],
            scores[tuned],
            self.strategy,
            beta=self.beta,
            shrinkage=self.shrinkage,
            fallback=_FALLBACKS[method],
            Y_train=None if self.cv == "prefit" else Y,
            score_range=_SCORE_RANGES[method],
        )
        self.estimator_ = estimator
        self.threshold_search_ = search
        self.thresholds_ = search.thresholds.copy()
        self.best_score_ = search.score
        self.classes_ = classes
        self.label_names_ = label_names
        self._binary, self._response_method = binary, method
        self._target_dtype = y.dtype
        return self

    def _cross_fit(self, X, y, method):
        """Out-of-fold scores (NaN for untested rows) and the estimator predicting."""
        n_splits = self.cv if isinstance(self.cv, Integral) else self.cv.get_n_splits()
        if not self.refit and n_splits != 1:
            raise ValueError(
                f"refit=False keeps the model of a single split, but cv={self.cv!r} "
                f"makes {n_splits} splits: pass refit=True, or a splitter with one "
                "split such as MultilabelStratifiedShuffleSplit(n_splits=1, "
                "test_size=0.25) from iterstrat.ml_stratifiers."
            )
        splits = fold_splits(y, self.cv, self.random_state)
        scores, fitted = cross_fit(
            self.estimator, X, y, splits, method=method, n_jobs=self.n_jobs
        )
        if self.refit:
            return clone(self.estimator).fit(X, y), scores
        return fitted[0], scores

    @property
    def n_features_in_(self):
        """Number of features seen by the inner estimator during fit."""
        return self.estimator_.n_features_in_

    def _scores(self, X, method=None):
        """Inner estimator's per-label scores by ``method`` (None: the tuned one)."""
        raw = getattr(self.estimator_, method or self._response_method)(X)
        return positive_scores(
            raw,
            binary=self._binary,
            classes=getattr(self.estimator_, "classes_", None),
        )

    def predict(self, X):
        """Predict labels: each score compared with its label's threshold.

        The number of labels per sample is then bounded by `min_labels` and
        `max_labels`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels)
            0/1 indicator matrix with the dtype of the training target; for a
            1-D binary target, the predicted classes, shape (n_samples,).
        """
        check_is_fitted(self)
        Y = decode(
            self._scores(X),
            self.thresholds_,
            min_labels=self.min_labels,
            max_labels=self.max_labels,
        )
        if self._binary:
            return self.classes_[Y[:, 0]]
        return Y.astype(self._target_dtype)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Return the inner estimator's probability of each label.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_labels), float64
            Probability of each label, whatever the inner output format; for
            a 1-D binary target, shape (n_samples, 2).
        """
        check_is_fitted(self)
        proba = self._scores(X, "predict_proba")
        if self._binary:
            return np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
        return proba

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Return the inner estimator's decision function, one column per label.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_labels), float64
            For a 1-D binary target, shape (n_samples,).
        """
        check_is_fitted(self)
        scores = self._scores(X, "decision_function")
        return scores[:, 0] if self._binary else scores

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = deepcopy(inner.input_tags)
        # OneVsRestClassifier handles indicator targets without setting
        # multi_label: a multi-output classifier does too.
        indicator = inner.target_tags.multi_output or bool(
            inner.classifier_tags and inner.classifier_tags.multi_label
        )
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = indicator
        tags.target_tags.multi_output = indicator
        tags.target_tags.single_output = True
        tags.non_deterministic = inner.non_deterministic
        if inner.classifier_tags is not None:
            tags.classifier_tags.poor_score = inner.classifier_tags.poor_score
        return tags


def _check_target(tuner, X, y):
    """Validate ``y``: the target to fit on, its 0/1 int64 matrix, classes, binary."""
    if y is None:
        raise ValueError(
            f"{type(tuner).__name__} requires y to be passed, but the target y "
            "is None: pass a multi-hot indicator matrix."
        )
    reject_label_lists(y)
    y = y if sp.issparse(y) else np.asarray(y)
    check_consistent_length(X, y)
    if y.shape[0] == 0:
        raise ValueError(
            f"Found 0 samples (y has shape {y.shape}) while a minimum of 1 is "
            f"required by {type(tuner).__name__}."
        )
    Y, classes, binary = encode_target(y)
    if binary:
        y = y.ravel()
    Y = Y.toarray() if sp.issparse(Y) else Y
    return y, Y.astype(np.int64), classes, binary
