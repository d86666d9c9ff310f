"""The training loop: several batches per traced call equal one per call."""

import numpy as np
from numpy.testing import assert_allclose

from sklearn_multilabel import MultiLabelNNClassifier, _training

from .conftest import FAST


def test_several_batches_per_call_train_the_same_network(multilabel_data, monkeypatch):
    """Check that updating on 16 batches per TensorFlow call (epochs of 38
    batches) gives the network that one batch per call gives."""
    X, Y = multilabel_data
    params = {**FAST, "batch_size": 8, "max_iter": 5, "dropout": 0.2}
    looped = MultiLabelNNClassifier(**params).fit(X, Y)
    monkeypatch.setattr(_training, "MAX_BATCHES_PER_CALL", 10**6)
    one_by_one = MultiLabelNNClassifier(**params).fit(X, Y)
    assert_allclose(
        looped.predict_proba(X), one_by_one.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    assert_allclose(looped.loss_curve_, one_by_one.loss_curve_, rtol=1e-5)
    assert not np.allclose(looped.loss_curve_[0], looped.loss_curve_[-1])


def test_several_batches_per_call_are_capped_by_bytes(monkeypatch):
    """Check that wider rows get fewer batches per call, down to one."""
    calls = []
    original = _training._run_epoch

    def recording(step, *args):
        calls.append(step.batches_per_call)
        return original(step, *args)

    monkeypatch.setattr(_training, "_run_epoch", recording)
    # One densified batch may hold 8 rows x 100 float32 features.
    monkeypatch.setattr(_training, "DENSE_BATCH_BYTES", 4 * 8 * 100)
    rng = np.random.default_rng(0)
    Y = (rng.random((600, 2)) < 0.3).astype(int)
    for n_features, expected in ((4, 16), (20, 5), (100, 1)):
        calls.clear()
        X = rng.normal(size=(600, n_features)).astype(np.float32)
        MultiLabelNNClassifier(
            **{**FAST, "batch_size": 8, "max_iter": 1, "early_stopping": False},
            threshold=0.5,
        ).fit(X, Y)
        assert calls == [expected]
