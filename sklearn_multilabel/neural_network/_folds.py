"""The fold loop of ``fit``: one network, a fold ensemble, or folds then a refit.

``plan_networks`` turns ``threshold_cv`` and ``ensemble`` into the list of
networks to train, each with its rows and seeds; ``fit_networks`` trains them
in one loop, scoring the rows each one held out and keeping those that
predict.
"""

import dataclasses
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from sklearn_multilabel.neural_network._backend import limit_tensorflow_threads
from sklearn_multilabel.neural_network._binning import (
    EncodedForward,
    PiecewiseLinearBins,
    quantile_edges,
)
from sklearn_multilabel.neural_network._class_weight import positive_weights
from sklearn_multilabel.neural_network._inference import (
    CompiledForward,
    batched_logits,
    output_dtype,
    sigmoid,
)
from sklearn_multilabel.neural_network._parameters import (
    build_network,
    resolve_n_bins,
    training_objective,
    training_schedule,
)
from sklearn_multilabel.neural_network._prediction import inference_function
from sklearn_multilabel.neural_network._splitting import validation_split
from sklearn_multilabel.neural_network.training import collect_if_large, train
from sklearn_multilabel.thresholds._cross_fitting import fold_splits


class RunSeeds(NamedTuple):
    """Seeds of one fit, drawn in this order from its ``random_state``."""

    split: int
    network: int
    shuffle: int
    folds: int

    @classmethod
    def draw(cls, rng):
        """Draw the four seeds from a ``RandomState``."""
        return cls(*(int(seed) for seed in rng.randint(0, 2**30, size=4)))


class PlannedNetwork(NamedTuple):
    """One network of the loop: the rows it trains, stops and is scored on.

    Rows are indices into the fit's rows (None: all of them for training,
    none for stopping or scoring); ``kept`` networks make up ``model_``.
    """

    train_rows: np.ndarray | None
    stop_rows: np.ndarray | None
    score_rows: np.ndarray | None
    network_seed: int
    shuffle_seed: int
    bins: PiecewiseLinearBins | None
    kept: bool


class FoldPlan(NamedTuple):
    """The networks one fit trains, and the precision of their held-out scores."""

    networks: list
    scores_dtype: type


class FittedNetworks(NamedTuple):
    """What the loop returns: the predicting network and the tuning material."""

    model: object
    forward: object
    histories: list
    scores: np.ndarray | None
    labels: np.ndarray | None


def plan_networks(estimator, X, Y, sample_weight, bins, *, tuned):
    """Decide, once, which networks ``estimator``'s fit trains on which rows.

    ``tuned`` says whether thresholds are tuned on held-out scores. Seeds are
    drawn from ``estimator.random_state`` in the order fits have always drawn
    them, so that equal parameters train equal networks.
    """
    cv = estimator.threshold_cv
    if cv is not None and cv > X.shape[0]:
        raise ValueError(
            f"threshold_cv={cv} splits the rows into {cv} folds but X has only "
            f"{X.shape[0]} rows: pass threshold_cv=None (one network, thresholds "
            f"tuned on its validation rows) or at most {X.shape[0]} folds."
        )
    rng = check_random_state(estimator.random_state)
    seeds = RunSeeds.draw(rng)
    if cv is None:
        return FoldPlan(
            [_single_network(estimator, Y, seeds, bins, tuned=tuned)], output_dtype(X)
        )
    labels = _dense_labels(Y)
    folds = fold_splits(labels, cv, seeds.folds)
    if estimator.ensemble:
        network_seeds = rng.randint(0, 2**30, size=(cv, 2))
        return FoldPlan(
            [
                PlannedNetwork(
                    train_rows=train_rows,
                    stop_rows=test_rows if estimator.early_stopping else None,
                    score_rows=test_rows if tuned else None,
                    network_seed=int(network_seed),
                    shuffle_seed=int(shuffle_seed),
                    bins=bins,
                    kept=True,
                )
                for (train_rows, test_rows), (network_seed, shuffle_seed) in zip(
                    folds, network_seeds, strict=True
                )
            ],
            output_dtype(X),
        )
    refit = _single_network(estimator, Y, seeds, bins, tuned=False)
    if not tuned:
        return FoldPlan([refit], np.float64)
    scoring = [
        _fold_network(estimator, X, labels, sample_weight, train_rows, test_rows)
        for train_rows, test_rows in folds
    ]
    # Refit folds have always kept their scores in float64, whatever X's dtype.
    return FoldPlan([*scoring, refit], np.float64)


def _single_network(estimator, Y, seeds, bins, *, tuned):
    """Plan one network on all rows, minus those held out for stopping or tuning."""
    tunes_on_validation = tuned and estimator.threshold_cv is None
    if not (estimator.early_stopping or tunes_on_validation):
        train_rows = validation_rows = None
    else:
        train_rows, validation_rows = validation_split(
            Y, estimator.validation_fraction, seeds.split
        )
    return PlannedNetwork(
        train_rows=train_rows,
        stop_rows=validation_rows if estimator.early_stopping else None,
        score_rows=validation_rows if tunes_on_validation else None,
        network_seed=seeds.network,
        shuffle_seed=seeds.shuffle,
        bins=bins,
        kept=True,
    )


def _fold_network(estimator, X, labels, sample_weight, train_rows, test_rows):
    """Plan a refit fold's network, trained as a fit on the fold's rows would be.

    Its seeds are drawn afresh from ``random_state``: an int gives every fold
    the run's own seeds, a ``RandomState`` its next ones.
    """
    fold = RunSeeds.draw(check_random_state(estimator.random_state))
    fold_weight = None if sample_weight is None else sample_weight[train_rows]
    n_bins = resolve_n_bins(
        estimator.n_bins, estimator.build_network, sp.issparse(X), X.shape[1]
    )
    edges = quantile_edges(X[train_rows], n_bins, fold_weight) if n_bins else None
    stop_rows = None
    if estimator.early_stopping:
        inner_train, inner_stop = validation_split(
            labels[train_rows], estimator.validation_fraction, fold.split
        )
        train_rows, stop_rows = train_rows[inner_train], train_rows[inner_stop]
    return PlannedNetwork(
        train_rows=train_rows,
        stop_rows=stop_rows,
        score_rows=test_rows,
        network_seed=fold.network,
        shuffle_seed=fold.shuffle,
        bins=None if edges is None else PiecewiseLinearBins(edges),
        kept=False,
    )


def fit_networks(estimator, data, plan, *, classes, binary, warm_model=None):
    """Train the planned networks of ``estimator`` on ``data = (X, Y, sample_weight)``.

    Each network's held-out rows are scored with its probabilities; the
    kept networks are returned as one (their logits averaged). A plan of one
    network may continue training ``warm_model`` instead of a new network.
    One ``ConvergenceWarning`` names the networks that ran ``max_iter``
    epochs without stopping early.
    """
    from sklearn_multilabel.neural_network._network import NetworkAverage, dense_stack

    limit_tensorflow_threads()
    X = data[0]
    n_kept = sum(planned.kept for planned in plan.networks)
    average = NetworkAverage(n_kept) if n_kept > 1 else None
    kept, histories, scores, scored = None, [], None, np.zeros(X.shape[0], bool)
    unstopped = []
    for position, planned in enumerate(plan.networks):
        title = _network_title(plan, position)
        model, history = _train_or_stop(
            estimator, data, plan, position, classes, binary, title, warm_model
        )
        if not history.stopped:
            unstopped.append(title)
        layers = dense_stack(model) if estimator.build_network is None else None
        forward = None
        if planned.score_rows is not None:
            forward = inference_function(
                estimator.build_network is not None,
                model,
                X.shape[1],
                layers,
                planned.bins,
            )
            if scores is None:
                scores = np.empty((X.shape[0], data[1].shape[1]), plan.scores_dtype)
            rows = planned.score_rows
            scores[rows] = batched_logits(forward, X[rows], link=sigmoid)
            scored[rows] = True
        if planned.kept:
            histories.append(history)
            if average is None:
                kept = (model, layers, forward)
            else:
                # The merge copies what it needs; the fold network may go now.
                average.add(model, layers)
        n_parameters = model.count_params()
        del model, layers, forward
        collect_if_large(n_parameters)
    model, layers, forward = kept or (average.model(), average.layers, None)
    if forward is None:
        forward = inference_function(
            estimator.build_network is not None,
            model,
            X.shape[1],
            layers,
            plan.networks[-1].bins,
        )
    labels = None
    if scores is not None:
        scores, labels = scores[scored], _dense_labels(data[1])[scored]
    if unstopped:
        warnings.warn(
            f"{len(unstopped)} of the {len(plan.networks)} networks "
            f"({'; '.join(unstopped)}) ran max_iter={estimator.max_iter} epochs "
            "without early stopping ending their training: they may not have "
            "converged. Raise max_iter (or warm_start=True and fit again).",
            ConvergenceWarning,
            stacklevel=4,
        )
    return FittedNetworks(model, forward, histories, scores, labels)


def _train_or_stop(estimator, data, plan, position, classes, binary, title, warm_model):
    """Train network ``position`` of ``plan``; Ctrl-C in one of several stops the fit.

    A lone network keeps its best weights on Ctrl-C (the training loop's
    rule); one of several re-raises, with a warning, so no later one trains.
    """
    n_networks = len(plan.networks)
    try:
        return train_network(
            estimator,
            data,
            plan.networks[position],
            classes,
            binary,
            title=title,
            model=warm_model,
            keep_best_on_interrupt=n_networks == 1,
        )
    except KeyboardInterrupt:
        if n_networks > 1:
            warnings.warn(
                f"Fit interrupted while training network {position + 1} of "
                f"{n_networks}: the whole fit stops and the estimator is left "
                "unfitted (its previous fit, if any, is dropped).",
                UserWarning,
                stacklevel=4,
            )
        raise


def _network_title(plan, index):
    """Name network ``index`` of ``plan`` for the progress output and warnings."""
    networks = plan.networks
    n_kept = sum(planned.kept for planned in networks)
    title = f"Network {index + 1}/{len(networks)}"
    if len(networks) == 1:
        return title
    if not networks[index].kept:
        return f"{title} (fold {index + 1} of {len(networks) - 1}, for the thresholds)"
    if n_kept == 1:
        return f"{title} (refit on all rows)"
    return f"{title} (fold {index + 1} of {len(networks)})"


def train_network(
    estimator,
    data,
    planned,
    classes,
    binary,
    *,
    title=None,
    model=None,
    keep_best_on_interrupt=True,
):
    """Build the planned network (or take ``model``) and train it on ``data``'s rows.

    ``title`` names the network in the progress output; ``keep_best_on_interrupt``
    is the training loop's Ctrl-C rule.
    """
    from sklearn_multilabel.neural_network._network import takes_sparse_input

    train_part = tuple(_rows(part, planned.train_rows) for part in data)
    stop_part = None
    if planned.stop_rows is not None:
        stop_part = tuple(_rows(part, planned.stop_rows) for part in data)
    if stop_part is not None and stop_part[2] is not None:
        _check_stopping_weight(stop_part[2])
    X, Y, _ = train_part
    bins, sparse = planned.bins, sp.issparse(X)
    n_inputs = X.shape[1] if bins is None else bins.n_outputs
    if model is None:
        model = build_network(
            estimator,
            (X.shape[0], n_inputs),
            Y.shape[1],
            planned.network_seed,
            sparse=sparse,
        )
    forward = CompiledForward(model, n_inputs, sparse=takes_sparse_input(model))
    schedule = training_schedule(
        estimator, X.shape[0], planned.shuffle_seed, sparse=sparse
    )
    history = train(
        model,
        forward if bins is None else EncodedForward(bins, forward),
        train_part,
        dataclasses.replace(schedule, keep_best_on_interrupt=keep_best_on_interrupt),
        training_objective(
            estimator, positive_weights(estimator.class_weight, Y, classes, binary)
        ),
        validation=stop_part,
        bins=bins,
        title=title,
    )
    return model, history


def _check_stopping_weight(sample_weight):
    """Refuse early-stopping rows that all weigh 0: their loss would be 0 always."""
    if not sample_weight.any():
        raise ValueError(
            f"The {len(sample_weight)} rows held out for early stopping (the "
            "validation split, or a network's fold) all have sample_weight 0: "
            "their loss would be 0 at every epoch, and early stopping would keep "
            "the first epoch's weights. Give weight to more rows, or set "
            "early_stopping=False."
        )


def _rows(part, rows):
    """Index rows of an array, a sparse matrix or None; all rows for None."""
    return part if part is None or rows is None else part[rows]


def _dense_labels(Y):
    """Return the 0/1 target as a dense uint8 array."""
    return (Y.toarray() if sp.issparse(Y) else np.asarray(Y)).astype(np.uint8)
