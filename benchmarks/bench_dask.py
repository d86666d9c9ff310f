"""A grid search run sequentially, on loky workers and on a Dask cluster.

The same ``GridSearchCV`` over ``MultiLabelNNClassifier`` on yeast (9
candidates x 2 folds = 18 fits, no refit) runs three ways, each in a fresh
interpreter so that every way pays for importing TensorFlow, then once more
on the same, warm workers (the difference is TensorFlow's start in each
worker):

- ``sequential``: ``n_jobs=1``, TensorFlow using every core;
- ``loky``: ``n_jobs=2``, joblib's default process pool;
- ``dask``: a ``LocalCluster`` of 2 single-threaded worker processes, driven
  through ``joblib.parallel_backend("dask")``; the cluster's start-up is timed
  apart from the search.

It prints a table and checks that the three searches scored every candidate
alike. The machine's load average is printed too: the timings are only
comparable when nothing else runs.

Usage::

    python benchmarks/bench_dask.py             # 18 fits, twice (~4 min on 2 cores)
    python benchmarks/bench_dask.py --quick     # 4 small fits, a smoke run
    python benchmarks/bench_dask.py --json out.json
"""

import argparse
import json
import os
import subprocess
import sys
import time

WAYS = ("sequential", "loky", "dask")
N_WORKERS = 2

GRIDS = {
    "full": {
        "hidden_layer_sizes": [(64,), (256,), (128, 64)],
        "alpha": [1e-4, 1e-2, 1.0],
    },
    "quick": {"hidden_layer_sizes": [(16,), (32,)]},
}


def run_search(way, grid_name):
    """Time one search in this process and return its timings and scores.

    Parameters
    ----------
    way : {"sequential", "loky", "dask"}
    grid_name : {"full", "quick"}

    Returns
    -------
    result : dict
        ``startup`` (seconds to start the cluster, 0 without one),
        ``search`` (seconds of the first ``fit``, workers importing
        TensorFlow), ``warm_search`` (seconds of the same ``fit`` run again on
        the same, warm workers), ``n_fits`` and ``scores``.
    """
    import joblib
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import StandardScaler

    from sklearn_multilabel import MultiLabelNNClassifier
    from sklearn_multilabel.datasets import load_yeast

    X, Y, _, _ = load_yeast(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    max_iter = 200 if grid_name == "full" else 10
    search = GridSearchCV(
        MultiLabelNNClassifier(max_iter=max_iter, threshold_cv=None, random_state=0),
        GRIDS[grid_name],
        cv=2,
        scoring="f1_micro",
        refit=False,
        n_jobs=1 if way == "sequential" else N_WORKERS,
    )
    startup, client, cluster = 0.0, None, None
    if way == "dask":
        from distributed import Client, LocalCluster

        start = time.perf_counter()
        cluster = LocalCluster(
            n_workers=N_WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
        client.wait_for_workers(N_WORKERS)
        startup = time.perf_counter() - start
    elapsed = []
    for _ in range(2):
        start = time.perf_counter()
        with joblib.parallel_backend("dask" if way == "dask" else "loky"):
            search.fit(X, Y)
        elapsed.append(time.perf_counter() - start)
    if client is not None:
        client.close()
        cluster.close()
    return {
        "startup": startup,
        "search": elapsed[0],
        "warm_search": elapsed[1],
        "n_fits": len(search.cv_results_["params"]) * search.n_splits_,
        "scores": search.cv_results_["mean_test_score"].tolist(),
    }


def run_in_subprocess(way, grid_name):
    """Run :func:`run_search` in a fresh interpreter.

    Parameters
    ----------
    way : str
    grid_name : str

    Returns
    -------
    result : dict
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", way, "--grid", grid_name],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"The {way} search failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def format_table(results):
    """Return the timings as a Markdown table.

    Parameters
    ----------
    results : dict
        ``way -> result`` of :func:`run_search`.

    Returns
    -------
    table : str
    """
    sequential = results["sequential"]
    lines = [
        "| way | workers x threads | start-up (s) | search (s) | warm search (s) "
        "| s per fit, warm | speed-up vs sequential (warm) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    layout = {
        "sequential": f"1 x {os.cpu_count()}",
        "loky": f"{N_WORKERS} x 1",
        "dask": f"{N_WORKERS} x 1",
    }
    for way, result in results.items():
        warm = result["warm_search"]
        lines.append(
            f"| {way} | {layout[way]} | {result['startup']:.1f} "
            f"| {result['search']:.1f} | {warm:.1f} | {warm / result['n_fits']:.2f} "
            f"| {sequential['search'] / result['search']:.2f} "
            f"({sequential['warm_search'] / warm:.2f}) |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 small fits")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--worker", choices=WAYS, help=argparse.SUPPRESS)
    parser.add_argument("--grid", default="full", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_search(args.worker, args.grid)))
        return
    grid_name = "quick" if args.quick else "full"
    load = [os.getloadavg()[0]]
    results = {way: run_in_subprocess(way, grid_name) for way in WAYS}
    load.append(os.getloadavg()[0])
    print(f"{results['sequential']['n_fits']} fits on yeast, {os.cpu_count()} cores")
    print(f"load average (1 min): {load[0]:.2f} before, {load[1]:.2f} after")
    print(format_table(results))
    scores = [results[way]["scores"] for way in WAYS]
    print("identical scores on every way:", all(s == scores[0] for s in scores))
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=2)


if __name__ == "__main__":
    main()
