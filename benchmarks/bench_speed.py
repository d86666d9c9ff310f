"""Speed of MultiLabelNNClassifier against its peers, in one run.

For each data size this times, each estimator in its own subprocess (so peak
memory and lazy imports stay separable):

- ``fit`` of our estimator, ``MLPClassifier`` (same Dense 128 network, Adam,
  batch 256, 10 epochs, no early stopping), ``OneVsRestClassifier(
  LogisticRegression())`` and a scikeras ``KerasClassifier`` with the same
  network, next to a numpy bound: the FLOPs of forward and backward passes
  divided by this machine's measured float32 matmul rate;
- ``predict_proba`` on one row (median of many calls after a warm-up) and on
  all rows, next to a numpy forward pass of our trained weights;
- peak RSS, compared with the size of the data plus the model.

It also times ``import sklearn_multilabel`` against the scikit-learn modules
it needs anyway, each in fresh interpreters, and ``GridSearchCV`` with
``n_jobs=1`` against ``n_jobs=2``.

Results go to ``benchmarks/results/speed.json`` and ``speed.md`` (``--name``
picks another name).

Usage::

    python benchmarks/bench_speed.py                 # all sizes (~9 min, 2 cores)
    python benchmarks/bench_speed.py --quick         # smoke run, under a minute
    python benchmarks/bench_speed.py --sizes small,medium --repeats 5
"""

import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _speed_cases as cases
import _speed_report as report
import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

WORKER_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}

IMPORTS = {
    "sklearn_multilabel": "import sklearn_multilabel",
    "sklearn modules": (
        "import sklearn.model_selection, sklearn.metrics, sklearn.pipeline"
    ),
    "keras (reference)": "import keras",
}

IMPORT_PROBE = """
import json, sys, time
start = time.perf_counter()
{statement}
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "tensorflow": "tensorflow" in sys.modules}}))
"""


def parse_args(argv=None):
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case")
    parser.add_argument(
        "--name",
        default="speed",
        help="results go to benchmarks/results/NAME.json and NAME.md",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(cases.SIZES),
        help=f"comma-separated subset of {','.join(cases.SIZES)}",
    )
    parser.add_argument(
        "--estimators",
        default=",".join(cases.ESTIMATORS),
        help=f"comma-separated subset of {','.join(cases.ESTIMATORS)}",
    )
    parser.add_argument(
        "--fit-budget",
        type=float,
        default=60.0,
        help="seconds of repeated fits per case after which repeats stop",
    )
    parser.add_argument(
        "--sparse-epochs",
        type=int,
        default=2,
        help=(
            "epochs actually run on the sparse case, extrapolated to 10 "
            "(one-vs-rest fits the same share of labels); 10 measures it all"
        ),
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds after which a case's subprocess is stopped",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help=(
            "pin numpy's BLAS/OpenMP threads in every subprocess (default: the "
            "libraries' choice); on a busy machine OpenBLAS' spinning threads "
            "can slow MLPClassifier several-fold"
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: smallest size, one run, one worker",
    )
    parser.add_argument("--no-grid", action="store_true", help="skip GridSearchCV")
    parser.add_argument("--no-imports", action="store_true", help="skip import times")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = _choices(args.sizes, cases.SIZES, "--sizes")
    args.estimators = _choices(args.estimators, cases.ESTIMATORS, "--estimators")
    if not 1 <= args.sparse_epochs <= cases.EPOCHS:
        parser.error(
            f"--sparse-epochs must be in [1, {cases.EPOCHS}]; got {args.sparse_epochs}."
        )
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1; got {args.repeats}.")
    if args.quick:
        args.sizes, args.repeats, args.fit_budget = ["small"], 1, 10.0
    return args


def _choices(text, allowed, flag):
    """Split a comma-separated option and check each item against ``allowed``."""
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = sorted(set(chosen) - set(allowed))
    if unknown or not chosen:
        raise SystemExit(
            f"{flag} got {text!r}: choose a comma-separated subset of "
            f"{','.join(allowed)}."
        )
    return chosen


def run_worker(task):
    """Execute one task in this process and write its JSON result.

    Parameters
    ----------
    task : dict
        ``{"kind": "fit", "size", "estimators", "repeats", "fit_budget",
        "predict_budget"}`` or ``{"kind": "grid", "n_jobs", "repeats",
        "max_iter"}``.

    Returns
    -------
    result : dict
    """
    import warnings

    warnings.simplefilter("ignore")
    if task["kind"] == "grid":
        return cases.measure_grid_search(
            task["n_jobs"], task["repeats"], task["max_iter"]
        )
    started = time.perf_counter()
    X, Y = cases.make_data(task["size"])
    result = {
        "data": cases.data_facts(task["size"], X, Y),
        "data_s": time.perf_counter() - started,
        "estimators": {},
    }
    for name in task["estimators"]:
        try:
            measured = cases.measure_estimator(
                name,
                X,
                Y,
                task["repeats"],
                task["fit_budget"],
                task["predict_budget"],
                task["epochs"],
            )
        except Exception as error:  # a peer breaking is a result, not a crash
            measured = {"error": f"{type(error).__name__}: {error}"[:2000]}
        result["estimators"][name] = measured
    return result


def spawn(task, timeout, env):
    """Run ``task`` in a fresh interpreter and return its result.

    Parameters
    ----------
    task : dict
    timeout : float
        Seconds after which the interpreter is stopped.
    env : dict
        Environment of the interpreter.

    Returns
    -------
    result : dict
        The worker's result, or ``{"error": ...}`` if it crashed or timed out.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            json.dumps(task),
            "--worker-out",
            str(out),
        ]
        try:
            finished = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:g} s"}
        if finished.returncode != 0 or not out.exists():
            tail = finished.stderr.strip().splitlines()[-15:]
            return {"error": f"worker exited {finished.returncode}: " + "\n".join(tail)}
        return json.loads(out.read_text())


def time_imports(runs, names, env):
    """Time each import of ``IMPORTS`` in ``runs`` fresh interpreters.

    Runs of the different imports are interleaved, so a change of machine
    load during the measurement biases none of them.

    Parameters
    ----------
    runs : int
    names : list of str
        Keys of ``IMPORTS``.
    env : dict
        Environment of the interpreters.

    Returns
    -------
    result : dict
        Per import: the seconds of each run and whether TensorFlow was
        loaded, or the error of the first failing run.
    """
    result = {name: {"seconds": [], "tensorflow_loaded": False} for name in names}
    for _ in range(runs):
        for name in names:
            if "error" in result[name]:
                continue
            finished = subprocess.run(
                [sys.executable, "-c", IMPORT_PROBE.format(statement=IMPORTS[name])],
                capture_output=True,
                text=True,
                env=env,
            )
            if finished.returncode != 0:
                result[name] = {"error": finished.stderr.strip()[-2000:]}
                continue
            probe = json.loads(finished.stdout.strip().splitlines()[-1])
            result[name]["seconds"].append(probe["seconds"])
            result[name]["tensorflow_loaded"] |= probe["tensorflow"]
    for name in names:
        _progress(f"import {name}: {result[name]}")
    return result


def matmul_rates():
    """Measure float32 matmul throughput of numpy on this machine.

    Returns
    -------
    rates : dict
        GFLOP/s for a large square product and for a training-batch-shaped
        product (256 x 500 by 500 x 128); ``peak`` is the larger.
    """
    rng = np.random.default_rng(cases.SEED)
    shapes = {"square_2048": (2048, 2048, 2048), "batch_256x500x128": (256, 500, 128)}
    rates = {}
    for name, (m, k, n) in shapes.items():
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        a @ b
        calls = max(3, int(2e10 // (2 * m * k * n)))
        start = time.perf_counter()
        for _ in range(calls):
            a @ b
        seconds = (time.perf_counter() - start) / calls
        rates[name] = 2 * m * k * n / seconds / 1e9
    rates["peak"] = max(rates.values())
    return rates


def fit_flops(size, nnz=None):
    """Return the FLOPs of ``EPOCHS`` epochs of forward and backward passes.

    ``3 * 2 * n * (d * h + h * L)`` per epoch (forward, and twice that
    backward); for sparse input the first layer's ``n * d`` is the number of
    stored values.

    Parameters
    ----------
    size : str
    nnz : int, default=None

    Returns
    -------
    flops : float
    """
    spec = cases.SIZES[size]
    n, d, n_labels = spec["n_samples"], spec["n_features"], spec["n_labels"]
    first = nnz * cases.HIDDEN if nnz is not None else n * d * cases.HIDDEN
    return cases.EPOCHS * 3 * 2 * (first + n * cases.HIDDEN * n_labels)


def machine():
    """Describe the machine and library versions."""
    versions = {}
    for package in (
        "numpy",
        "scipy",
        "scikit-learn",
        "tensorflow",
        "keras",
        "scikeras",
    ):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "versions": versions,
    }


def _progress(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv=None):
    """Run the benchmark and write its results."""
    args = parse_args(argv)
    if args.worker:
        result = run_worker(json.loads(args.worker))
        Path(args.worker_out).write_text(json.dumps(result))
        return
    started = time.perf_counter()
    predict_budget = 0.5 if args.quick else 3.0
    env = {**os.environ, **WORKER_ENV}
    if args.blas_threads is not None:
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[variable] = str(args.blas_threads)
    results = {
        "machine": machine(),
        "config": {
            "repeats": args.repeats,
            "fit_budget_s": args.fit_budget,
            "predict_budget_s": predict_budget,
            "quick": args.quick,
            "sparse_epochs": args.sparse_epochs,
            "blas_threads": args.blas_threads,
            "hidden": cases.HIDDEN,
            "batch_size": cases.BATCH_SIZE,
            "epochs": cases.EPOCHS,
            "seed": cases.SEED,
        },
        "matmul_gflops": matmul_rates(),
        "cases": {},
        "loadavg_start": os.getloadavg(),
    }
    _progress(f"matmul GFLOP/s: {results['matmul_gflops']}")
    if not args.no_imports:
        names = list(IMPORTS)[:2] if args.quick else list(IMPORTS)
        results["imports"] = time_imports(
            env=env,
            names=names,
            runs=1 if args.quick else max(3, args.repeats),
        )
    for size in args.sizes:
        case = {"data": None, "estimators": {}}
        groups = [args.estimators] if args.quick else [[e] for e in args.estimators]
        for group in groups:
            task = {
                "kind": "fit",
                "size": size,
                "estimators": group,
                "repeats": args.repeats,
                "fit_budget": args.fit_budget,
                "predict_budget": predict_budget,
                "epochs": args.sparse_epochs if size == "sparse" else cases.EPOCHS,
            }
            outcome = spawn(task, args.timeout, env)
            if case["data"] is None and "data" in outcome:
                case["data"] = outcome["data"]
                nnz = outcome["data"]["nnz"] if outcome["data"]["sparse"] else None
                case["data"]["flop_bound_fit_s"] = (
                    fit_flops(size, nnz) / 1e9 / results["matmul_gflops"]["peak"]
                )
            for name in group:
                case["estimators"][name] = outcome.get("estimators", {}).get(
                    name, {"error": outcome.get("error")}
                )
                _progress(f"{size} {name}: {report.one_line(case['estimators'][name])}")
        results["cases"][size] = case
    if not args.no_grid:
        results["grid_search"] = [
            spawn(
                {
                    "kind": "grid",
                    "n_jobs": n_jobs,
                    "repeats": 1 if args.quick else max(2, args.repeats),
                    "max_iter": 2 if args.quick else cases.EPOCHS,
                },
                args.timeout,
                env,
            )
            for n_jobs in (1, 2)
        ]
        _progress(f"grid search: {results['grid_search']}")
    results["total_s"] = time.perf_counter() - started
    results["loadavg_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    markdown = report.render(results)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(results, indent=2))
    (RESULTS / f"{args.name}.md").write_text(markdown)
    print(markdown)
    _progress(f"wrote {RESULTS / args.name}.json and .md in {results['total_s']:.0f} s")


if __name__ == "__main__":
    main()
