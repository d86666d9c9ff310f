"""How ``threshold_shrinkage`` trades micro-F1 for macro-F1 under the defaults.

Per-label F1 thresholds (shrinkage 0) favour macro-F1; shrinking every
label's threshold towards one shared cut favours micro-F1. This script
measures that trade-off on the TRAINING splits only, with the folds of
``search_ensemble.py`` (3-fold ``MultilabelStratifiedKFold``, network seed =
fold index): one default fit per fold, then the thresholds re-tuned on the
same out-of-fold scores for each shrinkage, and the held-out fold scored.
Nothing is chosen; the question is whether some shrinkage would lift yeast's
macro-F1 to issue 4's bar without dropping micro-F1 below its own (the bars
are test-split figures; on yeast the default's CV and test scores agree to
0.005).

Usage::

    python benchmarks/cv_shrinkage.py      # ~1.5 min on 2 cores
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _bars import ISSUE_BARS, f1_scores  # noqa: E402
from _tables import markdown_table  # noqa: E402
from search_ensemble import LOADERS, RESULTS, cv_folds  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_multilabel import MultiLabelNNClassifier  # noqa: E402
from sklearn_multilabel._threshold_step import search_thresholds  # noqa: E402

# 20 is the default; a huge value is one threshold shared by every label.
SHRINKAGES = (0.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1e9)


class TuningRowsClassifier(MultiLabelNNClassifier):
    """The default estimator, keeping the rows its thresholds were tuned on."""

    def _search(self, Y_tune, scores, strategy):
        self.tuning_rows_ = (np.asarray(Y_tune), np.asarray(scores))
        return super()._search(Y_tune, scores, strategy)


def shrinkage_scores(dataset):
    """Return mean held-out (micro, macro) F1 per shrinkage for one dataset.

    Parameters
    ----------
    dataset : str

    Returns
    -------
    scores : dict
        Shrinkage to ``(micro_f1, macro_f1)``.
    """
    per_fold = {shrinkage: [] for shrinkage in SHRINKAGES}
    for fold, (X_fit, Y_fit, X_test, Y_test) in enumerate(cv_folds(dataset)):
        model = make_pipeline(
            StandardScaler(), TuningRowsClassifier(random_state=fold)
        ).fit(X_fit, Y_fit)
        proba = model.predict_proba(X_test)
        Y_tune, tuning_scores = model[-1].tuning_rows_
        for shrinkage in SHRINKAGES:
            thresholds = search_thresholds(
                Y_tune, tuning_scores, "f1", beta=1.0, shrinkage=shrinkage
            ).thresholds
            scores = f1_scores(Y_test, proba >= thresholds)
            per_fold[shrinkage].append((scores["micro_f1"], scores["macro_f1"]))
    return {s: tuple(np.mean(v, axis=0)) for s, v in per_fold.items()}


def main():
    """Print and write the table."""
    rows = []
    for dataset in LOADERS:
        bars = ISSUE_BARS[dataset]
        for shrinkage, (micro, macro) in shrinkage_scores(dataset).items():
            rows.append(
                {
                    "dataset": dataset,
                    "shrinkage": "one shared cut" if shrinkage >= 1e9 else shrinkage,
                    "CV micro-F1": micro,
                    "CV macro-F1": macro,
                    "issue bars (test splits)": (
                        f"{bars['micro_f1']:.3f} / {bars['macro_f1']:.3f}"
                    ),
                }
            )
    table = markdown_table(
        rows,
        list(rows[0]),
        {"CV micro-F1": ".4f", "CV macro-F1": ".4f"},
    )
    text = "# threshold_shrinkage under the defaults (train-split CV)\n\n" + table
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cv_shrinkage.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
