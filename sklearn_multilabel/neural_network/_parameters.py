"""The estimator's parameters: their constraints, and what they resolve to in a fit."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from sklearn_multilabel.neural_network._binning import auto_n_bins
from sklearn_multilabel.neural_network._input_noise import AUTO_INPUT_NOISE
from sklearn_multilabel.neural_network._losses import LOSSES
from sklearn_multilabel.neural_network.training import (
    TrainingSchedule,
    make_objective,
)
from sklearn_multilabel.thresholds._search import STRATEGIES

PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": [
        "array-like",
        Interval(Integral, 1, None, closed="left"),
    ],
    "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "batch_norm": ["boolean"],
    "input_noise": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
    "n_bins": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
    ],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "loss": [StrOptions(set(LOSSES))],
    "gamma": [Interval(Real, 0, None, closed="left")],
    "focal_alpha": [Interval(Real, 0, 1, closed="both"), None],
    "gamma_pos": [Interval(Real, 0, None, closed="left")],
    "gamma_neg": [Interval(Real, 0, None, closed="left")],
    "clip": [Interval(Real, 0, 1, closed="left")],
    "class_weight": [StrOptions({"balanced"}), dict, "array-like", None],
    "threshold": [
        StrOptions(set(STRATEGIES)),
        callable,
        Interval(Real, 0, 1, closed="both"),
        "array-like",
    ],
    "beta": [Interval(Real, 0, None, closed="neither")],
    "threshold_shrinkage": [Interval(Real, 0, None, closed="left")],
    "threshold_cv": [Interval(Integral, 2, None, closed="left"), None],
    "ensemble": ["boolean"],
    "min_labels": [Interval(Integral, 0, None, closed="left")],
    "max_labels": [Interval(Integral, 1, None, closed="left"), None],
    "build_network": [callable, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
}


def resolve_input_noise(input_noise, sparse):
    """Return the noise scale ``input_noise`` means for dense or sparse rows."""
    if input_noise == "auto":
        return 0.0 if sparse else AUTO_INPUT_NOISE
    if sparse and input_noise > 0:
        raise ValueError(
            f"input_noise={input_noise} adds noise to every feature, "
            "which would make sparse rows dense. Pass input_noise=0 or "
            "'auto' (no noise for sparse X), or densify X yourself."
        )
    return float(input_noise)


def resolve_n_bins(n_bins, build_network, sparse, n_features):
    """Return the number of feature bins ``n_bins`` means for these rows."""
    if n_bins == "auto":
        if sparse or build_network is not None:
            return 0
        return auto_n_bins(n_features)
    if n_bins > 0 and sparse:
        raise ValueError(
            f"n_bins={n_bins} encodes every feature of every row, which "
            "would make sparse rows dense. Pass n_bins=0 or 'auto' (no bins "
            "for sparse X), or densify X yourself."
        )
    if n_bins > 0 and build_network is not None:
        raise ValueError(
            f"n_bins={n_bins} encodes the inputs of the default network; "
            "a custom build_network gets the features as they are. Pass "
            "n_bins=0 or 'auto', or encode the features in your network."
        )
    return int(n_bins)


def training_schedule(estimator, n_samples, shuffle_seed, *, sparse):
    """Collect the training-loop parameters of ``estimator`` for ``n_samples`` rows."""
    batch_size = estimator.batch_size
    if batch_size == "auto":
        batch_size = int(np.clip(2 ** round(np.log2(max(n_samples, 1) / 100)), 32, 512))
    return TrainingSchedule(
        learning_rate=estimator.learning_rate,
        batch_size=min(batch_size, n_samples),
        max_iter=estimator.max_iter,
        n_iter_no_change=estimator.n_iter_no_change,
        tol=estimator.tol,
        shuffle_seed=shuffle_seed,
        verbose=estimator.verbose,
        input_noise=resolve_input_noise(estimator.input_noise, sparse),
    )


def training_objective(estimator, pos_weight):
    """Return the loss ``estimator`` trains on, weighted by ``pos_weight``."""
    return make_objective(
        estimator.loss,
        pos_weight=pos_weight,
        gamma=estimator.gamma,
        alpha=estimator.focal_alpha,
        gamma_pos=estimator.gamma_pos,
        gamma_neg=estimator.gamma_neg,
        clip=estimator.clip,
    )


def build_network(estimator, X_shape, n_labels, seed, *, sparse=False):
    """Build the default or the user's network for training rows of ``X_shape``.

    ``sparse`` says whether the rows are sparse: the default network then
    takes sparse batches where the backend can (TensorFlow).
    """
    from sklearn_multilabel.neural_network._network import (
        build_custom_network,
        build_default_network,
    )

    meta = {"n_features_in": X_shape[1], "n_labels": n_labels, "random_state": seed}
    if estimator.build_network is not None:
        return build_custom_network(estimator.build_network, meta)
    widths = np.atleast_1d(estimator.hidden_layer_sizes).tolist()
    if not all(isinstance(width, Integral) and width > 0 for width in widths):
        raise ValueError(
            "hidden_layer_sizes must hold positive integers, e.g. (256,) or "
            f"(512, 256); got {estimator.hidden_layer_sizes!r}."
        )
    return build_default_network(
        meta,
        hidden_layer_sizes=widths,
        activation=estimator.activation,
        dropout=estimator.dropout,
        l2=estimator.alpha / (2 * X_shape[0]),
        batch_norm=estimator.batch_norm,
        sparse=sparse,
    )
