"""The quality bars: classical multi-label baselines, with and without tuning.

For each bundled dataset (yeast, scene, emotions; standard train/test splits)
three baselines, each after a ``StandardScaler`` in a ``Pipeline``:

- ``OneVsRestClassifier(LogisticRegression(max_iter=1000))``,
- ``RandomForestClassifier(n_estimators=300, random_state=0)``,
- ``MLPClassifier(early_stopping=True, max_iter=500, random_state=0)``,

are scored on the test split at the 0.5 cut, and with per-label thresholds
tuned on the training split only, as ``MultiLabelThresholdTuner(estimator,
strategy=..., cv=5, random_state=0)`` does: out-of-fold probabilities of 5
folds stratified per label, ``tune_thresholds`` on them, then a refit on the
whole training split. Both strategies ("f1", with the default shrinkage, and
"micro_f1") share one set of fits; the script asserts on OvR-LogReg that the
tuner itself gives the same thresholds.

The bar of a dataset, for each of micro-F1 and macro-F1, is the best test
score over every baseline and every threshold choice (0.5, "f1",
"micro_f1"): ``MultiLabelNNClassifier`` with its default parameters must reach
both. Results go to ``benchmarks/results/baselines.md`` and ``baselines.json``
(read by ``search_defaults.py``).

Usage::

    python benchmarks/compare_baselines.py            # everything (~5 min, 2 cores)
    python benchmarks/compare_baselines.py --quick    # emotions only
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _bars import ISSUE_BARS, f1_scores  # noqa: E402
from _tables import markdown_table  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_multilabel.thresholds._cross_fitting import out_of_fold_scores, positive_scores  # noqa: E402
from sklearn_multilabel.thresholds._per_label import apply_thresholds  # noqa: E402
from sklearn_multilabel.thresholds._tuner import MultiLabelThresholdTuner  # noqa: E402
from sklearn_multilabel.thresholds._search import tune_thresholds  # noqa: E402
from sklearn_multilabel.datasets import (  # noqa: E402
    load_emotions,
    load_scene,
    load_yeast,
)

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 0
CV = 5
LOADERS = {"yeast": load_yeast, "scene": load_scene, "emotions": load_emotions}
STRATEGIES = ("f1", "micro_f1")
METRICS = ("micro_f1", "macro_f1")


def baselines():
    """Return the baselines, each scaling its features first.

    Returns
    -------
    baselines : dict of str to Pipeline
    """
    inner = {
        "OvR-LogReg": OneVsRestClassifier(LogisticRegression(max_iter=1000)),
        "RandomForest": RandomForestClassifier(n_estimators=300, random_state=SEED),
        "MLPClassifier": MLPClassifier(
            early_stopping=True, max_iter=500, random_state=SEED
        ),
    }
    return {
        name: make_pipeline(StandardScaler(), model) for name, model in inner.items()
    }


def probabilities(model, X):
    """Per-label probabilities of a fitted model, one column per label.

    Parameters
    ----------
    model : fitted estimator
    X : ndarray

    Returns
    -------
    proba : ndarray of shape (n_samples, n_labels)
    """
    return positive_scores(
        model.predict_proba(X), binary=False, classes=getattr(model, "classes_", None)
    )


def check_against_tuner(model, X_train, Y_train, expected):
    """Assert that ``MultiLabelThresholdTuner`` gives the shortcut's thresholds.

    Parameters
    ----------
    model : estimator
    X_train, Y_train : ndarray
    expected : dict of str to ndarray
        Thresholds of each strategy from the shared out-of-fold scores.
    """
    for strategy, thresholds in expected.items():
        tuner = MultiLabelThresholdTuner(
            model, strategy=strategy, cv=CV, random_state=SEED
        ).fit(X_train, Y_train)
        assert_allclose(tuner.thresholds_, thresholds)


def run_cell(dataset, name, model):
    """Score one baseline on one dataset at 0.5 and with each strategy.

    Parameters
    ----------
    dataset, name : str
    model : estimator

    Returns
    -------
    rows : list of dict
    """
    X_train, Y_train, X_test, Y_test = LOADERS[dataset](return_X_y=True)
    start = time.perf_counter()
    oof = out_of_fold_scores(model, X_train, Y_train, cv=CV, random_state=SEED)
    final = clone(model).fit(X_train, Y_train)
    proba = probabilities(final, X_test)
    seconds = time.perf_counter() - start
    base = {"dataset": dataset, "model": name, "seconds": seconds}
    rows = [{**base, "threshold": "0.5"} | f1_scores(Y_test, proba >= 0.5)]
    tuned = {}
    for strategy in STRATEGIES:
        tuned[strategy] = tune_thresholds(Y_train, oof, strategy).thresholds
        Y_pred = apply_thresholds(proba, tuned[strategy])
        rows.append(
            {**base, "threshold": f"tuned {strategy} (cv={CV})"}
            | f1_scores(Y_test, Y_pred)
        )
    if name == "OvR-LogReg":
        check_against_tuner(model, X_train, Y_train, tuned)
    return rows


def bars(rows):
    """Best test micro- and macro-F1 of each dataset, and where it comes from.

    Parameters
    ----------
    rows : list of dict

    Returns
    -------
    bars : dict of str to dict
        Per dataset, per metric: ``{"value", "model", "threshold"}``.
    """
    result = {}
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        cells = [r for r in rows if r["dataset"] == dataset]
        result[dataset] = {}
        for metric in METRICS:
            best = max(cells, key=lambda r: r[metric])
            result[dataset][metric] = {
                "value": best[metric],
                "model": best["model"],
                "threshold": best["threshold"],
            }
    return result


def bar_rows(measured):
    """Flatten the bars for the report, next to the ones the issue quotes.

    Parameters
    ----------
    measured : dict
        Output of ``bars``.

    Returns
    -------
    rows : list of dict
    """
    rows = []
    for dataset, per_metric in measured.items():
        for metric, best in per_metric.items():
            quoted = ISSUE_BARS[dataset][metric]
            rows.append(
                {
                    "dataset": dataset,
                    "metric": metric,
                    "bar": best["value"],
                    "from": f"{best['model']}, {best['threshold']}",
                    "issue": quoted,
                    "bar - issue": best["value"] - quoted,
                }
            )
    return rows


def report(rows, measured, total_seconds):
    """Build the markdown report.

    Parameters
    ----------
    rows : list of dict
    measured : dict
        Output of ``bars``.
    total_seconds : float

    Returns
    -------
    text : str
    """
    number = {"micro_f1": ".4f", "macro_f1": ".4f", "seconds": ".1f"}
    parts = [
        "# Baselines: the bars MultiLabelNNClassifier must reach",
        "",
        "Generated by `python benchmarks/compare_baselines.py` in "
        f"{total_seconds / 60:.1f} min. Test-split scores; thresholds tuned on "
        f"the training split only ({CV}-fold out-of-fold probabilities, then a "
        "refit), as `MultiLabelThresholdTuner(cv=5)` does. `seconds`: the "
        f"{CV} fold fits and the refit.",
        "",
        "## Bars (best over baselines and threshold choices)",
        "",
        markdown_table(
            bar_rows(measured),
            ["dataset", "metric", "bar", "from", "issue", "bar - issue"],
            {"bar": ".4f", "issue": ".3f", "bar - issue": "+.4f"},
        ),
        "",
        "## Every cell",
        "",
        markdown_table(
            rows, ["dataset", "model", "threshold", *METRICS, "seconds"], number
        ),
    ]
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="emotions only")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    datasets = ["emotions"] if args.quick else list(LOADERS)
    start = time.perf_counter()
    rows = []
    for dataset in datasets:
        for name, model in baselines().items():
            cell = run_cell(dataset, name, model)
            print(f"{dataset:8s} {name:14s} {cell[0]['seconds']:6.1f}s", flush=True)
            rows += cell
    measured = bars(rows)
    total = time.perf_counter() - start
    text = report(rows, measured, total)
    print(text)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "baselines.md").write_text(text, encoding="utf-8")
        payload = {"bars": measured, "rows": rows, "seconds": total}
        (RESULTS / "baselines.json").write_text(
            json.dumps(payload, indent=2) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
