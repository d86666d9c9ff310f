"""Grid searches on a real Dask cluster, through joblib's dask backend."""

import joblib
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV

from sklearn_multilabel import MultiLabelNNClassifier

from .conftest import FAST

distributed = pytest.importorskip(
    "distributed",
    reason="dask.distributed is not installed: pip install 'dask[distributed]'",
)

GRID = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-1]}


@pytest.fixture(scope="module")
def dask_client():
    """A two-worker cluster of separate processes on this machine."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _search():
    return GridSearchCV(
        MultiLabelNNClassifier(**FAST), GRID, cv=2, scoring="f1_micro", n_jobs=-1
    )


def test_dask_grid_search_equals_sequential(multilabel_data, dask_client):
    """Check that a search run on Dask workers gives the scores and the best
    model of the same search run in this process."""
    X, Y = multilabel_data
    sequential = _search().set_params(n_jobs=1).fit(X, Y)
    with joblib.parallel_backend("dask"):
        on_dask = _search().fit(X, Y)

    assert_array_equal(
        on_dask.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
    assert on_dask.best_params_ == sequential.best_params_
    assert_array_equal(
        on_dask.best_estimator_.predict_proba(X),
        sequential.best_estimator_.predict_proba(X),
    )
    assert_array_equal(
        on_dask.best_estimator_.predict(X), sequential.best_estimator_.predict(X)
    )
    # The fits ran in the workers: each imported Keras to train.
    imported = dask_client.run(lambda: "keras" in __import__("sys").modules)
    assert any(imported.values())


def test_fitted_model_travels_to_and_from_workers(multilabel_data, dask_client):
    """Check that an estimator fitted on a worker comes back with its Keras
    network, and that a local one predicts on a worker, as they do here."""
    X, Y = multilabel_data
    local = MultiLabelNNClassifier(**FAST).fit(X, Y)

    from_worker = dask_client.submit(MultiLabelNNClassifier(**FAST).fit, X, Y)
    assert_array_equal(from_worker.result().predict_proba(X), local.predict_proba(X))
    on_worker = dask_client.submit(local.predict_proba, X)
    assert_array_equal(on_worker.result(), local.predict_proba(X))


def test_dask_workers_limit_tensorflow_threads(multilabel_data, dask_client):
    """Check that a fit inside a Dask worker sizes TensorFlow's thread pools
    from the worker's thread limit, so workers do not oversubscribe cores,
    through TensorFlow's threading config and not the worker's environment."""
    X, Y = multilabel_data

    def fit_and_read_limits():
        import os

        import tensorflow as tf

        before = {k: v for k, v in os.environ.items() if k.startswith("TF_NUM_")}
        MultiLabelNNClassifier(**FAST).fit(X, Y)
        after = {k: v for k, v in os.environ.items() if k.startswith("TF_NUM_")}
        return (
            os.environ.get("OMP_NUM_THREADS"),
            before == after == {},
            tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads(),
        )

    limits = dask_client.run(fit_and_read_limits)
    assert len(limits) == 2
    assert set(limits.values()) == {("1", True, 1, 1)}
