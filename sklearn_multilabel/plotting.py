"""Plots of per-label metrics against the decision threshold.

matplotlib is an optional dependency: it is imported only when drawing.
"""

import numpy as np

from sklearn_multilabel.thresholds._cross_fitting import (
    positive_scores,
    response_method,
    to_indicator_matrix,
)
from sklearn_multilabel.thresholds._decoding import check_targets, check_thresholds

CURVE_METRICS = ("f1", "precision", "recall", "youden")
_METRIC_NAMES = {
    "f1": "F1",
    "precision": "Precision",
    "recall": "Recall",
    "youden": "Youden's J (TPR - FPR)",
}


def _label_metric(metric, true_positives, n_predicted, n_positives, n_samples):
    """A per-label metric from confusion counts, element-wise; NaN where undefined."""
    tp = np.asarray(true_positives, dtype=np.float64)
    n_predicted = np.asarray(n_predicted, dtype=np.float64)
    n_positives = np.asarray(n_positives, dtype=np.float64)
    n_negatives = n_samples - n_positives
    if metric == "precision":
        return _ratio(tp, n_predicted)
    recall = _ratio(tp, n_positives)
    if metric == "recall":
        return recall
    if metric == "youden":
        return recall - _ratio(n_predicted - tp, n_negatives)
    return _ratio(2 * tp, n_positives + n_predicted)


def _ratio(numerator, denominator):
    """Divide element-wise, NaN where the denominator is 0."""
    numerator, denominator = np.broadcast_arrays(numerator, denominator)
    safe = np.where(denominator > 0, denominator, 1)
    return np.where(denominator > 0, numerator / safe, np.nan)


def _curve(y, scores, metric):
    """Distinct scores of one label, increasing, and the metric at each of them."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_y = scores[order], y[order]
    # The last sample of each group of tied scores ends a reachable cut.
    ends = np.append(sorted_scores[:-1] > sorted_scores[1:], True)
    true_positives = np.cumsum(sorted_y)[ends]
    n_predicted = np.arange(1, y.size + 1)[ends]
    values = _label_metric(metric, true_positives, n_predicted, y.sum(), y.size)
    return sorted_scores[ends][::-1], values[::-1]


class ThresholdCurveDisplay:
    """Per-label metric against the decision threshold, chosen ones marked.

    One step curve per label shows the metric obtained by predicting the
    label where its score is at least the threshold, exactly at every
    distinct score; a dot marks each label's chosen threshold. Build it with
    :meth:`from_estimator` or :meth:`from_predictions`.

    Parameters
    ----------
    curve_thresholds : list of ndarray
        Increasing thresholds of each label's curve.
    curve_values : list of ndarray
        Metric at each of those thresholds.
    thresholds : ndarray of shape (n_plotted_labels,), default=None
        Chosen threshold of each plotted label; None to mark none.
    threshold_values : ndarray of shape (n_plotted_labels,), default=None
        Metric at the chosen thresholds.
    label_names : list of str, default=None
        Legend entries; None for "label 0", "label 1", ...
    metric : str, default="f1"
        Name of the metric, one of "f1", "precision", "recall", "youden".

    Attributes
    ----------
    lines_ : list of matplotlib.lines.Line2D
        One curve per label.
    markers_ : list of matplotlib.lines.Line2D or None
        The dot of each label's chosen threshold; None when no threshold was
        given or it is infinite (the label is never predicted).
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_multilabel.plotting import ThresholdCurveDisplay
    >>> Y_true = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    >>> scores = np.array([[0.9, 0.2], [0.4, 0.8], [0.3, 0.6], [0.1, 0.7]])
    >>> display = ThresholdCurveDisplay.from_predictions(
    ...     Y_true, scores, thresholds=[0.35, 0.5])
    >>> len(display.lines_)
    2
    """

    def __init__(
        self,
        *,
        curve_thresholds,
        curve_values,
        thresholds=None,
        threshold_values=None,
        label_names=None,
        metric="f1",
    ):
        self.curve_thresholds = curve_thresholds
        self.curve_values = curve_values
        self.thresholds = thresholds
        self.threshold_values = threshold_values
        self.label_names = label_names
        self.metric = metric

    def plot(self, ax=None):
        """Draw the curves and the chosen thresholds.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; None makes a new figure.

        Returns
        -------
        display : ThresholdCurveDisplay
            This object, with ``lines_``, ``markers_``, ``ax_`` and
            ``figure_`` set.
        """
        if ax is None:
            ax = _new_axes()
        names = self.label_names
        if names is None:
            names = [f"label {j}" for j in range(len(self.curve_values))]
        self.lines_, self.markers_ = [], []
        for j, (x, y) in enumerate(
            zip(self.curve_thresholds, self.curve_values, strict=True)
        ):
            (line,) = ax.plot(x, y, drawstyle="steps-pre", label=names[j])
            self.lines_.append(line)
            self.markers_.append(self._marker(ax, j, line.get_color()))
        ax.set_xlabel("Decision threshold")
        ax.set_ylabel(_METRIC_NAMES.get(self.metric, self.metric))
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _marker(self, ax, j, color):
        """Dot label ``j``'s chosen threshold on its curve; None if none or infinite."""
        if self.thresholds is None or not np.isfinite(self.thresholds[j]):
            return None
        (marker,) = ax.plot(
            [self.thresholds[j]],
            [self.threshold_values[j]],
            marker="o",
            linestyle="none",
            color=color,
        )
        return marker

    @classmethod
    def from_predictions(
        cls,
        Y_true,
        scores,
        *,
        thresholds=None,
        metric="f1",
        labels=None,
        label_names=None,
        ax=None,
    ):
        """Plot per-label metric curves from true labels and scores.

        Parameters
        ----------
        Y_true : array-like of shape (n_samples, n_labels)
            Multi-hot indicator matrix of 0/1 true labels.
        scores : array-like of shape (n_samples, n_labels)
            Per-label scores, e.g. ``predict_proba`` output.
        thresholds : float or array-like of shape (n_labels,), default=None
            Chosen thresholds to mark, e.g. ``estimator.thresholds_``; None
            to mark none.
        metric : {"f1", "precision", "recall", "youden"}, default="f1"
            Metric to draw.
        labels : array-like of int, default=None
            Indices of the labels to draw; None for all.
        label_names : array-like of str of shape (n_labels,), default=None
            Names of all labels, for the legend.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; None makes a new figure.

        Returns
        -------
        display : ThresholdCurveDisplay
        """
        if metric not in CURVE_METRICS:
            raise ValueError(f"metric must be one of {CURVE_METRICS}; got {metric!r}.")
        Y_true, scores = check_targets(Y_true, scores)
        n_labels = Y_true.shape[1]
        labels = np.arange(n_labels) if labels is None else np.asarray(labels)
        if labels.ndim != 1 or not np.isin(labels, np.arange(n_labels)).all():
            raise ValueError(
                f"labels must be indices of the {n_labels} labels; got {labels!r}."
            )
        curves = [_curve(Y_true[:, j], scores[:, j], metric) for j in labels]
        chosen, chosen_values = None, None
        if thresholds is not None:
            chosen = check_thresholds(thresholds, n_labels)[labels]
            predicted = scores[:, labels] >= chosen
            chosen_values = _label_metric(
                metric,
                np.sum(predicted & (Y_true[:, labels] == 1), axis=0),
                predicted.sum(axis=0),
                Y_true[:, labels].sum(axis=0),
                Y_true.shape[0],
            )
        names = None
        if label_names is not None:
            names = [str(name) for name in np.asarray(label_names)[labels]]
        display = cls(
            curve_thresholds=[x for x, _ in curves],
            curve_values=[y for _, y in curves],
            thresholds=chosen,
            threshold_values=chosen_values,
            label_names=names or [f"label {j}" for j in labels],
            metric=metric,
        )
        return display.plot(ax=ax)

    @classmethod
    def from_estimator(
        cls, estimator, X, Y, *, metric="f1", labels=None, label_names=None, ax=None
    ):
        """Plot per-label metric curves of a fitted estimator on (X, Y).

        The scores are the estimator's ``predict_proba`` (else
        ``decision_function``), one column per label whatever its output
        format; its ``thresholds_``, if it has them, are marked.

        Parameters
        ----------
        estimator : fitted estimator
            E.g. ``MultiLabelNNClassifier``, ``MultiLabelThresholdTuner`` or
            ``OneVsRestClassifier``.
        X : array-like of shape (n_samples, n_features)
            Features, preferably not those the estimator was fitted on.
        Y : array-like of shape (n_samples, n_labels)
            Multi-hot indicator matrix of 0/1 true labels.
        metric, labels, label_names, ax
            As in :meth:`from_predictions`.

        Returns
        -------
        display : ThresholdCurveDisplay
        """
        binary = np.ndim(Y) == 1
        raw = getattr(estimator, response_method(estimator))(X)
        scores = positive_scores(
            raw, binary=binary, classes=getattr(estimator, "classes_", None)
        )
        return cls.from_predictions(
            to_indicator_matrix(Y),
            scores,
            thresholds=getattr(estimator, "thresholds_", None),
            metric=metric,
            labels=labels,
            label_names=label_names,
            ax=ax,
        )


def _new_axes():
    """Create a figure with one axes, importing matplotlib only now."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "ThresholdCurveDisplay needs matplotlib to draw: pip install "
            "matplotlib, or pass an existing matplotlib Axes as ax."
        ) from error
    _, ax = plt.subplots()
    return ax
