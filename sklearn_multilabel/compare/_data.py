"""Datasets for the comparison runner: bundled, ``.npz``, CSV or OpenML."""

import csv
import zipfile
import zlib
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn.datasets
from sklearn.utils import Bunch

from sklearn_multilabel.datasets import load_emotions, load_scene, load_yeast

BUNDLED = {"yeast": load_yeast, "scene": load_scene, "emotions": load_emotions}
_TRUE_WORDS = frozenset({"1", "1.0", "true", "t", "yes", "y"})
_FALSE_WORDS = frozenset({"0", "0.0", "false", "f", "no", "n"})
# An .npz archive is a zip file: it starts with a file header, or with the
# end-of-directory record when it holds no array.
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def load_dataset(source, *, labels=None, label_prefix=None):
    """Load a multi-label dataset for :func:`~sklearn_multilabel.compare.compare`.

    `source` is looked up in this order:

    1. the name of a bundled dataset: "yeast", "scene" or "emotions", with its
       standard train/test split;
    2. a path to a ``.npz`` archive holding ``X_train``, ``Y_train``,
       ``X_test`` and ``Y_test`` (like the bundled ones), or ``X`` and ``Y``
       (no split); optional ``feature_names`` and ``label_names``;
    3. a path to a ``.csv`` file with a header row: one column per feature
       and one 0/1 column per label, the label columns named by `labels` or
       `label_prefix` and every other column a numeric feature. Label cells
       may be 0/1, true/false or yes/no;
    4. an OpenML dataset, fetched with :func:`sklearn.datasets.fetch_openml`
       (network access, and pandas, needed): ``"openml:<name>"``,
       ``"openml:<id>"``, a bare integer id, or any other name. Its target
       columns are the labels, or the columns named by `labels`.

    Parameters
    ----------
    source : str or path-like
        Where the data comes from, see above.
    labels : list of str, default=None
        Names of the label columns of a CSV file or OpenML dataset.
    label_prefix : str, default=None
        For a CSV file: every column whose name starts with it is a label.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``name`` (for titles and file names), ``X`` and ``Y`` (all rows),
        ``test_start`` (index of the first test row when the source has a
        train/test split, the training rows coming first; None otherwise),
        ``feature_names`` and ``label_names``.

    Examples
    --------
    >>> from sklearn_multilabel.compare import load_dataset
    >>> data = load_dataset("emotions")
    >>> data.X.shape, data.Y.shape, data.test_start
    ((593, 72), (593, 6), 391)
    """
    text = str(source)
    if text in BUNDLED:
        bunch = BUNDLED[text]()
        return _split_bunch(text, bunch, bunch.feature_names, bunch.label_names)
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix in (".npz", ".csv"):
        if not path.is_file():
            raise FileNotFoundError(
                f"Dataset file {text!r} does not exist: pass an existing .npz or "
                f".csv file, or a bundled name ({', '.join(BUNDLED)})."
            )
        if suffix == ".npz":
            return _load_npz(path)
        return _load_csv(path, labels, label_prefix)
    return _load_openml(text.removeprefix("openml:"), labels)


def _split_bunch(name, parts, feature_names, label_names):
    """Stack a train/test split (`parts`) into one dataset, training rows first."""
    X = _stack(parts["X_train"], parts["X_test"])
    Y = np.vstack(
        [
            _indicator_from_cells(parts["Y_train"]),
            _indicator_from_cells(parts["Y_test"]),
        ]
    )
    return _dataset(
        name, X, Y, len(parts["Y_train"]), feature_names, label_names, "Y_train"
    )


def _stack(X_train, X_test):
    """Stack training and test features, as CSR when either is sparse."""
    if sp.issparse(X_train) or sp.issparse(X_test):
        return sp.vstack([X_train, X_test], format="csr")
    return np.vstack([X_train, X_test])


def _dataset(name, X, Y, test_start, feature_names, label_names, target_name):
    """Check shapes and assemble the Bunch returned by ``load_dataset``.

    `target_name` is what the source calls the target, for error messages.
    """
    if Y.ndim != 2 or Y.shape[1] < 2:
        raise ValueError(
            f"{target_name} of {name!r} has shape {Y.shape}: a comparison needs "
            "a multi-hot indicator matrix with at least 2 label columns."
        )
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"{name!r} has {X.shape[0]} feature rows but {Y.shape[0]} label rows: "
            "pass one label row per sample."
        )
    if label_names is None:
        label_names = [f"label_{j}" for j in range(Y.shape[1])]
    if feature_names is None:
        feature_names = [f"x{j}" for j in range(X.shape[1])]
    return Bunch(
        name=name,
        X=X,
        Y=Y,
        test_start=test_start,
        feature_names=np.asarray(feature_names, dtype=str),
        label_names=np.asarray(label_names, dtype=str),
    )


def _indicator_from_cells(values, *, source="Y"):
    """Parse label cells (0/1, booleans, yes/no words) into an int64 0/1 matrix.

    `source` names what holds the cells, for error messages.
    """
    if sp.issparse(values):
        values = values.toarray()
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        if not np.isin(values, (0, 1)).all():
            found = np.unique(values[~np.isin(values, (0, 1))])[:5]
            raise ValueError(
                f"{source} holds values other than 0 and 1 (e.g. {found.tolist()}): "
                "label columns must be a 0/1 indicator matrix."
            )
        return values.astype(np.int64)
    words = np.char.lower(np.char.strip(values.astype(str)))
    unknown = ~np.isin(words, list(_TRUE_WORDS | _FALSE_WORDS))
    if unknown.any():
        raise ValueError(
            f"{source} holds {np.unique(values[unknown])[:5].tolist()}: label "
            "cells must be 0/1, true/false or yes/no."
        )
    return np.isin(words, list(_TRUE_WORDS)).astype(np.int64)


def _load_npz(path):
    """Load an ``.npz`` archive with a train/test split or with X and Y."""
    arrays = _read_npz(path)
    split_keys = {"X_train", "Y_train", "X_test", "Y_test"}
    names = arrays.get("feature_names"), arrays.get("label_names")
    if split_keys <= arrays.keys():
        return _split_bunch(path.stem, arrays, *names)
    if {"X", "Y"} <= arrays.keys():
        Y = _indicator_from_cells(arrays["Y"], source=f"Y of {path.name}")
        return _dataset(path.stem, arrays["X"], Y, None, *names, "Y")
    raise ValueError(
        f"{path.name} holds the arrays {sorted(arrays)}: pass an archive with "
        "X_train, Y_train, X_test and Y_test, or with X and Y."
    )


def _read_npz(path):
    """The arrays of an ``.npz`` archive by name; ValueError if it is damaged."""
    with path.open("rb") as file:
        magic = file.read(4)
    if magic not in _ZIP_MAGICS:
        problem = "is empty" if not magic else "is damaged or not an .npz archive"
        raise _unreadable_npz(path, problem)
    try:
        with np.load(path, allow_pickle=False) as archive:
            return dict(archive)
    except (EOFError, ValueError, zipfile.BadZipFile, zlib.error) as error:
        detail = f"is damaged ({type(error).__name__}: {error})"
        raise _unreadable_npz(path, detail) from error


def _unreadable_npz(path, problem):
    """The error for an ``.npz`` file that cannot be read, saying what to write."""
    return ValueError(
        f"The file {str(path)!r} {problem}: write the arrays X and Y (or X_train, "
        "Y_train, X_test and Y_test) with numpy.savez."
    )


def _read_csv(path):
    """The header and the non-blank rows of a CSV file; ValueError if damaged."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.reader(file)
            header = next(reader, None)
            rows = [row for row in reader if row]
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(
            f"The file {str(path)!r} is damaged or not a text CSV file "
            f"({type(error).__name__}: {error}): pass a UTF-8 CSV file."
        ) from error
    if header is None or not rows:
        raise ValueError(
            f"The file {str(path)!r} is empty: a CSV input needs a header row "
            "and at least one data row."
        )
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(
                f"Line {line} of {path.name} has {len(row)} cells but the header "
                f"has {len(header)} columns: is the file truncated or damaged?"
            )
    return header, rows


def _load_csv(path, labels, label_prefix):
    """Load a CSV file of numeric feature columns and 0/1 label columns."""
    header, rows = _read_csv(path)
    is_label = _label_mask(header, labels, label_prefix, path.name)
    table = np.array(rows, dtype=str)
    Y = _indicator_from_cells(
        table[:, is_label], source=f"The label columns of {path.name}"
    )
    features = table[:, ~is_label]
    try:
        X = features.astype(np.float64)
    except ValueError as error:
        raise ValueError(
            f"A feature column of {path.name} is not numeric ({error}): encode "
            "it as numbers first, or name it as a label column."
        ) from error
    feature_names = np.asarray(header)[~is_label]
    label_names = np.asarray(header)[is_label]
    return _dataset(path.stem, X, Y, None, feature_names, label_names, "The labels")


def _label_mask(header, labels, label_prefix, file_name):
    """Boolean mask of the CSV columns that are labels, by name or by prefix."""
    if (labels is None) == (label_prefix is None):
        raise ValueError(
            f"Name the label columns of {file_name} with labels=[...] (CLI: "
            "--labels col1,col2) or label_prefix='tag_' (CLI: --label-prefix "
            "tag_), exactly one of the two."
        )
    columns = np.asarray(header)
    if labels is not None:
        missing = sorted(set(labels) - set(header))
        if missing:
            raise ValueError(
                f"Label columns {missing} are not in the header of {file_name}, "
                f"which has {header[:10]}{' ...' if len(header) > 10 else ''}."
            )
        is_label = np.isin(columns, list(labels))
    else:
        is_label = np.char.startswith(columns, label_prefix)
        if not is_label.any():
            raise ValueError(
                f"No column of {file_name} starts with {label_prefix!r}; its "
                f"columns are {header[:10]}{' ...' if len(header) > 10 else ''}."
            )
    if is_label.all():
        raise ValueError(f"Every column of {file_name} is a label: add features.")
    return is_label


def _load_openml(key, labels):
    """Fetch a multi-label dataset from OpenML by name or integer id (as text).

    `labels` names the target columns; None takes the dataset's default ones.
    """
    query = {"data_id": int(key)} if key.isdigit() else {"name": key}
    target = list(labels) if labels is not None else "default-target"
    try:
        # Called through the module so that tests can stand in for OpenML.
        fetched = sklearn.datasets.fetch_openml(
            **query, target_column=target, as_frame=False
        )
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{key!r} is not a bundled dataset ({', '.join(BUNDLED)}) nor an "
            f"existing .npz/.csv file, and fetching it from OpenML failed: {error}"
        ) from error
    if np.ndim(fetched.target) != 2:
        raise ValueError(
            f"OpenML dataset {key!r} has a single target column "
            f"{fetched.target_names}: name its label columns with labels=[...] "
            "(CLI: --labels col1,col2)."
        )
    Y = _indicator_from_cells(
        fetched.target, source=f"The target of OpenML dataset {key!r}"
    )
    X = fetched.data
    if not sp.issparse(X):
        X = np.asarray(X, dtype=np.float64)
    name = fetched.get("details", {}).get("name", key)
    return _dataset(
        f"openml-{name}",
        X,
        Y,
        None,
        fetched.get("feature_names"),
        fetched.get("target_names"),
        "The target",
    )
