"""Save a fitted MultiLabelNNClassifier as a Keras-native network plus its state.

``save_model`` writes one zip file holding:

- ``network.keras``: ``model_`` in Keras' own format, loadable on its own with
  ``keras.saving.load_model`` (it returns logits, one per label, of rows
  encoded by the feature bins when the estimator has ``bin_edges_``);
- ``state.json``: the format and package versions, the parameters, and the
  fitted scalars (``n_features_in_``, training history, ...);
- ``arrays.npz``: ``thresholds_``, ``classes_``, ``feature_names_in_``,
  ``bin_edges_`` and the threshold search, stored without pickle.

``load_model`` rebuilds a fitted estimator whose ``predict_proba`` equals the
saved one's exactly. Unlike a pickle, no part of the file is executed: the
network is read by Keras with ``safe_mode=True`` by default, and the state
holds only numbers, strings and arrays. Callable parameters (a custom
``build_network``, a metric ``threshold``) are stored by their import path and
imported again when loading, which runs that module's import-time code, as
unpickling would.

Security: pickles and ``joblib`` files of an estimator (and files written by
``save_model`` loaded with ``safe_mode=False``) can execute arbitrary code
when loaded. Only load models from sources you trust.
"""

import importlib
import json
import numbers
import os
import reprlib
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_multilabel.neural_network._classifier import MultiLabelNNClassifier
from sklearn_multilabel.neural_network._scikeras import ScikerasBuilder
from sklearn_multilabel.neural_network._state import (
    FITTED_STATE,
    READABLE_FORMATS,
    STATE_FORMAT,
    fitted_state,
    migrate,
    publish,
)
from sklearn_multilabel.thresholds._search import ThresholdSearch

FORMAT_NAME = "sklearn_multilabel.MultiLabelNNClassifier"
NETWORK_FILE, STATE_FILE, ARRAYS_FILE = "network.keras", "state.json", "arrays.npz"
# Arrays "search.thresholds" and "search.per_label.<column>".
SEARCH_PREFIX = "search."


def save_model(estimator, path):
    """Save a fitted ``MultiLabelNNClassifier`` to one file.

    The file is written next to ``path`` first and then moved into place, so
    an interrupted save never leaves a truncated model at ``path``.

    Parameters
    ----------
    estimator : MultiLabelNNClassifier
        A fitted estimator.
    path : str or path-like
        Where to write the file, e.g. ``"classifier.skml"``; replaced if it
        exists.

    Raises
    ------
    TypeError
        If ``estimator`` is not a ``MultiLabelNNClassifier``, or a parameter
        or the classes cannot be stored without pickle.
    NotFittedError
        If ``estimator`` is not fitted.

    See Also
    --------
    load_model : Read the file back.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn_multilabel import MultiLabelNNClassifier
    >>> from sklearn_multilabel import load_model, save_model
    >>> X, Y = make_multilabel_classification(n_samples=100, random_state=0)
    >>> clf = MultiLabelNNClassifier(max_iter=5, random_state=0).fit(X, Y)
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.skml")
    >>> save_model(clf, path)
    >>> (load_model(path).predict_proba(X) == clf.predict_proba(X)).all()
    np.True_
    """
    if type(estimator) is not MultiLabelNNClassifier:
        raise TypeError(
            "save_model saves a MultiLabelNNClassifier; got "
            f"{type(estimator).__name__}. Use joblib.dump for other estimators."
        )
    check_is_fitted(estimator)
    import keras

    import sklearn_multilabel

    fitted, arrays = _store_fitted(fitted_state(estimator))
    state = {
        "format": FORMAT_NAME,
        "format_version": STATE_FORMAT,
        "package_version": sklearn_multilabel.__version__,
        "keras_version": keras.__version__,
        "params": {
            name: _encode(value, name)
            for name, value in estimator.get_params(deep=False).items()
        },
        "fitted": fitted,
    }
    path = Path(path)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        network_path = Path(tmp) / NETWORK_FILE
        estimator.model_.save(network_path)
        partial = Path(tmp) / "partial.zip"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            # A .keras file is already a zip: storing it avoids recompressing.
            archive.write(network_path, NETWORK_FILE, zipfile.ZIP_STORED)
            archive.writestr(STATE_FILE, json.dumps(state, indent=1))
            with archive.open(ARRAYS_FILE, "w") as out:
                np.savez(out, **arrays)
        os.replace(partial, path)


def load_model(path, *, params=None, custom_objects=None, safe_mode=True):
    """Load a ``MultiLabelNNClassifier`` written by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like
        File written by ``save_model``.
    params : dict, default=None
        Parameters to set instead of the stored ones, e.g. the
        ``build_network`` function when it was a lambda or a local function
        (those cannot be imported again; without it the estimator predicts
        but refuses to refit, saying what to pass).
    custom_objects : dict, default=None
        Custom Keras layers or functions of the network, passed to
        ``keras.saving.load_model``.
    safe_mode : bool, default=True
        Passed to ``keras.saving.load_model``: False allows ``Lambda`` layers,
        whose code runs when loaded. Only for files you trust.

    Returns
    -------
    estimator : MultiLabelNNClassifier
        Fitted, with the saved network, thresholds and attributes.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file was not written by ``save_model``, or by a version whose
        format this version cannot read (the message names both versions).
    """
    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {path}.")
    if not zipfile.is_zipfile(path):
        raise ValueError(_not_a_model_message(path, "it is not a zip file"))
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if not {NETWORK_FILE, STATE_FILE, ARRAYS_FILE} <= names:
            raise ValueError(_not_a_model_message(path, f"it holds {sorted(names)}"))
        state = json.loads(archive.read(STATE_FILE))
        _check_version(state, path)
        with archive.open(ARRAYS_FILE) as arrays_file:
            with np.load(arrays_file, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        with tempfile.TemporaryDirectory() as tmp:
            archive.extract(NETWORK_FILE, tmp)
            model = keras.saving.load_model(
                Path(tmp) / NETWORK_FILE,
                custom_objects=custom_objects,
                compile=False,
                safe_mode=safe_mode,
            )
    restored = {name: _decode(value, name) for name, value in state["params"].items()}
    fitted = _load_fitted(state["fitted"], arrays)
    migrate(state["format_version"], restored, fitted)
    estimator = MultiLabelNNClassifier(**{**restored, **(params or {})})
    publish(estimator, {**fitted, "model_": model})
    return estimator


def _not_a_model_message(path, reason):
    """Return the message for a file ``save_model`` did not write."""
    return (
        f"{path} is not a model written by sklearn_multilabel's save_model "
        f"({reason}). Pickles and joblib files load with pickle.load or "
        "joblib.load; a bare .keras network with keras.saving.load_model."
    )


def _check_version(state, path):
    """Refuse a file whose format this version cannot read, naming both versions."""
    import sklearn_multilabel

    if state.get("format") != FORMAT_NAME:
        raise ValueError(_not_a_model_message(path, "state.json names no format"))
    saved_format = state.get("format_version")
    if saved_format in READABLE_FORMATS:
        return
    saved_package = state.get("package_version", "unknown")
    raise ValueError(
        f"{path} was saved by sklearn_multilabel {saved_package} in model format "
        f"{saved_format}, but this is sklearn_multilabel "
        f"{sklearn_multilabel.__version__}, which reads format {STATE_FORMAT}. "
        f"Load it with sklearn_multilabel {saved_package} (e.g. pip install "
        f"'sklearn-multilabel=={saved_package}' in another environment) and "
        "refit or re-save it there for this version, or refit the model with "
        "this version."
    )


def _store_fitted(fitted):
    """Split the fitted attributes into JSON values and arrays, by their kind."""
    scalars, arrays = {}, {}
    for attribute in FITTED_STATE:
        if attribute.name in fitted and attribute.kind != "network":
            value = fitted[attribute.name]
            STORE[attribute.kind](value, attribute, scalars, arrays)
    return scalars, arrays


def _load_fitted(scalars, arrays):
    """Rebuild the fitted attributes (but the network) stored by ``_store_fitted``."""
    fitted = {}
    for attribute in FITTED_STATE:
        if attribute.kind != "network":
            LOAD[attribute.kind](attribute, scalars, arrays, fitted)
    return fitted


def _store_json(convert):
    """Return a storer of ``convert(value)`` in the JSON state."""

    def store(value, attribute, scalars, arrays):
        scalars[attribute.key] = convert(value)

    return store


def _load_json(convert):
    """Return a loader of ``convert`` of a JSON value, when the file has it."""

    def load(attribute, scalars, arrays, fitted):
        if attribute.key in scalars:
            fitted[attribute.name] = convert(scalars[attribute.key])

    return load


def _store_array(value, attribute, scalars, arrays):
    arrays[attribute.key] = _without_objects(value, attribute.name)


def _load_array(attribute, scalars, arrays, fitted):
    if attribute.key in arrays:
        fitted[attribute.name] = arrays[attribute.key]


def _store_names(value, attribute, scalars, arrays):
    if value is None:
        scalars[attribute.key] = None
    else:
        _store_array(value, attribute, scalars, arrays)


def _load_names(attribute, scalars, arrays, fitted):
    if attribute.key in arrays:
        fitted[attribute.name] = arrays[attribute.key].astype(object)
    elif attribute.key in scalars:
        fitted[attribute.name] = None


def _store_labels(value, attribute, scalars, arrays):
    _store_array(value, attribute, scalars, arrays)
    scalars[f"{attribute.key}dtype"] = value.dtype.str


def _load_labels(attribute, scalars, arrays, fitted):
    dtype = np.dtype(scalars[f"{attribute.key}dtype"])
    fitted[attribute.name] = arrays[attribute.key].astype(dtype)


def _store_edges(value, attribute, scalars, arrays):
    for feature, edges in enumerate(value or ()):
        arrays[f"{attribute.key}.{feature}"] = np.asarray(edges)


def _load_edges(attribute, scalars, arrays, fitted):
    n_edged = sum(name.startswith(f"{attribute.key}.") for name in arrays)
    edges = [arrays[f"{attribute.key}.{feature}"] for feature in range(n_edged)]
    fitted[attribute.name] = edges or None


def _store_search(search, attribute, scalars, arrays):
    scalars[attribute.key] = None
    if search is not None:
        scalars[attribute.key] = {
            "strategy": search.strategy,
            "score": float(search.score),
        }
        arrays[f"{SEARCH_PREFIX}thresholds"] = np.asarray(search.thresholds)
        for key, values in search.per_label.items():
            arrays[f"{SEARCH_PREFIX}per_label.{key}"] = np.asarray(values)


def _load_search(attribute, scalars, arrays, fitted):
    search, prefix = scalars[attribute.key], f"{SEARCH_PREFIX}per_label."
    if search is not None:
        search = ThresholdSearch(
            thresholds=arrays[f"{SEARCH_PREFIX}thresholds"],
            strategy=search["strategy"],
            score=search["score"],
            per_label={
                name[len(prefix) :]: values
                for name, values in arrays.items()
                if name.startswith(prefix)
            },
        )
    fitted[attribute.name] = search


def _plain_numbers(values):
    """Convert numbers, or dicts and lists of them, to JSON-ready Python ones."""
    if isinstance(values, dict):
        return {key: _plain_numbers(value) for key, value in values.items()}
    if isinstance(values, list | tuple):
        return [_plain_numbers(value) for value in values]
    if isinstance(values, numbers.Integral):
        return int(values)
    return float(values)


def _without_objects(values, name):
    """Return ``values`` as an array ``np.load`` reads without pickle.

    Object arrays of strings become numpy string arrays; other objects raise.
    """
    values = np.asarray(values)
    if values.dtype != object:
        return values
    kinds = {type(value).__name__ for value in values.ravel()}
    if kinds != {"str"}:
        raise TypeError(
            f"{name} holds Python objects of types {sorted(kinds)}, which "
            "save_model stores only as strings: encode the target with strings "
            "or numbers, or save the estimator with joblib.dump."
        )
    return values.astype(str)


def _identity(value):
    return value


# Kind (see FITTED_STATE) -> how save_model stores and load_model reads it.
STORE = {
    "int": _store_json(int),
    "flag": _store_json(bool),
    "dtype": _store_json(lambda dtype: np.dtype(dtype).str),
    "numbers": _store_json(_plain_numbers),
    "names": _store_names,
    "labels": _store_labels,
    "array": _store_array,
    "edges": _store_edges,
    "search": _store_search,
}
LOAD = {
    "int": _load_json(int),
    "flag": _load_json(bool),
    "dtype": _load_json(np.dtype),
    "numbers": _load_json(_identity),
    "names": _load_names,
    "labels": _load_labels,
    "array": _load_array,
    "edges": _load_edges,
    "search": _load_search,
}


def _encode(value, name):
    """Turn a parameter value into JSON that ``_decode`` restores exactly."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, tuple):
        return {"tuple": [_encode(item, name) for item in value]}
    if isinstance(value, list):
        return [_encode(item, name) for item in value]
    if isinstance(value, dict):
        return {
            "dict": [[_encode(k, name), _encode(v, name)] for k, v in value.items()]
        }
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"ndarray": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.random.RandomState):
        kind, keys, position, has_gauss, gauss = value.get_state()
        return {"random_state": [kind, keys.tolist(), position, has_gauss, gauss]}
    if isinstance(value, ScikerasBuilder):
        return {"scikeras_builder": _encode(value.build, name)}
    if callable(value):
        return {"callable": _import_path(value)}
    raise TypeError(
        f"save_model cannot store the parameter {name}={reprlib.repr(value)} of type "
        f"{type(value).__name__}: use plain numbers, strings, tuples, lists, "
        "dicts, arrays or functions, or save the estimator with joblib.dump."
    )


def _import_path(function):
    """Return ``"module:qualname"`` for a function, or its repr if local."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if module is None or qualname is None or "<" in qualname:
        return repr(function)
    return f"{module}:{qualname}"


def _decode(value, name):
    """Restore a parameter encoded by ``_encode``."""
    if isinstance(value, list):
        return [_decode(item, name) for item in value]
    if not isinstance(value, dict):
        return value
    (kind, content), *_ = value.items()
    if kind == "tuple":
        return tuple(_decode(item, name) for item in content)
    if kind == "dict":
        return {_decode(k, name): _decode(v, name) for k, v in content}
    if kind == "ndarray":
        return np.asarray(content, dtype=np.dtype(value["dtype"]))
    if kind == "random_state":
        random_state = np.random.RandomState()
        kind_name, keys, position, has_gauss, gauss = content
        random_state.set_state(
            (kind_name, np.asarray(keys, dtype=np.uint32), position, has_gauss, gauss)
        )
        return random_state
    if kind == "scikeras_builder":
        return ScikerasBuilder(_decode(content, name))
    return _import_callable(content, name)


def _import_callable(path, name):
    """Import ``"module:qualname"``, or return a placeholder that explains why not."""
    module_name, _, qualname = path.partition(":")
    try:
        found = importlib.import_module(module_name)
        for attribute in qualname.split("."):
            found = getattr(found, attribute)
    except (ImportError, AttributeError, ValueError):
        return UnavailableCallable(name, path)
    return found


class UnavailableCallable:
    """Stand-in for a callable parameter that could not be imported on load.

    The loaded estimator predicts without it; calling it (e.g. by refitting)
    raises an error saying how to supply the original.

    Parameters
    ----------
    parameter : str
        Name of the estimator parameter.
    reference : str
        What the saved file recorded: ``"module:qualname"`` or a repr.
    """

    def __init__(self, parameter, reference):
        self.parameter = parameter
        self.reference = reference

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            f"{self.parameter} was {self.reference} when this model was saved, "
            "and it could not be imported when loading it. Pass it again, with "
            f"load_model(path, params={{'{self.parameter}': ...}}) or "
            f"set_params({self.parameter}=...), before fitting."
        )

    def __repr__(self):
        return f"UnavailableCallable({self.parameter!r}, {self.reference!r})"
