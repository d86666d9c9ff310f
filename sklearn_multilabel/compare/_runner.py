"""The comparison runner: fit every model on the same rows, score it on others.

Every model is fitted after the same ``StandardScaler`` on the training rows
and scored on the test rows (or cross-validated with per-label stratified
folds); the command line around it is in ``_cli.py``.
"""

import time
import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from iterstrat.ml_stratifiers import (
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
)
from sklearn.base import clone
from sklearn.utils import Bunch

from sklearn_multilabel.compare._data import load_dataset
from sklearn_multilabel.compare._models import build_default_models, prepare
from sklearn_multilabel.compare._progress import Progress
from sklearn_multilabel.compare._report import ComparisonResult, score_predictions
from sklearn_multilabel.thresholds._cross_fitting import (
    positive_scores,
    response_method,
)

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
        models, notes = build_default_models(random_state)
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
    """Fit a clone on the training rows; its test scores, fit and predict seconds."""
    model = clone(estimator)
    X_test, Y_test = X[test], Y[test]
    start = time.perf_counter()
    model.fit(X[train], Y[train])
    fitted = time.perf_counter()
    Y_pred = model.predict(X_test)
    predicted = time.perf_counter()
    Y_pred = Y_pred.toarray() if sp.issparse(Y_pred) else np.asarray(Y_pred)
    scores = score_predictions(Y_test, Y_pred, _ranking_scores(model, X_test))
    return {**scores, "fit_s": fitted - start, "predict_s": predicted - fitted}


def _ranking_scores(model, X):
    """A fitted model's scores as one column per label, None if it has none.

    ``predict_proba`` (else ``decision_function``), whatever its format, e.g.
    ``MultiOutputClassifier``'s list of (n_samples, 2) arrays.
    """
    try:
        method = response_method(model)
    except AttributeError:
        return None
    raw = getattr(model, method)(X)
    return positive_scores(raw, binary=False, classes=getattr(model, "classes_", None))
