"""The fitted state of MultiLabelNNClassifier, declared once.

``fit`` publishes exactly the attributes of ``FITTED_STATE``; pickling and
``save_model`` store them, and both read older states through the one
migration table ``MIGRATIONS``.
"""

import functools
from typing import NamedTuple

from sklearn_multilabel._version import __version__


class FittedAttribute(NamedTuple):
    """One attribute ``fit`` publishes, with how ``save_model`` stores it.

    ``kind`` names the encoding (see ``_persistence``); ``key`` is the
    attribute's name in the saved file.
    """

    name: str
    kind: str
    key: str
    optional: bool = False


FITTED_STATE = (
    FittedAttribute("n_features_in_", "int", "n_features_in_"),
    # Set by validate_data only when X has string column names.
    FittedAttribute("feature_names_in_", "names", "feature_names_in_", optional=True),
    FittedAttribute("classes_", "labels", "classes_"),
    # None when y had no string column names.
    FittedAttribute("label_names_", "names", "label_names_"),
    FittedAttribute("_binary", "flag", "binary"),
    FittedAttribute("_target_dtype", "dtype", "target_dtype"),
    FittedAttribute("model_", "network", "network.keras"),
    FittedAttribute("bin_edges_", "edges", "bin_edges"),
    FittedAttribute("history_", "numbers", "history_"),
    FittedAttribute("loss_curve_", "numbers", "loss_curve_"),
    FittedAttribute("n_iter_", "int", "n_iter_"),
    FittedAttribute("best_epoch_", "numbers", "best_epoch_"),
    FittedAttribute("threshold_search_", "search", "threshold_search_"),
    # Last: its presence is what makes the estimator fitted.
    FittedAttribute("thresholds_", "array", "thresholds_"),
)

# Bump when the fitted state changes meaning or layout, and add the step
# that brings the previous format up to date to MIGRATIONS. Format 3 is the
# first shared by pickles and save_model files (pickles were at 1, files
# at 2). Format 4 adds label_names_; format 5 gives history_ and best_epoch_
# one entry per network.
STATE_FORMAT = 5


def _from_format_1(params, fitted):
    """Before ``ensemble``, ``batch_norm``, input noise and feature bins."""
    # Then, `threshold_cv` meant folds + refit, and networks trained on the
    # rows as given.
    for name, value in [
        ("ensemble", False),
        ("batch_norm", False),
        ("input_noise", 0.0),
        ("n_bins", 0),
    ]:
        params.setdefault(name, value)
    if fitted is not None:
        fitted.setdefault("bin_edges_", None)


def _from_format_2(params, fitted):
    """Before save_model files stored ``loss_curve_`` beside ``history_``."""
    if fitted is not None and "history_" in fitted:
        fitted.setdefault("loss_curve_", fitted["history_"]["loss"])


def _from_format_3(params, fitted):
    """Before ``label_names_`` kept the column names of a DataFrame ``y``."""
    if fitted is not None:
        fitted.setdefault("label_names_", None)


def _from_format_4(params, fitted):
    """Before ``history_`` and ``best_epoch_`` were lists, one entry per network."""
    if fitted is None or "history_" not in fitted:
        return
    loss, val_loss = fitted["history_"]["loss"], fitted["history_"]["val_loss"]
    if loss and isinstance(loss[0], list):  # an ensemble: lists per network
        fitted["history_"] = [
            {"loss": network_loss, "val_loss": network_val_loss}
            for network_loss, network_val_loss in zip(loss, val_loss, strict=True)
        ]
        fitted["loss_curve_"] = loss[0]
    else:
        fitted["history_"] = [{"loss": loss, "val_loss": val_loss}]
        if "best_epoch_" in fitted:
            fitted["best_epoch_"] = [fitted["best_epoch_"]]


# Format -> the step that turns a state of that format into the next one.
MIGRATIONS = {
    1: _from_format_1,
    2: _from_format_2,
    3: _from_format_3,
    4: _from_format_4,
}
READABLE_FORMATS = (*MIGRATIONS, STATE_FORMAT)


def migrate(state_format, params, fitted):
    """Bring ``params`` and ``fitted`` (None if unfitted) up to date, in place."""
    for step in range(state_format, STATE_FORMAT):
        MIGRATIONS[step](params, fitted)


def fitted_state(estimator):
    """Return the fitted attributes of ``estimator`` by name."""
    return {
        attribute.name: getattr(estimator, attribute.name)
        for attribute in FITTED_STATE
        if hasattr(estimator, attribute.name)
    }


def publish(estimator, fitted):
    """Set the fitted attributes ``fitted`` on ``estimator``, refusing unknown ones."""
    unknown = set(fitted) - {attribute.name for attribute in FITTED_STATE}
    missing = {
        attribute.name
        for attribute in FITTED_STATE
        if not attribute.optional and attribute.name not in fitted
    }
    if unknown or missing:
        raise ValueError(
            f"A fitted state needs {sorted(missing)} and cannot have {sorted(unknown)}."
        )
    for attribute in FITTED_STATE:
        if attribute.name in fitted:
            setattr(estimator, attribute.name, fitted[attribute.name])


def forget(estimator):
    """Drop every fitted attribute of ``estimator``, and its inference cache."""
    for attribute in FITTED_STATE:
        estimator.__dict__.pop(attribute.name, None)
    estimator.__dict__.pop("_forward", None)


def unfitted_on_failure(fit):
    """Make ``fit`` drop every fitted attribute when it raises, Ctrl-C included.

    Checking the data sets ``n_features_in_`` before training: a fit failing
    afterwards must not leave it behind beside no model.
    """

    @functools.wraps(fit)
    def failsafe_fit(estimator, *args, **kwargs):
        try:
            return fit(estimator, *args, **kwargs)
        except BaseException:
            forget(estimator)
            raise

    return failsafe_fit


def history_attributes(histories, previous=None):
    """Return ``history_`` and what derives from it: one entry per kept network.

    ``previous`` (a warm start's fitted state) has the epochs ``histories``
    continue.
    """
    old = previous["history_"] if previous else None
    old = old or [{"loss": [], "val_loss": []} for _ in histories]
    history = [
        {
            "loss": [*before["loss"], *after.loss],
            "val_loss": [*before["val_loss"], *after.val_loss],
        }
        for before, after in zip(old, histories, strict=True)
    ]
    return {
        "history_": history,
        "loss_curve_": history[0]["loss"],
        "n_iter_": max(len(network["loss"]) for network in history),
        "best_epoch_": [
            len(before["loss"]) + after.best_epoch
            for before, after in zip(old, histories, strict=True)
        ],
    }


def pickled_state(state):
    """Return the pickled ``state`` of an estimator: no inference cache, a format."""
    state.pop("_forward", None)
    state["_state_format"] = (STATE_FORMAT, __version__)
    return state


def unpickled_state(state):
    """Return a pickled ``state`` brought up to date, refusing unreadable formats."""
    # Pickles without a format predate it: they are format 1.
    saved_format, saved_version = state.pop("_state_format", (1, "unknown"))
    fitted = "thresholds_" in state
    if fitted and saved_format not in READABLE_FORMATS:
        raise ValueError(
            f"This MultiLabelNNClassifier was fitted with sklearn_multilabel "
            f"{saved_version} (fitted-state format {saved_format}); this is "
            f"sklearn_multilabel {__version__} (format {STATE_FORMAT}), which "
            "cannot read it. Load it with the version that saved it, or refit."
        )
    migrate(saved_format, state, state if fitted else None)
    return state
