"""How ``threshold_shrinkage`` and its anchor trade micro-F1 for macro-F1.

Per-label F1 thresholds (shrinkage 0) favour macro-F1; shrinking rare
labels' thresholds toward an anchor steadies them. The package's anchor is
one cut shared by every label, the global micro-F1 threshold; the
alternative tried here is each label's own prevalence cut (the threshold
predicting it as often as it is positive in the tuning rows), which this
script computes itself. It measures both on the TRAINING splits only, with the folds of
``search_ensemble.py`` (3-fold ``MultilabelStratifiedKFold``, ``--repeats``
partitions, network seeds as there): one default fit per fold, then the
thresholds re-tuned on the same out-of-fold scores for each anchor and
shrinkage, and the held-out fold scored. ``rank`` is the mean rank over 3
datasets x 2 metrics (1 = best).

Usage::

    python benchmarks/cv_shrinkage.py --repeats 2     # ~4 min on 2 cores
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _bars import ISSUE_BARS, f1_scores  # noqa: E402
from _tables import markdown_table  # noqa: E402
from scipy.stats import rankdata  # noqa: E402
from search_ensemble import (  # noqa: E402
    FOLD_SEED,
    LOADERS,
    REPEAT_SEED_OFFSET,
    RESULTS,
    cv_folds,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_multilabel import MultiLabelNNClassifier  # noqa: E402
from sklearn_multilabel.neural_network._threshold_step import search_thresholds  # noqa: E402
from sklearn_multilabel.thresholds._strategies import (  # noqa: E402
    best_global_threshold,
    prevalence_thresholds,
    shrink_thresholds,
)
from sklearn_multilabel.thresholds._per_label import best_fbeta_thresholds  # noqa: E402

# 20 is the default; a huge value is the anchor alone.
SHRINKAGES = (0.0, 10.0, 20.0, 50.0, 100.0, 1e9)
ANCHORS = ("global micro-F1 cut", "prevalence cut")
# The default, compared fold by fold with the best prevalence-anchored variant.
DEFAULT, ALTERNATIVE = (ANCHORS[0], 20.0), (ANCHORS[1], 50.0)


class TuningRowsClassifier(MultiLabelNNClassifier):
    """The default estimator, keeping the rows its thresholds were tuned on."""

    def _search(self, Y_tune, scores, strategy):
        self.tuning_rows_ = (np.asarray(Y_tune), np.asarray(scores))
        return super()._search(Y_tune, scores, strategy)


def prevalence_anchor_thresholds(Y_tune, scores, shrinkage):
    """Per-label F1 thresholds shrunk toward each label's prevalence cut.

    Labels without a positive keep the global micro-F1 threshold as anchor,
    as in the package.

    Parameters
    ----------
    Y_tune, scores : ndarray of shape (n_samples, n_labels)
    shrinkage : float

    Returns
    -------
    thresholds : ndarray of shape (n_labels,)
    """
    raw, _ = best_fbeta_thresholds(Y_tune, scores)
    n_positives = Y_tune.sum(axis=0)
    global_threshold, _ = best_global_threshold(Y_tune, scores)
    anchors = np.where(
        n_positives > 0,
        prevalence_thresholds(scores, Y_tune.mean(axis=0)),
        global_threshold,
    )
    return shrink_thresholds(raw, anchors, n_positives, shrinkage)


def shrinkage_scores(dataset, repeats):
    """Return held-out (micro, macro) F1 per anchor, shrinkage and fold.

    Parameters
    ----------
    dataset : str
    repeats : int
        Partitions of the training split, folds pooled.

    Returns
    -------
    scores : dict
        ``(anchor, shrinkage)`` to an array of shape (n_folds, 2): micro-
        and macro-F1 of each held-out fold.
    """
    per_fold = {(a, s): [] for a in ANCHORS for s in SHRINKAGES}
    for fold_seed in range(FOLD_SEED, FOLD_SEED + repeats):
        for fold, data in enumerate(cv_folds(dataset, fold_seed)):
            X_fit, Y_fit, X_test, Y_test = data
            seed = fold + REPEAT_SEED_OFFSET * (fold_seed - FOLD_SEED)
            model = make_pipeline(
                StandardScaler(), TuningRowsClassifier(random_state=seed)
            ).fit(X_fit, Y_fit)
            proba = model.predict_proba(X_test)
            Y_tune, tuning_scores = model[-1].tuning_rows_
            for anchor, shrinkage in per_fold:
                if anchor == ANCHORS[0]:
                    thresholds = search_thresholds(
                        Y_tune, tuning_scores, "f1", beta=1.0, shrinkage=shrinkage
                    ).thresholds
                else:
                    thresholds = prevalence_anchor_thresholds(
                        Y_tune, tuning_scores, shrinkage
                    )
                scores = f1_scores(Y_test, proba >= thresholds)
                per_fold[anchor, shrinkage].append(
                    (scores["micro_f1"], scores["macro_f1"])
                )
    return {key: np.array(v) for key, v in per_fold.items()}


def paired_rows(results):
    """Fold-by-fold differences of the alternative from the default.

    Parameters
    ----------
    results : dict
        Per dataset, ``shrinkage_scores``' output.

    Returns
    -------
    rows : list of dict
    """
    rows = []
    for dataset, scores in results.items():
        differences = scores[ALTERNATIVE] - scores[DEFAULT]
        for column, metric in enumerate(("micro-F1", "macro-F1")):
            d = differences[:, column]
            rows.append(
                {
                    "dataset": dataset,
                    "metric": metric,
                    "mean difference": d.mean(),
                    "t": d.mean() / d.std(ddof=1) * np.sqrt(len(d)),
                    "folds ahead": f"{int((d > 0).sum())} / {len(d)}",
                }
            )
    return rows


def main():
    """Print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    results = {dataset: shrinkage_scores(dataset, args.repeats) for dataset in LOADERS}
    keys = list(results[next(iter(LOADERS))])
    means = {d: {key: results[d][key].mean(axis=0) for key in keys} for d in LOADERS}
    columns = np.array(
        [[means[d][key][m] for key in keys] for d in LOADERS for m in (0, 1)]
    )
    ranks = np.mean([rankdata(-column) for column in columns], axis=0)
    rows = []
    for (anchor, shrinkage), rank in sorted(
        zip(keys, ranks, strict=True), key=lambda kr: kr[1]
    ):
        row = {
            "rank": rank,
            "anchor": anchor,
            "shrinkage": "anchor alone" if shrinkage >= 1e9 else shrinkage,
        }
        for dataset in LOADERS:
            micro, macro = means[dataset][anchor, shrinkage]
            row[dataset] = f"{micro:.4f} / {macro:.4f}"
        rows.append(row)
    bars = " ".join(
        f"{d} {ISSUE_BARS[d]['micro_f1']:.3f} / {ISSUE_BARS[d]['macro_f1']:.3f};"
        for d in LOADERS
    )
    table = markdown_table(rows, list(rows[0]), {"rank": ".2f"})
    paired = paired_rows(results)
    paired_table = markdown_table(
        paired, list(paired[0]), {"mean difference": "+.4f", "t": "+.2f"}
    )
    text = (
        "# threshold_shrinkage and its anchor under the defaults (train-split CV)\n\n"
        f"Generated by `python benchmarks/cv_shrinkage.py --repeats {args.repeats}`."
        " Held-out micro / macro-F1, mean over folds. Issue bars (test splits): "
        f"{bars}\n\n{table}\n\n"
        f"## {ALTERNATIVE[0]}, {ALTERNATIVE[1]:g} against the default "
        f"({DEFAULT[0]}, {DEFAULT[1]:g}), fold by fold\n\n{paired_table}"
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cv_shrinkage.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
