"""Reproducibility: seeds give the same model anywhere, and fit leaks no setting.

Extends test_classifier.py (same seed twice in one process, another seed gives
another model, Python/numpy global generators untouched, TensorFlow op
determinism left off) and test_network.py (unseeded custom layers).
"""

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_multilabel import MultiLabelNNClassifier

from ..conftest import FAST

REPO = Path(__file__).resolve().parents[2]

# Dropout, early stopping and tuned thresholds: every seeded step takes part.
PARAMS = {**FAST, "dropout": 0.2, "max_iter": 8, "random_state": 42}


def _fit_and_score(X, Y, params):
    """Fit in the current process; return (pid, proba, thresholds)."""
    clf = MultiLabelNNClassifier(**params).fit(X, Y)
    return os.getpid(), clf.predict_proba(X), clf.thresholds_


@pytest.fixture(scope="module")
def fresh_interpreter_result(tmp_path_factory, multilabel_data):
    """Start a new interpreter fitting PARAMS; return a handle to collect it.

    Started before the loky workers so that both pay TensorFlow's import at
    the same time.
    """
    X, Y = multilabel_data
    tmp = tmp_path_factory.mktemp("fresh_fit")
    np.save(tmp / "X.npy", X)
    np.save(tmp / "Y.npy", Y)
    script = textwrap.dedent(
        f"""
        import numpy as np
        from sklearn_multilabel import MultiLabelNNClassifier
        tmp = {str(tmp)!r}
        X, Y = np.load(tmp + "/X.npy"), np.load(tmp + "/Y.npy")
        clf = MultiLabelNNClassifier(**{PARAMS!r}).fit(X, Y)
        np.save(tmp + "/proba.npy", clf.predict_proba(X))
        np.save(tmp + "/thresholds.npy", clf.thresholds_)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env)

    def collect():
        assert process.wait(timeout=300) == 0
        return np.load(tmp / "proba.npy"), np.load(tmp / "thresholds.npy")

    yield collect
    if process.poll() is None:
        process.kill()


@pytest.fixture(scope="module")
def loky_results(fresh_interpreter_result, multilabel_data):
    """Fit PARAMS twice in two loky workers (one TensorFlow thread each)."""
    X, Y = multilabel_data
    return joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_fit_and_score)(X, Y, PARAMS) for _ in range(2)
    )


def test_same_seed_same_model_in_a_fresh_interpreter(
    fresh_interpreter_result, multilabel_data
):
    """Check that a new interpreter, which has run nothing else, fits exactly
    the model this process fits after hundreds of other tests."""
    X, Y = multilabel_data
    _, proba, thresholds = _fit_and_score(X, Y, PARAMS)
    fresh_proba, fresh_thresholds = fresh_interpreter_result()
    assert_array_equal(fresh_proba, proba)
    assert_array_equal(fresh_thresholds, thresholds)


def test_same_seed_same_model_in_loky_workers(loky_results, multilabel_data):
    """Check that joblib's loky workers fit exactly the in-process model."""
    X, Y = multilabel_data
    pid, proba, thresholds = _fit_and_score(X, Y, PARAMS)
    for worker_pid, worker_proba, worker_thresholds in loky_results:
        assert worker_pid != pid
        assert_array_equal(worker_proba, proba)
        assert_array_equal(worker_thresholds, thresholds)


def test_different_seeds_give_different_initial_weights(multilabel_data):
    """Check that every layer's initial weights follow random_state: equal for
    one seed, different in every kernel for another (learning_rate so small
    that one epoch leaves the initialisation unchanged in float32)."""
    X, Y = multilabel_data
    params = {**FAST, "hidden_layer_sizes": (8, 8), "max_iter": 1}
    params.update(learning_rate=1e-30, early_stopping=False, threshold=0.5)

    def initial_kernels(seed):
        clf = MultiLabelNNClassifier(**{**params, "random_state": seed}).fit(X, Y)
        return [layer.kernel.numpy() for layer in clf.model_.layers[1:]]

    first, again, other = initial_kernels(0), initial_kernels(0), initial_kernels(1)
    assert len(first) == 3
    for kernel, same, different in zip(first, again, other, strict=True):
        assert_array_equal(kernel, same)
        assert not np.allclose(kernel, different)


def test_default_network_seeds_every_initializer_and_dropout(multilabel_data):
    """Check that no layer of the default network falls back to Keras' global
    seeding: every kernel initializer and dropout layer holds an integer seed."""
    X, Y = multilabel_data
    params = {**FAST, "hidden_layer_sizes": (8, 8), "dropout": 0.3, "max_iter": 1}
    model = MultiLabelNNClassifier(**params).fit(X, Y).model_
    dense = [layer for layer in model.layers if hasattr(layer, "kernel")]
    dropout = [layer for layer in model.layers if "dropout" in layer.name]
    assert len(dense) == 3 and len(dropout) == 2
    seeds = [layer.kernel_initializer.seed for layer in dense]
    seeds += [layer.seed for layer in dropout]
    assert all(isinstance(seed, int) for seed in seeds)
    assert len(set(seeds)) == len(seeds)


def _seed_every_global_generator(seed):
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)


@pytest.mark.parametrize("custom", [False, True], ids=["default", "custom-network"])
def test_global_seeds_do_not_change_the_model(multilabel_data, custom):
    """Check that a fit depends on random_state only, not on how Python's,
    numpy's or TensorFlow's global generators were seeded or consumed."""
    X, Y = multilabel_data
    params = {**PARAMS, "max_iter": 3}
    if custom:
        from .test_network import build_logits

        params["build_network"] = build_logits
    probas = []
    for seed in (1, 2):
        _seed_every_global_generator(seed)
        random.random(), np.random.random_sample()
        probas.append(MultiLabelNNClassifier(**params).fit(X, Y).predict_proba(X))
    assert_array_equal(probas[0], probas[1])


def _global_settings():
    """Snapshot every process-wide setting a fit could be tempted to change."""
    import keras
    import tensorflow as tf
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config as tf_config

    return {
        "python_random": random.getstate(),
        "numpy_random": repr(np.random.get_state()),
        "floatx": keras.config.floatx(),
        "backend": keras.config.backend(),
        "epsilon": keras.config.epsilon(),
        "image_data_format": keras.config.image_data_format(),
        "dtype_policy": keras.config.dtype_policy().name,
        "interactive_logging": keras.config.is_interactive_logging_enabled(),
        "traceback_filtering": keras.config.is_traceback_filtering_enabled(),
        "op_determinism": tf_config.is_op_determinism_enabled(),
        "run_functions_eagerly": tf.config.functions_run_eagerly(),
        "tf_global_seed": context.global_seed(),
        "graph_seed": tf.compat.v1.get_default_graph().seed,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "environment": dict(os.environ),
    }


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"build_network": "custom"},
        {"threshold_cv": 2},
        {"learning_rate": 1e30, "diverges": True},
    ],
    ids=["default", "custom-network", "threshold-cv", "failed-fit"],
)
def test_fit_changes_no_global_setting(multilabel_data, params):
    """Check that fit (also a failing one) leaves the global generators, Keras'
    configuration, TensorFlow's seeds, determinism, eager mode and threads,
    and the environment exactly as it found them."""
    X, Y = multilabel_data
    params = dict(params)
    diverges = params.pop("diverges", False)
    if params.get("build_network") == "custom":
        from .test_network import build_seeded as build_logits

        params["build_network"] = build_logits
    MultiLabelNNClassifier(**{**FAST, "max_iter": 2}).fit(X, Y)  # TensorFlow loaded
    random.seed(5)
    np.random.seed(5)
    before = _global_settings()
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 2, **params})
    if diverges:
        with pytest.raises(ValueError, match="Training diverged"):
            clf.fit(X * 1e30, Y)
    else:
        clf.fit(X, Y)
    assert _global_settings() == before
