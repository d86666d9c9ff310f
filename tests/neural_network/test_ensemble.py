"""The fold ensemble: threshold_cv=K networks, averaged, thresholds out of fold."""

import json
import pickle
import zipfile

import keras
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import f1_score

from sklearn_multilabel import MultiLabelNNClassifier, load_model, save_model
from sklearn_multilabel.neural_network._network import (
    average_networks,
    build_default_network,
    takes_sparse_input,
)

from ..conftest import FAST

ENSEMBLE = {**FAST, "threshold_cv": 3}


def _random_default_network(
    seed, hidden_layer_sizes, n_features=6, n_labels=4, batch_norm=False
):
    meta = {"n_features_in": n_features, "n_labels": n_labels, "random_state": seed}
    model = build_default_network(
        meta,
        hidden_layer_sizes=hidden_layer_sizes,
        activation="tanh",
        dropout=0.3,
        l2=0.0,
        batch_norm=batch_norm,
    )
    rng = np.random.default_rng(seed)
    model.set_weights(
        [
            # Variances must be positive; every other weight may be anything.
            np.abs(rng.normal(size=w.shape)).astype(np.float32) + 0.1
            if w.path.endswith("moving_variance")
            else rng.normal(size=w.shape).astype(np.float32)
            for w in model.weights
        ]
    )
    return model


def _logits(model, X):
    return keras.ops.convert_to_numpy(model(X, training=False))


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("hidden_layer_sizes", [[], [5], [5, 3]])
def test_merged_default_networks_average_the_logits(hidden_layer_sizes, batch_norm):
    """Check that the side-by-side network returns the mean of the networks'
    logits, with no hidden layer, one and two (block-diagonal) layers, with
    batch normalisation folded into the kernels."""
    models = [
        _random_default_network(s, hidden_layer_sizes, batch_norm=batch_norm)
        for s in range(3)
    ]
    X = np.random.default_rng(0).normal(size=(20, 6)).astype(np.float32)
    merged = average_networks(models)
    expected = np.mean([_logits(model, X) for model in models], axis=0)
    assert_allclose(_logits(merged, X), expected, rtol=1e-5, atol=1e-5)
    widths = [layer.units for layer in merged.layers[1:]]
    assert widths == [3 * width for width in hidden_layer_sizes] + [4]


def test_other_networks_are_averaged_under_one_model():
    """Check the generic path: any networks, wrapped under an Average layer."""

    def small(seed):
        inputs = keras.Input(shape=(6,))
        hidden = keras.layers.Dense(3, activation="relu", name="inner")(inputs)
        model = keras.Model(inputs, keras.layers.Dense(4)(hidden))
        model.set_weights(
            [
                np.random.default_rng(seed).normal(size=w.shape).astype(np.float32)
                for w in model.get_weights()
            ]
        )
        return model

    models = [small(seed) for seed in range(2)]
    X = np.random.default_rng(1).normal(size=(10, 6)).astype(np.float32)
    merged = average_networks(models)
    expected = np.mean([_logits(model, X) for model in models], axis=0)
    assert_allclose(_logits(merged, X), expected, rtol=1e-6, atol=1e-6)
    assert average_networks(models[:1]) is models[0]


@pytest.fixture(scope="module")
def ensemble(multilabel_data):
    X, Y = multilabel_data
    return MultiLabelNNClassifier(**ENSEMBLE).fit(X, Y)


def test_ensemble_keeps_one_network_per_fold(ensemble, multilabel_data):
    """Check the fitted attributes: one history per fold network, a model
    three hidden layers wide, thresholds tuned on every row out of fold."""
    _, Y = multilabel_data
    assert len(ensemble.history_) == 3
    assert all(len(h["val_loss"]) == len(h["loss"]) for h in ensemble.history_)
    assert len(ensemble.best_epoch_) == 3
    assert ensemble.n_iter_ == max(len(h["loss"]) for h in ensemble.history_)
    assert ensemble.model_.layers[1].units == 3 * FAST["hidden_layer_sizes"][0]
    assert ensemble.threshold_search_.per_label["n_positives"].sum() == Y.sum()


def test_ensemble_is_repeatable_and_seeded(ensemble, multilabel_data):
    """Check that random_state fixes the whole ensemble, and changes it."""
    X, Y = multilabel_data
    again = MultiLabelNNClassifier(**ENSEMBLE).fit(X, Y)
    assert_array_equal(again.predict_proba(X), ensemble.predict_proba(X))
    assert_array_equal(again.thresholds_, ensemble.thresholds_)
    other = MultiLabelNNClassifier(**{**ENSEMBLE, "random_state": 1}).fit(X, Y)
    assert not np.allclose(other.predict_proba(X), ensemble.predict_proba(X))


def test_ensemble_predicts_better_than_its_first_fold_network(imbalanced_data):
    """Check the point of averaging on noisy data: the ensemble's test
    macro-F1 is above that of one network trained the same way."""
    X, Y = imbalanced_data
    X_train, Y_train, X_test, Y_test = X[:600], Y[:600], X[600:], Y[600:]
    params = {**ENSEMBLE, "hidden_layer_sizes": (64,), "learning_rate": 0.003}
    averaged = MultiLabelNNClassifier(**params).fit(X_train, Y_train)
    single = MultiLabelNNClassifier(**{**params, "threshold_cv": None})
    single.fit(X_train, Y_train)
    assert f1_score(Y_test, averaged.predict(X_test), average="macro") > f1_score(
        Y_test, single.predict(X_test), average="macro"
    )


def test_ensemble_with_fixed_thresholds_still_averages(multilabel_data):
    """Check that a fixed threshold keeps the ensemble and skips tuning."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**ENSEMBLE, threshold=0.3).fit(X, Y)
    assert_array_equal(clf.thresholds_, np.full(Y.shape[1], 0.3))
    assert clf.threshold_search_ is None
    assert len(clf.best_epoch_) == 3


def test_ensemble_round_trips(ensemble, multilabel_data, tmp_path):
    """Check pickle and save_model/load_model keep the ensemble exactly."""
    X, _ = multilabel_data
    expected = ensemble.predict_proba(X)
    assert_array_equal(pickle.loads(pickle.dumps(ensemble)).predict_proba(X), expected)
    save_model(ensemble, tmp_path / "ensemble.skml")
    loaded = load_model(tmp_path / "ensemble.skml")
    assert_array_equal(loaded.predict_proba(X), expected)
    assert loaded.best_epoch_ == ensemble.best_epoch_
    assert loaded.history_ == ensemble.history_


def _custom_network(meta):
    inputs = keras.Input(shape=(meta["n_features_in"],))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(meta["n_labels"])(hidden))


def test_ensemble_of_custom_networks(multilabel_data, tmp_path):
    """Check that custom networks are averaged too, and saved and loaded."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**ENSEMBLE, build_network=_custom_network).fit(X, Y)
    assert clf.model_.name == "fold_ensemble"
    save_model(clf, tmp_path / "custom.skml")
    loaded = load_model(tmp_path / "custom.skml")
    assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)


def test_sparse_ensemble_keeps_rows_sparse(multilabel_data):
    """Check that the merged network still takes sparse rows."""
    X, Y = multilabel_data
    X = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    clf = MultiLabelNNClassifier(**ENSEMBLE).fit(X, Y)
    assert takes_sparse_input(clf.model_)
    assert clf.predict_proba(X).shape == Y.shape


def test_default_is_a_five_fold_ensemble():
    """Check the documented defaults, chosen in benchmarks/bench_ensemble.py."""
    params = MultiLabelNNClassifier().get_params()
    assert params["threshold_cv"] == 5 and params["ensemble"] is True
    assert params["threshold_shrinkage"] == 20.0


def _without_ensemble_param(source, target):
    """Rewrite a saved model as saved before `ensemble`, `input_noise` and
    `n_bins` existed (format 1)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            content = old.read(item.filename)
            if item.filename == "state.json":
                state = json.loads(content)
                del state["params"]["ensemble"]
                del state["params"]["input_noise"]
                del state["params"]["n_bins"]
                state["format_version"] = 1
                fitted = state["fitted"]  # format 1 kept one network's lists
                fitted["history_"] = fitted["history_"][0]
                fitted["best_epoch_"] = fitted["best_epoch_"][0]
                content = json.dumps(state).encode()
            new.writestr(item, content)


def test_models_saved_before_the_ensemble_keep_their_refit(multilabel_data, tmp_path):
    """Check that pickles and files without `ensemble` (when threshold_cv
    meant folds + refit) load with ensemble=False and predict as before (and
    pickles without `batch_norm`, `input_noise` or `n_bins` with
    batch_norm=False, input_noise=0 and n_bins=0)."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**ENSEMBLE, ensemble=False, n_bins=0).fit(X, Y)
    state = clf.__getstate__()
    del state["ensemble"]
    del state["batch_norm"]
    del state["input_noise"]
    del state["n_bins"]
    del state["bin_edges_"]
    (history,) = state["history_"]  # format 1 kept one network's lists
    state["history_"], state["best_epoch_"] = history, state["best_epoch_"][0]
    state["_state_format"] = (1, "0.1.0")  # the pickle format of those versions
    restored = MultiLabelNNClassifier.__new__(MultiLabelNNClassifier)
    restored.__setstate__(state)
    assert restored.get_params()["ensemble"] is False
    assert restored.get_params()["batch_norm"] is False
    assert restored.get_params()["input_noise"] == 0
    assert restored.get_params()["n_bins"] == 0 and restored.bin_edges_ is None
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    save_model(clf, tmp_path / "new.skml")
    _without_ensemble_param(tmp_path / "new.skml", tmp_path / "old.skml")
    loaded = load_model(tmp_path / "old.skml")
    assert loaded.get_params()["ensemble"] is False
    assert loaded.get_params()["input_noise"] == 0
    assert loaded.get_params()["n_bins"] == 0 and loaded.bin_edges_ is None
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_each_fold_network_is_released_before_the_next_trains(
    multilabel_data, monkeypatch
):
    """Check that the fold ensemble copies each fold network into the merge
    and lets it go, instead of holding every fold network until the end."""
    import gc
    import weakref

    from sklearn_multilabel.neural_network import _folds

    X, Y = multilabel_data
    trained, alive_at_start = [], []
    train_network = _folds.train_network

    def watching(*args, **kwargs):
        gc.collect()
        alive_at_start.append(sum(ref() is not None for ref in trained))
        model, history = train_network(*args, **kwargs)
        trained.append(weakref.ref(model))
        return model, history

    monkeypatch.setattr(_folds, "train_network", watching)
    clf = MultiLabelNNClassifier(**ENSEMBLE).fit(X, Y)
    assert alive_at_start == [0, 0, 0]
    assert len(clf.best_epoch_) == 3


def test_network_average_refuses_mixed_or_missing_networks():
    """Check that default and custom networks are not averaged together, and
    that the average needs every announced network."""
    from sklearn_multilabel.neural_network._network import NetworkAverage

    default = _random_default_network(0, [5])
    inputs = keras.Input(shape=(6,))
    custom = keras.Model(inputs, keras.layers.Dense(4)(inputs))
    average = NetworkAverage(2)
    average.add(default)
    with pytest.raises(ValueError, match="Default and custom networks"):
        average.add(custom)
    with pytest.raises(ValueError, match="1 of 2 networks were added"):
        average.model()


@pytest.mark.parametrize(
    "params, n_scoring, n_kept",
    [
        ({"threshold_cv": None}, 1, 1),
        ({"threshold_cv": 3, "ensemble": True}, 3, 3),
        ({"threshold_cv": 3, "ensemble": False}, 3, 1),
        ({"threshold_cv": 3, "ensemble": False, "threshold": 0.5}, 0, 1),
    ],
    ids=["single", "ensemble", "refit", "refit-fixed-threshold"],
)
def test_one_fold_loop_plans_every_mode(multilabel_data, params, n_scoring, n_kept):
    """Check that threshold_cv and ensemble are decided once into planned
    networks: which rows each trains and is scored on, and which are kept."""
    from sklearn_multilabel.neural_network._folds import plan_networks

    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, **params})
    tuned = isinstance(clf.threshold, str)
    plan = plan_networks(clf, X, Y.astype(np.uint8), None, None, tuned=tuned)
    scoring = [net for net in plan.networks if net.score_rows is not None]
    assert len(scoring) == n_scoring
    assert sum(net.kept for net in plan.networks) == n_kept
    for net in plan.networks:
        for rows in (net.stop_rows, net.score_rows):
            if rows is not None and net.train_rows is not None:
                assert not np.intersect1d(net.train_rows, rows).size
    if params["threshold_cv"] is not None and n_scoring:
        held = np.sort(np.concatenate([net.score_rows for net in scoring]))
        assert_array_equal(held, np.arange(len(X)))


def test_refit_folds_draw_seeds_as_fits_of_their_rows(multilabel_data):
    """Check that refit folds reuse an int random_state's own seeds (as a fit
    of the fold's rows would) and take a RandomState's next ones."""
    from sklearn_multilabel.neural_network._folds import RunSeeds, plan_networks

    X, Y = multilabel_data
    params = {**FAST, "threshold_cv": 2, "ensemble": False}
    plan = plan_networks(MultiLabelNNClassifier(**params), X, Y, None, None, tuned=True)
    run = RunSeeds.draw(np.random.RandomState(0))
    assert {(net.network_seed, net.shuffle_seed) for net in plan.networks} == {
        (run.network, run.shuffle)
    }
    rng = np.random.RandomState(0)
    params["random_state"] = np.random.RandomState(0)
    plan = plan_networks(MultiLabelNNClassifier(**params), X, Y, None, None, tuned=True)
    run, first, second = (RunSeeds.draw(rng) for _ in range(3))
    seeds = [(net.network_seed, net.shuffle_seed) for net in plan.networks]
    assert seeds == [
        (first.network, first.shuffle),
        (second.network, second.shuffle),
        (run.network, run.shuffle),
    ]
