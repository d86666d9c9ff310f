"""Tests for ThresholdCurveDisplay."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.multiclass import OneVsRestClassifier

from sklearn_multilabel.plotting import ThresholdCurveDisplay
from sklearn_multilabel.thresholds._tuner import MultiLabelThresholdTuner

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

METRICS = {
    "f1": f1_score,
    "precision": precision_score,
    "recall": recall_score,
}


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened."""
    yield
    plt.close("all")


def _problem(seed=0, n_samples=40, n_labels=3):
    """Targets and scores rounded to create ties."""
    rng = np.random.default_rng(seed)
    Y_true = (rng.random((n_samples, n_labels)) < 0.4).astype(int)
    scores = np.round(0.4 * Y_true + 0.6 * rng.random(Y_true.shape), 1)
    return Y_true, scores


@pytest.mark.parametrize("metric", ["f1", "precision", "recall"])
def test_curves_are_the_metric_at_every_distinct_score(metric):
    """Check each curve's points against scikit-learn at each threshold."""
    Y_true, scores = _problem()
    display = ThresholdCurveDisplay.from_predictions(Y_true, scores, metric=metric)
    assert len(display.lines_) == 3
    for j, line in enumerate(display.lines_):
        x, y = line.get_xdata(), line.get_ydata()
        assert_array_equal(x, np.unique(scores[:, j]))
        expected = [
            METRICS[metric](Y_true[:, j], scores[:, j] >= t, zero_division=np.nan)
            for t in x
        ]
        assert_allclose(y, expected)
        assert line.get_drawstyle() == "steps-pre"


def test_youden_curve_matches_rates():
    """Check the Youden curve: true minus false positive rate."""
    Y_true, scores = _problem(1)
    display = ThresholdCurveDisplay.from_predictions(
        Y_true, scores, metric="youden", labels=[1]
    )
    (line,) = display.lines_
    y_true, s = Y_true[:, 1] == 1, scores[:, 1]
    expected = [
        (y_true & (s >= t)).sum() / y_true.sum()
        - (~y_true & (s >= t)).sum() / (~y_true).sum()
        for t in line.get_xdata()
    ]
    assert_allclose(line.get_ydata(), expected)
    assert display.ax_.get_ylabel() == "Youden's J (TPR - FPR)"


def test_chosen_thresholds_are_marked_on_their_curves():
    """Check the markers' positions, colours and the infinite threshold."""
    Y_true, scores = _problem(2)
    thresholds = np.array([0.45, np.inf, 0.3])
    display = ThresholdCurveDisplay.from_predictions(
        Y_true, scores, thresholds=thresholds, label_names=["a", "b", "c"]
    )
    assert display.markers_[1] is None
    for j in (0, 2):
        marker, line = display.markers_[j], display.lines_[j]
        assert_array_equal(marker.get_xdata(), [thresholds[j]])
        expected = f1_score(Y_true[:, j], scores[:, j] >= thresholds[j])
        assert_allclose(marker.get_ydata(), [expected])
        assert marker.get_color() == line.get_color()
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["a", "b", "c"]
    assert display.ax_.get_xlabel() == "Decision threshold"
    assert display.ax_.get_ylabel() == "F1"


def test_labels_select_curves_and_ax_is_used():
    """Check that labels picks curves and that a given ax is drawn on."""
    Y_true, scores = _problem(3)
    _, ax = plt.subplots()
    display = ThresholdCurveDisplay.from_predictions(
        Y_true, scores, thresholds=0.5, labels=[2, 0], ax=ax
    )
    assert display.ax_ is ax
    assert display.figure_ is ax.figure
    assert [line.get_label() for line in display.lines_] == ["label 2", "label 0"]
    assert_array_equal(display.lines_[0].get_xdata(), np.unique(scores[:, 2]))
    assert len(ax.get_lines()) == 4


def test_from_estimator_marks_the_tuned_thresholds(multilabel_data):
    """Check from_estimator on a tuner (marked) and on a plain model (not)."""
    X, Y = multilabel_data
    tuner = MultiLabelThresholdTuner(
        OneVsRestClassifier(LogisticRegression()), cv=3, random_state=0
    ).fit(X, Y)
    display = ThresholdCurveDisplay.from_estimator(tuner, X, Y, labels=[0, 1])
    assert_array_equal(display.thresholds, tuner.thresholds_[:2])
    assert_array_equal(
        display.lines_[0].get_xdata(), np.unique(tuner.predict_proba(X)[:, 0])
    )
    plain = ThresholdCurveDisplay.from_estimator(tuner.estimator_, X, Y)
    assert plain.markers_ == [None] * Y.shape[1]


def test_plot_can_be_called_again_on_new_axes():
    """Check that a display redraws on other axes."""
    Y_true, scores = _problem(4)
    display = ThresholdCurveDisplay.from_predictions(Y_true, scores)
    first = display.ax_
    _, ax = plt.subplots()
    assert display.plot(ax=ax).ax_ is ax
    assert ax is not first
    assert len(ax.get_lines()) == 3


@pytest.mark.parametrize(
    "kwargs, err_msg",
    [
        ({"metric": "accuracy"}, "metric must be one of"),
        ({"labels": [3]}, "labels must be indices of the 3 labels"),
        ({"thresholds": [0.5, 0.5]}, "thresholds has shape"),
    ],
)
def test_invalid_arguments(kwargs, err_msg):
    """Check the errors of from_predictions."""
    Y_true, scores = _problem(5)
    with pytest.raises(ValueError, match=err_msg):
        ThresholdCurveDisplay.from_predictions(Y_true, scores, **kwargs)


def test_missing_matplotlib_is_explained(monkeypatch):
    """Check the ImportError raised without matplotlib."""
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    Y_true, scores = _problem(6)
    with pytest.raises(ImportError, match="needs matplotlib to draw"):
        ThresholdCurveDisplay.from_predictions(Y_true, scores)
