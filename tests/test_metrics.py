"""Tests for per_label_report."""

import builtins

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import precision_recall_fscore_support

from sklearn_multilabel.metrics import REPORT_COLUMNS, per_label_report


def _problem(seed=0):
    """Targets with a label never true, and scores."""
    rng = np.random.default_rng(seed)
    Y_true = (rng.random((50, 4)) < 0.4).astype(int)
    Y_true[:, 3] = 0
    return Y_true, rng.random(Y_true.shape)


def test_report_from_scores_and_thresholds():
    """Check every column against scikit-learn for thresholded scores."""
    pd = pytest.importorskip("pandas")
    Y_true, scores = _problem()
    thresholds = np.array([0.3, 0.5, 0.7, 0.9])
    report = per_label_report(Y_true, scores, thresholds, label_names=list("abcd"))
    assert isinstance(report, pd.DataFrame)
    assert list(report.columns) == list(REPORT_COLUMNS)
    assert list(report.index) == list("abcd")
    precision, recall, f1, support = precision_recall_fscore_support(
        Y_true, (scores >= thresholds).astype(int), average=None, zero_division=0.0
    )
    assert_allclose(report["precision"], precision)
    assert_allclose(report["recall"], recall)
    assert_allclose(report["f1"], f1)
    assert_array_equal(report["support"], support)
    assert_array_equal(report["support"], Y_true.sum(axis=0))
    assert_array_equal(report["threshold"], thresholds)


def test_report_from_predictions_has_no_threshold():
    """Check that 0/1 predictions give a NaN threshold column."""
    pytest.importorskip("pandas")
    Y_true, scores = _problem(1)
    Y_pred = (scores > 0.5).astype(int)
    report = per_label_report(Y_true, Y_pred)
    assert report["threshold"].isna().all()
    assert list(report.index) == [0, 1, 2, 3]
    assert report["recall"].iloc[3] == 0.0


def test_report_without_pandas_is_a_printable_dict(monkeypatch):
    """Check as_frame=False: a dict of arrays whose str is a text table."""
    real_import = builtins.__import__

    def import_without_pandas(name, *args, **kwargs):
        if name.split(".")[0] == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", import_without_pandas)
    Y_true, scores = _problem(2)
    report = per_label_report(Y_true, scores, 0.5, as_frame=False)
    assert set(report) == {"label", *REPORT_COLUMNS}
    assert_array_equal(report["threshold"], np.full(4, 0.5))
    lines = str(report).splitlines()
    assert lines[0].split() == ["label", *REPORT_COLUMNS]
    assert len(lines) == 5
    first = lines[1].split()
    assert first[0] == "0"
    assert int(first[1]) == Y_true[:, 0].sum()
    assert float(first[5]) == pytest.approx(report["f1"][0], abs=1e-4)
    with pytest.raises(ImportError, match="pass as_frame=False"):
        per_label_report(Y_true, scores, 0.5)


@pytest.mark.parametrize(
    "args, err_msg",
    [
        ((np.full((3, 2), 0.4),), "values other than 0 and 1 but thresholds is None"),
        ((np.zeros((3, 2)), None, ["a"]), "label_names has shape"),
        ((np.zeros((3, 3)),), "Y_true has shape"),
    ],
)
def test_invalid_input(args, err_msg):
    """Check the errors of per_label_report."""
    with pytest.raises(ValueError, match=err_msg):
        per_label_report(np.zeros((3, 2), dtype=int), *args)
