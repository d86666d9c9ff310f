"""Target checks: what is refused, and what the messages tell the user."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.exceptions import DataConversionWarning

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel._validation import encode_target, reject_label_lists

from .conftest import FAST

X = np.random.default_rng(0).normal(size=(6, 2))


@pytest.mark.parametrize(
    "y, err_msg",
    [
        (
            np.array([0, 1, 2, 1, 0, 2]),
            r"Only binary classification is supported.*3 classes.*multi-hot "
            r"indicator matrix.*MultiLabelBinarizer",
        ),
        (
            [["beach", "sunset"], ["urban"], [], ["beach"], ["sunset"], ["urban"]],
            r"list of label lists.*MultiLabelBinarizer\(\)\.fit_transform",
        ),
        ([[0, 2], [1], [], [0], [1], [2]], r"list of label lists"),
        (
            np.array([[0, 2], [1, 0], [0, 1], [2, 2], [1, 1], [0, 0]]),
            r"values other than 0 and 1.*multi-hot indicator matrix",
        ),
        (np.linspace(0, 1, 6), r"Unknown label type"),
        (np.ones(6), r"only one class"),
    ],
    ids=[
        "class-indices",
        "tag-lists",
        "index-lists",
        "counts",
        "continuous",
        "one-class",
    ],
)
def test_bad_targets_are_refused_with_the_fix(y, err_msg):
    """Check that each classic target mistake raises a message naming the fix."""
    with pytest.raises(ValueError, match=err_msg):
        MultiLabelNNClassifier(**FAST).fit(X, y)


def test_indicator_as_nested_lists_is_accepted():
    """Check that an indicator matrix written as equal-length 0/1 lists passes."""
    y = [[0, 1], [1, 0], [1, 1], [0, 0]]
    reject_label_lists(y)
    Y, classes, binary = encode_target(np.array(y))
    assert_array_equal(Y, y)
    assert_array_equal(classes, [0, 1])
    assert not binary


def test_binary_target_is_one_label_for_the_second_class():
    """Check that a 1-D binary target becomes one column for classes[1]."""
    Y, classes, binary = encode_target(np.array(["no", "yes", "yes", "no"]))
    assert binary
    assert_array_equal(classes, ["no", "yes"])
    assert_array_equal(Y.ravel(), [0, 1, 1, 0])


def test_column_vector_warns_like_scikit_learn():
    """Check that a single 0/1 column warns and is treated as a 1-D target."""
    with pytest.warns(DataConversionWarning, match="column-vector"):
        Y, _, binary = encode_target(np.array([[0], [1], [1], [0]]))
    assert binary and Y.shape == (4, 1)


def test_sparse_indicator_stays_sparse():
    """Check that a sparse indicator matrix is kept sparse, as float32."""
    Y, classes, binary = encode_target(sp.csr_array(np.eye(3, dtype=int)))
    assert sp.issparse(Y) and Y.dtype == np.float32
    assert_array_equal(classes, [0, 1, 2])
    assert not binary


def test_boolean_indicator_is_accepted():
    """Check that a boolean indicator matrix is a valid multi-label target."""
    Y, _, _ = encode_target(np.array([[True, False], [False, True]]))
    assert_array_equal(Y, [[1, 0], [0, 1]])


def test_empty_target_is_refused():
    """Check that an empty 1-D target gets a ValueError, not an IndexError."""
    with pytest.raises(ValueError, match="y is empty"):
        encode_target(np.array([], dtype=int))


@pytest.mark.parametrize("dtype", [str, object])
def test_string_or_object_indicator_names_its_dtype(dtype):
    """Check that a 0/1 matrix of strings or objects is refused with its dtype
    and the conversion to make, not as holding values other than 0 and 1."""
    Y = np.array([[0, 1], [1, 0], [1, 1]]).astype(dtype)
    with pytest.raises(ValueError, match=r"has dtype .*y\.astype\(int\)") as error:
        encode_target(Y)
    assert "values other than" not in str(error.value)
