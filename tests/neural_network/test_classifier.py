"""Behaviour of MultiLabelNNClassifier: outputs, thresholds, seeds, inputs."""

import pickle
import random
import subprocess
import sys

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logit
from sklearn.base import clone
from sklearn.metrics import f1_score

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.thresholds._search import tune_thresholds

from ..conftest import FAST, network_input


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y = multilabel_data
    return MultiLabelNNClassifier(**FAST).fit(X, Y)


def test_fit_sets_fitted_attributes(fitted, multilabel_data):
    """Check that fit sets every documented attribute with the right shape."""
    X, Y = multilabel_data
    assert_array_equal(fitted.classes_, np.arange(Y.shape[1]))
    assert fitted.n_features_in_ == X.shape[1]
    assert fitted.thresholds_.shape == (Y.shape[1],)
    assert fitted.n_iter_ == len(fitted.loss_curve_) == len(fitted.history_[0]["loss"])
    assert len(fitted.history_[0]["val_loss"]) == fitted.n_iter_
    assert 0 <= fitted.best_epoch_[0] < fitted.n_iter_
    assert fitted.model_.outputs[0].shape[-1] == Y.shape[1]


def test_output_shapes_and_ranges(fitted, multilabel_data):
    """Check the shapes, dtypes and ranges of the three prediction methods."""
    X, Y = multilabel_data
    proba = fitted.predict_proba(X)
    assert proba.shape == Y.shape and proba.dtype == np.float64
    assert np.all((proba > 0) & (proba < 1))
    assert fitted.decision_function(X).shape == Y.shape
    prediction = fitted.predict(X)
    assert prediction.shape == Y.shape and prediction.dtype == Y.dtype
    assert set(np.unique(prediction)) <= {0, 1}


def test_one_row_keeps_two_dimensions(fitted, multilabel_data):
    """Check that one row gives shape (1, n_labels), not (n_labels,)."""
    X, Y = multilabel_data
    assert fitted.predict_proba(X[:1]).shape == (1, Y.shape[1])
    assert fitted.predict(X[:1]).shape == (1, Y.shape[1])


def test_predict_applies_per_label_thresholds(fitted, multilabel_data):
    """Check that predict is exactly predict_proba >= thresholds_."""
    X, _ = multilabel_data
    proba = fitted.predict_proba(X)
    assert_array_equal(fitted.predict(X), (proba >= fitted.thresholds_).astype(int))


def test_decision_function_is_logit_of_proba(fitted, multilabel_data):
    """Check that decision_function returns the logits behind predict_proba."""
    X, _ = multilabel_data
    assert_allclose(
        fitted.decision_function(X), logit(fitted.predict_proba(X)), rtol=1e-9
    )


def test_numpy_inference_matches_keras(fitted, multilabel_data):
    """Check that the numpy forward pass equals the Keras network's output."""
    X, _ = multilabel_data
    keras_logits = np.asarray(fitted.model_(network_input(fitted, X), training=False))
    assert_allclose(fitted.decision_function(X), keras_logits, atol=1e-5, rtol=1e-5)


def test_tuned_thresholds_differ_from_half_on_rare_labels(imbalanced_data):
    """Check that rare labels get their own cut and that it helps macro-F1."""
    X, Y = imbalanced_data
    X_train, Y_train, X_test, Y_test = X[:600], Y[:600], X[600:], Y[600:]
    tuned = MultiLabelNNClassifier(**FAST).fit(X_train, Y_train)
    half = clone(tuned).set_params(threshold=0.5).fit(X_train, Y_train)
    assert not np.allclose(tuned.thresholds_, 0.5)
    assert_array_equal(half.thresholds_, np.full(4, 0.5))
    assert f1_score(Y_test, tuned.predict(X_test), average="macro") > f1_score(
        Y_test, half.predict(X_test), average="macro"
    )


@pytest.mark.parametrize(
    "threshold, expected",
    [(0.3, [0.3] * 5), ([0.1, 0.2, 0.3, 0.4, 0.5], [0.1, 0.2, 0.3, 0.4, 0.5])],
)
def test_fixed_threshold(multilabel_data, threshold, expected):
    """Check that a float or an array fixes thresholds_ without tuning."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 2}, threshold=threshold)
    clf.fit(X, Y)
    assert_allclose(clf.thresholds_, expected)


@pytest.mark.parametrize(
    "threshold, err_msg",
    [
        ([0.5, 0.5], r"threshold has shape \(2,\).*y has 5 labels"),
        ([0.5, 0.5, 0.5, 0.5, 1.5], r"one probability in \[0, 1\] per label"),
    ],
)
def test_bad_threshold_array(multilabel_data, threshold, err_msg):
    """Check that a threshold array of the wrong size or range is refused."""
    X, Y = multilabel_data
    with pytest.raises(ValueError, match=err_msg):
        MultiLabelNNClassifier(**FAST, threshold=threshold).fit(X, Y)


@pytest.mark.parametrize("shrinkage", [0.0, 10.0])
def test_label_without_positive_gets_documented_threshold(shrinkage):
    """Check the rule for a label never positive in the tuning rows: 0.5
    without shrinkage, the global micro-F1 threshold with it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, np.zeros(200)]).astype(int)
    clf = MultiLabelNNClassifier(**FAST, threshold_shrinkage=shrinkage).fit(X, Y)
    assert not np.any(clf.predict(X)[:, 2])
    clf.retune_thresholds(X, Y)
    proba = clf.predict_proba(X)
    expected = 0.5
    if shrinkage:
        expected = tune_thresholds(Y, proba, "global_micro_f1").thresholds[2]
    assert clf.thresholds_[2] == expected
    assert clf.threshold_search_.per_label["n_positives"][2] == 0


def test_early_stopping_stops_before_max_iter(multilabel_data):
    """Check that early stopping ends training and keeps the best epoch."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 500, "n_iter_no_change": 3})
    clf.fit(X, Y)
    assert clf.n_iter_ < 500
    val_loss = clf.history_[0]["val_loss"]
    assert clf.best_epoch_ == [int(np.argmin(val_loss))]


def test_no_early_stopping_uses_all_rows_and_epochs(multilabel_data):
    """Check that without early stopping or tuning every epoch runs on all rows."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(
        **{**FAST, "max_iter": 7}, early_stopping=False, threshold=0.5, tol=0.0
    )
    clf.set_params(n_iter_no_change=100).fit(X, Y)
    assert clf.n_iter_ == 7
    assert clf.history_[0]["val_loss"] == []


def test_same_random_state_same_model(multilabel_data):
    """Check that two fits with one random_state give identical probabilities."""
    X, Y = multilabel_data
    params = {**FAST, "dropout": 0.3, "max_iter": 5}
    first = MultiLabelNNClassifier(**params).fit(X, Y).predict_proba(X)
    second = MultiLabelNNClassifier(**params).fit(X, Y).predict_proba(X)
    assert_array_equal(first, second)


def test_different_random_state_different_model(multilabel_data):
    """Check that another seed gives another initialisation."""
    X, Y = multilabel_data
    first = MultiLabelNNClassifier(**FAST).fit(X, Y)
    second = MultiLabelNNClassifier(**{**FAST, "random_state": 1}).fit(X, Y)
    assert not np.allclose(first.predict_proba(X), second.predict_proba(X))


def test_fit_leaves_global_random_state_alone(multilabel_data):
    """Check that fit neither reseeds nor consumes Python's and numpy's RNGs."""
    X, Y = multilabel_data
    random.seed(123)
    np.random.seed(123)
    expected = (random.random(), np.random.random_sample())
    random.seed(123)
    np.random.seed(123)
    MultiLabelNNClassifier(**{**FAST, "max_iter": 2}).fit(X, Y)
    assert (random.random(), np.random.random_sample()) == expected


def test_fit_does_not_switch_on_tensorflow_determinism(multilabel_data):
    """Check that fit leaves TensorFlow's global op-determinism setting off."""
    config = pytest.importorskip("tensorflow.python.framework.config")

    X, Y = multilabel_data
    # scikeras, fitted by earlier tests, switches it on for good: start from off.
    was_enabled = config.is_op_determinism_enabled()
    config.disable_op_determinism()
    try:
        MultiLabelNNClassifier(**{**FAST, "max_iter": 2}).fit(X, Y)
        assert not config.is_op_determinism_enabled()
    finally:
        if was_enabled:
            config.enable_op_determinism()


@pytest.mark.parametrize(
    "fit_dtype, predict_dtype", [(np.float32, np.float64), (np.float64, np.float32)]
)
def test_float32_and_float64_mix(multilabel_data, fit_dtype, predict_dtype):
    """Check that fitting in one float precision and predicting in the other works."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 3}).fit(X.astype(fit_dtype), Y)
    assert_allclose(
        clf.predict_proba(X.astype(predict_dtype)),
        clf.predict_proba(X.astype(fit_dtype)),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    "container", [sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array]
)
def test_sparse_features_equal_dense(multilabel_data, container):
    """Check that sparse X (matrices and arrays) trains like the same dense X."""
    X, Y = multilabel_data
    X = np.where(np.abs(X) > 1, X, 0.0)
    # input_noise="auto" adds noise to dense rows only.
    params = {**FAST, "max_iter": 3, "input_noise": 0, "n_bins": 0}
    dense = MultiLabelNNClassifier(**params).fit(X, Y)
    sparse = MultiLabelNNClassifier(**params).fit(container(X), Y)
    assert_allclose(
        sparse.predict_proba(container(X)), dense.predict_proba(X), rtol=1e-5
    )


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
def test_sparse_target_equals_dense(multilabel_data, container):
    """Check that a sparse indicator matrix gives the same model as a dense one."""
    X, Y = multilabel_data
    params = {**FAST, "max_iter": 3}
    dense = MultiLabelNNClassifier(**params).fit(X, Y)
    sparse = MultiLabelNNClassifier(**params).fit(X, container(Y))
    assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))
    assert_array_equal(sparse.thresholds_, dense.thresholds_)


def test_pandas_input_keeps_feature_names(multilabel_data):
    """Check DataFrame features (names kept and checked) and DataFrame targets."""
    pd = pytest.importorskip("pandas")
    X, Y = multilabel_data
    X_df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    Y_df = pd.DataFrame(Y, columns=list("abcde"))
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 3}).fit(X_df, Y_df)
    assert_array_equal(clf.feature_names_in_, X_df.columns)
    assert clf.predict(X_df).shape == Y.shape
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X_df.rename(columns={"f0": "other"}))


def test_retune_thresholds_keeps_feature_names(multilabel_data):
    """Check that re-tuning thresholds on DataFrame rows keeps the feature
    names seen in fit, so that later predictions are still checked by name."""
    pd = pytest.importorskip("pandas")
    X, Y = multilabel_data
    X_df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 3}).fit(X_df, Y)
    clf.retune_thresholds(X_df, Y)
    assert_array_equal(clf.feature_names_in_, X_df.columns)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X_df.rename(columns={"f0": "other"}))


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float16])
def test_predict_proba_is_float64_for_other_than_float32(fitted, dtype):
    """Check that int, bool and float16 rows get float64 outputs, as documented,
    equal to those of the same rows given as float64."""
    X = np.round(fitted_rows(fitted)).astype(dtype)
    proba = fitted.predict_proba(X)
    assert proba.dtype == np.float64
    assert fitted.decision_function(X).dtype == np.float64
    assert_array_equal(proba, fitted.predict_proba(X.astype(np.float64)))


def fitted_rows(fitted, n_rows=20):
    """Seeded rows of the width ``fitted`` was trained on."""
    return np.random.RandomState(0).normal(size=(n_rows, fitted.n_features_in_))


@pytest.mark.parametrize("dumps, loads", [(pickle.dumps, pickle.loads), (None, None)])
def test_pickle_and_joblib_round_trip(fitted, multilabel_data, tmp_path, dumps, loads):
    """Check that pickle and joblib round trips reproduce predict_proba exactly."""
    X, _ = multilabel_data
    if dumps is None:
        joblib.dump(fitted, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    else:
        restored = loads(dumps(fitted))
    assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert_array_equal(restored.thresholds_, fitted.thresholds_)


def test_binary_target_follows_scikit_learn_conventions():
    """Check that a 1-D binary y keeps its class values and binary output shapes."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.where(X[:, 0] > 0, "spam", "ham")
    clf = MultiLabelNNClassifier(**FAST).fit(X, y)
    assert_array_equal(clf.classes_, ["ham", "spam"])
    assert clf.predict_proba(X).shape == (200, 2)
    assert clf.decision_function(X).shape == (200,)
    assert set(clf.predict(X)) <= {"ham", "spam"}
    assert np.mean(clf.predict(X) == y) > 0.9


def test_import_does_not_load_tensorflow():
    """Check that importing the package leaves TensorFlow and Keras unloaded."""
    code = (
        "import sys, sklearn_multilabel, sklearn_multilabel.datasets;"
        "print(any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_verbose_prints_one_line_per_epoch(multilabel_data, capsys):
    """Check that verbose=1 reports each epoch's losses."""
    X, Y = multilabel_data
    MultiLabelNNClassifier(
        **{**FAST, "max_iter": 3, "n_iter_no_change": 5}, verbose=1
    ).fit(X, Y)
    lines = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("Epoch")
    ]
    assert len(lines) == 3
    assert "val_loss" in lines[0]


def test_diverging_training_raises(multilabel_data):
    """Check that a loss turning NaN stops fit with advice, leaving it unfitted."""
    from sklearn.exceptions import NotFittedError

    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "learning_rate": 1e30})
    with pytest.raises(ValueError, match="Training diverged.*Lower learning_rate"):
        clf.fit(X * 1e30, Y)
    with pytest.raises(NotFittedError):
        clf.predict(X)


@pytest.mark.parametrize("interrupted_epoch", [1, 3])
def test_keyboard_interrupt(multilabel_data, monkeypatch, interrupted_epoch):
    """Check that Ctrl-C after the first epoch keeps the best weights with a
    warning, and during the first leaves the estimator unfitted."""
    from sklearn.exceptions import NotFittedError

    from sklearn_multilabel.neural_network.training import _loop as _training

    X, Y = multilabel_data
    run_epoch, calls = _training._run_epoch, []

    def interrupting_epoch(*args):
        calls.append(1)
        if len(calls) == interrupted_epoch:
            raise KeyboardInterrupt
        return run_epoch(*args)

    monkeypatch.setattr(_training, "_run_epoch", interrupting_epoch)
    clf = MultiLabelNNClassifier(**FAST)
    if interrupted_epoch == 1:
        with pytest.raises(KeyboardInterrupt):
            clf.fit(X, Y)
        with pytest.raises(NotFittedError):
            clf.predict(X)
        return
    with pytest.warns(UserWarning, match="interrupted during epoch 3"):
        clf.fit(X, Y)
    assert clf.n_iter_ == 2
    assert clf.predict(X).shape == Y.shape


def test_pickle_from_another_state_format_is_refused(fitted):
    """Check that a pickle of an incompatible fitted-state format names both
    versions instead of predicting wrongly."""
    state = fitted.__getstate__()
    state["_state_format"] = (0, "0.0.1")
    restored = MultiLabelNNClassifier.__new__(MultiLabelNNClassifier)
    with pytest.raises(ValueError, match=r"0\.0\.1 \(fitted-state format 0\).*refit"):
        restored.__setstate__(state)


@pytest.mark.parametrize("threshold_cv", [None, 3], ids=["validation", "fold"])
def test_early_stopping_on_rows_of_zero_weight_is_refused(
    multilabel_data, threshold_cv
):
    """Check that early stopping on held-out rows that all weigh 0 (whose loss
    is 0 at every epoch) is refused, instead of keeping the first epoch."""
    from sklearn.utils import check_random_state

    from sklearn_multilabel.neural_network._folds import RunSeeds
    from sklearn_multilabel.neural_network._splitting import validation_split
    from sklearn_multilabel.thresholds._cross_fitting import fold_splits

    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "threshold_cv": threshold_cv})
    seeds = RunSeeds.draw(check_random_state(clf.random_state))
    if threshold_cv is None:
        _, held = validation_split(Y, clf.validation_fraction, seeds.split)
    else:
        _, held = next(iter(fold_splits(Y.astype(np.uint8), threshold_cv, seeds.folds)))
    weight = np.ones(len(X))
    weight[held] = 0.0
    with pytest.raises(
        ValueError, match=r"held out for early stopping .* all have sample_weight 0"
    ):
        clf.fit(X, Y, sample_weight=weight)
    clf.set_params(early_stopping=False).fit(X, Y, sample_weight=weight)
    assert clf.n_iter_ == clf.max_iter
