"""The estimator on Keras' JAX and PyTorch backends, against TensorFlow.

Keras picks its backend once per process, from ``KERAS_BACKEND``, so each
other backend runs in a subprocess; the reference runs in this process.
"""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.metrics import f1_score

from sklearn_multilabel import MultiLabelNNClassifier

from ..conftest import FAST

# Without dropout the backends start from the same numpy-drawn weights and
# shuffle rows alike; only float32 rounding differs (XLA's and PyTorch's
# kernels sum in another order than TensorFlow's). Measured here after 30
# epochs: at most 1.0e-7 (JAX) and 1.7e-7 (PyTorch) apart; on yeast after
# early stopping, three configurations, 1.0e-7 and 2.3e-7. 1e-5 leaves a
# 40-fold margin, while initial weights drawn by the backend's own generator
# put the probabilities 0.5 apart.
PROBA_ATOL = 1e-5
# Keras normalises batches with other float32 formulas on each backend, and
# dividing by batch deviations amplifies the differences as training goes:
# measured 2.5e-5 apart after one epoch, 1.8e-3 (JAX) and 2.0e-3 (PyTorch)
# after 30. A backend bug (say, moving averages not updated) moves
# probabilities by tenths.
BATCH_NORM_ATOL = 5e-3
# Dropout masks come from each backend's own generator, so the networks
# differ; measured micro-F1 gaps: at most 0.006 here, 0.011 on yeast.
F1_GAP = 0.05

FAST_WITHOUT_DROPOUT = {k: v for k, v in FAST.items() if k != "dropout"}

FIT_ON_BACKEND = """
import ast, pickle, sys
import numpy as np
import keras
from sklearn_multilabel import MultiLabelNNClassifier

data = np.load(sys.argv[1])
params = ast.literal_eval(sys.argv[2])
results = {"backend": np.array(keras.backend.backend())}
for dropout in (0.0, 0.2):
    clf = MultiLabelNNClassifier(**params, dropout=dropout).fit(data["X"], data["Y"])
    results[f"proba_{dropout}"] = clf.predict_proba(data["X"])
    results[f"predict_{dropout}"] = clf.predict(data["X"])
normalised = MultiLabelNNClassifier(**params, dropout=0.0, batch_norm=True)
results["proba_batch_norm"] = normalised.fit(data["X"], data["Y"]).predict_proba(
    data["X"]
)
restored = pickle.loads(pickle.dumps(clf))
results["unpickled_proba"] = restored.predict_proba(data["X"])
np.savez(sys.argv[3], **results)
"""


def _backend_environment(backend):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KERAS_BACKEND", "TF_NUM_", "OMP_NUM"))
    }
    # One thread: PyTorch's spinning pool is ten times slower on a busy
    # 2-core machine, and results do not depend on the thread count.
    environment.update(KERAS_BACKEND=backend, OMP_NUM_THREADS="1")
    return environment


def _run_on_backend(backend, code, *args):
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env=_backend_environment(backend),
        timeout=300,
    )


def _require(module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: pip install {module}")


@pytest.mark.parametrize("backend, module", [("jax", "jax"), ("torch", "torch")])
def test_other_backend_matches_tensorflow(multilabel_data, tmp_path, backend, module):
    """Check that a fit on JAX or PyTorch gives TensorFlow's probabilities
    without dropout, and a model of the same quality with dropout."""
    _require(module)
    X, Y = multilabel_data
    params = FAST_WITHOUT_DROPOUT
    np.savez(tmp_path / "data.npz", X=X, Y=Y)
    result = _run_on_backend(
        backend, FIT_ON_BACKEND, tmp_path / "data.npz", params, tmp_path / "out.npz"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    other = np.load(tmp_path / "out.npz")
    assert str(other["backend"]) == backend

    for dropout in (0.0, 0.2):
        reference = MultiLabelNNClassifier(**params, dropout=dropout).fit(X, Y)
        if dropout == 0.0:
            assert_allclose(
                other["proba_0.0"], reference.predict_proba(X), rtol=0, atol=PROBA_ATOL
            )
        f1_other = f1_score(Y, other[f"predict_{dropout}"], average="micro")
        f1_reference = f1_score(Y, reference.predict(X), average="micro")
        assert abs(f1_other - f1_reference) <= F1_GAP
    assert_allclose(other["unpickled_proba"], other["proba_0.2"], rtol=0, atol=0)
    reference = MultiLabelNNClassifier(**params, dropout=0.0, batch_norm=True)
    assert_allclose(
        other["proba_batch_norm"],
        reference.fit(X, Y).predict_proba(X),
        rtol=0,
        atol=BATCH_NORM_ATOL,
    )


def test_backend_without_gradients_is_refused(multilabel_data, tmp_path):
    """Check that Keras' numpy backend, which cannot train, fails with a
    message naming the backends that can."""
    X, Y = multilabel_data
    np.savez(tmp_path / "data.npz", X=X, Y=Y)
    result = _run_on_backend(
        "numpy",
        FIT_ON_BACKEND,
        tmp_path / "data.npz",
        FAST_WITHOUT_DROPOUT,
        tmp_path / "out.npz",
    )
    assert result.returncode != 0
    assert "The Keras backend 'numpy' cannot train networks" in result.stderr
    assert "KERAS_BACKEND" in result.stderr
