"""Compare MultiLabelNNClassifier with scikit-learn baselines on a dataset.

Run ``python -m sklearn_multilabel.compare yeast`` to fit every model on the
bundled training split and print test-set scores.
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, hamming_loss
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_multilabel._classifier import MultiLabelNNClassifier
from sklearn_multilabel.datasets import load_emotions, load_scene, load_yeast

LOADERS = {"yeast": load_yeast, "scene": load_scene, "emotions": load_emotions}


def default_models(random_state=0):
    """Return the default models to compare, each scaling its features.

    Parameters
    ----------
    random_state : int, default=0
        Seed given to every model that has one.

    Returns
    -------
    models : dict of str to estimator
    """
    return {
        "MultiLabelNNClassifier": MultiLabelNNClassifier(random_state=random_state),
        "OneVsRest(LogisticRegression)": OneVsRestClassifier(
            LogisticRegression(max_iter=1000)
        ),
        "MLPClassifier": MLPClassifier(
            early_stopping=True, max_iter=500, random_state=random_state
        ),
    }


def compare(dataset="yeast", models=None):
    """Fit each model on the training split and score it on the test split.

    Parameters
    ----------
    dataset : {"yeast", "scene", "emotions"}, default="yeast"
        Name of a bundled dataset.
    models : dict of str to estimator, default=None
        Models to compare; None uses :func:`default_models`. Each is wrapped
        in a pipeline after a ``StandardScaler``.

    Returns
    -------
    rows : list of dict
        One row per model: micro, macro and samples F1, Hamming loss, fit and
        predict seconds.
    """
    data = LOADERS[dataset]()
    rows = []
    for name, model in (models or default_models()).items():
        pipeline = make_pipeline(StandardScaler(), model)
        start = time.perf_counter()
        pipeline.fit(data.X_train, data.Y_train)
        fitted = time.perf_counter()
        predicted = pipeline.predict(data.X_test)
        done = time.perf_counter()
        rows.append(
            {
                "model": name,
                "micro_f1": f1_score(data.Y_test, predicted, average="micro"),
                "macro_f1": f1_score(
                    data.Y_test, predicted, average="macro", zero_division=0
                ),
                "samples_f1": f1_score(
                    data.Y_test, predicted, average="samples", zero_division=0
                ),
                "hamming_loss": hamming_loss(data.Y_test, predicted),
                "fit_s": fitted - start,
                "predict_s": done - fitted,
            }
        )
    return rows


def format_table(rows):
    """Format comparison rows as a fixed-width text table.

    Parameters
    ----------
    rows : list of dict
        As returned by :func:`compare`.

    Returns
    -------
    table : str
    """
    columns = [key for key in rows[0] if key != "model"]
    width = max(len(row["model"]) for row in rows)
    lines = [f"{'model':<{width}}  " + "  ".join(f"{c:>12}" for c in columns)]
    for row in rows:
        values = "  ".join(f"{row[c]:>12.4f}" for c in columns)
        lines.append(f"{row['model']:<{width}}  {values}")
    return "\n".join(lines)


def main(argv=None):
    """Command-line entry point: print the comparison table.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; None reads ``sys.argv``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", default="yeast", choices=sorted(LOADERS))
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    rows = compare(args.dataset, default_models(args.random_state))
    print(f"Test-set scores on {args.dataset} (models fitted on the training split)")
    print(format_table(rows))
    best = max(rows, key=lambda row: row["micro_f1"])
    print(f"Best micro-F1: {best['model']} ({np.round(best['micro_f1'], 4)})")


if __name__ == "__main__":
    main()
