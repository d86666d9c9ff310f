"""Choose MultiLabelNNClassifier's default network and schedule by evidence.

The search uses the TRAINING splits of yeast, scene and emotions only: 3-fold
cross-validation stratified per label (``MultilabelStratifiedKFold``), each
fold a ``Pipeline(StandardScaler(), MultiLabelNNClassifier(...))`` with the
threshold step on, scored by micro-F1 and macro-F1 on the held-out fold.

One fit serves every threshold variant: the classifier tunes its thresholds
on its own validation rows, which the script recovers (same seed, same
``validation_split``) and re-tunes with each strategy ("f1" at several
``threshold_shrinkage`` values, "micro_f1"). The script asserts that this
reproduces the fitted ``thresholds_``.

Stages (``n_jobs=1``, one fit at a time):

1. random search: the starting defaults plus ``--n-random`` configurations
   drawn from ``SPACE``, ranked by the average, over the three datasets and
   both metrics, of their rank (threshold "f1", shrinkage 10, as fitted);
2. coordinate refinement: every single-parameter change of the stage-1 winner;
3. confirmation: the ``--finalists`` best configurations again, on new folds
   with new seeds; the winner is the finalist and threshold variant with the
   best rank-average over both repeats;
4. ``threshold_cv``: every finalist and variant tuned on 5-fold out-of-fold
   rows (as ``threshold_cv=5``) and on the validation rows (``None``), both
   on the same networks; ``threshold_cv=5`` is recommended only if, for the
   winner, it ranks better and raises the mean CV score by ``MIN_CV_GAIN``.

Then, without further selection on the bundled sets: 50,000 synthetic rows
(a fixed batch size gives way to "auto" if "auto" is ``MIN_SPEEDUP`` times
faster there and no worse), 300 rows of emotions (must not collapse), and
ONCE the test splits with three random states, next to the bars of
``compare_baselines.py`` (``results/baselines.json``).

Results go to ``benchmarks/results/search_defaults.md`` and ``.json``; every
fit is cached in ``--cache`` so an interrupted run resumes (delete the cache
after changing the package: cached fits are not refitted).

Usage::

    python benchmarks/search_defaults.py               # everything (~40 min, 2 cores)
    python benchmarks/search_defaults.py --n-random 4 --finalists 2 --skip-refine
"""

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _tables import markdown_table  # noqa: E402
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from scipy.stats import rankdata  # noqa: E402
from sklearn.datasets import make_multilabel_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402

from sklearn_multilabel import MultiLabelNNClassifier  # noqa: E402
from sklearn_multilabel.thresholds._cross_fitting import fold_splits  # noqa: E402
from sklearn_multilabel.neural_network._splitting import validation_split  # noqa: E402
from sklearn_multilabel.neural_network._threshold_step import FALLBACK_THRESHOLD  # noqa: E402
from sklearn_multilabel.thresholds._search import tune_thresholds  # noqa: E402
from sklearn_multilabel.datasets import (  # noqa: E402
    load_emotions,
    load_scene,
    load_yeast,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from _bars import ISSUE_BARS, f1_scores  # noqa: E402

LOADERS = {"yeast": load_yeast, "scene": load_scene, "emotions": load_emotions}
METRICS = ("micro_f1", "macro_f1")
N_FOLDS = 3

# The estimator's defaults when issue 4 started: the reference configuration.
START = {
    "hidden_layer_sizes": (256,),
    "dropout": 0.2,
    "learning_rate": 1e-3,
    "batch_size": "auto",
    "alpha": 1e-4,
    "n_iter_no_change": 10,
    "validation_fraction": 0.2,
    "class_weight": None,
    "loss": "binary_crossentropy",
}
SPACE = {
    "hidden_layer_sizes": [(256,), (512,), (512, 256), (1024,)],
    "dropout": [0.0, 0.2, 0.4, 0.5],
    "learning_rate": [1e-3, 3e-3],
    "batch_size": ["auto", 32, 64],
    "alpha": [1e-4, 1e-2, 1.0],
    "n_iter_no_change": [10, 20],
    "validation_fraction": [0.1, 0.2, 0.3],
    "class_weight": [None, "balanced"],
    "loss": ["binary_crossentropy", "focal", "asymmetric"],
}
# Threshold variants re-tuned on the validation rows of every fit:
# (name, strategy, threshold_shrinkage). The first is the one fitted.
VARIANTS = (
    ("f1/s=10", "f1", 10.0),
    ("f1/s=0", "f1", 0.0),
    ("f1/s=5", "f1", 5.0),
    ("f1/s=20", "f1", 20.0),
    ("f1/s=50", "f1", 50.0),
    ("micro_f1", "micro_f1", 10.0),
)
FITTED_VARIANT = VARIANTS[0][0]
# threshold_cv=5 costs THRESHOLD_CV + 1 fits: recommended only when, for the
# chosen network, it ranks better and raises the mean CV score this much.
THRESHOLD_CV = 5
MIN_CV_GAIN = 0.005
# A fixed batch size gives way to "auto" when "auto" fits the large set at
# least MIN_SPEEDUP times faster and loses at most MAX_SCALE_LOSS F1 there.
MIN_SPEEDUP = 2.0
MAX_SCALE_LOSS = 0.01
AUTO_TWIN = "CV choice, batch_size='auto'"
# Record suffix of validation-split tuning in the threshold_cv comparison.
VALIDATION = " (validation)"
# Cache tag of the threshold_cv comparison's fits. Stages 1-3 were cached
# before the package drew initial weights with numpy instead of TensorFlow
# (same Glorot distribution, other draws); this stage and every later check
# run on the current package.
CROSS_TUNED = "cross-tuned-v2"


def key_of(config):
    """A stable text key for a configuration.

    Parameters
    ----------
    config : dict

    Returns
    -------
    key : str
    """
    return json.dumps(
        {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(config.items())}
    )


def describe(config):
    """Short description of how a configuration differs from ``START``.

    Parameters
    ----------
    config : dict

    Returns
    -------
    text : str
    """
    changes = [f"{k}={config[k]!r}" for k in START if config[k] != START[k]]
    return ", ".join(changes) if changes else "start defaults"


def classifier(config, variant, random_state, **extra):
    """The estimator of a configuration, in a scaling Pipeline.

    Parameters
    ----------
    config : dict
        Network and schedule parameters (keys of ``SPACE``).
    variant : str
        Name of a threshold variant of ``VARIANTS``.
    random_state : int
    **extra : dict
        Further estimator parameters, e.g. ``threshold_cv``.

    Returns
    -------
    pipeline : Pipeline
    """
    _, strategy, shrinkage = next(v for v in VARIANTS if v[0] == variant)
    model = MultiLabelNNClassifier(
        **config,
        threshold=strategy,
        threshold_shrinkage=shrinkage,
        random_state=random_state,
        **extra,
    )
    return make_pipeline(StandardScaler(), model)


def validation_rows(Y, config, random_state):
    """The rows ``fit`` held out for early stopping and threshold tuning.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_labels)
    config : dict
    random_state : int

    Returns
    -------
    rows : ndarray of int
    """
    seeds = check_random_state(random_state).randint(0, 2**30, size=4)
    return validation_split(Y, config["validation_fraction"], int(seeds[0]))[1]


def fit_fold(config, X_fit, Y_fit, X_test, Y_test, random_state):
    """Fit one configuration and score every threshold variant.

    Parameters
    ----------
    config : dict
    X_fit, Y_fit : ndarray
        Training rows of the fold.
    X_test, Y_test : ndarray
        Held-out rows of the fold.
    random_state : int

    Returns
    -------
    record : dict
        ``seconds``, ``n_iter``, ``best_epoch`` and, per variant, the scores.
    """
    start = time.perf_counter()
    pipe = classifier(config, FITTED_VARIANT, random_state).fit(X_fit, Y_fit)
    seconds = time.perf_counter() - start
    model = pipe[-1]
    rows = validation_rows(Y_fit, config, random_state)
    val_scores = pipe.predict_proba(X_fit[rows])
    test_scores = pipe.predict_proba(X_test)
    record = {"seconds": seconds, "n_iter": model.n_iter_, "best_epoch": None}
    record["best_epoch"] = model.best_epoch_
    for name, strategy, shrinkage in VARIANTS:
        thresholds = tune_thresholds(
            Y_fit[rows],
            val_scores,
            strategy,
            shrinkage=shrinkage,
            fallback=FALLBACK_THRESHOLD,
        ).thresholds
        if name == FITTED_VARIANT:
            assert_allclose(thresholds, model.thresholds_)
        record[name] = f1_scores(Y_test, test_scores >= thresholds)
    return record


class Cache:
    """Fold records on disk, one JSON line each, so runs can resume.

    Parameters
    ----------
    path : Path
    """

    def __init__(self, path):
        self.path = Path(path)
        self.records = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                self.records[entry["id"]] = entry["record"]

    def get_or_compute(self, entry_id, compute, *args):
        """Return the cached record of ``entry_id``, computing it if absent.

        Parameters
        ----------
        entry_id : str
        compute : callable
            ``compute(*args)`` returns the record.
        *args : tuple

        Returns
        -------
        record : dict
        """
        if entry_id not in self.records:
            self.records[entry_id] = compute(*args)
            with self.path.open("a", encoding="utf-8") as stream:
                entry = {"id": entry_id, "record": self.records[entry_id]}
                stream.write(json.dumps(entry) + "\n")
        return self.records[entry_id]


def folds(dataset, repeat):
    """The cross-validation folds of a dataset's training split.

    Parameters
    ----------
    dataset : str
    repeat : int
        Seeds the fold shuffling; the networks get ``10 * repeat + fold``.

    Returns
    -------
    folds : list of (X_fit, Y_fit, X_test, Y_test, random_state)
    """
    X, Y, _, _ = LOADERS[dataset](return_X_y=True)
    splitter = MultilabelStratifiedKFold(N_FOLDS, shuffle=True, random_state=repeat)
    return [
        (X[fit], Y[fit], X[test], Y[test], 10 * repeat + index)
        for index, (fit, test) in enumerate(splitter.split(X, Y))
    ]


def evaluate(config, cache, repeat, log):
    """Cross-validate one configuration on every dataset.

    Parameters
    ----------
    config : dict
    cache : Cache
    repeat : int
    log : callable

    Returns
    -------
    result : dict
        ``config``, and per dataset the fold records.
    """
    result = {"config": config, "repeat": repeat, "folds": {}}
    start = time.perf_counter()
    for dataset in LOADERS:
        records = []
        for X_fit, Y_fit, X_test, Y_test, seed in folds(dataset, repeat):
            entry_id = f"{key_of(config)}|{dataset}|{repeat}|{seed}"
            records.append(
                cache.get_or_compute(
                    entry_id, fit_fold, config, X_fit, Y_fit, X_test, Y_test, seed
                )
            )
        result["folds"][dataset] = records
    summary = summarise([result], FITTED_VARIANT)[0]
    log(
        f"repeat {repeat} {time.perf_counter() - start:6.1f}s  "
        + "  ".join(
            f"{d} {summary[d, 'micro_f1']:.3f}/{summary[d, 'macro_f1']:.3f}"
            for d in LOADERS
        )
        + f"  {describe(config)}"
    )
    return result


def summarise(results, variant):
    """Mean CV score of each result per dataset and metric, for one variant.

    Parameters
    ----------
    results : list of dict
        Outputs of ``evaluate``; several repeats of a configuration pool.
    variant : str

    Returns
    -------
    summaries : list of dict
        One per configuration: ``config``, ``(dataset, metric)`` means,
        ``seconds`` (mean fit time) and ``n_folds``.
    """
    pooled = {}
    for result in results:
        entry = pooled.setdefault(
            key_of(result["config"]), {"config": result["config"]}
        )
        for dataset, records in result["folds"].items():
            entry.setdefault(dataset, []).extend(records)
    summaries = []
    for entry in pooled.values():
        summary = {"config": entry["config"], "variant": variant}
        seconds = []
        for dataset in LOADERS:
            records = entry[dataset]
            for metric in METRICS:
                summary[dataset, metric] = np.mean(
                    [r[variant][metric] for r in records]
                )
            seconds += [r["seconds"] for r in records]
        summary["seconds"] = float(np.mean(seconds))
        summary["n_folds"] = len(entry[next(iter(LOADERS))])
        summaries.append(summary)
    return summaries


def rank_average(summaries):
    """Add each summary's mean rank over the datasets and metrics (1 = best).

    Parameters
    ----------
    summaries : list of dict

    Returns
    -------
    summaries : list of dict
        Sorted by ``rank``, best first.
    """
    ranks = []
    for dataset in LOADERS:
        for metric in METRICS:
            values = np.array([s[dataset, metric] for s in summaries])
            ranks.append(rankdata(-values))
    for summary, rank in zip(summaries, np.mean(ranks, axis=0), strict=True):
        summary["rank"] = float(rank)
    return sorted(summaries, key=lambda s: s["rank"])


def random_configs(n_random, seed):
    """The starting defaults and ``n_random`` distinct draws from ``SPACE``.

    Parameters
    ----------
    n_random : int
    seed : int

    Returns
    -------
    configs : list of dict
    """
    rng = np.random.default_rng(seed)
    configs, seen = [dict(START)], {key_of(START)}
    while len(configs) < n_random + 1:
        config = {k: values[rng.integers(len(values))] for k, values in SPACE.items()}
        if key_of(config) not in seen:
            seen.add(key_of(config))
            configs.append(config)
    return configs


def neighbours(config):
    """Every configuration differing from ``config`` in one parameter.

    Parameters
    ----------
    config : dict

    Returns
    -------
    configs : list of dict
    """
    return [
        {**config, name: value}
        for name, values in SPACE.items()
        for value in values
        if value != config[name]
    ]


def total_fit_seconds(results):
    """Sum of the fit times recorded in ``evaluate`` results, cached or not.

    Parameters
    ----------
    results : list of dict

    Returns
    -------
    seconds : float
    """
    return float(
        sum(
            r["seconds"]
            for result in results
            for f in result["folds"].values()
            for r in f
        )
    )


def search(args, cache, log):
    """Run the three stages and pick the default configuration and variant.

    Parameters
    ----------
    args : argparse.Namespace
    cache : Cache
    log : callable

    Returns
    -------
    outcome : dict
        Stage tables, stage timings, the ``chosen`` summary and the
        confirmation results.
    """
    timings, start = {}, time.perf_counter()
    log(f"stage 1: start defaults + {args.n_random} random configurations")
    explored = [evaluate(c, cache, 0, log) for c in random_configs(args.n_random, 0)]
    stage1 = rank_average(summarise(explored, FITTED_VARIANT))
    timings["stage 1 (random)"] = time.perf_counter() - start
    fit_seconds = {"stage 1 (random)": total_fit_seconds(explored)}
    if not args.skip_refine:
        start = time.perf_counter()
        seen = {key_of(r["config"]) for r in explored}
        todo = [c for c in neighbours(stage1[0]["config"]) if key_of(c) not in seen]
        log(f"stage 2: {len(todo)} single changes of the stage-1 winner")
        refined = [evaluate(c, cache, 0, log) for c in todo]
        explored += refined
        timings["stage 2 (refine)"] = time.perf_counter() - start
        fit_seconds["stage 2 (refine)"] = total_fit_seconds(refined)
    table = rank_average(summarise(explored, FITTED_VARIANT))
    start = time.perf_counter()
    finalists = [s["config"] for s in table[: args.finalists]]
    log(f"stage 3: {len(finalists)} finalists on new folds and seeds")
    confirmed = [r for r in explored if key_of(r["config"]) in map(key_of, finalists)]
    repeated = [evaluate(c, cache, 1, log) for c in finalists]
    confirmed += repeated
    fit_seconds["stage 3 (confirm)"] = total_fit_seconds(repeated)
    pairs = rank_average(
        [s for name, *_ in VARIANTS for s in summarise(confirmed, name)]
    )
    timings["stage 3 (confirm)"] = time.perf_counter() - start
    return {
        "explored": table,
        "stage1": stage1,
        "finalists": pairs,
        "chosen": pairs[0],
        "confirmed": confirmed,
        "fit_seconds": fit_seconds,
        "timings": timings,
    }


def candidate(label, config, variant, threshold_cv=None):
    """A fully specified estimator to check: network, thresholds, tuning rows.

    Parameters
    ----------
    label : str
    config : dict
    variant : str
    threshold_cv : int or None, default=None

    Returns
    -------
    candidate : dict
    """
    return {
        "label": label,
        "config": config,
        "variant": variant,
        "threshold_cv": threshold_cv,
    }


def candidate_model(cand, seed):
    """The Pipeline of a candidate.

    Parameters
    ----------
    cand : dict
    seed : int

    Returns
    -------
    pipeline : Pipeline
    """
    return classifier(
        cand["config"], cand["variant"], seed, threshold_cv=cand["threshold_cv"]
    )


def candidate_id(prefix, cand, seed):
    """Cache key of a candidate's fit on some data.

    Parameters
    ----------
    prefix : str
    cand : dict
    seed : int

    Returns
    -------
    key : str
    """
    key = f"{prefix}|{key_of(cand['config'])}|{cand['variant']}|{seed}"
    if cand["threshold_cv"] is not None:
        key += f"|threshold_cv={cand['threshold_cv']}"
    return key


def cross_tuned_fold(config, X_fit, Y_fit, X_test, Y_test, random_state):
    """Score every variant tuned as ``threshold_cv=5`` and as ``None`` tune it.

    Reproduces the classifier's ``fit`` with ``threshold_cv``: out-of-fold
    probabilities of fixed-threshold copies (same ``random_state``) on the
    folds ``fold_splits`` draws from the fit's fourth seed, then the final
    network, the same one ``threshold_cv=None`` trains and tunes on its
    validation rows: both tunings are scored on one network.

    Parameters
    ----------
    config : dict
    X_fit, Y_fit, X_test, Y_test : ndarray
    random_state : int

    Returns
    -------
    record : dict
        ``seconds`` (all fits) and, per variant, the held-out scores of both
        tunings (``"<variant> (validation)"`` for ``threshold_cv=None``).
    """
    scaler = StandardScaler().fit(X_fit)
    X_fit, X_test = scaler.transform(X_fit), scaler.transform(X_test)
    seeds = check_random_state(random_state).randint(0, 2**30, size=4)
    start = time.perf_counter()
    oof = np.empty(Y_fit.shape)
    for train, test in fold_splits(Y_fit, THRESHOLD_CV, seeds[3]):
        model = fixed_cut(config, random_state).fit(X_fit[train], Y_fit[train])
        oof[test] = model.predict_proba(X_fit[test])
    final = fixed_cut(config, random_state).fit(X_fit, Y_fit)
    record = {"seconds": time.perf_counter() - start}
    rows = validation_rows(Y_fit, config, random_state)
    tuning_sets = {
        "": (Y_fit, oof),
        VALIDATION: (Y_fit[rows], final.predict_proba(X_fit[rows])),
    }
    test_scores = final.predict_proba(X_test)
    for suffix, (Y_tune, scores) in tuning_sets.items():
        for name, strategy, shrinkage in VARIANTS:
            thresholds = tune_thresholds(
                Y_tune,
                scores,
                strategy,
                shrinkage=shrinkage,
                fallback=FALLBACK_THRESHOLD,
            ).thresholds
            record[name + suffix] = f1_scores(Y_test, test_scores >= thresholds)
    return record


def fixed_cut(config, random_state):
    """The classifier of a configuration with thresholds fixed at 0.5.

    Parameters
    ----------
    config : dict
    random_state : int

    Returns
    -------
    model : MultiLabelNNClassifier
    """
    return MultiLabelNNClassifier(**config, threshold=0.5, random_state=random_state)


def check_cross_tuned(config, variant, cache):
    """Assert that ``cross_tuned_fold`` matches the classifier's own fits.

    Checked on the emotions folds of repeat 0, the cheapest, for both
    ``threshold_cv=5`` and ``None``.

    Parameters
    ----------
    config : dict
    variant : str
    cache : Cache
    """
    for threshold_cv, suffix in ((THRESHOLD_CV, ""), (None, VALIDATION)):
        cand = candidate("check", config, variant, threshold_cv)
        for X_fit, Y_fit, X_test, Y_test, seed in folds("emotions", 0):
            direct = cache.get_or_compute(
                candidate_id("check|emotions", cand, seed),
                timed_scores,
                candidate_model(cand, seed),
                X_fit,
                Y_fit,
                X_test,
                Y_test,
            )
            base = f"{key_of(config)}|emotions|0|{seed}|{CROSS_TUNED}"
            shortcut = cache.records[base][variant + suffix]
            for metric in METRICS:
                assert_allclose(shortcut[metric], direct[metric])


def threshold_cv_stage(outcome, cache, log):
    """Tune every finalist and variant on out-of-fold rows, as threshold_cv=5.

    Parameters
    ----------
    outcome : dict
        Output of ``search``.
    cache : Cache
    log : callable

    Returns
    -------
    table : list of dict
        Finalist x variant x threshold_cv summaries on the repeat-0 folds,
        ranked together.
    """
    finalists = list({key_of(s["config"]): s["config"] for s in outcome["finalists"]})
    finalists = [json_config(k) for k in finalists]
    cross_tuned = []
    for config in finalists:
        result = {"config": config, "folds": {}}
        for dataset in LOADERS:
            result["folds"][dataset] = [
                cache.get_or_compute(
                    f"{key_of(config)}|{dataset}|0|{seed}|{CROSS_TUNED}",
                    cross_tuned_fold,
                    config,
                    *fold[:4],
                    seed,
                )
                for *fold, seed in folds(dataset, 0)
            ]
        cross_tuned.append(result)
        log(f"threshold_cv={THRESHOLD_CV}: {describe(config)}")
    chosen = outcome["chosen"]
    check_cross_tuned(chosen["config"], chosen["variant"], cache)
    table = []
    for name, *_ in VARIANTS:
        for tuning, suffix in ((None, VALIDATION), (THRESHOLD_CV, "")):
            for summary in summarise(cross_tuned, name + suffix):
                table.append({**summary, "variant": name, "threshold_cv": tuning})
    return rank_average(table)


def json_config(key):
    """The configuration of a ``key_of`` key, tuples restored.

    Parameters
    ----------
    key : str

    Returns
    -------
    config : dict
    """
    config = json.loads(key)
    config["hidden_layer_sizes"] = tuple(config["hidden_layer_sizes"])
    return {name: config[name] for name in START}


def threshold_cv_decision(table, chosen):
    """Whether threshold_cv=5 earns its extra fits for the chosen network.

    Parameters
    ----------
    table : list of dict
        Output of ``threshold_cv_stage``.
    chosen : dict
        Stage-3 winner.

    Returns
    -------
    decision : dict
        ``use`` (bool), ``variant`` (best variant with threshold_cv=5),
        ``gain`` (mean change of the six CV scores) and both rows' ranks.
    """
    same = [s for s in table if key_of(s["config"]) == key_of(chosen["config"])]
    without = next(
        s
        for s in same
        if s["threshold_cv"] is None and s["variant"] == chosen["variant"]
    )
    best = min((s for s in same if s["threshold_cv"] is not None), key=rank_of)
    gain = np.mean([best[d, m] - without[d, m] for d in LOADERS for m in METRICS])
    return {
        "use": bool(best["rank"] < without["rank"] and gain >= MIN_CV_GAIN),
        "variant": best["variant"],
        "gain": float(gain),
        "rank threshold_cv=5": best["rank"],
        "rank threshold_cv=None": without["rank"],
    }


def rank_of(summary):
    """Sort key: the rank-average of a summary.

    Parameters
    ----------
    summary : dict

    Returns
    -------
    rank : float
    """
    return summary["rank"]


def timed_scores(model, X_fit, Y_fit, X_test, Y_test):
    """Fit a model, predict the test rows, and time the fit.

    Parameters
    ----------
    model : estimator
    X_fit, Y_fit, X_test, Y_test : ndarray

    Returns
    -------
    record : dict
        Micro- and macro-F1, ``seconds`` and ``labels never predicted``.
    """
    start = time.perf_counter()
    model.fit(X_fit, Y_fit)
    seconds = time.perf_counter() - start
    Y_pred = np.asarray(model.predict(X_test))
    record = f1_scores(Y_test, Y_pred)
    record["seconds"] = seconds
    record["labels never predicted"] = int(np.sum(Y_pred.sum(axis=0) == 0))
    return record


def reference_models():
    """Baselines at the 0.5 cut for the size checks.

    Returns
    -------
    models : dict of str to Pipeline
    """
    return {
        "OvR-LogReg @0.5": make_pipeline(
            StandardScaler(), OneVsRestClassifier(LogisticRegression(max_iter=1000))
        ),
        "MLPClassifier(early_stopping) @0.5": make_pipeline(
            StandardScaler(),
            MLPClassifier(early_stopping=True, max_iter=500, random_state=0),
        ),
    }


def size_check(name, data, candidates, seeds, cache, log):
    """Score candidates and the references on one data set.

    Parameters
    ----------
    name : str
    data : tuple (X_fit, Y_fit, X_test, Y_test)
    candidates : list of dict
    seeds : list of int
    cache : Cache
    log : callable

    Returns
    -------
    rows : list of dict
    """
    rows = []
    for cand in candidates:
        for seed in seeds:
            record = cache.get_or_compute(
                candidate_id(name, cand, seed),
                timed_scores,
                candidate_model(cand, seed),
                *data,
            )
            rows.append({"model": cand["label"], "seed": seed, **record})
    for label, model in reference_models().items():
        record = cache.get_or_compute(f"{name}|{label}", timed_scores, model, *data)
        rows.append({"model": label, "seed": 0, **record})
    log(f"{name}: done")
    return rows


def scale_rule(cand, rows):
    """Swap a fixed batch size for "auto" when "auto" scales better at no cost.

    On the bundled sets "auto" is 32 rows, so a fixed 32 or 64 wins or loses
    there by noise; on large data a fixed small batch multiplies the steps.

    Parameters
    ----------
    cand : dict
        The CV choice.
    rows : list of dict
        Large-set rows of ``size_check`` with the CV choice and its "auto" twin.

    Returns
    -------
    recommended : dict
        The candidate to recommend.
    reason : str
    """
    if cand["config"]["batch_size"] == "auto":
        return cand, "the CV choice already uses batch_size='auto'."
    fixed = next(r for r in rows if r["model"] == cand["label"])
    auto = next(r for r in rows if r["model"] == AUTO_TWIN)
    speedup = fixed["seconds"] / auto["seconds"]
    loss = max(fixed[m] - auto[m] for m in METRICS)
    if speedup >= MIN_SPEEDUP and loss <= MAX_SCALE_LOSS:
        twin = candidate("recommended defaults", **auto_twin(cand))
        return twin, (
            f"batch_size='auto' fits the 50,000-row set {speedup:.1f}x faster "
            f"and loses at most {loss:+.4f} F1 there (rule: >= {MIN_SPEEDUP}x, "
            f"<= {MAX_SCALE_LOSS}); on the bundled sets 'auto' is 32 rows."
        )
    return cand, f"'auto' twin: {speedup:.1f}x faster, F1 loss {loss:+.4f}: kept."


def auto_twin(cand):
    """The parameters of a candidate with ``batch_size="auto"``.

    Parameters
    ----------
    cand : dict

    Returns
    -------
    params : dict
        ``config``, ``variant`` and ``threshold_cv``.
    """
    return {
        "config": {**cand["config"], "batch_size": "auto"},
        "variant": cand["variant"],
        "threshold_cv": cand["threshold_cv"],
    }


def tiny_data():
    """300 rows of emotions' training split; its full test split.

    Returns
    -------
    data : tuple (X_fit, Y_fit, X_test, Y_test)
    """
    X, Y, X_test, Y_test = load_emotions(return_X_y=True)
    rows = np.random.default_rng(0).choice(len(X), size=300, replace=False)
    return X[rows], Y[rows], X_test, Y_test


def large_data():
    """50,000 synthetic training rows and 10,000 test rows, 20 labels.

    Returns
    -------
    data : tuple (X_fit, Y_fit, X_test, Y_test)
    """
    X, Y = make_multilabel_classification(
        n_samples=60_000, n_features=100, n_classes=20, n_labels=3, random_state=0
    )
    X = X.astype(np.float32)
    return X[:50_000], Y[:50_000], X[50_000:], Y[50_000:]


def test_evaluation(candidates, seeds, cache, log):
    """Score the candidates ONCE on the test splits; nothing is chosen here.

    Parameters
    ----------
    candidates : list of dict
    seeds : list of int
    cache : Cache
    log : callable

    Returns
    -------
    rows : list of dict
        One per dataset, candidate and seed.
    """
    rows = []
    for dataset, loader in LOADERS.items():
        data = loader(return_X_y=True)
        for cand in candidates:
            for seed in seeds:
                record = cache.get_or_compute(
                    candidate_id(f"test|{dataset}", cand, seed),
                    timed_scores,
                    candidate_model(cand, seed),
                    *data,
                )
                rows.append(
                    {"dataset": dataset, "model": cand["label"], "seed": seed, **record}
                )
        log(f"test {dataset}: done")
    return rows


def test_table(rows, bars):
    """Mean ± std over seeds of each dataset and model, against the bars.

    Parameters
    ----------
    rows : list of dict
        Output of ``test_evaluation``.
    bars : dict or None
        ``bars`` of ``results/baselines.json``.

    Returns
    -------
    table : list of dict
    """
    table = []
    for dataset in LOADERS:
        for model in dict.fromkeys(r["model"] for r in rows):
            cells = [r for r in rows if r["dataset"] == dataset and r["model"] == model]
            row = {"dataset": dataset, "model": model}
            for metric in METRICS:
                values = np.array([c[metric] for c in cells])
                bar = bars[dataset][metric]["value"] if bars else np.nan
                quoted = ISSUE_BARS[dataset][metric]
                row[metric] = f"{values.mean():.4f} ± {values.std():.4f}"
                row[f"{metric} bar"] = bar
                row[f"{metric} gap"] = values.mean() - bar
                row[f"{metric} met"] = "yes" if values.mean() >= bar else "NO"
                row[f"{metric} issue bar"] = quoted
                row[f"{metric} issue gap"] = values.mean() - quoted
            row["fit s"] = np.mean([c["seconds"] for c in cells])
            table.append(row)
    return table


def flat(summary):
    """A summary with string keys, for tables and JSON.

    Parameters
    ----------
    summary : dict

    Returns
    -------
    row : dict
    """
    row = {"configuration": describe(summary["config"])}
    for key, value in summary.items():
        if isinstance(key, tuple):
            row[f"{key[0]} {'micro' if key[1] == 'micro_f1' else 'macro'}"] = value
        elif key == "config":
            row[key] = {k: v for k, v in value.items()}
        else:
            row[key] = value
    return row


CV_COLUMNS = [f"{d} {m}" for d in LOADERS for m in ("micro", "macro")]


def size_summary(rows):
    """Mean over seeds of each model of a size check.

    Parameters
    ----------
    rows : list of dict

    Returns
    -------
    table : list of dict
    """
    table = []
    for model in dict.fromkeys(r["model"] for r in rows):
        cells = [r for r in rows if r["model"] == model]
        entry = {"model": model, "seeds": len(cells)}
        for column in (*METRICS, "seconds", "labels never predicted"):
            values = np.array([c[column] for c in cells], dtype=float)
            entry[column] = f"{values.mean():.4f} ± {values.std():.4f}"
        table.append(entry)
    return table


def defaults_rows(recommended):
    """The recommended defaults next to the start and the current ones.

    Parameters
    ----------
    recommended : dict
        A candidate.

    Returns
    -------
    rows : list of dict
    """
    current = MultiLabelNNClassifier().get_params()
    _, strategy, shrinkage = next(v for v in VARIANTS if v[0] == recommended["variant"])
    values = {
        **recommended["config"],
        "threshold": strategy,
        "threshold_shrinkage": shrinkage,
        "threshold_cv": recommended["threshold_cv"],
    }
    start = {**START, "threshold": "f1", "threshold_shrinkage": 10.0}
    start["threshold_cv"] = None
    return [
        {
            "parameter": name,
            "start": repr(start[name]),
            "package now": repr(current.get(name)),
            "recommended": repr(value),
            "change": "" if value == current.get(name) else "<-",
        }
        for name, value in values.items()
    ]


SCORE_FORMATS = {c: ".4f" for c in CV_COLUMNS} | {"rank": ".2f", "seconds": ".1f"}
SIZE_COLUMNS = ["model", "seeds", *METRICS, "seconds", "labels never predicted"]
TEST_SUFFIXES = ("", " bar", " gap", " met", " issue bar", " issue gap")
TEST_FORMATS = (
    {
        f"{m}{s}": f
        for m in METRICS
        for s, f in ((" bar", ".4f"), (" gap", "+.4f"), (" issue bar", ".3f"))
    }
    | {f"{m} issue gap": "+.4f" for m in METRICS}
    | {"fit s": ".1f"}
)


def search_sections(outcome, checks):
    """Markdown of the search stages and the threshold_cv comparison.

    Parameters
    ----------
    outcome : dict
    checks : dict

    Returns
    -------
    parts : list of str
    """
    decision = checks["threshold_cv decision"]
    chosen_key = key_of(outcome["chosen"]["config"])
    chosen_rows = [
        flat(s) for s in checks["threshold_cv"] if key_of(s["config"]) == chosen_key
    ]
    return [
        "## Stages 1-2: every configuration explored (threshold f1, shrinkage 10)",
        "",
        markdown_table(
            [flat(s) for s in outcome["explored"]],
            ["rank", *CV_COLUMNS, "seconds", "configuration"],
            SCORE_FORMATS,
        ),
        "",
        "## Stage 3: finalists x threshold variants, pooled over two repeats",
        "",
        markdown_table(
            [flat(s) for s in outcome["finalists"]],
            ["rank", "variant", *CV_COLUMNS, "n_folds", "configuration"],
            SCORE_FORMATS,
        ),
        "",
        f"## threshold_cv={THRESHOLD_CV} against validation-split tuning (None)",
        "",
        "Repeat-0 folds; every finalist, variant and tuning was ranked together; "
        "rows of the stage-3 winner. `seconds`: all fits of one fold.",
        "",
        markdown_table(
            chosen_rows,
            ["rank", "threshold_cv", "variant", *CV_COLUMNS, "seconds"],
            SCORE_FORMATS,
        ),
        "",
        f"Decision: threshold_cv={THRESHOLD_CV} "
        f"{'IS' if decision['use'] else 'is NOT'} recommended (best variant "
        f"{decision['variant']}, rank {decision['rank threshold_cv=5']:.2f} vs "
        f"{decision['rank threshold_cv=None']:.2f}, mean CV change "
        f"{decision['gain']:+.4f}; rule: better rank and gain >= {MIN_CV_GAIN}, "
        f"for {THRESHOLD_CV + 1}x the fits).",
    ]


def check_sections(checks, bars):
    """Markdown of the size checks and the test evaluation.

    Parameters
    ----------
    checks : dict
    bars : dict or None

    Returns
    -------
    parts : list of str
    """
    test_columns = ["dataset", "model"]
    test_columns += [f"{m}{s}" for m in METRICS for s in TEST_SUFFIXES] + ["fit s"]
    return [
        "## Tiny set: 300 rows of emotions train, emotions test",
        "",
        markdown_table(size_summary(checks["tiny"]), SIZE_COLUMNS, {}),
        "",
        "## Large set: 50,000 synthetic rows (100 features, 20 labels), 10,000 test",
        "",
        markdown_table(size_summary(checks["large"]), SIZE_COLUMNS, {}),
        "",
        f"Batch-size rule: {checks['scale reason']}",
        "",
        "## Test splits, evaluated once: mean ± std over random_state 0, 1, 2",
        "",
        "Bars: best baseline (OvR-LogReg, RandomForest(300), MLPClassifier; "
        "0.5 or tuned thresholds) from `compare_baselines.py`; issue bars: "
        "the ones quoted in issue 4. Nothing was chosen on these numbers.",
        "",
        markdown_table(test_table(checks["test"], bars), test_columns, TEST_FORMATS),
    ]


def report(outcome, checks, bars, total_seconds):
    """Build the markdown report.

    Parameters
    ----------
    outcome : dict
        Output of ``search``.
    checks : dict
        threshold_cv comparison, size checks, test rows, recommendation.
    bars : dict or None
    total_seconds : float

    Returns
    -------
    text : str
    """
    timing = [
        {
            "step": step,
            "wall minutes (this run)": seconds / 60,
            "fit minutes (incl. cached)": outcome["fit_seconds"].get(step, seconds)
            / 60,
        }
        for step, seconds in outcome["timings"].items()
    ]
    parts = [
        "# Choosing the default network and schedule",
        "",
        f"Generated by `python benchmarks/search_defaults.py` in "
        f"{total_seconds / 60:.1f} min (cached fits are not re-timed). CV: "
        f"{N_FOLDS}-fold MultilabelStratifiedKFold on the TRAINING splits, scaled "
        "features, threshold step on; columns are mean held-out micro-/macro-F1; "
        "`rank` is the mean rank over the 3 datasets x 2 metrics (1 = best). "
        "Stages 1-3 were fitted (and cached) before the package switched to "
        "numpy-drawn initial weights (same Glorot distribution, other draws); "
        "the threshold_cv stage and every check below ran on the current "
        "package.",
        "",
        "## Recommended defaults",
        "",
        markdown_table(
            defaults_rows(checks["recommended"]),
            ["parameter", "start", "package now", "recommended", "change"],
            {},
        ),
        "",
        *search_sections(outcome, checks),
        "",
        *check_sections(checks, bars),
        "",
        "## Runtimes",
        "",
        markdown_table(
            timing,
            ["step", "wall minutes (this run)", "fit minutes (incl. cached)"],
            {"wall minutes (this run)": ".1f", "fit minutes (incl. cached)": ".1f"},
        ),
    ]
    return "\n".join(parts) + "\n"


def to_json(value):
    """Make results JSON-serialisable (tuple keys, numpy scalars).

    Parameters
    ----------
    value : object

    Returns
    -------
    value : object
    """
    if isinstance(value, dict):
        return {
            "/".join(k) if isinstance(k, tuple) else k: to_json(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def run_checks(outcome, args, cache, log):
    """threshold_cv stage, size checks and the one test evaluation.

    Parameters
    ----------
    outcome : dict
        Output of ``search``; its ``timings`` are extended.
    args : argparse.Namespace
    cache : Cache
    log : callable

    Returns
    -------
    checks : dict
    """
    timings, start = outcome["timings"], time.perf_counter()
    chosen = outcome["chosen"]
    checks = {"threshold_cv": threshold_cv_stage(outcome, cache, log)}
    decision = threshold_cv_decision(checks["threshold_cv"], chosen)
    checks["threshold_cv decision"] = decision
    cv_choice = candidate(
        "CV choice",
        chosen["config"],
        decision["variant"] if decision["use"] else chosen["variant"],
        THRESHOLD_CV if decision["use"] else None,
    )
    start_defaults = candidate("start defaults", START, FITTED_VARIANT)
    timings[f"threshold_cv={THRESHOLD_CV}"] = time.perf_counter() - start
    start = time.perf_counter()
    checks["large"], recommended = [], cv_choice
    checks["scale reason"] = "not run (--skip-large)."
    if not args.skip_large:
        twins = [candidate(AUTO_TWIN, **auto_twin(cv_choice))]
        if cv_choice["config"]["batch_size"] == "auto":
            twins = []
        checks["large"] = size_check(
            "large", large_data(), [cv_choice, *twins, start_defaults], [0], cache, log
        )
        recommended, checks["scale reason"] = scale_rule(cv_choice, checks["large"])
    recommended = {**recommended, "label": "recommended defaults"}
    checks["recommended"] = recommended
    timings["large"] = time.perf_counter() - start
    start = time.perf_counter()
    checks["tiny"] = size_check(
        "tiny", tiny_data(), [recommended, start_defaults], [0, 1, 2], cache, log
    )
    timings["tiny"] = time.perf_counter() - start
    start = time.perf_counter()
    checks["test"] = test_evaluation(
        test_candidates(recommended, cv_choice, chosen["variant"], decision),
        [0, 1, 2],
        cache,
        log,
    )
    timings["test"] = time.perf_counter() - start
    return checks


def test_candidates(recommended, cv_choice, validation_variant, decision):
    """The recommended defaults, their alternatives, and the start.

    Parameters
    ----------
    recommended, cv_choice : dict
    validation_variant : str
        Variant of the stage-3 winner, tuned on the validation rows.
    decision : dict
        Output of ``threshold_cv_decision``.

    Returns
    -------
    candidates : list of dict
    """
    candidates = [recommended]
    if key_of(cv_choice["config"]) != key_of(recommended["config"]):
        candidates.append(cv_choice)
    if recommended["threshold_cv"] is None:
        other = (THRESHOLD_CV, decision["variant"])
    else:
        other = (None, validation_variant)
    label = f"recommended network, threshold_cv={other[0]} ({other[1]})"
    candidates.append(candidate(label, recommended["config"], other[1], other[0]))
    return [*candidates, candidate("start defaults", START, FITTED_VARIANT)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-random", type=int, default=24)
    parser.add_argument("--finalists", type=int, default=4)
    parser.add_argument("--skip-refine", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / "search_defaults_cache.jsonl"),
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    begin = time.perf_counter()

    def log(message):
        print(f"[{(time.perf_counter() - begin) / 60:5.1f} min] {message}", flush=True)

    cache = Cache(args.cache)
    outcome = search(args, cache, log)
    chosen = outcome["chosen"]
    log(f"chosen: {describe(chosen['config'])}, {chosen['variant']}")
    checks = run_checks(outcome, args, cache, log)
    baselines = RESULTS / "baselines.json"
    bars = json.loads(baselines.read_text())["bars"] if baselines.exists() else None
    total = time.perf_counter() - begin
    text = report(outcome, checks, bars, total)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search_defaults.md").write_text(text, encoding="utf-8")
    payload = {
        "start": START,
        "space": SPACE,
        "variants": VARIANTS,
        "recommended": checks["recommended"],
        "threshold_cv_decision": checks["threshold_cv decision"],
        "scale_reason": checks["scale reason"],
        "explored": [flat(s) for s in outcome["explored"]],
        "finalists": [flat(s) for s in outcome["finalists"]],
        "threshold_cv": [flat(s) for s in checks["threshold_cv"]],
        "tiny": checks["tiny"],
        "large": checks["large"],
        "test": checks["test"],
        "timings_seconds": outcome["timings"],
        "total_seconds": total,
    }
    (RESULTS / "search_defaults.json").write_text(
        json.dumps(to_json(payload), indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
