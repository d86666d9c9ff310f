"""Tests of training you can watch and steer: warnings, progress, warm start."""

import sys
import types
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_multilabel import MultiLabelNNClassifier
from tests.conftest import FAST


def test_convergence_warning_once_per_fit(multilabel_data):
    """Check that networks reaching max_iter give one ConvergenceWarning."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(
        **{**FAST, "max_iter": 2, "threshold_cv": 3, "n_iter_no_change": 50}
    )
    with pytest.warns(ConvergenceWarning, match=r"3 of the 3 networks") as record:
        clf.fit(X, Y)
    assert sum(w.category is ConvergenceWarning for w in record) == 1
    assert "fold 2 of 3" in str(record[0].message)


def test_no_convergence_warning_when_stopped_early(multilabel_data):
    """Check that early stopping before max_iter gives no ConvergenceWarning."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 500, "n_iter_no_change": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, Y)
    assert clf.n_iter_ < 500


def test_verbose_prints_fold_headers(multilabel_data, capsys):
    """Check that verbose=1 names each fold network before its epochs."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(
        **{**FAST, "max_iter": 2, "threshold_cv": 2, "verbose": 1}
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, Y)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Network 1/2 (fold 1 of 2)"
    assert out[1].startswith("Epoch 1, loss = ")
    assert "Network 2/2 (fold 2 of 2)" in out


def test_verbose_2_uses_tqdm_when_installed(multilabel_data, monkeypatch):
    """Check that verbose=2 shows one tqdm bar per network, with its losses."""
    bars = []

    class FakeBar:
        def __init__(self, total, desc, unit):
            self.total, self.desc, self.n, self.closed = total, desc, 0, False
            bars.append(self)

        def set_postfix(self, values, refresh):
            self.postfix = values

        def update(self, n):
            self.n += n

        def close(self):
            self.closed = True

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeBar
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 3, "verbose": 2})
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, Y)
    assert [(bar.desc, bar.total, bar.n, bar.closed) for bar in bars] == [
        ("Network 1/1", 3, 3, True)
    ]
    assert set(bars[0].postfix) == {"loss", "val_loss"}


def test_history_has_one_shape(multilabel_data):
    """Check that history_ and best_epoch_ hold one entry per network, and
    loss_curve_ is a list of floats, for one network and an ensemble."""
    X, Y = multilabel_data
    for cv, n_networks in [(None, 1), (2, 2)]:
        clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 3, "threshold_cv": cv})
        with pytest.warns(ConvergenceWarning):
            clf.fit(X, Y)
        assert len(clf.history_) == len(clf.best_epoch_) == n_networks
        assert all(set(h) == {"loss", "val_loss"} for h in clf.history_)
        assert clf.loss_curve_ == clf.history_[0]["loss"]
        assert all(isinstance(loss, float) for loss in clf.loss_curve_)


def test_warm_start_continues_training(multilabel_data):
    """Check that a warm start continues the fitted network, and that
    warm_start=False drops it."""
    X, Y = multilabel_data
    params = {**FAST, "max_iter": 3, "n_iter_no_change": 50}
    fresh = MultiLabelNNClassifier(**params)
    warm = MultiLabelNNClassifier(**params, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        fresh.fit(X, Y)
        warm.fit(X, Y)
        first_curve = list(warm.loss_curve_)
        network = warm.model_
        warm.fit(X, Y)
    assert warm.model_ is network
    assert warm.n_iter_ == 6 and warm.loss_curve_[:3] == first_curve
    assert not np.allclose(warm.predict_proba(X), fresh.predict_proba(X))
    warm.set_params(warm_start=False)
    with pytest.warns(ConvergenceWarning):
        warm.fit(X, Y)
    assert warm.model_ is not network and warm.n_iter_ == 3
    np.testing.assert_array_equal(warm.predict_proba(X), fresh.predict_proba(X))


@pytest.mark.parametrize(
    "change, err_msg",
    [
        ({"threshold_cv": 3}, "threshold_cv=3 trains fold networks anew"),
        ("features", "fitted on 10 features and 5 labels, but X has 9 features"),
    ],
)
def test_warm_start_refuses_what_it_cannot_continue(multilabel_data, change, err_msg):
    """Check that warm_start refuses folds and data of another shape."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 2}, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, Y)
    if change == "features":
        X = X[:, 1:]
    else:
        clf.set_params(**change)
    with pytest.raises(ValueError, match=err_msg):
        clf.fit(X, Y)


def test_compiled_custom_network_warns(multilabel_data):
    """Check that a builder's compile is named in a warning and not kept."""
    import keras

    def build(meta):
        model = keras.Sequential(
            [
                keras.Input((meta["n_features_in"],)),
                keras.layers.Dense(meta["n_labels"]),
            ]
        )
        model.compile(keras.optimizers.SGD(0.1), "mse")
        return model

    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 2}, build_network=build)
    with pytest.warns(UserWarning, match="optimizer SGD and loss 'mse'"):
        clf.fit(X, Y)
    assert getattr(clf.model_, "optimizer", None) is None


def test_format_3_histories_migrate_to_one_entry_per_network():
    """Check that format-3 histories (a list, or lists per network) become
    one entry per network."""
    from sklearn_multilabel.neural_network._state import migrate

    single = {"history_": {"loss": [1.0, 0.5], "val_loss": [0.9, 0.8]}}
    single.update(best_epoch_=1, loss_curve_=[1.0, 0.5])
    migrate(3, {}, single)
    assert single["history_"] == [{"loss": [1.0, 0.5], "val_loss": [0.9, 0.8]}]
    assert single["best_epoch_"] == [1] and single["loss_curve_"] == [1.0, 0.5]
    ensemble = {"history_": {"loss": [[1.0], [2.0]], "val_loss": [[0.5], [0.6]]}}
    ensemble.update(best_epoch_=[0, 0], loss_curve_=[[1.0], [2.0]])
    migrate(3, {}, ensemble)
    assert ensemble["history_"] == [
        {"loss": [1.0], "val_loss": [0.5]},
        {"loss": [2.0], "val_loss": [0.6]},
    ]
    assert ensemble["best_epoch_"] == [0, 0] and ensemble["loss_curve_"] == [1.0]
