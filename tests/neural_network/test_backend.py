"""TensorFlow thread pools sized from joblib's per-worker limit."""

import os
import subprocess
import sys

import pytest

SHOW_LIMIT = (
    "import os, sys;"
    " from sklearn_multilabel.neural_network._backend import limit_tensorflow_threads;"
    "print(limit_tensorflow_threads(), os.environ.get('TF_NUM_INTRAOP_THREADS'),"
    " os.environ.get('TF_NUM_INTEROP_THREADS'))"
)


def _run(code, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_NUM_", "OMP_NUM", "OPENBLAS_NUM", "MKL_NUM"))
    }
    environment.update(env)
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
            ["None", "3", "None"],
        ),
        ({}, ["None", "None", "None"]),
    ],
    ids=["joblib-worker", "smallest-limit", "user-setting-wins", "no-limit"],
)
def test_thread_limit_follows_joblib(env, expected):
    """Check that TensorFlow's pools follow joblib's limit unless the user set them."""
    assert _run(SHOW_LIMIT, **env) == expected


def test_no_change_once_tensorflow_is_imported():
    """Check that nothing is changed after TensorFlow has started."""
    code = "import tensorflow;" + SHOW_LIMIT
    assert _run(code, OMP_NUM_THREADS="1") == ["None", "None", "None"]
