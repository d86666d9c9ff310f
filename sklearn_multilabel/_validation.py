"""Target checks for multi-label estimators, and the messages they raise."""

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

HOW_TO_ENCODE = (
    "pass a multi-hot indicator matrix of shape (n_samples, n_labels) holding "
    "0 and 1, e.g. MultiLabelBinarizer().fit_transform(label_lists)"
)


def reject_label_lists(y):
    """Refuse ``y`` given as a list of label lists before it reaches numpy.

    ``[["beach", "sunset"], ["urban"]]`` is how people write tags, but numpy
    either fails on it with an unrelated message or turns it into a 1-D object
    array; both hide the fix.
    """
    if not isinstance(y, Sequence) or isinstance(y, str) or len(y) == 0:
        return
    rows = [row for row in y if _is_row(row)]
    if not rows:
        return
    lengths = {len(row) for row in rows}
    holds_strings = any(isinstance(value, str) for row in rows for value in row)
    if len(rows) != len(y) or len(lengths) > 1 or holds_strings:
        raise ValueError(
            f"y looks like a list of label lists (first row: {_plain(rows[0])!r}); "
            f"{HOW_TO_ENCODE}."
        )


def reject_empty_label_set(y):
    """Refuse a 2-D ``y`` with no column before scikit-learn's checks do.

    scikit-learn would say "Found array with 0 feature(s)", which reads as if
    X were empty.
    """
    shape = getattr(y, "shape", None)
    if shape is not None and len(shape) == 2 and shape[1] == 0:
        raise ValueError(f"y has shape {shape}, with no label column; {HOW_TO_ENCODE}.")


def target_label_names(y):
    """Return the string column names of a 2-D ``y`` (a DataFrame), else None.

    As ``feature_names_in_``: names only when every column name is a string.
    """
    columns = getattr(y, "columns", None)
    if columns is None or getattr(y, "ndim", 2) != 2:
        return None
    names = np.asarray(columns, dtype=object)
    if len(names) == 0 or not all(isinstance(name, str) for name in names):
        return None
    return names


def check_label_names(label_names, n_labels):
    """Return ``label_names`` as an array of one name per label, or raise."""
    names = np.asarray(label_names)
    if names.shape != (n_labels,):
        raise ValueError(
            f"label_names has shape {names.shape} but there are {n_labels} labels: "
            "pass one name per label, e.g. the estimator's label_names_."
        )
    return names


def _plain(row):
    """Return a row as a list of Python scalars, for readable messages."""
    return [value.item() if isinstance(value, np.generic) else value for value in row]


def _is_row(value):
    """Return True for a list-like row of a nested target."""
    return isinstance(value, (Sequence, np.ndarray, set, frozenset)) and not (
        isinstance(value, (str, bytes))
    )


def encode_target(y):
    """Turn a validated target into a compact 0/1 indicator, its classes, is_binary.

    Dense targets become uint8 (batches are converted as they are drawn), sparse
    ones float32 CSR; a 1-D binary target is one label for ``classes[1]``.
    """
    if not sp.issparse(y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            # A single column is what scikit-learn calls a column-vector binary
            # target: warn and treat it as 1-D, as its classifiers do.
            y = column_or_1d(y, warn=True)
    if y.ndim == 1:
        return _encode_binary(y)
    reject_empty_label_set(y)
    if y.dtype.kind in "OSU":
        # type_of_target reads object and string matrices as multiclass.
        raise ValueError(
            f"y of shape {y.shape} has dtype {y.dtype}, not a numeric or boolean "
            "indicator: convert 0/1 values with y.astype(int), or "
            f"{HOW_TO_ENCODE}."
        )
    target_type = type_of_target(y, input_name="y")
    values = np.unique(y.data if sp.issparse(y) else y)
    # type_of_target calls any two-valued matrix ({-1, 1}, {0, 2}) an indicator.
    if target_type != "multilabel-indicator" or not np.isin(values, (0, 1)).all():
        raise ValueError(
            f"y of shape {y.shape} holds values other than 0 and 1 "
            f"({_plain(values[:5])} ...); {HOW_TO_ENCODE}."
        )
    if sp.issparse(y):
        return sp.csr_matrix(y, dtype=np.float32), np.arange(y.shape[1]), False
    if y.dtype.itemsize == 1:
        # int8, uint8 and bool hold 0/1 in the same byte: no copy needed.
        return y.view(np.uint8), np.arange(y.shape[1]), False
    return y.astype(np.uint8), np.arange(y.shape[1]), False


def _encode_binary(y):
    """Encode a 1-D target with exactly two classes as one label, for ``classes[1]``."""
    check_classification_targets(y)
    target_type = type_of_target(y, input_name="y")
    classes = np.unique(y)
    if len(classes) == 0:
        raise ValueError(f"y is empty: {HOW_TO_ENCODE}, with at least one row.")
    if target_type == "multiclass":
        raise ValueError(
            "Only binary classification is supported for a 1-D y, and y has "
            f"{len(classes)} classes. Class indices are the classic mistake: "
            "labels are independent yes/no decisions here, so "
            f"{HOW_TO_ENCODE}. (For one-of-K classes use a softmax classifier "
            "such as MLPClassifier instead.)"
        )
    if len(classes) < 2:
        raise ValueError(
            f"y has only one class ({classes[0]!r}): a 1-D target needs two "
            f"classes. To train on labels that are sometimes constant, "
            f"{HOW_TO_ENCODE}."
        )
    return (y == classes[1]).astype(np.uint8).reshape(-1, 1), classes, True
