"""Persistence: pickle, joblib and save_model round trips, in fresh interpreters."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import sklearn_multilabel
from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.neural_network import _persistence
from sklearn_multilabel.neural_network._persistence import (
    UnavailableCallable,
    load_model,
    save_model,
)
from sklearn_multilabel.neural_network._state import (
    FITTED_STATE,
    MIGRATIONS,
    STATE_FORMAT,
)

from ..conftest import FAST, network_input

keras = pytest.importorskip("keras")

REPO = Path(__file__).resolve().parents[2]


def build_sigmoid_network(meta):
    """A custom network ending in a sigmoid, importable from a fresh process."""
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in"],)),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(meta["n_labels"], activation="sigmoid"),
        ]
    )


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y = multilabel_data
    return MultiLabelNNClassifier(**{**FAST, "dropout": 0.2}).fit(X, Y)


@pytest.fixture(scope="module")
def fitted_custom(multilabel_data):
    X, Y = multilabel_data
    params = {**FAST, "max_iter": 5, "build_network": build_sigmoid_network}
    return MultiLabelNNClassifier(**params).fit(X, Y)


LOADERS = {
    "pickle": "pickle.load(open(path, 'rb'))",
    "joblib": "joblib.load(path)",
    "save_model": "load_model(path)",
    "custom_save_model": "load_model(path)",
    "custom_pickle": "pickle.load(open(path, 'rb'))",
}


@pytest.fixture(scope="module")
def fresh_process_outputs(tmp_path_factory, fitted, fitted_custom, multilabel_data):
    """Dump every model here, load and predict them all in one new interpreter."""
    X, _ = multilabel_data
    tmp = tmp_path_factory.mktemp("fresh_process")
    np.save(tmp / "X.npy", X)
    with open(tmp / "pickle", "wb") as out:
        pickle.dump(fitted, out)
    joblib.dump(fitted, tmp / "joblib")
    save_model(fitted, tmp / "save_model")
    save_model(fitted_custom, tmp / "custom_save_model")
    with open(tmp / "custom_pickle", "wb") as out:
        pickle.dump(fitted_custom, out)
    script = textwrap.dedent(
        f"""
        import pickle, sys, joblib, numpy as np
        from sklearn_multilabel.neural_network._persistence import load_model
        tmp = {str(tmp)!r}
        X = np.load(tmp + "/X.npy")
        loaders = {LOADERS!r}
        for kind, loader in loaders.items():
            path = tmp + "/" + kind
            model = eval(loader)
            np.save(path + ".proba.npy", model.predict_proba(X))
            np.save(path + ".predict.npy", model.predict(X))
        print("tensorflow" in sys.modules)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, check=True, timeout=300
    )
    return {
        kind: (np.load(tmp / f"{kind}.proba.npy"), np.load(tmp / f"{kind}.predict.npy"))
        for kind in LOADERS
    }


@pytest.mark.parametrize("kind", list(LOADERS))
def test_round_trip_in_fresh_process_is_exact(
    fresh_process_outputs, fitted, fitted_custom, multilabel_data, kind
):
    """Check that a model dumped here predicts bit for bit the same in a new
    interpreter, for pickle, joblib and save_model, default and custom networks."""
    X, _ = multilabel_data
    original = fitted_custom if kind.startswith("custom") else fitted
    proba, prediction = fresh_process_outputs[kind]
    assert_array_equal(proba, original.predict_proba(X))
    assert_array_equal(prediction, original.predict(X))
    assert prediction.dtype == original.predict(X).dtype


def test_save_model_restores_fitted_state(multilabel_data, tmp_path):
    """Check every fitted attribute and parameter survives save_model."""
    pd = pytest.importorskip("pandas")
    X, Y = multilabel_data
    X_df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = MultiLabelNNClassifier(
        **{**FAST, "max_iter": 5}, class_weight={0: 2.0, 3: 0.5}, min_labels=1
    ).fit(X_df, Y.astype(bool))
    save_model(clf, tmp_path / "clf.skml")
    loaded = load_model(tmp_path / "clf.skml")
    assert loaded.get_params() == clf.get_params()
    assert_array_equal(loaded.feature_names_in_, clf.feature_names_in_)
    assert loaded.feature_names_in_.dtype == object
    for name in ("classes_", "thresholds_"):
        assert_array_equal(getattr(loaded, name), getattr(clf, name))
        assert getattr(loaded, name).dtype == getattr(clf, name).dtype
    for name in ("n_features_in_", "history_", "loss_curve_", "n_iter_"):
        assert getattr(loaded, name) == getattr(clf, name)
    assert loaded.best_epoch_ == clf.best_epoch_
    assert_array_equal(
        loaded.threshold_search_.to_frame(), clf.threshold_search_.to_frame()
    )
    assert loaded.threshold_search_.strategy == clf.threshold_search_.strategy
    assert loaded.threshold_search_.score == clf.threshold_search_.score
    assert_array_equal(loaded.decision_function(X_df), clf.decision_function(X_df))
    prediction = loaded.predict(X_df)
    assert_array_equal(prediction, clf.predict(X_df))
    assert prediction.dtype == bool
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X_df.rename(columns={"f0": "other"}))


def test_save_model_keeps_binary_string_classes_and_odd_params(tmp_path):
    """Check a 1-D string target, a RandomState, a threshold array and a tuple."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = np.where(X[:, 0] > 0, "spam", "ham").astype(object)
    clf = MultiLabelNNClassifier(
        **{**FAST, "max_iter": 3},
    ).set_params(random_state=np.random.RandomState(3), threshold=np.array([0.4]))
    clf.fit(X, y)
    save_model(clf, tmp_path / "clf.skml")
    loaded = load_model(tmp_path / "clf.skml")
    assert loaded.classes_.dtype == object
    assert_array_equal(loaded.classes_, ["ham", "spam"])
    assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.threshold_search_ is None
    assert_array_equal(loaded.threshold, [0.4])
    assert loaded.hidden_layer_sizes == FAST["hidden_layer_sizes"]
    saved_state = clf.random_state.get_state()
    loaded_state = loaded.random_state.get_state()
    assert_array_equal(loaded_state[1], saved_state[1])
    assert loaded_state[2:] == saved_state[2:]


def test_network_keras_is_a_plain_keras_model(fitted, multilabel_data, tmp_path):
    """Check that network.keras inside the file loads with Keras alone and
    returns the logits of decision_function (given the encoded rows)."""
    X, _ = multilabel_data
    save_model(fitted, tmp_path / "clf.skml")
    with zipfile.ZipFile(tmp_path / "clf.skml") as archive:
        archive.extract("network.keras", tmp_path)
    network = keras.saving.load_model(tmp_path / "network.keras", compile=False)
    logits = keras.ops.convert_to_numpy(network(network_input(fitted, X)))
    assert_allclose(logits, fitted.decision_function(X), rtol=1e-5, atol=1e-5)


def _rewrite_state(path, **changes):
    """Rewrite state.json inside a saved file with some keys changed."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    state = json.loads(members["state.json"])
    state.update(changes)
    members["state.json"] = json.dumps(state).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_incompatible_version_is_refused_with_both_versions(fitted, tmp_path):
    """Check that a file in another format names both versions and the way out."""
    path = tmp_path / "future.skml"
    save_model(fitted, path)
    _rewrite_state(path, format_version=STATE_FORMAT + 1, package_version="9.9.9")
    version = sklearn_multilabel.__version__
    with pytest.raises(
        ValueError,
        match=(
            rf"sklearn_multilabel 9\.9\.9 in model format {STATE_FORMAT + 1}.*"
            rf"this is sklearn_multilabel {version}.*reads format {STATE_FORMAT}.*"
            r"sklearn-multilabel==9\.9\.9.*refit"
        ),
    ):
        load_model(path)


def test_same_format_from_other_package_version_loads(
    fitted, multilabel_data, tmp_path
):
    """Check that compatibility follows the format version, not the package's."""
    X, _ = multilabel_data
    path = tmp_path / "older.skml"
    save_model(fitted, path)
    _rewrite_state(path, package_version="0.0.1")
    assert_array_equal(load_model(path).predict_proba(X), fitted.predict_proba(X))


@pytest.mark.parametrize(
    "content, err_msg",
    [
        (b"not a zip", "not a zip file"),
        (None, r"holds \['model.pkl'\]"),
    ],
    ids=["text-file", "other-zip"],
)
def test_foreign_file_is_refused(tmp_path, content, err_msg):
    """Check that a file save_model did not write is refused, saying so."""
    path = tmp_path / "foreign"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("model.pkl", b"")
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"not a model written by.*{err_msg}"):
        load_model(path)


def test_missing_file_is_reported_as_missing(tmp_path):
    """Check that a wrong path is a FileNotFoundError, not a format error."""
    with pytest.raises(FileNotFoundError, match="No model file at"):
        load_model(tmp_path / "missing.skml")


def test_save_refuses_unfitted_and_other_estimators(tmp_path):
    """Check that save_model needs a fitted MultiLabelNNClassifier."""
    with pytest.raises(NotFittedError):
        save_model(MultiLabelNNClassifier(), tmp_path / "clf.skml")
    with pytest.raises(TypeError, match="Use joblib.dump"):
        save_model(LogisticRegression(), tmp_path / "clf.skml")
    assert not (tmp_path / "clf.skml").exists()


def test_failed_save_keeps_the_previous_file(
    fitted, multilabel_data, tmp_path, monkeypatch
):
    """Check that a save failing half-way leaves the old file whole and no debris."""
    X, _ = multilabel_data
    path = tmp_path / "clf.skml"
    save_model(fitted, path)

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(_persistence.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save_model(fitted, path)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["clf.skml"]
    assert_array_equal(load_model(path).predict_proba(X), fitted.predict_proba(X))


def test_local_build_network_needs_to_be_passed_again(multilabel_data, tmp_path):
    """Check that a lambda builder is not importable: the loaded model predicts,
    refitting says what to pass, and passing it back allows refitting."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(
        **{**FAST, "max_iter": 2},
        build_network=lambda meta: build_sigmoid_network(meta),
    ).fit(X, Y)
    save_model(clf, tmp_path / "clf.skml")
    loaded = load_model(tmp_path / "clf.skml")
    assert isinstance(loaded.build_network, UnavailableCallable)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(RuntimeError, match=r"load_model\(path, params=.*build_network"):
        loaded.fit(X, Y)
    with pytest.raises(NotFittedError):
        loaded.predict(X)
    reloaded = load_model(
        tmp_path / "clf.skml", params={"build_network": build_sigmoid_network}
    )
    assert_array_equal(reloaded.predict_proba(X), clf.predict_proba(X))
    assert reloaded.fit(X, Y).predict_proba(X).shape == Y.shape


def test_unstorable_parameter_is_refused_before_writing(fitted, tmp_path):
    """Check that a parameter JSON cannot hold exactly is refused with the fix."""
    pd = pytest.importorskip("pandas")
    clf = pickle.loads(pickle.dumps(fitted))
    clf.threshold = pd.Series(clf.thresholds_)
    with pytest.raises(
        TypeError, match=r"(?s)threshold=.*of type Series.*joblib\.dump"
    ):
        save_model(clf, tmp_path / "clf.skml")
    assert not (tmp_path / "clf.skml").exists()


def test_docstring_warns_to_load_only_trusted_files():
    """Check that the module tells users to load only trusted pickles and files."""
    assert "sources you trust" in _persistence.__doc__
    assert "arbitrary code" in _persistence.__doc__


FIXTURES = REPO / "tests" / "fixtures"


@pytest.mark.parametrize("kind", ["pickle", "save_model"])
def test_files_written_by_earlier_main_predict_the_same(kind):
    """Check that a pickle and a save_model file written by main at e087948
    (pickle state format 1, file format 2) load and predict exactly as then."""
    expected = np.load(FIXTURES / "e087948_expected.npz")
    if kind == "pickle":
        with open(FIXTURES / "e087948.pkl", "rb") as file:
            clf = pickle.load(file)
    else:
        clf = load_model(FIXTURES / "e087948.zip")
    assert_array_equal(clf.predict_proba(expected["X"]), expected["proba"])
    assert_array_equal(clf.predict(expected["X"]), expected["predict"])
    assert_array_equal(clf.thresholds_, expected["thresholds"])
    assert clf.loss_curve_ == clf.history_[0]["loss"]
    assert not hasattr(clf, "_state_format")


def test_fitted_state_is_declared_once(fitted):
    """Check that fit publishes exactly the declared fitted attributes, and
    that pickling and save_model restore each of them."""
    published = {name for name in vars(fitted) if name.endswith("_")}
    published |= {"_binary", "_target_dtype"}
    declared = {attribute.name for attribute in FITTED_STATE}
    assert published <= declared
    assert declared - published <= {"feature_names_in_"}
    assert set(MIGRATIONS) == set(range(1, STATE_FORMAT))


def test_migration_fills_what_older_formats_lacked():
    """Check that a format-1 state gains the parameters and attributes added
    since, with the values that reproduce its fit."""
    from sklearn_multilabel.neural_network._state import migrate

    params, fitted = {"threshold_cv": 5}, {"history_": {"loss": [1.0], "val_loss": []}}
    migrate(1, params, fitted)
    assert params == {
        "threshold_cv": 5,
        "ensemble": False,
        "batch_norm": False,
        "input_noise": 0.0,
        "n_bins": 0,
    }
    assert fitted["bin_edges_"] is None
    assert fitted["loss_curve_"] == [1.0]
