"""TensorFlow thread pools sized from joblib's per-worker limit."""

import os
import subprocess
import sys

import pytest

SHOW_LIMIT = (
    # TensorFlow's import sets variables of its own: compare from after it.
    "import os, sys, keras;"
    " before = dict(os.environ);"
    " from sklearn_multilabel.neural_network._backend import limit_tensorflow_threads;"
    " limit = limit_tensorflow_threads();"
    " import tensorflow as tf;"
    " assert dict(os.environ) == before, 'os.environ was changed';"
    " print(limit, tf.config.threading.get_intra_op_parallelism_threads(),"
    " tf.config.threading.get_inter_op_parallelism_threads())"
)


def _run(code, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_NUM_", "OMP_NUM", "OPENBLAS_NUM", "MKL_NUM"))
    }
    environment.update(env)
    environment["KERAS_BACKEND"] = "tensorflow"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"OMP_NUM_THREADS": "1"}, ["1", "1", "1"]),
        ({"OMP_NUM_THREADS": "4", "MKL_NUM_THREADS": "2"}, ["2", "2", "1"]),
        (
            {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "3"},
            ["None", "0", "0"],
        ),
        (
            {"OMP_NUM_THREADS": "2", "TF_NUM_INTEROP_THREADS": "3"},
            ["2", "2", "0"],
        ),
        ({}, ["None", "0", "0"]),
    ],
    ids=[
        "joblib-worker",
        "smallest-limit",
        "user-setting-wins",
        "user-interop-wins",
        "no-limit",
    ],
)
def test_thread_limit_follows_joblib(env, expected):
    """Check that TensorFlow's threading config follows joblib's limit unless
    the user set the pools, and that the environment is left as it was."""
    assert _run(SHOW_LIMIT, **env) == expected


def test_no_change_once_tensorflow_runs():
    """Check that nothing is changed, and nothing fails, once TensorFlow's
    context has started (its pools are fixed then)."""
    code = "import tensorflow as tf; tf.constant(1.0) + 1;" + SHOW_LIMIT
    assert _run(code, OMP_NUM_THREADS="1") == ["None", "0", "0"]


def test_user_configured_pools_are_kept():
    """Check that pools the user configured through tf.config are not resized."""
    code = (
        "import tensorflow as tf;"
        " tf.config.threading.set_intra_op_parallelism_threads(3);" + SHOW_LIMIT
    )
    assert _run(code, OMP_NUM_THREADS="1") == ["None", "3", "0"]
