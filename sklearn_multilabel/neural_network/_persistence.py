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
from sklearn_multilabel.thresholds._search import ThresholdSearch

# Bump when a file written by this version cannot be read by the previous
# reader, or the other way round. 2: `input_noise`, `n_bins` and the bin
# edges, which a format-1 reader refuses; format-1 files load with both off.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
FORMAT_NAME = "sklearn_multilabel.MultiLabelNNClassifier"
NETWORK_FILE, STATE_FILE, ARRAYS_FILE = "network.keras", "state.json", "arrays.npz"
# Arrays "bin_edges.0", "bin_edges.1", ...: the edges of each feature.
BIN_EDGES_PREFIX = "bin_edges."


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

    arrays = _fitted_arrays(estimator)
    state = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "package_version": sklearn_multilabel.__version__,
        "keras_version": keras.__version__,
        "params": {
            name: _encode(value, name)
            for name, value in estimator.get_params(deep=False).items()
        },
        "fitted": _fitted_scalars(estimator),
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
    # Saved before `ensemble` existed, `threshold_cv` meant folds + refit.
    restored.setdefault("ensemble", False)
    # Saved before `input_noise` and `n_bins` existed, networks trained on the
    # rows as given.
    restored.setdefault("input_noise", 0.0)
    restored.setdefault("n_bins", 0)
    estimator = MultiLabelNNClassifier(**{**restored, **(params or {})})
    _publish(estimator, model, state["fitted"], arrays)
    return estimator


def _not_a_model_message(path, reason):
    """Return the message for a file ``save_model`` did not write.

    Parameters
    ----------
    path : Path
    reason : str

    Returns
    -------
    message : str
    """
    return (
        f"{path} is not a model written by sklearn_multilabel's save_model "
        f"({reason}). Pickles and joblib files load with pickle.load or "
        "joblib.load; a bare .keras network with keras.saving.load_model."
    )


def _check_version(state, path):
    """Refuse a file whose format this version cannot read.

    Parameters
    ----------
    state : dict
        Content of ``state.json``.
    path : Path

    Raises
    ------
    ValueError
        Naming the file's package and format versions and this version's.
    """
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
        f"{sklearn_multilabel.__version__}, which reads format {FORMAT_VERSION}. "
        f"Load it with sklearn_multilabel {saved_package} (e.g. pip install "
        f"'sklearn-multilabel=={saved_package}' in another environment) and "
        "refit or re-save it there for this version, or refit the model with "
        "this version."
    )


def _fitted_arrays(estimator):
    """Collect the fitted arrays, in dtypes ``np.load`` reads without pickle.

    Parameters
    ----------
    estimator : MultiLabelNNClassifier

    Returns
    -------
    arrays : dict of str to ndarray
    """
    arrays = {
        "thresholds_": np.asarray(estimator.thresholds_),
        "classes_": _without_objects(estimator.classes_, "classes_"),
    }
    if hasattr(estimator, "feature_names_in_"):
        arrays["feature_names_in_"] = _without_objects(
            estimator.feature_names_in_, "feature_names_in_"
        )
    for feature, edges in enumerate(estimator.bin_edges_ or ()):
        arrays[f"{BIN_EDGES_PREFIX}{feature}"] = np.asarray(edges)
    search = estimator.threshold_search_
    if search is not None:
        arrays["search.thresholds"] = np.asarray(search.thresholds)
        for key, values in search.per_label.items():
            arrays[f"search.per_label.{key}"] = np.asarray(values)
    return arrays


def _without_objects(values, name):
    """Return an array of Python strings as a numpy string array.

    Parameters
    ----------
    values : ndarray
    name : str
        Attribute name, for the error message.

    Returns
    -------
    values : ndarray
        Unchanged unless of object dtype.

    Raises
    ------
    TypeError
        If an object array holds anything but strings.
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


def _fitted_scalars(estimator):
    """Collect the fitted attributes that JSON holds exactly.

    Parameters
    ----------
    estimator : MultiLabelNNClassifier

    Returns
    -------
    fitted : dict
    """
    search = estimator.threshold_search_
    return {
        "n_features_in_": int(estimator.n_features_in_),
        "binary": bool(estimator._binary),
        "target_dtype": np.dtype(estimator._target_dtype).str,
        "classes_dtype": estimator.classes_.dtype.str,
        "history_": {
            key: _plain_numbers(values) for key, values in estimator.history_.items()
        },
        "n_iter_": int(estimator.n_iter_),
        "best_epoch_": _plain_numbers(estimator.best_epoch_),
        "threshold_search_": None
        if search is None
        else {"strategy": search.strategy, "score": float(search.score)},
    }


def _plain_numbers(values):
    """Convert a number, or nested lists of numbers, to JSON-ready Python ones.

    Parameters
    ----------
    values : int, float or list
        One per-epoch history or best epoch, or one per fold network.

    Returns
    -------
    plain : int, float or list
    """
    if isinstance(values, list | tuple):
        return [_plain_numbers(value) for value in values]
    if isinstance(values, numbers.Integral):
        return int(values)
    return float(values)


def _publish(estimator, model, fitted, arrays):
    """Set the fitted attributes on a fresh estimator, as ``fit`` does.

    Parameters
    ----------
    estimator : MultiLabelNNClassifier
    model : keras.Model
    fitted : dict
        ``state["fitted"]``.
    arrays : dict of str to ndarray
    """
    estimator.n_features_in_ = fitted["n_features_in_"]
    if "feature_names_in_" in arrays:
        estimator.feature_names_in_ = arrays["feature_names_in_"].astype(object)
    estimator.classes_ = arrays["classes_"].astype(np.dtype(fitted["classes_dtype"]))
    estimator._binary = fitted["binary"]
    estimator._target_dtype = np.dtype(fitted["target_dtype"])
    estimator.model_ = model
    n_edged = sum(name.startswith(BIN_EDGES_PREFIX) for name in arrays)
    estimator.bin_edges_ = [
        arrays[f"{BIN_EDGES_PREFIX}{feature}"] for feature in range(n_edged)
    ] or None
    estimator.history_ = fitted["history_"]
    estimator.loss_curve_ = estimator.history_["loss"]
    estimator.n_iter_ = fitted["n_iter_"]
    estimator.best_epoch_ = fitted["best_epoch_"]
    search = fitted["threshold_search_"]
    if search is not None:
        prefix = "search.per_label."
        search = ThresholdSearch(
            thresholds=arrays["search.thresholds"],
            strategy=search["strategy"],
            score=search["score"],
            per_label={
                name[len(prefix) :]: values
                for name, values in arrays.items()
                if name.startswith(prefix)
            },
        )
    estimator.threshold_search_ = search
    estimator.thresholds_ = arrays["thresholds_"]


def _encode(value, name):
    """Turn a parameter value into JSON that :func:`_decode` restores exactly.

    Parameters
    ----------
    value : object
    name : str
        Parameter name, for the error message.

    Returns
    -------
    encoded : JSON-compatible object

    Raises
    ------
    TypeError
        For a value with no exact JSON form.
    """
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
    """Return ``"module:qualname"`` for a function, or its repr if local.

    Parameters
    ----------
    function : callable

    Returns
    -------
    path : str
    """
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if module is None or qualname is None or "<" in qualname:
        return repr(function)
    return f"{module}:{qualname}"


def _decode(value, name):
    """Restore a parameter encoded by :func:`_encode`.

    Parameters
    ----------
    value : JSON-compatible object
    name : str
        Parameter name, for the placeholder of a callable that cannot be
        imported.

    Returns
    -------
    decoded : object
    """
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
    """Import ``"module:qualname"``, or return a placeholder that explains.

    Parameters
    ----------
    path : str
    name : str
        Parameter name.

    Returns
    -------
    function : callable
    """
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
