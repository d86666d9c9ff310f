"""Tests for the comparison runner: data loading, scoring, tables and CLI."""

import builtins
import csv
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.datasets
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    f1_score,
    label_ranking_average_precision_score,
    roc_auc_score,
)
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch

from sklearn_multilabel import MultiLabelNNClassifier, MultiLabelThresholdTuner
from sklearn_multilabel.compare import _cli as compare_cli
from sklearn_multilabel.compare import (
    compare,
    default_models,
    evaluation_splits,
    load_dataset,
    main,
)
from sklearn_multilabel.compare._models import (
    DEFAULT_MODEL_NAMES,
    build_default_models,
    prepare,
)
from sklearn_multilabel.compare._report import (
    METRIC_KEYS,
    ComparisonResult,
    score_predictions,
)
from sklearn_multilabel.datasets import load_emotions

from ..conftest import FAST

QUALITY = [key for key in METRIC_KEYS if not key.endswith("_s")]


def _ovr():
    """A fast, deterministic baseline."""
    return OneVsRestClassifier(LogisticRegression(solver="liblinear"))


def _small_problem(n_samples=120, n_labels=3, seed=0):
    """Features and a 0/1 target whose labels depend on the features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 5))
    Y = X[:, :n_labels] + rng.normal(scale=0.5, size=(n_samples, n_labels)) > 0.3
    return X, Y.astype(int)


class _Broken(ClassifierMixin, BaseEstimator):
    """A classifier whose fit always fails."""

    def fit(self, X, y):
        raise RuntimeError("cannot fit")


def test_bundled_test_split_scores_match_a_manual_fit():
    """Check that the runner fits on train and scores on test like a manual fit."""
    models = {"ovr": _ovr(), "net": MultiLabelNNClassifier(**FAST)}
    result = compare("emotions", models, progress=False)
    data = load_emotions()
    assert [row["model"] for row in result.rows] == ["ovr", "net"]
    assert "standard train/test split (391 train / 202 test rows)" in result.evaluation
    manual = make_pipeline(StandardScaler(), _ovr()).fit(data.X_train, data.Y_train)
    row = result.rows[0]
    assert_allclose(
        row["micro_f1"],
        f1_score(data.Y_test, manual.predict(data.X_test), average="micro"),
    )
    assert_allclose(
        row["lrap"],
        label_ranking_average_precision_score(
            data.Y_test, manual.predict_proba(data.X_test)
        ),
    )
    for row in result.rows:
        assert row["n_folds"] == 1
        assert all(0 <= row[key] <= 1 for key in QUALITY)
        assert row["fit_s"] > 0 and row["predict_s"] > 0
        assert "micro_f1_std" not in row


def test_cross_validation_uses_stratified_folds_over_all_rows():
    """Check that cv=K scores K folds whose test parts partition every row."""
    data = load_dataset("emotions")
    splits, evaluation = evaluation_splits(data, 3, random_state=0)
    assert evaluation.startswith("3-fold cross-validation stratified per label")
    assert_array_equal(np.sort(np.concatenate([t for _, t in splits])), np.arange(593))
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        # Iterative stratification keeps every label's share within a few points.
        assert_allclose(data.Y[test].mean(0), data.Y.mean(0), atol=0.03)
    result = compare(data, {"ovr": _ovr()}, cv=3, progress=False)
    (row,) = result.rows
    assert row["n_folds"] == 3
    assert len(result.folds) == 3
    per_fold = [fold["micro_f1"] for fold in result.folds]
    assert_allclose(row["micro_f1"], np.mean(per_fold))
    assert_allclose(row["micro_f1_std"], np.std(per_fold))


@pytest.mark.parametrize(
    "cv, match", [(1, "at least 2"), (0, "at least 2")], ids=["one", "zero"]
)
def test_invalid_cv_is_refused(cv, match):
    """Check that fewer than 2 folds are refused with a message."""
    with pytest.raises(ValueError, match=match):
        evaluation_splits(load_dataset("emotions"), cv, 0)


def test_tuning_wraps_baselines_and_matches_the_tuner():
    """Check that --tune wraps baselines in the tuner but not the network."""
    wrapped = prepare(_ovr(), sparse=False, tune=True, random_state=0)
    assert isinstance(wrapped, MultiLabelThresholdTuner)
    assert isinstance(wrapped.estimator, Pipeline)
    for model in (MultiLabelNNClassifier(), MultiLabelThresholdTuner(_ovr())):
        assert isinstance(
            prepare(model, sparse=False, tune=True, random_state=0), Pipeline
        )
    fixed = MultiLabelNNClassifier(threshold=0.5)
    assert isinstance(
        prepare(fixed, sparse=False, tune=True, random_state=0),
        MultiLabelThresholdTuner,
    )
    result = compare("emotions", {"ovr": _ovr()}, tune_thresholds=True, progress=False)
    data = load_emotions()
    tuner = MultiLabelThresholdTuner(
        make_pipeline(StandardScaler(), _ovr()), cv=5, random_state=0
    ).fit(data.X_train, data.Y_train)
    expected = f1_score(data.Y_test, tuner.predict(data.X_test), average="micro")
    assert_allclose(result.rows[0]["micro_f1"], expected)
    assert "MultiLabelThresholdTuner" in result.evaluation


def test_npz_with_a_split_and_without(tmp_path):
    """Check .npz archives: a train/test split is kept, X/Y gets a hold-out."""
    X, Y = _small_problem()
    split = tmp_path / "split.npz"
    np.savez(split, X_train=X[:80], Y_train=Y[:80], X_test=X[80:], Y_test=Y[80:])
    data = load_dataset(split)
    assert data.name == "split"
    assert data.test_start == 80
    assert_array_equal(data.X, X)
    assert data.label_names.tolist() == ["label_0", "label_1", "label_2"]

    whole = tmp_path / "whole.npz"
    np.savez(whole, X=X, Y=Y, label_names=np.array(["a", "b", "c"]))
    data = load_dataset(whole)
    assert data.test_start is None
    assert data.label_names.tolist() == ["a", "b", "c"]
    [(train, test)], _ = evaluation_splits(data, None, 0)
    assert test.size == 30 and train.size == 90
    result = compare(str(whole), {"ovr": _ovr()}, progress=False)
    assert "hold-out split stratified per label (90 train / 30 test rows)" in (
        result.evaluation
    )
    assert 0 < result.rows[0]["micro_f1"] <= 1


@pytest.mark.parametrize(
    "arrays, match",
    [
        ({"features": np.zeros((3, 2))}, "X_train, Y_train, X_test and Y_test"),
        ({"X": np.zeros((3, 2)), "Y": np.array([0, 1, 1])}, "at least 2 label"),
        ({"X": np.zeros((3, 2)), "Y": np.full((3, 2), 2)}, "other than 0 and 1"),
        ({"X": np.zeros((4, 2)), "Y": np.ones((3, 2))}, "4 feature rows but 3"),
    ],
    ids=["keys", "1-d", "values", "rows"],
)
def test_npz_errors_say_what_to_pass(tmp_path, arrays, match):
    """Check the messages of malformed .npz archives."""
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=match):
        load_dataset(path)


def _write_csv(path, X, Y, label_names, *, words=False):
    """Write features x0.. and label columns, labels as words if asked."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([f"x{j}" for j in range(X.shape[1])] + label_names)
        for features, labels in zip(X, Y, strict=True):
            cells = ["true" if v else "false" for v in labels] if words else labels
            writer.writerow([*features, *cells])


def test_csv_by_label_names_and_by_prefix(tmp_path):
    """Check CSV loading with named label columns and with a prefix."""
    X, Y = _small_problem()
    path = tmp_path / "tags.csv"
    _write_csv(path, X, Y, ["tag_a", "tag_b", "tag_c"], words=True)
    by_prefix = load_dataset(path, label_prefix="tag_")
    by_names = load_dataset(path, labels=["tag_a", "tag_b", "tag_c"])
    for data in (by_prefix, by_names):
        assert_allclose(data.X, X)
        assert_array_equal(data.Y, Y)
        assert data.label_names.tolist() == ["tag_a", "tag_b", "tag_c"]
        assert data.feature_names.tolist() == [f"x{j}" for j in range(5)]
    numeric = tmp_path / "numeric.csv"
    _write_csv(numeric, X, Y, ["tag_a", "tag_b", "tag_c"])
    two = load_dataset(numeric, labels=["tag_a", "tag_c"])
    assert_array_equal(two.Y, Y[:, [0, 2]])
    assert two.feature_names.tolist()[-1] == "tag_b"
    assert_array_equal(two.X[:, -1], Y[:, 1])


@pytest.mark.parametrize(
    "content, kwargs, match",
    [
        ("x,a,b\n1,0,1\n", {}, "exactly one of the two"),
        ("x,a,b\n1,0,1\n", {"labels": ["a", "z"]}, r"\['z'\] are not in the header"),
        ("x,a,b\n1,0,1\n", {"label_prefix": "q"}, "No column .* starts with 'q'"),
        ("x,a,b\nred,0,1\n", {"labels": ["a", "b"]}, "not numeric"),
        ("x,a,b\n1,0,1\n2,1\n", {"labels": ["a", "b"]}, "Line 3 .* 2 cells"),
        ("x,a,b\n1,0,maybe\n", {"labels": ["a", "b"]}, "maybe"),
        ("x,a,b\n", {"labels": ["a", "b"]}, "is empty"),
        ("a,b\n0,1\n", {"labels": ["a", "b"]}, "Every column"),
    ],
    ids=["no-labels", "unknown", "prefix", "text", "ragged", "cell", "empty", "all"],
)
def test_csv_errors_say_what_to_pass(tmp_path, content, kwargs, match):
    """Check the messages of CSV files that cannot be compared."""
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_dataset(path, **kwargs)


def test_missing_file_is_reported():
    """Check that a missing .npz/.csv path is not sent to OpenML."""
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_dataset("no/such/file.csv")


def _truncated_npz(path):
    """A valid archive cut in the middle, as by an interrupted download."""
    X, Y = _small_problem()
    np.savez(path, X=X, Y=Y)
    content = path.read_bytes()
    return content[: len(content) // 2]


def _bad_checksum_npz(path):
    """A valid archive with a few bytes of its first array overwritten."""
    X, Y = _small_problem()
    np.savez(path, X=X, Y=Y)
    content = bytearray(path.read_bytes())
    content[200:208] = b"\xff" * 8
    return bytes(content)


def _single_array_npz(path):
    """An .npy array saved under an .npz name."""
    np.save(path.with_suffix(".npy"), np.zeros((3, 2)))
    return path.with_suffix(".npy").read_bytes()


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("data.npz", b"", "is empty"),
        ("data.npz", _truncated_npz, "is damaged .*BadZipFile"),
        ("data.npz", _bad_checksum_npz, "is damaged .*Bad CRC-32"),
        ("data.npz", bytes(range(256)) * 4, "is damaged or not an .npz archive"),
        ("data.npz", _single_array_npz, "is damaged or not an .npz archive"),
        ("data.csv", b"", "is empty"),
        ("data.csv", b"x,a,b\n", "is empty"),
        ("data.csv", bytes(range(256)) * 4, "is damaged or not a text CSV"),
        ("data.csv", b"x,a,b\n1,0,1\n2,1", "Line 3 .* truncated or damaged"),
    ],
    ids=[
        "npz-empty",
        "npz-truncated",
        "npz-checksum",
        "npz-garbage",
        "npz-single-array",
        "csv-empty",
        "csv-header-only",
        "csv-garbage",
        "csv-truncated",
    ],
)
def test_damaged_or_empty_file_names_the_file(tmp_path, name, content, match):
    """Check that a damaged or empty file ends in a ValueError naming it."""
    path = tmp_path / name
    path.write_bytes(content(path) if callable(content) else content)
    with pytest.raises(ValueError, match=match) as error_info:
        load_dataset(path, labels=["a", "b"])
    assert name in str(error_info.value)


def test_cli_reports_a_damaged_file_as_a_usage_error(tmp_path, capsys):
    """Check that the CLI turns a damaged input file into a usage error."""
    path = tmp_path / "data.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip archive")
    with pytest.raises(SystemExit) as exit_info:
        main([str(path), "--no-progress"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert re.search(r"error: The file .*data\.npz' is damaged", err)


def _fake_openml(calls, target):
    """A stand-in for fetch_openml returning a small multi-label Bunch."""
    X, _ = _small_problem(n_samples=40)

    def fetch_openml(**kwargs):
        calls.append(kwargs)
        return Bunch(
            data=X,
            target=target,
            feature_names=[f"f{j}" for j in range(5)],
            target_names=["c1", "c2", "c3"] if np.ndim(target) == 2 else ["class"],
            details={"name": "toy"},
        )

    return fetch_openml


def test_openml_by_name_and_by_id(monkeypatch):
    """Check OpenML loading offline, with fetch_openml replaced by a stub."""
    _, Y = _small_problem(n_samples=40)
    words = np.where(Y == 1, "TRUE", "FALSE")
    calls = []
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", _fake_openml(calls, words))
    data = load_dataset("openml:toy")
    assert calls[-1] == {
        "name": "toy",
        "target_column": "default-target",
        "as_frame": False,
    }
    assert data.name == "openml-toy"
    assert_array_equal(data.Y, Y)
    assert data.X.dtype == np.float64
    assert data.label_names.tolist() == ["c1", "c2", "c3"]
    assert data.test_start is None
    load_dataset("40597", labels=["c1", "c2"])
    assert calls[-1]["data_id"] == 40597
    assert calls[-1]["target_column"] == ["c1", "c2"]
    result = compare("openml:toy", {"ovr": _ovr()}, progress=False)
    assert result.dataset == "openml-toy"


def test_openml_errors(monkeypatch):
    """Check the messages for a single-target dataset and for a failed fetch."""
    calls = []
    single = np.array(["a", "b"] * 20)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", _fake_openml(calls, single))
    with pytest.raises(ValueError, match="single target column"):
        load_dataset("openml:toy")

    def offline(**kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(
        ValueError, match="not a bundled dataset .* network unreachable"
    ):
        load_dataset("yeeast")


def test_sparse_features_are_scaled_without_centring():
    """Check that a sparse dataset runs, its scaler leaving sparsity intact."""
    X, Y = _small_problem()
    X[np.abs(X) < 1] = 0
    data = Bunch(name="sparse", X=sp.csr_matrix(X), Y=Y, test_start=80)
    result = compare(data, {"ovr": _ovr()}, progress=False)
    assert 0 < result.rows[0]["micro_f1"] <= 1
    scaler = prepare(_ovr(), sparse=True, tune=False, random_state=0)[0]
    assert scaler.with_mean is False
    assert 0.5 < result.rows[0]["lrap"] <= 1


def test_list_of_probability_arrays_feeds_the_ranking_metrics():
    """Check LRAP and AUC of a model returning one (n, 2) array per label."""
    data = load_emotions()
    model = MultiOutputClassifier(LogisticRegression(solver="liblinear"))
    result = compare("emotions", {"multi": model}, progress=False)
    manual = make_pipeline(StandardScaler(), model).fit(data.X_train, data.Y_train)
    proba = np.column_stack([p[:, 1] for p in manual.predict_proba(data.X_test)])
    row = result.rows[0]
    assert_allclose(
        row["lrap"], label_ranking_average_precision_score(data.Y_test, proba)
    )
    assert_allclose(row["roc_auc_macro"], roc_auc_score(data.Y_test, proba))


def test_roc_auc_skips_labels_with_one_class():
    """Check that labels without both classes are left out of the macro AUC."""
    Y = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 1]])
    scores = np.array(
        [[0.9, 0.1, 0.5], [0.2, 0.3, 0.4], [0.3, 0.2, 0.6], [0.4, 0.1, 0.7]]
    )
    metrics = score_predictions(Y, (scores > 0.5).astype(int), scores)
    assert_allclose(metrics["roc_auc_macro"], roc_auc_score(Y[:, 0], scores[:, 0]))
    constant = score_predictions(
        np.ones((3, 2), int), np.ones((3, 2), int), np.ones((3, 2))
    )
    assert np.isnan(constant["roc_auc_macro"])
    no_scores = score_predictions(Y, Y, None)
    assert np.isnan(no_scores["lrap"]) and no_scores["micro_f1"] == 1.0


def test_a_failing_model_is_reported_and_the_others_run():
    """Check that a model whose fit fails is noted and does not stop the run."""
    with pytest.warns(RuntimeWarning, match="broken failed: RuntimeError: cannot fit"):
        result = compare(
            "emotions", {"broken": _Broken(), "ovr": _ovr()}, progress=False
        )
    assert [row["model"] for row in result.rows] == ["ovr"]
    assert result.notes == {"broken": "failed: RuntimeError: cannot fit"}
    assert "Not run: broken: failed" in result.to_text()


def test_default_models_and_missing_scikeras(monkeypatch):
    """Check the default model set, and that scikeras is skipped with a note."""
    models = default_models(random_state=3)
    expected = list(DEFAULT_MODEL_NAMES)
    if not _has_scikeras():
        expected.remove("scikeras-KerasClassifier")
    assert list(models) == expected
    tuned = models["MultiOutput-TunedLogReg"]
    assert isinstance(tuned, MultiOutputClassifier)
    assert isinstance(tuned.estimator, TunedThresholdClassifierCV)
    assert tuned.estimator.scoring == "f1"
    assert models["MultiLabelNNClassifier"].random_state == 3
    assert models["OvR-RandomForest"].estimator.n_estimators == 300
    monkeypatch.setitem(sys.modules, "scikeras.wrappers", None)
    models, skipped = build_default_models(0)
    assert "scikeras-KerasClassifier" not in models
    assert "pip install scikeras" in skipped["scikeras-KerasClassifier"]


def _has_scikeras():
    """Whether scikeras can be imported."""
    try:
        import scikeras  # noqa: F401
    except ImportError:
        return False
    return True


def test_scikeras_peer_fits_multilabel_targets():
    """Check that the scikeras peer returns one sigmoid probability per label."""
    pytest.importorskip("scikeras")
    peer = default_models()["scikeras-KerasClassifier"].set_params(epochs=2)
    result = compare("emotions", {"scikeras": peer}, progress=False)
    assert result.notes == {}
    assert 0 < result.rows[0]["roc_auc_macro"] <= 1


def test_tables_mark_the_best_and_the_spread():
    """Check text and markdown tables: bold best, lower-is-better, n/a, ± std."""
    folds = []
    for fold, (a, b) in enumerate([(0.6, 0.5), (0.8, 0.5)]):
        for name, value in (("a", a), ("b", b)):
            scores = dict.fromkeys(METRIC_KEYS, value)
            scores["roc_auc_macro"] = np.nan if name == "b" else 0.7
            folds.append({"model": name, "fold": fold, **scores})
    result = ComparisonResult(
        dataset="toy", evaluation="2 folds", folds=folds, notes={"c": "not installed"}
    )
    assert_allclose(result.rows[0]["micro_f1_std"], 0.1)
    assert result.best("micro_f1")["model"] == "a"
    assert result.best("hamming_loss")["model"] == "b"
    with pytest.raises(ValueError, match="metric must be one of"):
        result.best("fit_s")
    markdown = result.to_markdown()
    assert "| a | **0.7000 ± 0.1000** |" in markdown
    assert "| b | 0.5000 ± 0.0000 |" in markdown
    assert "**0.5000 ± 0.0000**" in markdown  # b has the lowest Hamming loss
    assert "n/a" in markdown and "Not run: c: not installed" in markdown
    text = str(result).splitlines()
    assert text[0].split() == ["model", *METRIC_KEYS]
    assert text[1].split()[:2] == ["a", "0.7000"]


def test_progress_lines_without_a_terminal(capsys):
    """Check the progress lines written to stderr when it is not a terminal."""
    compare("emotions", {"one": _ovr(), "two": _ovr()}, progress=True)
    err = capsys.readouterr().err
    assert "[1/2] one, fold 1/1 ..." in err
    assert "[2/2] two, fold 1/1 ..." in err
    compare("emotions", {"one": _ovr()}, progress=False)
    assert capsys.readouterr().err == ""


def test_cli_writes_tables_and_chart(tmp_path, capsys):
    """Check the CLI: printed table, CSV, markdown with the command, PNG."""
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    argv = ["emotions", "--models", "ovr-logisticregression", "--out", str(out)]
    assert main([*argv, "--no-progress"]) is None
    printed = capsys.readouterr().out
    assert "OvR-LogisticRegression" in printed
    assert "Best micro F1: OvR-LogisticRegression" in printed
    names = sorted(path.name for path in out.iterdir())
    assert names == ["folds.csv", "scores.csv", "scores.md", "scores.png"]
    with (out / "scores.csv").open() as file:
        (row,) = list(csv.DictReader(file))
    baseline = {"ovr": default_models()["OvR-LogisticRegression"]}
    expected = compare("emotions", baseline, progress=False)
    assert_allclose(float(row["micro_f1"]), expected.rows[0]["micro_f1"])
    assert f"{expected.rows[0]['micro_f1']:.4f}" in printed
    markdown = (out / "scores.md").read_text()
    assert "python -m sklearn_multilabel.compare emotions --models" in markdown
    assert (out / "scores.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_csv_with_labels_and_cv(tmp_path, capsys):
    """Check the CLI on a CSV file named by --labels, cross-validated."""
    X, Y = _small_problem()
    path = tmp_path / "data.csv"
    _write_csv(path, X, Y, ["a", "b", "c"])
    out = tmp_path / "out"
    argv = [str(path), "--labels", "a,b,c", "--cv", "3", "--out", str(out)]
    main([*argv, "--models", "OvR-LogisticRegression", "--no-progress"])
    with (out / "folds.csv").open() as file:
        assert len(list(csv.DictReader(file))) == 3
    assert "3-fold cross-validation" in capsys.readouterr().out


def test_cli_help_describes_the_input_files(capsys):
    """Check that --help says what CSV and .npz inputs must hold."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for expected in [
        "named by --labels a,b,c or starting with --label-prefix tag_",
        "their cells are 0/1, true/false or yes/no",
        "Every other column is a numeric feature",
        "X_train, Y_train, X_test, Y_test (a train/test split), or X and Y",
        "optional feature_names and label_names",
        "train on 75 % of the rows and are scored on the other 25 %",
        "stratified per label",
    ]:
        assert expected in text


def test_module_entry_point_runs_the_cli():
    """Check that python -m sklearn_multilabel.compare reaches the same parser."""
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_multilabel.compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(compare_cli.__file__).parents[2],
    )
    assert result.stdout.startswith("usage: python -m sklearn_multilabel.compare")
    assert "input files:" in result.stdout


@pytest.mark.parametrize(
    "argv, match",
    [
        (["emotions", "--models", "nope"], "unknown model"),
        (["missing.csv", "--labels", "a"], "does not exist"),
    ],
    ids=["model", "file"],
)
def test_cli_errors_exit_with_a_message(argv, match, capsys):
    """Check that bad arguments end the CLI with a usage error."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert re.search(match, capsys.readouterr().err)


def test_cli_exits_when_no_model_fits(monkeypatch, capsys):
    """Check that the CLI exits with status 1 and the reasons if nothing fits."""
    monkeypatch.setattr(
        compare_cli,
        "_select_models",
        lambda names, random_state, parser: {"broken": _Broken()},
    )
    with pytest.warns(RuntimeWarning), pytest.raises(SystemExit) as exit_info:
        main(["emotions", "--no-progress"])
    assert exit_info.value.code == 1
    assert "broken: failed: RuntimeError: cannot fit" in capsys.readouterr().err


def test_chart_is_skipped_without_matplotlib(tmp_path, monkeypatch):
    """Check that save() writes the tables and warns when matplotlib is missing."""
    result = compare("emotions", {"ovr": _ovr()}, progress=False)
    real_import = builtins.__import__

    def import_without_matplotlib(name, *args, **kwargs):
        if name.split(".")[0] == "matplotlib":
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", import_without_matplotlib)
    with pytest.warns(UserWarning, match="matplotlib is not installed"):
        paths = result.save(tmp_path)
    assert sorted(path.name for path in paths) == [
        "folds.csv",
        "scores.csv",
        "scores.md",
    ]
    assert not (tmp_path / "scores.png").exists()
    assert "| ovr |" in (tmp_path / "scores.md").read_text()
