"""Compare MultiLabelNNClassifier with scikit-learn baselines on a dataset.

Every model is fitted after the same ``StandardScaler`` on the training rows
and scored on the test rows (or cross-validated with per-label stratified
folds). ``python -m sklearn_multilabel.compare yeast`` prints the table and
writes it, as CSV and markdown, with a bar chart, to ``compare_results/yeast``.

Examples
--------
Command line::

    python -m sklearn_multilabel.compare yeast
    python -m sklearn_multilabel.compare scene --tune
    python -m sklearn_multilabel.compare emotions --cv 5 --models MLPClassifier
    python -m sklearn_multilabel.compare data.npz --out results/
    python -m sklearn_multilabel.compare data.csv --label-prefix tag_ --cv 5
    python -m sklearn_multilabel.compare openml:yeast
"""

import argparse
import os
import shlex
import sys
import time
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from iterstrat.ml_stratifiers import (
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
)
from sklearn.base import clone
from sklearn.utils import Bunch

from sklearn_multilabel.compare._data import BUNDLED, load_dataset
from sklearn_multilabel.compare._models import (
    DEFAULT_MODEL_NAMES,
    _default_models,
    default_models,
    prepare,
)
from sklearn_multilabel.compare._progress import Progress
from sklearn_multilabel.compare._report import ComparisonResult, score_predictions
from sklearn_multilabel.thresholds._cross_fitting import (
    positive_scores,
    response_method,
)

__all__ = [
    "ComparisonResult",
    "compare",
    "default_models",
    "evaluation_splits",
    "load_dataset",
    "main",
]

# Share of the rows held out for testing when a dataset comes without a split.
HOLDOUT_FRACTION = 0.25


def compare(
    dataset,
    models=None,
    *,
    cv=None,
    tune_thresholds=False,
    random_state=0,
    progress=True,
):
    """Fit each model on training rows and score it on test rows.

    Parameters
    ----------
    dataset : str, path-like or Bunch
        A bundled name ("yeast", "scene", "emotions"), an ``.npz`` or CSV
        path, or an OpenML name or id, as read by :func:`load_dataset`; or the
        Bunch it returns (needed to name the label columns of a CSV file).
    models : dict of str to estimator, default=None
        Models by display name; None compares :func:`default_models`. Each
        is cloned and put after a ``StandardScaler`` (without centring for
        sparse features).
    cv : int or cross-validation splitter, default=None
        None fits on the dataset's training split and scores on its test
        split (a dataset without a split gets a per-label stratified
        hold-out of 25 % of its rows). An int cross-validates on all rows with
        that many folds of ``MultilabelStratifiedKFold``.
    tune_thresholds : bool, default=False
        Wrap each model in ``MultiLabelThresholdTuner`` (per-label "f1"
        thresholds tuned on 5-fold out-of-fold scores of the training rows,
        as ``MultiLabelNNClassifier`` tunes its own), except models that
        already tune theirs: the fair comparison for learned thresholds.
    random_state : int, default=0
        Seed of the default models, the folds and the tuner.
    progress : bool, default=True
        Show progress over models and folds on stderr (with tqdm when it is
        installed).

    Returns
    -------
    result : ComparisonResult
        Scores of every model and fold; ``print(result)`` shows the table,
        ``result.save(out_dir)`` writes CSV, markdown and PNG files.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from sklearn_multilabel.compare import compare
    >>> result = compare(
    ...     "emotions", {"OvR": OneVsRestClassifier(LogisticRegression())},
    ...     progress=False)
    >>> [row["model"] for row in result.rows]
    ['OvR']
    """
    data = dataset if isinstance(dataset, Bunch) else load_dataset(dataset)
    notes = {}
    if models is None:
        models, notes = _default_models(random_state)
    splits, evaluation = evaluation_splits(data, cv, random_state)
    if tune_thresholds:
        evaluation += "; baselines wrapped in MultiLabelThresholdTuner"
    sparse = sp.issparse(data.X)
    folds = []
    with Progress(len(models) * len(splits), enabled=progress) as bar:
        for name, model in models.items():
            estimator = prepare(
                model, sparse=sparse, tune=tune_thresholds, random_state=random_state
            )
            try:
                for k, (train, test) in enumerate(splits):
                    bar.start(f"{name}, fold {k + 1}/{len(splits)}")
                    scores = _fit_and_score(estimator, data.X, data.Y, train, test)
                    folds.append({"model": name, "fold": k, **scores})
                    bar.finish()
            # One failing model must not end a long run: it is reported instead.
            except Exception as error:
                folds = [fold for fold in folds if fold["model"] != name]
                notes[name] = f"failed: {type(error).__name__}: {error}"
                bar.finish(failed=True)
                warnings.warn(f"{name} {notes[name]}", RuntimeWarning, stacklevel=2)
    return ComparisonResult(
        dataset=data.name, evaluation=evaluation, folds=folds, notes=notes
    )


def evaluation_splits(data, cv, random_state):
    """Train and test rows of each evaluation, and how they were chosen.

    Parameters
    ----------
    data : Bunch
        As returned by :func:`load_dataset`.
    cv : int, cross-validation splitter or None
    random_state : int

    Returns
    -------
    splits : list of (ndarray, ndarray)
        Train and test row indices.
    evaluation : str
        Description of the splits, for table captions.
    """
    n_samples = data.Y.shape[0]
    placeholder = np.zeros((n_samples, 1))
    if cv is not None:
        if isinstance(cv, Integral):
            if cv < 2:
                raise ValueError(
                    f"cv must be an int of at least 2, a splitter or None; got {cv}."
                )
            cv = MultilabelStratifiedKFold(
                n_splits=cv, shuffle=True, random_state=random_state
            )
        splits = list(cv.split(placeholder, data.Y))
        return splits, (
            f"{len(splits)}-fold cross-validation stratified per label, "
            f"on all {n_samples} rows"
        )
    if data.test_start is not None:
        train = np.arange(data.test_start)
        test = np.arange(data.test_start, n_samples)
        description = "standard train/test split"
    else:
        holdout = MultilabelStratifiedShuffleSplit(
            n_splits=1, test_size=HOLDOUT_FRACTION, random_state=random_state
        )
        train, test = next(holdout.split(placeholder, data.Y))
        description = "hold-out split stratified per label"
    return [(train, test)], (
        f"{description} ({train.size} train / {test.size} test rows)"
    )


def _fit_and_score(estimator, X, Y, train, test):
    """Fit a clone on the training rows and score it on the test rows.

    Parameters
    ----------
    estimator : estimator instance
    X : ndarray or sparse matrix
    Y : ndarray
    train, test : ndarray of int

    Returns
    -------
    scores : dict of str to float
        The metrics of ``score_predictions`` with ``fit_s`` and ``predict_s``.
    """
    model = clone(estimator)
    X_test, Y_test = X[test], Y[test]
    start = time.perf_counter()
    model.fit(X[train], Y[train])
    fitted = time.perf_counter()
    Y_pred = model.predict(X_test)
    predicted = time.perf_counter()
    Y_pred = Y_pred.toarray() if sp.issparse(Y_pred) else np.asarray(Y_pred)
    scores = score_predictions(Y_test, Y_pred, _label_scores(model, X_test))
    return {**scores, "fit_s": fitted - start, "predict_s": predicted - fitted}


def _label_scores(model, X):
    """Per-label scores of a fitted model, one column per label.

    Parameters
    ----------
    model : fitted estimator
    X : array-like

    Returns
    -------
    scores : ndarray of shape (n_samples, n_labels) or None
        ``predict_proba`` (else ``decision_function``) whatever its format,
        e.g. ``MultiOutputClassifier``'s list of (n_samples, 2) arrays; None
        when the model has neither.
    """
    try:
        method = response_method(model)
    except AttributeError:
        return None
    raw = getattr(model, method)(X)
    return positive_scores(raw, binary=False, classes=getattr(model, "classes_", None))


def _parser():
    """Command-line parser of ``python -m sklearn_multilabel.compare``.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_multilabel.compare",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "dataset",
        nargs="?",
        default="yeast",
        help=f"bundled name ({', '.join(BUNDLED)}), .npz or .csv path, or "
        "OpenML name or id (openml:NAME, openml:ID); default: yeast",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        metavar="NAME",
        help="default models to run, by name: "
        + ", ".join(DEFAULT_MODEL_NAMES)
        + " (case-insensitive); default: all",
    )
    parser.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="cross-validate with K folds stratified per label on all rows "
        "instead of scoring the test split",
    )
    parser.add_argument(
        "--tune",
        action="store_true",
        help="wrap each baseline in MultiLabelThresholdTuner (per-label thresholds)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder; default: compare_results/<dataset>[-tuned][-cvK]",
    )
    parser.add_argument(
        "--labels", help="CSV/OpenML: comma-separated names of the label columns"
    )
    parser.add_argument(
        "--label-prefix", help="CSV: every column whose name starts with it is a label"
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--no-progress", action="store_true", help="do not show progress on stderr"
    )
    return parser


def _select_models(names, random_state, parser):
    """Default models restricted to the given names, case-insensitively.

    Parameters
    ----------
    names : list of str or None
    random_state : int
    parser : argparse.ArgumentParser
        Reports unknown names.

    Returns
    -------
    models : dict of str to estimator or None
        None for every default model.
    """
    if names is None:
        return None
    by_key = {name.lower(): name for name in DEFAULT_MODEL_NAMES}
    unknown = [name for name in names if name.lower() not in by_key]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {list(by_key.values())}")
    models, skipped = _default_models(
        random_state, [by_key[name.lower()] for name in names]
    )
    for name, reason in skipped.items():
        parser.error(f"{name} cannot run: {reason}")
    return models


def main(argv=None):
    """Command-line entry point: run the comparison, print and write the table.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; None reads ``sys.argv``.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    # TensorFlow is loaded by the first fit; keep its start-up chatter short.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    labels = args.labels.split(",") if args.labels else None
    try:
        data = load_dataset(args.dataset, labels=labels, label_prefix=args.label_prefix)
    except (OSError, ValueError) as error:
        parser.error(str(error))
    models = _select_models(args.models, args.random_state, parser)
    result = compare(
        data,
        models,
        cv=args.cv,
        tune_thresholds=args.tune,
        random_state=args.random_state,
        progress=not args.no_progress,
    )
    if not result.folds:
        reasons = "".join(f"{name}: {note}\n" for name, note in result.notes.items())
        parser.exit(1, f"No model could be fitted.\n{reasons}")
    print(result)
    best = result.best("micro_f1")
    print(f"Best micro F1: {best['model']} ({best['micro_f1']:.4f})")
    suffix = ("-tuned" if args.tune else "") + (f"-cv{args.cv}" if args.cv else "")
    out = args.out or Path("compare_results") / f"{data.name}{suffix}"
    command = shlex.join(
        ["python", "-m", "sklearn_multilabel.compare", *(argv or sys.argv[1:])]
    )
    for path in result.save(out, command=command):
        print(f"Wrote {path}")
