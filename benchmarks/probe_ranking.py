"""Probe three ideas for the default's per-label ranking (none is in the package).

Yeast's macro-F1 trails the tuned random forest's on a few mid-frequency
labels, where the forest ranks rows better (benchmarks/README.md). Each probe
changes the default estimator from the outside, for this script only:

- ``reseeded``: no change, the default with other network seeds (those of
  the second estimator of ``two_per_fold``): how far seed noise alone moves
  the scores, the yardstick for the others;
- ``label_weights``: each label's binary cross-entropy divided by the entropy
  of its training prevalence (weights of mean 1), so that every label, not
  only the frequent ones, shapes the shared hidden layer;
- ``two_per_fold``: two default estimators of different seeds, their logits
  averaged and the thresholds re-tuned on their averaged out-of-fold logits
  (ten networks instead of five, twice the fitting);
- ``tree_bins``: target-aware bin edges (Gorishniy et al. 2022, "T" bins)
  instead of quantiles: per feature, the splits of one multi-output
  regression tree on the centred label matrix, at most ``n_bins`` leaves of at
  least 5 % of the rows each.

Training splits only, with the folds and network seeds of
``search_ensemble.py`` (3-fold ``MultilabelStratifiedKFold``, two partitions,
six folds pooled). Printed per dataset: micro- and macro-F1 of ``predict``,
mean per-label ROC AUC and average precision on the held-out folds, and each
probe's mean difference from the default with a paired t statistic over the
folds.

Usage::

    python benchmarks/probe_ranking.py                   # ~40 min on 2 cores
    python benchmarks/probe_ranking.py --datasets yeast --probes default tree_bins
"""

import argparse
import os
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _bars import f1_scores  # noqa: E402
from _tables import markdown_table  # noqa: E402
from cv_shrinkage import TuningRowsClassifier  # noqa: E402
from scipy.special import expit, logit  # noqa: E402
from search_ensemble import (  # noqa: E402
    FOLD_SEED,
    LOADERS,
    REPEAT_SEED_OFFSET,
    RESULTS,
    cv_folds,
)
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

from sklearn_multilabel import MultiLabelNNClassifier, _losses  # noqa: E402
from sklearn_multilabel.neural_network._threshold_step import search_thresholds  # noqa: E402

PROBES = ("default", "reseeded", "label_weights", "two_per_fold", "tree_bins")
METRICS = ("micro_f1", "macro_f1", "roc_auc", "average_precision")
# The second estimator of "two_per_fold" is seeded this far from the first.
SECOND_SEED_OFFSET = 500
TREE_MIN_LEAF_FRACTION = 0.05


@contextmanager
def label_weighted_loss(Y):
    """Weigh each label's cross-entropy by 1 / entropy of its prevalence."""
    prevalence = Y.mean(axis=0).clip(1e-3, 1 - 1e-3)
    entropy = -(
        prevalence * np.log(prevalence) + (1 - prevalence) * np.log1p(-prevalence)
    )
    weights = (1 / entropy) / np.mean(1 / entropy)
    plain = _losses._bce_terms

    def weighted_terms(Y_rows, logits, pos_weight=None):
        from keras import ops

        terms = plain(Y_rows, logits, pos_weight)
        return terms * ops.cast(weights.astype(np.float32), logits.dtype)

    with mock.patch.dict(_losses._KERAS_TERMS, binary_crossentropy=weighted_terms):
        yield


@contextmanager
def tree_bin_edges(Y):
    """Cut each feature at the splits of a regression tree on the labels."""
    centred = Y - Y.mean(axis=0)

    def edges(X, n_bins, sample_weight=None):
        min_leaf = max(1, int(TREE_MIN_LEAF_FRACTION * X.shape[0]))
        result = []
        for column in X.T:
            tree = DecisionTreeRegressor(
                max_leaf_nodes=n_bins, min_samples_leaf=min_leaf, random_state=0
            ).fit(column[:, None], centred, sample_weight=sample_weight)
            splits = tree.tree_.threshold[tree.tree_.feature >= 0]
            result.append(np.unique([column.min(), *splits, column.max()]))
        return result

    with mock.patch("sklearn_multilabel.neural_network._classifier.quantile_edges", edges):
        yield


def fit_and_predict(probe, X_fit, Y_fit, X_test, seed):
    """Fit one probe on scaled rows; its test probabilities and thresholds.

    Parameters
    ----------
    probe : str
        One of ``PROBES``.
    X_fit, Y_fit, X_test : ndarray
    seed : int

    Returns
    -------
    proba : ndarray of shape (n_test, n_labels)
    thresholds : ndarray of shape (n_labels,)
    """
    if probe == "two_per_fold":
        models = [
            TuningRowsClassifier(random_state=s).fit(X_fit, Y_fit)
            for s in (seed, seed + SECOND_SEED_OFFSET)
        ]
        Y_tune = models[0].tuning_rows_[0]
        tuning_logits = np.mean(
            [logit(np.clip(m.tuning_rows_[1], 1e-12, 1 - 1e-12)) for m in models],
            axis=0,
        )
        thresholds = search_thresholds(
            Y_tune, expit(tuning_logits), "f1", beta=1.0, shrinkage=20.0
        ).thresholds
        test_logits = np.mean([m.decision_function(X_test) for m in models], axis=0)
        return expit(test_logits), thresholds
    if probe == "reseeded":
        seed += SECOND_SEED_OFFSET
    context = {
        "default": lambda Y: nullcontext(),
        "reseeded": lambda Y: nullcontext(),
        "label_weights": label_weighted_loss,
        "tree_bins": tree_bin_edges,
    }[probe](Y_fit.astype(np.float64))
    with context:
        model = MultiLabelNNClassifier(random_state=seed).fit(X_fit, Y_fit)
    return model.predict_proba(X_test), model.thresholds_


def fold_scores(Y_test, proba, thresholds):
    """F1 of the thresholded predictions and the per-label ranking means."""
    scores = f1_scores(Y_test, proba >= thresholds)
    labels = [j for j in range(Y_test.shape[1]) if 0 < Y_test[:, j].sum() < len(Y_test)]
    scores["roc_auc"] = np.mean(
        [roc_auc_score(Y_test[:, j], proba[:, j]) for j in labels]
    )
    scores["average_precision"] = np.mean(
        [average_precision_score(Y_test[:, j], proba[:, j]) for j in labels]
    )
    return scores


def probe_dataset(name, probes, repeats):
    """Per probe, the scores of every fold of ``repeats`` partitions."""
    results = {probe: [] for probe in probes}
    for fold_seed in range(FOLD_SEED, FOLD_SEED + repeats):
        for index, (X_fit, Y_fit, X_test, Y_test) in enumerate(
            cv_folds(name, fold_seed)
        ):
            seed = index + REPEAT_SEED_OFFSET * (fold_seed - FOLD_SEED)
            scaler = StandardScaler().fit(X_fit)
            X_fit, X_test = scaler.transform(X_fit), scaler.transform(X_test)
            for probe in probes:
                proba, thresholds = fit_and_predict(probe, X_fit, Y_fit, X_test, seed)
                results[probe].append(fold_scores(Y_test, proba, thresholds))
                print(
                    f"{name} partition {fold_seed} fold {index} {probe}: "
                    + ", ".join(f"{m} {results[probe][-1][m]:.4f}" for m in METRICS),
                    flush=True,
                )
    return results


def summary_rows(name, results):
    """Mean of each metric, and each probe's paired difference from the default."""
    reference = np.array([[fold[m] for m in METRICS] for fold in results["default"]])
    rows = []
    for probe, folds in results.items():
        values = np.array([[fold[m] for m in METRICS] for fold in folds])
        row = {"dataset": name, "probe": probe}
        for column, metric in enumerate(METRICS):
            row[metric] = f"{values[:, column].mean():.4f}"
            if probe != "default":
                delta = values[:, column] - reference[:, column]
                t = delta.mean() / (delta.std(ddof=1) / np.sqrt(len(delta)) + 1e-12)
                row[metric] += f" ({delta.mean():+.4f}, t={t:+.1f})"
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS))
    parser.add_argument("--probes", nargs="+", default=list(PROBES), choices=PROBES)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    probes = ["default", *(p for p in args.probes if p != "default")]
    rows = []
    for name in args.datasets:
        rows.extend(summary_rows(name, probe_dataset(name, probes, args.repeats)))
    text = (
        "# Ranking probes around the default (train-split CV)\n\n"
        "Mean over folds; in brackets the mean paired difference from the "
        "default and its t statistic.\n\n"
        + markdown_table(rows, ["dataset", "probe", *METRICS], {})
        + "\n"
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "probe_ranking.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
