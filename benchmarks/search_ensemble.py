"""Search the network and schedule under the fold-ensemble default.

The package default trains a 5-fold fold ensemble (``threshold_cv=5``,
``ensemble=True``). This script asks whether another network or schedule,
under that same default, closes yeast's macro-F1 gap without losing
elsewhere. Candidates are the current defaults and one-at-a-time changes
from them (``CANDIDATES``), each the full estimator
``make_pipeline(StandardScaler(), MultiLabelNNClassifier(**changes,
random_state=seed))``.

Selection uses the TRAINING splits only: per dataset, 3-fold
``MultilabelStratifiedKFold`` (shuffle, ``random_state=0``), network seed =
fold index; micro- and macro-F1 of ``predict`` on the held-out fold, mean
over folds; candidates ranked per dataset x metric, ranks averaged (1 =
best, ties to the earlier candidate, the default first). A candidate whose
first fit is ``--max-slowdown`` times slower than the default's is dropped.
The default is also refitted with other network seeds on the same folds
(``NOISE``, never ranked) to show how large seed noise alone is.
``--repeats 2`` pools the folds of a second partition (other fold and
network seeds), for finalists whose first-round differences are near that
noise.

Then, for the CV-best candidate and the default only, ONCE the test splits
with random_state 0, 1, 2, next to the bars of issue 4. Nothing is chosen on
test. Every fit is cached as JSON in ``--cache`` so reruns are free (delete
the cache after changing the package).

Usage::

    python benchmarks/search_ensemble.py                 # ~45 min on 1 core, cold cache
    python benchmarks/search_ensemble.py --candidates default "dropout=0.3"
    python benchmarks/search_ensemble.py --repeats 2 --name search_ensemble_finalists \
        --skip-noise --candidates "dropout=0.6" "n_iter_no_change=40"
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _bars import ISSUE_BARS, f1_scores  # noqa: E402
from _tables import markdown_table  # noqa: E402
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold  # noqa: E402
from scipy.stats import rankdata  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_multilabel import MultiLabelNNClassifier  # noqa: E402
from sklearn_multilabel.datasets import (  # noqa: E402
    load_emotions,
    load_scene,
    load_yeast,
)

RESULTS = Path(__file__).resolve().parent / "results"
LOADERS = {"yeast": load_yeast, "scene": load_scene, "emotions": load_emotions}
METRICS = ("micro_f1", "macro_f1")
N_FOLDS = 3
FOLD_SEED = 0
TEST_SEEDS = (0, 1, 2)
DEFAULT = "default"
# One-at-a-time changes from the package defaults; the default comes first so
# that it wins rank ties.
CANDIDATES = {
    DEFAULT: {},
    "hidden_layer_sizes=(1024,)": {"hidden_layer_sizes": (1024,)},
    "hidden_layer_sizes=(512, 256)": {"hidden_layer_sizes": (512, 256)},
    "hidden_layer_sizes=(256,)": {"hidden_layer_sizes": (256,)},
    "dropout=0.3": {"dropout": 0.3},
    "dropout=0.6": {"dropout": 0.6},
    "alpha=0.1": {"alpha": 0.1},
    "alpha=3.0": {"alpha": 3.0},
    "learning_rate=3e-4": {"learning_rate": 3e-4},
    # "auto" picks 32 rows on all three sets, so 32 would repeat the default.
    "batch_size=16": {"batch_size": 16},
    "batch_size=64": {"batch_size": 64},
    "activation='tanh'": {"activation": "tanh"},
    "loss='focal'": {"loss": "focal"},
    "n_iter_no_change=40": {"n_iter_no_change": 40},
    "batch_norm=True": {"batch_norm": True},
    "batch_norm=True, dropout=0.3": {"batch_norm": True, "dropout": 0.3},
    "input_noise=0": {"input_noise": 0.0},
    "input_noise=0.5": {"input_noise": 0.5},
    "input_noise=1.5": {"input_noise": 1.5},
    "input_noise=2.0": {"input_noise": 2.0},
    # Second round, around the first round's best under input noise.
    "dropout=0.7": {"dropout": 0.7},
    "dropout=0.6, input_noise=1.5": {"dropout": 0.6, "input_noise": 1.5},
    "dropout=0.6, hidden_layer_sizes=(1024,)": {
        "dropout": 0.6,
        "hidden_layer_sizes": (1024,),
    },
    "dropout=0.6, alpha=3.0": {"dropout": 0.6, "alpha": 3.0},
    "n_iter_no_change=40, dropout=0.6": {"n_iter_no_change": 40, "dropout": 0.6},
    "n_iter_no_change=40, input_noise=1.5": {
        "n_iter_no_change": 40,
        "input_noise": 1.5,
    },
    "n_iter_no_change=60": {"n_iter_no_change": 60},
    # Third round: piecewise-linear feature bins (the default became 8).
    "n_bins=0": {"n_bins": 0},
    "n_bins=4": {"n_bins": 4},
    "n_bins=16": {"n_bins": 16},
    "hidden_layer_sizes=(256,), input_noise=1.5": {
        "hidden_layer_sizes": (256,),
        "input_noise": 1.5,
    },
    # The width before the third round chose 256.
    "hidden_layer_sizes=(512,)": {"hidden_layer_sizes": (512,)},
    # Fourth round: a fold ensemble of ten networks instead of five.
    "threshold_cv=10": {"threshold_cv": 10},
    "class_weight='balanced'": {"class_weight": "balanced"},
    "loss='asymmetric'": {"loss": "asymmetric"},
}
# The default again with other network seeds on the same folds: a yardstick
# for how much of a CV difference is seed noise. Never ranked or chosen.
NOISE = "default, network seeds + 100"
NOISE_SEED_OFFSET = 100
# Network seeds of the partition with fold seed FOLD_SEED + r are offset by
# r times this.
REPEAT_SEED_OFFSET = 1000


def log(message):
    """Print a progress line to stderr.

    Parameters
    ----------
    message : str
    """
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cached_fit(cache, key, changes, X_fit, Y_fit, X_test, Y_test, seed):
    """Fit one pipeline and score it, or return the cached record.

    Parameters
    ----------
    cache : pathlib.Path
        Directory of JSON records, one per fit.
    key : str
        Identifies the data (dataset, split, fold) of the fit.
    changes : dict
        Estimator parameters that differ from the package defaults.
    X_fit, Y_fit, X_test, Y_test : ndarray
        Training and scoring data.
    seed : int
        The estimator's ``random_state``.

    Returns
    -------
    record : dict
        ``micro_f1``, ``macro_f1`` on ``(X_test, Y_test)`` and ``seconds``.
    """
    ident = json.dumps([key, sorted(changes.items()), seed], default=list)
    path = cache / (hashlib.sha1(ident.encode()).hexdigest()[:16] + ".json")
    if path.exists():
        return json.loads(path.read_text())
    model = make_pipeline(
        StandardScaler(), MultiLabelNNClassifier(**changes, random_state=seed)
    )
    start = time.perf_counter()
    model.fit(X_fit, Y_fit)
    seconds = time.perf_counter() - start
    Y_pred = model.predict(X_test)
    record = {
        "ident": ident,
        **f1_scores(Y_test, Y_pred),
        "seconds": seconds,
    }
    path.write_text(json.dumps(record))
    return record


def cv_folds(dataset, fold_seed=FOLD_SEED):
    """The cross-validation folds of a dataset's training split.

    Parameters
    ----------
    dataset : str
    fold_seed : int, default=FOLD_SEED
        Seeds the partition.

    Returns
    -------
    folds : list of (X_fit, Y_fit, X_test, Y_test)
    """
    X, Y, _, _ = LOADERS[dataset](return_X_y=True)
    splitter = MultilabelStratifiedKFold(N_FOLDS, shuffle=True, random_state=fold_seed)
    return [(X[fit], Y[fit], X[test], Y[test]) for fit, test in splitter.split(X, Y)]


def cross_validate(labels, cache, max_slowdown, repeats=1):
    """Cross-validate candidates on every dataset's training split.

    Parameters
    ----------
    labels : list of str
        Keys of ``CANDIDATES``, the default first, or ``NOISE``.
    cache : pathlib.Path
    max_slowdown : float
        A candidate whose first fit takes this many times the default's is
        dropped.
    repeats : int, default=1
        Partitions (fold seeds ``FOLD_SEED``, ``FOLD_SEED + 1``, ...), each
        with network seeds of its own; scores are pooled over every fold.

    Returns
    -------
    summaries : dict
        Per kept candidate: per dataset the mean ``micro_f1``, ``macro_f1``
        and ``seconds`` over folds.
    dropped : dict
        Per dropped candidate, the reason.
    """
    fold_seeds = range(FOLD_SEED, FOLD_SEED + repeats)
    folds = {
        name: [
            (fold_seed, index, fold)
            for fold_seed in fold_seeds
            for index, fold in enumerate(cv_folds(name, fold_seed))
        ]
        for name in LOADERS
    }
    summaries, dropped = {}, {}
    for label in labels:
        summary = {}
        for name, data in folds.items():
            records = []
            for fold_seed, index, fold in data:
                key = f"cv|{name}|seed{fold_seed}|fold{index}"
                seed = index + (NOISE_SEED_OFFSET if label == NOISE else 0)
                seed += REPEAT_SEED_OFFSET * (fold_seed - FOLD_SEED)
                changes = CANDIDATES.get(label, {})
                record = cached_fit(cache, key, changes, *fold, seed)
                records.append(record)
                log(
                    f"{label} {name} seed {fold_seed} fold {index}: "
                    f"micro {record['micro_f1']:.4f} "
                    f"macro {record['macro_f1']:.4f} ({record['seconds']:.1f} s)"
                )
                if label != DEFAULT and not summary and len(records) == 1:
                    reference = summaries[DEFAULT][name]["first_seconds"]
                    if record["seconds"] > max_slowdown * reference:
                        dropped[label] = (
                            f"first fit {record['seconds']:.1f} s > {max_slowdown:g}"
                            f" x default's {reference:.1f} s"
                        )
                        break
            if label in dropped:
                break
            summary[name] = {
                metric: float(np.mean([r[metric] for r in records]))
                for metric in (*METRICS, "seconds")
            }
            summary[name]["first_seconds"] = records[0]["seconds"]
        if label not in dropped:
            summaries[label] = summary
    return summaries, dropped


def rank_average(summaries):
    """Mean rank of each candidate over datasets x metrics (1 = best).

    Parameters
    ----------
    summaries : dict
        As returned by ``cross_validate``; ``NOISE`` is left out.

    Returns
    -------
    ranks : dict of str to float
    """
    labels = [label for label in summaries if label != NOISE]
    columns = []
    for name in LOADERS:
        for metric in METRICS:
            scores = np.array([summaries[label][name][metric] for label in labels])
            columns.append(rankdata(-scores, method="average"))
    return dict(zip(labels, np.mean(columns, axis=0).tolist(), strict=True))


def cv_rows(summaries, ranks):
    """Rows of the CV table, best rank first.

    Parameters
    ----------
    summaries : dict
    ranks : dict
        Mean rank per candidate; candidates without one (``NOISE``) are
        left out.

    Returns
    -------
    rows : list of dict
    """
    rows = []
    for label in sorted(ranks, key=lambda c: (ranks[c], list(ranks).index(c))):
        row = {"rank": ranks[label], "candidate": label}
        for name in LOADERS:
            for metric in METRICS:
                row[f"{name} {metric.split('_')[0]}"] = summaries[label][name][metric]
        row["mean F1"] = float(np.mean([row[k] for k in row if " " in k]))
        row["s/fit"] = float(
            np.mean([summaries[label][name]["seconds"] for name in LOADERS])
        )
        rows.append(row)
    return rows


def noise_rows(summaries, ranks):
    """The default, its refit with other seeds, and their difference.

    Parameters
    ----------
    summaries : dict
        Holds ``NOISE``.
    ranks : dict

    Returns
    -------
    rows : list of dict
    """
    default, refit = cv_rows(summaries, {DEFAULT: 0.0, NOISE: 1.0})
    difference = {"candidate": "difference"}
    for column in default:
        if column not in ("rank", "candidate"):
            difference[column] = refit[column] - default[column]
    default["rank"], refit["rank"] = f"{ranks[DEFAULT]:.2f}", "-"
    return [default, refit, {"rank": "-", **difference}]


def test_scores(labels, cache):
    """Score candidates on the test splits, ``TEST_SEEDS`` each.

    Parameters
    ----------
    labels : list of str
    cache : pathlib.Path

    Returns
    -------
    scores : dict
        Per candidate and dataset: (mean, std) per metric and mean seconds.
    """
    scores = {label: {} for label in labels}
    for name, loader in LOADERS.items():
        data = loader(return_X_y=True)
        for label in labels:
            records = []
            for seed in TEST_SEEDS:
                record = cached_fit(
                    cache, f"test|{name}", CANDIDATES[label], *data, seed
                )
                log(
                    f"TEST {label} {name} seed {seed}: micro "
                    f"{record['micro_f1']:.4f} macro {record['macro_f1']:.4f}"
                )
                records.append(record)
            scores[label][name] = {
                metric: [
                    float(np.mean([r[metric] for r in records])),
                    float(np.std([r[metric] for r in records])),
                ]
                for metric in METRICS
            }
            scores[label][name]["seconds"] = float(
                np.mean([r["seconds"] for r in records])
            )
    return scores


def test_rows(scores, chosen):
    """Rows comparing the chosen candidate and the default with the bars.

    Parameters
    ----------
    scores : dict
        As returned by ``test_scores``.
    chosen : str

    Returns
    -------
    rows : list of dict
    """
    rows = []
    for name in LOADERS:
        for metric in METRICS:
            bar = ISSUE_BARS[name][metric]
            default_mean, default_std = scores[DEFAULT][name][metric]
            mean, std = scores[chosen][name][metric]
            rows.append(
                {
                    "dataset": name,
                    "metric": metric,
                    "default": f"{default_mean:.4f} ± {default_std:.4f}",
                    "chosen": f"{mean:.4f} ± {std:.4f}",
                    "chosen - default": f"{mean - default_mean:+.4f}",
                    "issue bar": bar,
                    "chosen - bar": f"{mean - bar:+.4f}",
                    "meets bar": "yes" if mean >= bar else "NO",
                }
            )
    return rows


def fit_minutes(summaries, scores):
    """Total fit time of every fit in the report, cached or not.

    Parameters
    ----------
    summaries : dict
        As returned by ``cross_validate``.
    scores : dict or None
        As returned by ``test_scores``.

    Returns
    -------
    minutes : float
    """
    seconds = sum(
        N_FOLDS * summary[name]["seconds"]
        for summary in summaries.values()
        for name in summary
    )
    for per_dataset in (scores or {}).values():
        seconds += sum(len(TEST_SEEDS) * s["seconds"] for s in per_dataset.values())
    return seconds / 60


def report(
    cv_table, noise_table, dropped, chosen, test_table, minutes, command, repeats
):
    """The markdown report.

    Parameters
    ----------
    cv_table : list of dict
    noise_table : list of dict or None
    dropped : dict
    chosen : str
    test_table : list of dict or None
    minutes : tuple of float
        Wall minutes of this run, and fit minutes of every fit reported.
    command : str
    repeats : int
        Partitions the CV scores are pooled over.

    Returns
    -------
    text : str
    """
    cv_formats = {c: ".4f" for c in cv_table[0]}
    cv_formats.update({"rank": ".2f", "candidate": "", "s/fit": ".1f"})
    parts = [
        "# Network and schedule under the fold-ensemble default\n",
        f"Generated by `{command}`: {minutes[0]:.1f} min wall this run, "
        f"{minutes[1]:.1f} min of fitting in total (cached fits included)."
        f" CV: {N_FOLDS}-fold MultilabelStratifiedKFold (shuffle, random_state="
        f"{', '.join(str(FOLD_SEED + r) for r in range(repeats))}, scores pooled "
        "over every fold) on the TRAINING splits, `StandardScaler` first, package "
        "defaults (`threshold_cv=5`, `ensemble=True`) plus the named change; "
        "held-out micro-/macro-F1 of `predict`, mean over folds; `rank` is the "
        "mean rank over 3 datasets x 2 metrics (1 = best); `s/fit` is mean "
        "seconds per fit (5 networks) over datasets and folds.\n",
        "## Cross-validation on the training splits\n",
        markdown_table(cv_table, list(cv_table[0]), cv_formats) + "\n",
    ]
    if noise_table is not None:
        noise_formats = {**cv_formats, "rank": ""}
        parts += [
            "Seed noise: the default refitted on the same folds with network "
            f"seeds + {NOISE_SEED_OFFSET} (not ranked, never chosen). Differences "
            "of this size between candidates are not evidence.\n",
            markdown_table(noise_table, list(noise_table[0]), noise_formats) + "\n",
        ]
    if dropped:
        parts.append(
            "Dropped as too slow: "
            + "; ".join(f"{k} ({v})" for k, v in dropped.items())
            + ".\n"
        )
    parts.append(f"CV-best candidate: **{chosen}**.\n")
    if test_table is not None:
        parts += [
            "## Test splits (chosen once, by CV)\n",
            f"Mean ± std over random_state {TEST_SEEDS}; bars of issue 4.\n",
            markdown_table(test_table, list(test_table[0]), {"issue bar": ".3f"})
            + "\n",
        ]
    return "\n".join(parts)


def parse_args():
    """Command-line arguments.

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--candidates",
        nargs="+",
        choices=list(CANDIDATES),
        metavar="LABEL",
        default=list(CANDIDATES),
        help="keys of CANDIDATES to cross-validate (the default is always in)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "sklearn_multilabel_search_ensemble",
        help="directory of cached fits",
    )
    parser.add_argument(
        "--max-slowdown",
        type=float,
        default=4.0,
        help="drop a candidate whose first fit is this many times the default's",
    )
    parser.add_argument(
        "--skip-noise",
        action="store_true",
        help="do not refit the default with other seeds",
    )
    parser.add_argument(
        "--skip-test", action="store_true", help="stop after cross-validation"
    )
    parser.add_argument(
        "--name",
        default="search_ensemble",
        help="file name (without extension) of the results in benchmarks/results",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="partitions of the training splits, scores pooled over their folds",
    )
    return parser.parse_args()


def main():
    args = parse_args()
    start = time.perf_counter()
    args.cache.mkdir(parents=True, exist_ok=True)
    labels = [DEFAULT] + [
        c for c in CANDIDATES if c in args.candidates and c != DEFAULT
    ]
    if not args.skip_noise:
        labels.append(NOISE)
    summaries, dropped = cross_validate(
        labels, args.cache, args.max_slowdown, args.repeats
    )
    ranks = rank_average(summaries)
    cv_table = cv_rows(summaries, ranks)
    noise_table = None if args.skip_noise else noise_rows(summaries, ranks)
    chosen = cv_table[0]["candidate"]
    scores, test_table = None, None
    if not args.skip_test:
        scores = test_scores(list(dict.fromkeys([DEFAULT, chosen])), args.cache)
        test_table = test_rows(scores, chosen)
    command = "python benchmarks/search_ensemble.py " + " ".join(sys.argv[1:])
    minutes = (time.perf_counter() - start) / 60, fit_minutes(summaries, scores)
    text = report(
        cv_table,
        noise_table,
        dropped,
        chosen,
        test_table,
        minutes,
        command.strip(),
        args.repeats,
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.md").write_text(text, encoding="utf-8")
    output = {
        "candidates": {label: CANDIDATES.get(label, {}) for label in labels},
        "cv": summaries,
        "ranks": ranks,
        "dropped": dropped,
        "chosen": chosen,
        "test": scores,
        "minutes": minutes,
    }
    (RESULTS / f"{args.name}.json").write_text(json.dumps(output, indent=1))


if __name__ == "__main__":
    main()
