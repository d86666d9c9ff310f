"""Do ensembles of MultiLabelNNClassifier networks reach the bars of issue 4?

Prototypes, built from the package's private helpers without changing it,
all after a ``StandardScaler`` fitted on the training rows:

- ``default``: one network, ``MultiLabelNNClassifier(threshold_cv=None)``
  (the package default before this study); thresholds tuned on the 20 %
  validation split that also stops training;
- ``threshold_cv5``: ``threshold_cv=5, ensemble=False`` (5 fold fits give
  out-of-fold probabilities to tune on, then a refit predicts);
- ``seed_ensemble_M``: ``M`` default fits with different ``random_state``,
  probabilities averaged; thresholds tuned on their validation rows pooled;
- ``cv_ensemble_K``: ``K`` per-label stratified folds of the training rows;
  one network per fold trained on the other ``K - 1`` folds and stopped early
  on its own fold, which it then scores; thresholds tuned on these
  out-of-fold probabilities of every row; the prediction averages the ``K``
  networks' probabilities (``/proba``) or logits (``/logit``);
- ``cv_ensemble_5x2``: two ``cv_ensemble_5`` on different fold partitions,
  out-of-fold scores and the 10 networks averaged;
- ``cv_ensemble_10_balanced``: ``cv_ensemble_10`` with
  ``class_weight="balanced"``, aimed at yeast's rare labels.

Each is scored with every threshold strategy of ``STRATEGIES``. The choice
is made on the TRAINING splits only: 3-fold ``MultilabelStratifiedKFold``
cross-validation (``--repeats`` partitions, as ``search_defaults.py``),
ranked by the average rank over the three datasets and both metrics. Then
the test splits, with random states 0, 1 and 2, are scored next to the bars
of ``compare_baselines.py``; nothing is chosen on them.

Every fit stores its held-out and evaluation scores in ``--cache`` (the temp
directory by default), so reruns only re-score. Delete the cache after
changing the package. Output: ``results/ensemble.md`` and ``ensemble.json``.

Usage::

    python benchmarks/bench_ensemble.py                  # ~18 min of fits, 1 core
    python benchmarks/bench_ensemble.py --datasets emotions --repeats 1
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from scipy.special import expit  # noqa: E402
from scipy.stats import rankdata  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402

from sklearn_multilabel import MultiLabelNNClassifier  # noqa: E402
from sklearn_multilabel.neural_network._backend import limit_tensorflow_threads  # noqa: E402
from sklearn_multilabel.thresholds._cross_fitting import fold_splits  # noqa: E402
from sklearn_multilabel.neural_network._inference import (  # noqa: E402
    CompiledForward,
    batched_logits,
)
from sklearn_multilabel.neural_network._threshold_step import FALLBACK_THRESHOLD  # noqa: E402
from sklearn_multilabel.neural_network.training._loop import make_objective, train  # noqa: E402
from sklearn_multilabel.thresholds._search import tune_thresholds  # noqa: E402
from sklearn_multilabel.neural_network._class_weight import positive_weights  # noqa: E402
from sklearn_multilabel.datasets import (  # noqa: E402
    load_emotions,
    load_scene,
    load_yeast,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from _bars import ISSUE_BARS, f1_scores  # noqa: E402
from _tables import markdown_table  # noqa: E402

LOADERS = {"yeast": load_yeast, "scene": load_scene, "emotions": load_emotions}
METRICS = ("micro_f1", "macro_f1")
N_OUTER = 3
TEST_STATES = (0, 1, 2)
# (name, strategy, threshold_shrinkage); the first is the package default.
STRATEGIES = (
    ("f1/s=10", "f1", 10.0),
    ("f1/s=5", "f1", 5.0),
    ("f1/s=20", "f1", 20.0),
    ("f1/s=0", "f1", 0.0),
    ("f1/s=50", "f1", 50.0),
    ("micro_f1", "micro_f1", 10.0),
)
SEED_MEMBERS = 5
CV_SIZES = (3, 5, 10)
# Offset of the second fold partition's random_state in cv_ensemble_5x2.
SECOND_PARTITION = 500
CACHE_TAG = "v1"


class CapturingClassifier(MultiLabelNNClassifier):
    """MultiLabelNNClassifier that keeps the scores it tuned thresholds on."""

    def _search(self, Y_tune, scores, strategy):
        self._tuning_data = (np.asarray(Y_tune, dtype=np.int64), scores)
        return super()._search(Y_tune, scores, strategy)


def member_state(random_state, member):
    """The ``random_state`` of a seed ensemble's member (member 0 = default).

    Parameters
    ----------
    random_state : int
    member : int

    Returns
    -------
    state : int
    """
    return random_state + 1000 * member


def fit_single(case, member, threshold_cv=None):
    """Fit the package's estimator and keep its tuning and evaluation scores.

    Parameters
    ----------
    case : dict
    member : int
        Index of the seed-ensemble member.
    threshold_cv : int or None

    Returns
    -------
    arrays : dict of str to ndarray
        ``Y_tune``, ``P_tune`` (what ``fit`` tuned on), ``eval_logits`` and
        ``seconds``.
    """
    model = CapturingClassifier(
        threshold_cv=threshold_cv,
        ensemble=False,
        threshold_shrinkage=10.0,
        random_state=member_state(case["random_state"], member),
    )
    start = time.perf_counter()
    pipe = make_pipeline(StandardScaler(), model).fit(case["X_fit"], case["Y_fit"])
    seconds = time.perf_counter() - start
    Y_tune, P_tune = model._tuning_data
    _, strategy, shrinkage = STRATEGIES[0]
    assert_allclose(
        thresholds_for(Y_tune, P_tune, strategy, shrinkage), model.thresholds_
    )
    return {
        "Y_tune": Y_tune,
        "P_tune": P_tune,
        "eval_logits": pipe.decision_function(case["X_eval"]),
        "seconds": np.array(seconds),
        "epochs": np.array(model.n_iter_),
    }


def fit_member(estimator, X_train, Y_train, X_held, Y_held, seeds):
    """Train one network of ``estimator``'s design, stopped early on given rows.

    Mirrors ``MultiLabelNNClassifier._fit_network`` with the validation rows
    passed in instead of split off.

    Parameters
    ----------
    estimator : MultiLabelNNClassifier
        Unfitted; supplies the network, loss and schedule parameters.
    X_train, Y_train : ndarray
    X_held, Y_held : ndarray
        Rows that decide early stopping.
    seeds : ndarray of int of shape (2,)
        Weight-initialisation and shuffle seeds.

    Returns
    -------
    forward : callable
        Inference function of the trained network.
    n_epochs : int
    """
    Y_train, Y_held = Y_train.astype(np.float32), Y_held.astype(np.float32)
    model = estimator._build_network(X_train.shape, Y_train.shape[1], int(seeds[0]))
    history = train(
        model,
        CompiledForward(model, X_train.shape[1]),
        (X_train, Y_train, None),
        estimator._schedule(X_train.shape[0], int(seeds[1])),
        make_objective(
            estimator.loss,
            pos_weight=positive_weights(
                estimator.class_weight, Y_train, np.arange(Y_train.shape[1]), False
            ),
            gamma=estimator.gamma,
            alpha=estimator.focal_alpha,
            gamma_pos=estimator.gamma_pos,
            gamma_neg=estimator.gamma_neg,
            clip=estimator.clip,
        ),
        validation=(X_held, Y_held, None),
    )
    return estimator._inference_function(model), len(history.loss)


def fit_cv_ensemble(case, n_folds, random_state, class_weight=None):
    """Train one network per fold; collect out-of-fold and evaluation logits.

    Parameters
    ----------
    case : dict
    n_folds : int
    random_state : int
        Seeds the folds (the package's fourth seed, as ``threshold_cv``) and
        then one (initialisation, shuffle) seed pair per network.
    class_weight : None or "balanced", default=None

    Returns
    -------
    arrays : dict of str to ndarray
        ``oof_logits`` (n_fit, n_labels), ``eval_logits`` (n_folds, n_eval,
        n_labels), ``seconds`` and ``epochs`` (one per network).
    """
    estimator = MultiLabelNNClassifier(
        class_weight=class_weight, random_state=random_state
    )
    rng = check_random_state(random_state)
    fold_seed = rng.randint(0, 2**30, size=4)[3]
    network_seeds = rng.randint(0, 2**30, size=(n_folds, 2))
    start = time.perf_counter()
    scaler = StandardScaler().fit(case["X_fit"])
    X, Y = scaler.transform(case["X_fit"]), case["Y_fit"]
    X_eval = scaler.transform(case["X_eval"])
    oof = np.empty(Y.shape)
    eval_logits, epochs = [], []
    for k, (train_rows, held_rows) in enumerate(fold_splits(Y, n_folds, fold_seed)):
        forward, n_epochs = fit_member(
            estimator,
            X[train_rows],
            Y[train_rows],
            X[held_rows],
            Y[held_rows],
            network_seeds[k],
        )
        oof[held_rows] = batched_logits(forward, X[held_rows])
        eval_logits.append(batched_logits(forward, X_eval))
        epochs.append(n_epochs)
    return {
        "oof_logits": oof,
        "eval_logits": np.stack(eval_logits),
        "seconds": np.array(time.perf_counter() - start),
        "epochs": np.array(epochs),
    }


def runs_of(case):
    """Every fit a case needs, by name, as (function, arguments).

    Parameters
    ----------
    case : dict

    Returns
    -------
    runs : dict of str to tuple
    """
    state = case["random_state"]
    runs = {f"single_{m}": (fit_single, (case, m)) for m in range(SEED_MEMBERS)}
    runs["threshold_cv5"] = (fit_single, (case, 0, 5))
    for k in CV_SIZES:
        runs[f"cv_{k}"] = (fit_cv_ensemble, (case, k, state))
    runs["cv_5b"] = (fit_cv_ensemble, (case, 5, state + SECOND_PARTITION))
    runs["cv_10_balanced"] = (fit_cv_ensemble, (case, 10, state, "balanced"))
    return runs


def cached_runs(case, cache_dir, log):
    """Load or compute every run of a case.

    Parameters
    ----------
    case : dict
    cache_dir : Path
    log : callable

    Returns
    -------
    runs : dict of str to dict of ndarray
    """
    results = {}
    for name, (function, args) in runs_of(case).items():
        path = cache_dir / f"{CACHE_TAG}-{case['id']}-{name}.npz".replace("|", "-")
        if not path.exists():
            arrays = function(*args)
            np.savez(path, **arrays)
            log(f"  {case['id']} {name}: {float(arrays['seconds']):.1f}s")
        with np.load(path) as archive:
            results[name] = {key: archive[key] for key in archive.files}
    return results


def variants_of(runs):
    """Tuning scores, evaluation probabilities and cost of every variant.

    Parameters
    ----------
    runs : dict of str to dict of ndarray

    Returns
    -------
    variants : dict of str to tuple (Y_tune, P_tune, P_eval, seconds)
    """
    single = runs["single_0"]
    variants = {
        "default": (
            single["Y_tune"],
            single["P_tune"],
            expit(single["eval_logits"]),
            float(single["seconds"]),
        )
    }
    cv5 = runs["threshold_cv5"]
    variants["threshold_cv5"] = (
        cv5["Y_tune"],
        cv5["P_tune"],
        expit(cv5["eval_logits"]),
        float(cv5["seconds"]),
    )
    for m in (3, SEED_MEMBERS):
        members = [runs[f"single_{i}"] for i in range(m)]
        variants[f"seed_ensemble_{m}"] = (
            np.concatenate([r["Y_tune"] for r in members]),
            np.concatenate([r["P_tune"] for r in members]),
            np.mean([expit(r["eval_logits"]) for r in members], axis=0),
            float(sum(r["seconds"] for r in members)),
        )
    partitions = {f"cv_ensemble_{k}": [runs[f"cv_{k}"]] for k in CV_SIZES}
    partitions["cv_ensemble_5x2"] = [runs["cv_5"], runs["cv_5b"]]
    partitions["cv_ensemble_10_balanced"] = [runs["cv_10_balanced"]]
    for name, parts in partitions.items():
        oof = np.stack([p["oof_logits"] for p in parts])
        members = np.concatenate([p["eval_logits"] for p in parts])
        seconds = float(sum(p["seconds"] for p in parts))
        variants[f"{name}/proba"] = (
            None,
            expit(oof).mean(axis=0),
            expit(members).mean(axis=0),
            seconds,
        )
        variants[f"{name}/logit"] = (
            None,
            expit(oof.mean(axis=0)),
            expit(members.mean(axis=0)),
            seconds,
        )
    return variants


def thresholds_for(Y_tune, P_tune, strategy, shrinkage):
    """Thresholds as the classifier's threshold step would tune them.

    Parameters
    ----------
    Y_tune : ndarray of shape (n_rows, n_labels)
    P_tune : ndarray of shape (n_rows, n_labels)
    strategy : str
    shrinkage : float

    Returns
    -------
    thresholds : ndarray of shape (n_labels,)
    """
    return tune_thresholds(
        Y_tune, P_tune, strategy, shrinkage=shrinkage, fallback=FALLBACK_THRESHOLD
    ).thresholds


def score_case(case, runs):
    """Score every variant and threshold strategy of one case.

    Parameters
    ----------
    case : dict
    runs : dict of str to dict of ndarray

    Returns
    -------
    records : dict of str to dict
        Per ``"variant @ strategy"``: micro_f1, macro_f1, seconds.
    """
    records = {}
    for name, (Y_tune, P_tune, P_eval, seconds) in variants_of(runs).items():
        Y_tune = case["Y_fit"] if Y_tune is None else Y_tune
        for label, strategy, shrinkage in STRATEGIES:
            Y_pred = P_eval >= thresholds_for(Y_tune, P_tune, strategy, shrinkage)
            records[f"{name} @ {label}"] = {
                **f1_scores(case["Y_eval"], Y_pred),
                "seconds": seconds,
            }
    return records


def cases(dataset, kind, repeats):
    """The train/evaluate pairs of a dataset: CV folds of train, or test.

    Parameters
    ----------
    dataset : str
    kind : {"cv", "test"}
    repeats : int
        CV partitions; networks get ``10 * repeat + fold`` as search_defaults.

    Yields
    ------
    case : dict
    """
    X, Y, X_test, Y_test = LOADERS[dataset](return_X_y=True)
    if kind == "test":
        for state in TEST_STATES:
            yield {
                "id": f"{dataset}|test|{state}",
                "X_fit": X,
                "Y_fit": Y,
                "X_eval": X_test,
                "Y_eval": Y_test,
                "random_state": state,
            }
        return
    for repeat in range(repeats):
        splitter = MultilabelStratifiedKFold(N_OUTER, shuffle=True, random_state=repeat)
        for index, (fit, held) in enumerate(splitter.split(X, Y)):
            yield {
                "id": f"{dataset}|cv{repeat}|{index}",
                "X_fit": X[fit],
                "Y_fit": Y[fit],
                "X_eval": X[held],
                "Y_eval": Y[held],
                "random_state": 10 * repeat + index,
            }


def collect(datasets, kind, repeats, cache_dir, log):
    """Mean score of every variant per dataset and metric, over the cases.

    Parameters
    ----------
    datasets : list of str
    kind : {"cv", "test"}
    repeats : int
    cache_dir : Path
    log : callable

    Returns
    -------
    summary : dict of str to dict
        Per variant: ``(dataset, metric)`` means and stds, mean ``seconds``.
    """
    per_case = {}
    for dataset in datasets:
        for case in cases(dataset, kind, repeats):
            records = score_case(case, cached_runs(case, cache_dir, log))
            for variant, record in records.items():
                per_case.setdefault(variant, {}).setdefault(dataset, []).append(record)
    summary = {}
    for variant, by_dataset in per_case.items():
        entry, seconds = {}, []
        for dataset, records in by_dataset.items():
            for metric in METRICS:
                values = [r[metric] for r in records]
                entry[dataset, metric] = float(np.mean(values))
                entry[dataset, metric, "std"] = float(np.std(values))
            entry[dataset, "seconds"] = float(np.mean([r["seconds"] for r in records]))
            seconds += [r["seconds"] for r in records]
        entry["seconds"] = float(np.mean(seconds))
        summary[variant] = entry
    return summary


def rank_average(summary, datasets):
    """Variants sorted by their mean rank over datasets and metrics (1 = best).

    Parameters
    ----------
    summary : dict of str to dict
    datasets : list of str

    Returns
    -------
    ranked : list of (str, float)
    """
    names = list(summary)
    ranks = [
        rankdata([-summary[n][d, m] for n in names]) for d in datasets for m in METRICS
    ]
    mean_ranks = np.mean(ranks, axis=0)
    return sorted(zip(names, mean_ranks.tolist(), strict=True), key=lambda x: x[1])


def best_of_families(ranked):
    """The best-ranked entry of each family (variant without averaging/strategy).

    Parameters
    ----------
    ranked : list of (str, float)
        Best first.

    Returns
    -------
    names : list of str
        Best first.
    """
    best = {}
    for name, _ in ranked:
        best.setdefault(name.split(" @ ")[0].split("/")[0], name)
    return list(best.values())


def cv_table(summary, ranked, datasets):
    """Rows of the cross-validation table, best rank first.

    Parameters
    ----------
    summary : dict
    ranked : list of (str, float)
    datasets : list of str

    Returns
    -------
    rows : list of dict
    columns : list of str
    """
    columns = ["rank", "variant"]
    columns += [f"{d} {m.split('_')[0]}" for d in datasets for m in METRICS]
    columns += ["mean F1", "fit s"]
    rows = []
    for name, rank in ranked:
        entry = summary[name]
        row = {"rank": rank, "variant": name, "fit s": entry["seconds"]}
        for d in datasets:
            for m in METRICS:
                row[f"{d} {m.split('_')[0]}"] = entry[d, m]
        row["mean F1"] = np.mean([entry[d, m] for d in datasets for m in METRICS])
        rows.append(row)
    return rows, columns


def test_rows(summary, names, bars, datasets):
    """Rows of the test table: scores next to both sets of bars.

    Parameters
    ----------
    summary : dict
    names : list of str
    bars : dict
        ``results/baselines.json``'s bars.
    datasets : list of str

    Returns
    -------
    rows : list of dict
    """
    rows = []
    for dataset in datasets:
        for name in names:
            entry = summary[name]
            row = {"dataset": dataset, "variant": name}
            for metric in METRICS:
                short = metric.split("_")[0]
                value, bar = entry[dataset, metric], bars[dataset][metric]["value"]
                issue = ISSUE_BARS[dataset][metric]
                row[short] = f"{value:.4f} ± {entry[dataset, metric, 'std']:.4f}"
                row[f"{short} - bar"] = f"{value - bar:+.4f}"
                row[f"{short} - issue"] = f"{value - issue:+.4f}"
            row["fit s"] = entry[dataset, "seconds"]
            rows.append(row)
    return rows


def warm_up():
    """Load TensorFlow and trace once, so no timed fit pays for it."""
    X, Y, _, _ = load_emotions(return_X_y=True)
    MultiLabelNNClassifier(max_iter=2, random_state=0).fit(X[:64], Y[:64])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(LOADERS))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--cache", default=str(Path(tempfile.gettempdir()) / "bench_ensemble_cache")
    )
    parser.add_argument("--skip-test", action="store_true")
    args = parser.parse_args()
    datasets = args.datasets.split(",")
    cache_dir = Path(args.cache)
    cache_dir.mkdir(parents=True, exist_ok=True)
    limit_tensorflow_threads()
    warm_up()
    started = time.perf_counter()

    def log(message):
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)

    cv = collect(datasets, "cv", args.repeats, cache_dir, log)
    ranked = rank_average(cv, datasets)
    chosen = ranked[0][0]
    rows, columns = cv_table(cv, ranked, datasets)
    formats = {c: ".4f" for c in columns[2:]} | {"rank": ".2f", "fit s": ".1f"}
    report = [
        "# Ensembles of MultiLabelNNClassifier networks (issue 4)",
        "",
        f"Generated by `python benchmarks/bench_ensemble.py --datasets "
        f"{args.datasets} --repeats {args.repeats}`. StandardScaler first; "
        "defaults otherwise. `fit s`: seconds of every fit a variant needs "
        "(one process, one thread).",
        "",
        f"## Train-split CV: {N_OUTER} folds x {args.repeats} repeats, "
        "ranked by mean rank over datasets and metrics",
        "",
        markdown_table(rows, columns, formats),
        "",
        f"Chosen on CV: **{chosen}**.",
    ]
    output = {"cv": {n: _plain(cv[n]) for n in cv}, "ranked": ranked}
    if not args.skip_test:
        bars = json.loads((RESULTS / "baselines.json").read_text())["bars"]
        test = collect(datasets, "test", args.repeats, cache_dir, log)
        names = ["default @ f1/s=10", "threshold_cv5 @ f1/s=10"]
        names += [n for n in best_of_families(ranked) if n not in names]
        test_columns = ["dataset", "variant", "micro", "micro - bar"]
        test_columns += ["micro - issue", "macro", "macro - bar", "macro - issue"]
        report += [
            "",
            "## Test splits, mean ± std over random_state 0, 1, 2",
            "",
            "`bar`: results/baselines.md (RF300 etc., thresholds by 5-fold OOF); "
            "`issue`: the bars quoted in issue 4. Rows: the defaults, then the "
            "CV-best entry of each family, best first. Nothing chosen here.",
            "",
            markdown_table(
                test_rows(test, names, bars, datasets),
                test_columns + ["fit s"],
                {"fit s": ".1f"},
            ),
            "",
            "### Every variant on test (information only, not for selection)",
            "",
            markdown_table(
                *cv_table(test, rank_average(test, datasets), datasets), formats
            ),
        ]
        output["test"] = {n: _plain(test[n]) for n in test}
    minutes = (time.perf_counter() - started) / 60
    report += ["", f"Wall time of this run: {minutes:.1f} min (cached fits are free)."]
    text = "\n".join(report) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ensemble.md").write_text(text, encoding="utf-8")
    output["chosen"] = chosen
    (RESULTS / "ensemble.json").write_text(
        json.dumps(output, indent=1), encoding="utf-8"
    )


def _plain(entry):
    """JSON-friendly copy of a summary entry (tuple keys joined by '|').

    Parameters
    ----------
    entry : dict

    Returns
    -------
    plain : dict
    """
    return {"|".join(k) if isinstance(k, tuple) else k: v for k, v in entry.items()}


if __name__ == "__main__":
    main()
