"""
Grid search on a Dask cluster
=============================

A grid over networks and thresholds soon means dozens of fits. scikit-learn
runs them through joblib, and joblib hands them to a Dask cluster with one
line: ``with joblib.parallel_backend("dask")``. The same code runs on a
cluster started on this machine or on a remote one; only the ``Client``
changes.

Run it as it is (a two-worker cluster on this machine), or point it at a
running scheduler::

    python examples/dask_grid_search.py
    python examples/dask_grid_search.py --scheduler tcp://scheduler:8786

Needs ``pip install 'dask[distributed]'``, here and on every worker. Set
``SKLEARN_MULTILABEL_EXAMPLE_FAST=1`` for a quick run on a tiny grid.
"""

# %%
# Connect to a cluster
# --------------------
# Without ``--scheduler``, a ``LocalCluster`` starts two worker *processes*
# with one thread each. Processes, because each fit runs its own TensorFlow
# runtime; one thread each, because TensorFlow parallelises a fit itself.
#
# On a real cluster, start a scheduler and the workers from a shell, with the
# same versions of sklearn_multilabel, TensorFlow and scikit-learn installed
# on every machine::
#
#     dask scheduler                                            # on one host
#     dask worker tcp://scheduler:8786 --nworkers 8 --nthreads 1   # on each
#
# then connect with ``Client("tcp://scheduler:8786")``: nothing else changes.
import argparse
import os

import joblib
from distributed import Client, LocalCluster
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.datasets import load_yeast

FAST = os.environ.get("SKLEARN_MULTILABEL_EXAMPLE_FAST") == "1"


def connect(scheduler=None):
    """Return a client of the scheduler at ``scheduler``, else of a local cluster."""
    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster)


# %%
# The search
# ----------
# An ordinary ``GridSearchCV``: 3 networks x 2 L2 penalties x 2 folds, plus
# the refit of the best one. ``random_state`` fixes every fit wherever it
# runs: the scores are those of a sequential ``n_jobs=1`` search, to the last
# digit.
def run_search(data):
    """Fit the grid search on the Dask workers and return it."""
    pipeline = make_pipeline(
        StandardScaler(),
        MultiLabelNNClassifier(max_iter=5 if FAST else 100, random_state=0),
    )
    grid = {
        "multilabelnnclassifier__hidden_layer_sizes": [(64,), (256,), (128, 64)],
        "multilabelnnclassifier__alpha": [1e-4, 1e-2],
    }
    if FAST:
        grid["multilabelnnclassifier__hidden_layer_sizes"] = [(16,)]
    search = GridSearchCV(pipeline, grid, cv=2, scoring="f1_micro")
    with joblib.parallel_backend("dask"):
        search.fit(data.X_train, data.Y_train)
    return search


# %%
# Results
# -------
# The 12 cross-validation fits ran on the workers; only their scores came
# back. ``GridSearchCV`` refits the best candidate on all training rows in
# this process, so ``best_estimator_`` is here, ready to predict or pickle.
def report(search, data):
    """Print the score of each candidate and of the best one on test rows."""
    results = search.cv_results_
    for params, score in zip(
        results["params"], results["mean_test_score"], strict=True
    ):
        layers = params["multilabelnnclassifier__hidden_layer_sizes"]
        alpha = params["multilabelnnclassifier__alpha"]
        print(f"hidden_layer_sizes={layers!s:10} alpha={alpha:<7g} F1={score:.4f}")
    test_f1 = f1_score(
        data.Y_test, search.best_estimator_.predict(data.X_test), average="micro"
    )
    print(f"best: {search.best_params_}, test micro-F1 {test_f1:.4f}")


# %%
# Threads per worker
# ------------------
# Dask's nanny sets ``OMP_NUM_THREADS=1`` in each worker, and the first fit
# sizes TensorFlow's pools from it (through ``tf.config.threading``; the
# environment is left alone), so workers x threads never exceed the cores.
# To give each worker more threads, set ``TF_NUM_INTRAOP_THREADS`` in the
# workers' environment: ``LocalCluster(..., env={"TF_NUM_INTRAOP_THREADS":
# "4"})``, or ``export TF_NUM_INTRAOP_THREADS=4`` before ``dask worker``.
def tensorflow_threads():
    """TensorFlow's intra-op thread count in this process (0: one per core)."""
    import tensorflow as tf

    return tf.config.threading.get_intra_op_parallelism_threads()


# %%
# Run it
# ------
# Worker processes are spawned, and re-import this file: only the code under
# ``if __name__ == "__main__"`` must start a cluster.
if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Grid search on a Dask cluster.")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://scheduler:8786; "
        "without it a two-worker LocalCluster starts on this machine",
    )
    # parse_known_args: in a notebook the kernel passes arguments of its own.
    args, _ = parser.parse_known_args()
    client = connect(args.scheduler)
    n_workers = len(client.scheduler_info()["workers"])
    print(f"Connected to {client.scheduler.address} with {n_workers} workers")
    data = load_yeast()
    search = run_search(data)
    report(search, data)
    print("TensorFlow intra-op threads per worker:", client.run(tensorflow_threads))
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()
