"""Faults injected at each stage of ``fit``: never a half-fitted estimator.

An exception (``RuntimeError``) or a Ctrl-C (``KeyboardInterrupt``) raised
while ``fit`` checks the data, computes the bin edges, trains a fold network
(the first, the second, the last), merges the fold networks or searches the
thresholds must leave the estimator unfitted: ``predict`` raises
``NotFittedError`` and no fitted attribute is left, and a previous fit is
dropped (docs/bad_inputs.md: a refit that fails drops the previous model).
The one fault that leaves it fitted is Ctrl-C after the first epoch of a lone
network, whose best weights so far are kept. Either way the next ``fit``
equals a fresh fit.
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.neural_network import _classifier, _folds, _network
from sklearn_multilabel.neural_network._state import FITTED_STATE
from sklearn_multilabel.neural_network.training import _loop

from .conftest import FAST

ENSEMBLE = {**FAST, "max_iter": 8, "threshold_cv": 3}
SINGLE = {**FAST, "max_iter": 8}


class Fault(RuntimeError):
    """The injected exception."""


def _failing_on_call(function, call, error):
    """Wrap ``function`` to raise ``error`` at its ``call``-th call (1-based).

    The calls before it run ``function``; the failing one runs it first, so
    that what it sets on the estimator is there when the fault strikes.
    """
    calls = []

    def failing(*args, **kwargs):
        calls.append(None)
        result = function(*args, **kwargs)
        if len(calls) == call:
            raise error("injected fault")
        return result

    return failing


# Stage -> (object patched, attribute, failing call).
STAGES = {
    "validation": (MultiLabelNNClassifier, "_validate_training_data", 1),
    "bin edges": (_classifier, "quantile_edges", 1),
    "first fold network": (_folds, "train_network", 1),
    "second fold network": (_folds, "train_network", 2),
    "last fold network": (_folds, "train_network", 3),
    "merge": (_network.NetworkAverage, "model", 1),
    "threshold search": (_classifier, "tune_thresholds", 1),
}


@pytest.fixture(scope="module")
def fresh_fit(multilabel_data):
    """A fold-ensemble fit, and its probabilities on the training rows."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**ENSEMBLE).fit(X, Y)
    return clf, clf.predict_proba(X)


def assert_unfitted(clf, X):
    """Check that ``clf`` predicts nothing and holds no fitted attribute."""
    with pytest.raises(NotFittedError, match="not fitted yet"):
        clf.predict(X)
    fitted_names = {attribute.name for attribute in FITTED_STATE} | {"_forward"}
    left = [
        name
        for name in vars(clf)
        if name in fitted_names or (name.endswith("_") and not name.startswith("__"))
    ]
    assert left == [], f"a failed fit left {left}"


def assert_fitted_consistently(clf, X, Y, n_networks):
    """Check every attribute of the fitted-state schema, and that they agree."""
    missing = [
        attribute.name
        for attribute in FITTED_STATE
        if not attribute.optional and not hasattr(clf, attribute.name)
    ]
    assert missing == [], f"fitted, but without {missing}"
    assert clf.n_features_in_ == X.shape[1]
    assert len(clf.classes_) == Y.shape[1] == len(clf.thresholds_)
    curves = [network["loss"] for network in clf.history_]
    best = clf.best_epoch_
    assert len(curves) == len(best) == n_networks
    assert clf.loss_curve_ == curves[0]
    assert clf.n_iter_ == max(len(curve) for curve in curves)
    assert all(
        0 <= epoch < len(curve) for epoch, curve in zip(best, curves, strict=True)
    )
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and np.isfinite(proba).all()
    np.testing.assert_array_equal(clf.predict(X), proba >= clf.thresholds_)


def assert_refit_is_fresh(clf, X, Y, fresh_proba):
    """Check that fitting ``clf`` again gives exactly a fresh fit's model."""
    clf.fit(X, Y)
    np.testing.assert_array_equal(clf.predict_proba(X), fresh_proba)


@pytest.mark.parametrize("error", [Fault, KeyboardInterrupt])
@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("previously_fitted", [False, True], ids=["fresh", "refit"])
def test_fault_at_each_stage_leaves_estimator_unfitted(
    monkeypatch, multilabel_data, fresh_fit, stage, error, previously_fitted
):
    """Check that a fault at any stage of a fold-ensemble fit leaves the
    estimator unfitted (an earlier fit dropped), and that the next fit equals
    a fresh one."""
    X, Y = multilabel_data
    fitted, fresh_proba = fresh_fit
    if previously_fitted:
        clf = pickle.loads(pickle.dumps(fitted))
    else:
        clf = MultiLabelNNClassifier(**ENSEMBLE)
    owner, name, call = STAGES[stage]
    monkeypatch.setattr(
        owner, name, _failing_on_call(getattr(owner, name), call, error)
    )
    with (
        pytest.raises(error, match="injected fault"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        clf.fit(X, Y)
    monkeypatch.undo()
    assert_unfitted(clf, X)
    if error is KeyboardInterrupt and "fold network" in stage:
        assert any("Fit interrupted" in str(w.message) for w in caught)
    assert_refit_is_fresh(clf, X, Y, fresh_proba)


def _interrupting_epochs(monkeypatch, network, epoch):
    """Raise ``KeyboardInterrupt`` in epoch ``epoch`` (0-based) of the
    ``network``-th network trained (1-based); return the list of networks
    whose training started."""
    started, epochs = [], []
    train_network, run_epoch = _folds.train_network, _loop._run_epoch

    def counting_network(*args, **kwargs):
        started.append(None)
        epochs.clear()
        return train_network(*args, **kwargs)

    def interrupting_epoch(*args, **kwargs):
        epochs.append(None)
        if len(started) == network and len(epochs) == epoch + 1:
            raise KeyboardInterrupt
        return run_epoch(*args, **kwargs)

    monkeypatch.setattr(_folds, "train_network", counting_network)
    monkeypatch.setattr(_loop, "_run_epoch", interrupting_epoch)
    return started


def test_ctrl_c_in_second_fold_stops_the_whole_fit(
    monkeypatch, multilabel_data, fresh_fit
):
    """Check that Ctrl-C during the second fold network's training, after
    some epochs, trains no later fold network, warns, re-raises and leaves
    the estimator unfitted; the next fit equals a fresh one."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**ENSEMBLE)
    started = _interrupting_epochs(monkeypatch, network=2, epoch=3)
    with (
        pytest.raises(KeyboardInterrupt),
        pytest.warns(UserWarning, match="network 2 of 3: the whole fit stops"),
    ):
        clf.fit(X, Y)
    assert len(started) == 2, f"{len(started)} fold networks started training"
    monkeypatch.undo()
    assert_unfitted(clf, X)
    assert_refit_is_fresh(clf, X, Y, fresh_fit[1])


def test_ctrl_c_in_refit_folds_stops_before_the_refit(monkeypatch, multilabel_data):
    """Check that with ensemble=False Ctrl-C in a scoring fold network stops
    the fit before the refit network trains."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**{**ENSEMBLE, "ensemble": False})
    started = _interrupting_epochs(monkeypatch, network=2, epoch=2)
    with (
        pytest.raises(KeyboardInterrupt),
        pytest.warns(UserWarning, match="network 2 of 4"),
    ):
        clf.fit(X, Y)
    assert len(started) == 2
    assert_unfitted(clf, X)


@pytest.mark.parametrize("previously_fitted", [False, True], ids=["fresh", "refit"])
def test_ctrl_c_in_lone_network_keeps_its_best_weights(
    monkeypatch, multilabel_data, previously_fitted
):
    """Check that Ctrl-C after the first epoch of a lone network
    (threshold_cv=None) ends a consistent fit on its best weights so far,
    and that the next fit equals a fresh one."""
    X, Y = multilabel_data
    fresh = MultiLabelNNClassifier(**SINGLE).fit(X, Y)
    clf = MultiLabelNNClassifier(**SINGLE)
    if previously_fitted:
        clf = pickle.loads(pickle.dumps(fresh))
    _interrupting_epochs(monkeypatch, network=1, epoch=3)
    with pytest.warns(UserWarning, match="interrupted during epoch 4"):
        clf.fit(X, Y)
    monkeypatch.undo()
    assert clf.n_iter_ == 3
    assert_fitted_consistently(clf, X, Y, n_networks=1)
    assert_refit_is_fresh(clf, X, Y, fresh.predict_proba(X))


def test_ctrl_c_in_first_epoch_of_lone_network_leaves_it_unfitted(
    monkeypatch, multilabel_data
):
    """Check that Ctrl-C in the first epoch, with no trained weights to
    keep, propagates and leaves a previously fitted estimator unfitted."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**SINGLE).fit(X, Y)
    _interrupting_epochs(monkeypatch, network=1, epoch=0)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, Y)
    assert_unfitted(clf, X)
