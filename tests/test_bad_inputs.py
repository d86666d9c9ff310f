"""The bad-input catalogue of docs/bad_inputs.md: one case per row.

Each error row asserts the exception type and message, and that a fresh
estimator is left unfitted; each "works" row asserts the right behaviour.
Rows marked xfail show a package defect: the message or behaviour the
catalogue promises is not there yet. Property-based tests of target
validation and decoding follow the catalogue.
"""

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel._validation import encode_target, reject_label_lists
from sklearn_multilabel.thresholds._decoding import decode

from .conftest import FAST

DOC = Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md"

_rng = np.random.default_rng(0)
X = _rng.normal(size=(60, 4))
# Three learnable labels, each positive on about half the rows.
Y = (X[:, :3] + 0.5 * _rng.normal(size=(60, 3)) > 0).astype(int)
COLUMNS = ["a", "b", "c", "d"]


def _with(array, value, where=(0, 0), dtype=float):
    """Return a copy of ``array`` with one entry replaced."""
    array = array.astype(dtype)
    array[where] = value
    return array


def _network(units=3, activation=None):
    """Return a build_network callable with one Dense output layer."""

    def build(meta):
        import keras

        return keras.Sequential(
            [
                keras.Input((meta["n_features_in"],)),
                keras.layers.Dense(units, activation=activation),
            ]
        )

    return build


def _raise_zero_division(Y_true, Y_pred):
    return 1 / 0


@dataclass
class Case:
    """One row of the catalogue.

    ``stage`` is "fit" (fitting X, y raises), "predict" (an estimator fitted
    on good data is given a bad X), or "works" (``check`` runs on the
    estimator fitted on X, y).
    """

    id: str
    stage: str
    error: type = None
    match: str = None
    X: object = field(default_factory=lambda: X)
    y: object = field(default_factory=lambda: Y)
    params: dict = field(default_factory=dict)
    fit_kwargs: dict = field(default_factory=dict)
    check: object = None
    tamper: object = None
    xfail: str = None


def fit_error(id, error, match, xfail=None, **kwargs):
    return Case(id, "fit", error, match, xfail=xfail, **kwargs)


def predict_error(id, error, match, X_bad, xfail=None, **kwargs):
    return Case(id, "predict", error, match, check=X_bad, xfail=xfail, **kwargs)


def _set_two_thresholds(clf):
    clf.thresholds_ = np.array([0.5, 0.5])


def _set_nan_threshold(clf):
    clf.thresholds_ = np.array([0.5, np.nan, 0.5])


def _check_all_zero_target(clf, X, Y):
    assert_array_equal(clf.thresholds_, np.nextafter(1.0, 2.0))
    assert not clf.predict(X).any()


def works(id, check, **kwargs):
    return Case(id, "works", check=check, **kwargs)


def invalid_parameter(name, value):
    return fit_error(
        f"param-{name.replace('_', '-')}",
        InvalidParameterError,
        rf"The '{name}' parameter of MultiLabelNNClassifier must be .* Got "
        rf"{re.escape(repr(value))} instead",
        params={name: value},
    )


# Checks of the "works" rows -------------------------------------------------


def _check_constant_labels(clf, X, Y):
    prediction = clf.predict(X)
    assert_array_equal(prediction[:, 1], 0)  # never positive in training
    assert_array_equal(prediction[:, 2], 1)  # always positive in training
    # Label 0 is still learned: the best possible accuracy is about 0.85
    # (P(sign(x + 0.5 e) = sign(x)) = 1 - arctan(0.5) / pi), chance is 0.5.
    assert np.mean(prediction[:, 0] == Y[:, 0]) >= 0.75


def _check_one_row(clf, X, Y):
    assert clf.predict(X).shape == (1, 3)
    assert clf.predict(np.zeros((5, 4))).shape == (5, 3)


def _check_float32_then_float64(clf, X, Y):
    assert_allclose(
        clf.predict_proba(X.astype(np.float64)), clf.predict_proba(X), rtol=1e-6
    )


def _check_like_dense(clf, X, Y):
    # Sparse rows go through sparse kernels: equal to float32 rounding. The
    # default input noise and feature bins are for dense rows only.
    auto = 0 if sp.issparse(X) else "auto"
    dense = MultiLabelNNClassifier(**FAST, input_noise=auto, n_bins=auto)
    dense.fit(_dense(X), _dense(Y))
    assert_allclose(clf.predict_proba(X), dense.predict_proba(_dense(X)), rtol=1e-5)
    assert_allclose(clf.thresholds_, dense.thresholds_, rtol=1e-6)


def _dense(array):
    return array.toarray() if sp.issparse(array) else np.asarray(array)


def _check_dataframe_target(clf, X, Y):
    assert_array_equal(clf.classes_, [0, 1, 2])
    prediction = clf.predict(X)
    assert isinstance(prediction, np.ndarray) and prediction.shape == Y.shape


def _check_bool_target(clf, X, Y):
    prediction = clf.predict(X)
    assert prediction.dtype == bool and prediction.shape == Y.shape


def _check_shapes(clf, X, Y):
    assert clf.predict_proba(X).shape == np.shape(Y)
    assert clf.n_features_in_ == np.shape(X)[1]


def _check_numpy_after_dataframe(clf, X, Y):
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        assert clf.predict(np.asarray(X)).shape == Y.shape


def _check_binary_strings(clf, X, y):
    assert_array_equal(clf.classes_, ["ham", "spam"])
    assert set(clf.predict(X)) <= {"ham", "spam"}
    assert clf.predict_proba(X).shape == (len(y), 2)


def _check_column_vector(clf, X, Y):
    assert clf.predict(X).shape == (len(Y),)
    assert clf.predict_proba(X).shape == (len(Y), 2)


CONSTANT_LABELS = np.column_stack([Y[:, 0], np.zeros(60), np.ones(60)]).astype(int)
X_DF = pd.DataFrame(X, columns=COLUMNS)

CASES = [
    # Non-finite and non-0/1 values ------------------------------------------
    fit_error("nan-in-X", ValueError, r"Input X contains NaN", X=_with(X, np.nan)),
    fit_error("inf-in-X", ValueError, r"Input X contains infinity", X=_with(X, np.inf)),
    fit_error("nan-in-Y", ValueError, r"Input y contains NaN", y=_with(Y, np.nan)),
    fit_error("inf-in-Y", ValueError, r"Input y contains infinity", y=_with(Y, np.inf)),
    fit_error(
        "Y-counts",
        ValueError,
        r"y of shape \(60, 3\) holds values other than 0 and 1.*MultiLabelBinarizer",
        y=_with(Y, 2, dtype=int),
    ),
    fit_error(
        "Y-fractions",
        ValueError,
        r"holds values other than 0 and 1 \(\[0\.0, 0\.5\] \.\.\.\)",
        y=Y * 0.5,
    ),
    fit_error(
        "Y-minus-one-plus-one",
        ValueError,
        r"holds values other than 0 and 1",
        y=2 * Y - 1,
        params={"threshold": 0.5},
    ),
    fit_error(
        "Y-zero-two",
        ValueError,
        r"holds values other than 0 and 1",
        y=2 * Y,
    ),
    fit_error(
        "sparse-Y-zero-two",
        ValueError,
        r"holds values other than 0 and 1",
        y=sp.csr_array(2 * Y),
    ),
    # Targets in the wrong encoding ------------------------------------------
    fit_error(
        "class-indices",
        ValueError,
        r"Only binary classification is supported for a 1-D y.*3 classes.*"
        r"MultiLabelBinarizer",
        y=np.arange(60) % 3,
    ),
    fit_error(
        "label-lists",
        ValueError,
        r"y looks like a list of label lists.*MultiLabelBinarizer\(\)\.fit_transform",
        y=[["beach", "sunset"], ["urban"]] * 30,
    ),
    fit_error(
        "label-lists-series",
        ValueError,
        r"legacy multi-label data representation.*MultiLabelBinarizer",
        y=pd.Series([["beach", "sunset"], ["urban"]] * 30),
    ),
    fit_error("one-class-1d", ValueError, r"y has only one class", y=np.zeros(60)),
    fit_error(
        "Y-no-columns",
        ValueError,
        r"y has shape \(60, 0\), with no label column",
        y=np.zeros((60, 0), dtype=int),
    ),
    # Shapes -------------------------------------------------------------------
    fit_error(
        "mismatched-rows",
        ValueError,
        r"inconsistent numbers of samples: \[60, 50\]",
        y=Y[:50],
    ),
    fit_error("zero-rows", ValueError, r"0 sample\(s\)", X=X[:0], y=Y[:0]),
    fit_error(
        "one-row",
        ValueError,
        r"validation split of 0\.2 from n_samples=1.*early_stopping=False.*"
        r"threshold=0\.5",
        X=X[:1],
        y=Y[:1],
    ),
    fit_error(
        "zero-features", ValueError, r"0 feature\(s\) \(shape=\(60, 0\)\)", X=X[:, :0]
    ),
    fit_error(
        "X-1d", ValueError, r"(?s)Expected 2D array, got 1D array.*Reshape", X=X[:, 0]
    ),
    fit_error("X-3d", ValueError, r"Found array with dim 3", X=X[:, :, None]),
    # Feature types --------------------------------------------------------------
    fit_error(
        "string-X",
        ValueError,
        r"could not convert string to float.*(OneHotEncoder|encode)",
        X=np.where(X > 0, "high", "low"),
    ),
    fit_error("complex-X", ValueError, r"Complex data not supported", X=X + 1j),
    # sample_weight --------------------------------------------------------------
    fit_error(
        "sample-weight-wrong-length",
        ValueError,
        r"sample_weight\.shape == \(59,\), expected \(60,\)",
        fit_kwargs={"sample_weight": np.ones(59)},
    ),
    fit_error(
        "sample-weight-nan",
        ValueError,
        r"Input sample_weight contains NaN",
        fit_kwargs={"sample_weight": _with(np.ones(60), np.nan, where=0)},
    ),
    fit_error(
        "sample-weight-all-zero",
        ValueError,
        r"Sample weights must contain at least one non-zero number",
        fit_kwargs={"sample_weight": np.zeros(60)},
    ),
    fit_error(
        "sample-weight-negative",
        ValueError,
        r"(?i)negative.*sample_weight|sample_weight.*negative",
        fit_kwargs={"sample_weight": _with(np.ones(60), -1.0, where=0)},
    ),
    # Parameters -----------------------------------------------------------------
    invalid_parameter("dropout", 1.0),
    invalid_parameter("alpha", -1),
    invalid_parameter("learning_rate", 0),
    invalid_parameter("batch_size", 0),
    invalid_parameter("max_iter", 2.0),
    invalid_parameter("validation_fraction", 1.0),
    invalid_parameter("loss", "mse"),
    invalid_parameter("activation", "gelu"),
    invalid_parameter("threshold", "f2"),
    invalid_parameter("threshold_cv", 1),
    invalid_parameter("max_labels", 0),
    invalid_parameter("random_state", "a"),
    invalid_parameter("build_network", "mlp"),
    fit_error(
        "hidden-layer-of-width-zero",
        ValueError,
        r"hidden_layer_sizes must hold positive integers.*got \(16, 0\)",
        params={"hidden_layer_sizes": (16, 0)},
    ),
    fit_error(
        "threshold-array-wrong-length",
        ValueError,
        r"threshold has shape \(2,\).*y has 3 labels",
        params={"threshold": [0.5, 0.5]},
    ),
    fit_error(
        "min-labels-above-n-labels",
        ValueError,
        r"min_labels=5 exceeds the number of labels, 3",
        params={"min_labels": 5},
    ),
    fit_error(
        "class-weight-wrong-length",
        ValueError,
        r"class_weight gives weights of shape \(2,\) for 3 labels",
        params={"class_weight": [1.0, 2.0]},
    ),
    fit_error(
        "class-weight-negative",
        ValueError,
        r"class_weight .* finite non-negative",
        params={"class_weight": [-1.0, 1.0, 1.0]},
    ),
    fit_error(
        "class-weight-unknown-label",
        ValueError,
        r"class_weight names \[7\].*label index",
        params={"class_weight": {7: 2.0}},
    ),
    fit_error(
        "threshold-cv-more-folds-than-rows",
        ValueError,
        r"threshold_cv=10 splits the rows into 10 folds but X has only 8 rows: "
        r"pass threshold_cv=None .* or at most 8 folds",
        X=X[:8],
        y=Y[:8],
        params={"threshold_cv": 10},
    ),
    # Custom networks and training -----------------------------------------------
    fit_error(
        "custom-softmax-output",
        ValueError,
        r"softmax, which makes the labels compete.*Dense\(n_labels\)",
        params={"build_network": _network(activation="softmax")},
    ),
    fit_error(
        "custom-wrong-number-of-outputs",
        ValueError,
        r"output has shape \(None, 2\), but the target has 3 labels.*Dense\(3\)",
        params={"build_network": _network(units=2)},
    ),
    fit_error(
        "training-diverges",
        ValueError,
        r"Training diverged: the loss became nan.*Lower learning_rate.*StandardScaler",
        X=X * 1e30,
    ),
    fit_error(
        "threshold-metric-raises",
        ZeroDivisionError,
        r"division by zero",
        params={"threshold": _raise_zero_division},
    ),
    # At predict time --------------------------------------------------------------
    predict_error(
        "predict-before-fit",
        NotFittedError,
        r"not fitted yet.*Call 'fit'",
        X,
    ),
    predict_error(
        "feature-count-changed",
        ValueError,
        r"X has 3 features, but MultiLabelNNClassifier is expecting 4",
        X[:, :3],
    ),
    predict_error(
        "feature-names-changed",
        ValueError,
        r"(?s)feature names should match.*unseen at fit time:\n- z",
        X_DF.rename(columns={"a": "z"}),
        X=X_DF,
    ),
    predict_error(
        "feature-names-reordered",
        ValueError,
        r"must be in the same order",
        X_DF[["b", "a", "c", "d"]],
        X=X_DF,
    ),
    predict_error(
        "nan-at-predict", ValueError, r"Input X contains NaN", _with(X, np.nan)
    ),
    predict_error("zero-rows-at-predict", ValueError, r"0 sample\(s\)", X[:0]),
    predict_error(
        "huge-X-at-predict",
        ValueError,
        r"(?i)finite|overflow",
        np.full_like(X, np.finfo(np.float64).max),
    ),
    predict_error(
        "thresholds-set-by-hand-wrong-length",
        ValueError,
        r"thresholds_.*3 labels",
        X,
        tamper=_set_two_thresholds,
    ),
    # Must just work ---------------------------------------------------------------
    works("label-never-or-always-positive", _check_constant_labels, y=CONSTANT_LABELS),
    works(
        "one-row-without-validation",
        _check_one_row,
        X=X[:1],
        y=Y[:1],
        params={"early_stopping": False, "threshold": 0.5},
    ),
    works(
        "fit-float32-predict-float64",
        _check_float32_then_float64,
        X=X.astype(np.float32),
    ),
    works("X-csr-array", _check_like_dense, X=sp.csr_array(X)),
    works("X-csc-array", _check_like_dense, X=sp.csc_array(X)),
    works("X-csr-matrix", _check_like_dense, X=sp.csr_matrix(X)),
    works("X-csc-matrix", _check_like_dense, X=sp.csc_matrix(X)),
    works("X-coo-array", _check_like_dense, X=sp.coo_array(X)),
    works("Y-csc-array", _check_like_dense, y=sp.csc_array(Y)),
    works("Y-csc-matrix", _check_like_dense, y=sp.csc_matrix(Y)),
    works("Y-coo-array", _check_like_dense, y=sp.coo_array(Y)),
    works(
        "Y-dataframe", _check_dataframe_target, y=pd.DataFrame(Y, columns=list("xyz"))
    ),
    works("Y-bool", _check_bool_target, y=Y.astype(bool)),
    works("Y-nested-lists", _check_shapes, y=Y.tolist()),
    works("X-one-feature", _check_shapes, X=X[:, :1]),
    works("X-object-numbers", _check_shapes, X=X.astype(object)),
    works("X-integers", _check_shapes, X=np.round(X * 10).astype(int)),
    works("X-dataframe-then-numpy", _check_numpy_after_dataframe, X=X_DF),
    works(
        "y-1d-binary-strings",
        _check_binary_strings,
        y=np.where(Y[:, 0] == 1, "spam", "ham"),
    ),
    works("Y-one-column", _check_column_vector, y=Y[:, :1]),
    predict_error(
        "thresholds-set-by-hand-nan",
        ValueError,
        r"thresholds_ contains NaN \(label 1\)",
        X,
        tamper=_set_nan_threshold,
    ),
    works("Y-all-zero", _check_all_zero_target, y=np.zeros((60, 3), dtype=int)),
]

PARAMS = [
    pytest.param(
        case,
        id=case.id,
        marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [],
    )
    for case in CASES
]


@pytest.fixture(scope="module")
def fitted_on():
    """Fit FAST on each distinct training X once, for the predict rows."""
    cache = {}

    def fit(X_train):
        key = id(X_train)
        if key not in cache:
            cache[key] = MultiLabelNNClassifier(**FAST).fit(X_train, Y)
        return cache[key]

    return fit


@pytest.mark.parametrize("case", PARAMS)
def test_bad_input_catalogue(case, fitted_on):
    """Check each catalogue row: the error and its message, and a fresh
    estimator left unfitted; or, for the rows that must work, the result."""
    params = {**FAST, **case.params}
    if case.stage == "fit":
        clf = MultiLabelNNClassifier(**params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow on the way
            with pytest.raises(case.error, match=case.match):
                clf.fit(case.X, case.y, **case.fit_kwargs)
        with pytest.raises(NotFittedError):
            clf.predict(X)
    elif case.stage == "predict":
        if case.error is NotFittedError:
            clf = MultiLabelNNClassifier(**params)
        elif case.tamper is not None:
            clf = MultiLabelNNClassifier(**params).fit(case.X, case.y)
            case.tamper(clf)
        else:
            clf = fitted_on(case.X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with pytest.raises(case.error, match=case.match):
                proba = clf.predict_proba(case.check)
                # Without an error, a wrong answer must at least not be silent.
                assert np.all((proba > 0) & (proba < 1)), "predict_proba gave NaN"
                clf.predict(case.check)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataConversionWarning)
            clf = MultiLabelNNClassifier(**params).fit(case.X, case.y)
        case.check(clf, case.X, case.y)


DATA_ERROR_CASES = [
    "nan-in-X",
    "Y-counts",
    "label-lists",
    "one-row",
    "custom-softmax-output",
]


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if case.id in DATA_ERROR_CASES],
    ids=lambda case: case.id,
)
def test_failed_refit_forgets_the_previous_fit(case):
    """Check that a fitted estimator whose refit fails on bad data does not go
    on predicting with its previous model."""
    clf = MultiLabelNNClassifier(**FAST).fit(X, Y).set_params(**case.params)
    with pytest.raises(case.error, match=case.match):
        clf.fit(case.X, case.y, **case.fit_kwargs)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_refit_with_invalid_parameter_keeps_the_previous_fit():
    """Check the documented exception: parameters are validated before fit
    starts, so, as in scikit-learn, the previous model stays usable."""
    clf = MultiLabelNNClassifier(**FAST).fit(X, Y)
    expected = clf.predict_proba(X)
    clf.set_params(learning_rate=-1.0)
    with pytest.raises(InvalidParameterError):
        clf.fit(X, Y)
    assert_array_equal(clf.predict_proba(X), expected)


def test_catalogue_document_lists_exactly_the_tested_cases():
    """Check that docs/bad_inputs.md has one row per case, with the same ids."""
    rows = re.findall(r"^\| `([^`]+)` \|", DOC.read_text(), flags=re.MULTILINE)
    assert sorted(rows) == sorted(case.id for case in CASES)
    assert len(rows) == len(set(rows)) >= 30


# Properties of target validation and decoding ------------------------------------

PROPERTIES = settings(max_examples=25, deadline=None)


def _matrices(elements, min_columns=2):
    shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6)
    shapes = shapes.filter(lambda shape: shape[1] >= min_columns)
    return shapes.flatmap(lambda shape: hnp.arrays(np.int64, shape, elements=elements))


@PROPERTIES
@given(
    Y=_matrices(st.integers(0, 1)),
    dtype=st.sampled_from([np.int64, np.float64, bool, np.uint8, np.int8]),
    sparse=st.booleans(),
)
def test_any_indicator_matrix_is_accepted(Y, dtype, sparse):
    """Check that every 0/1 matrix with two or more columns, dense or sparse,
    of any dtype, becomes the same indicator with classes arange: uint8 when
    dense (a view of one-byte targets), float32 CSR when sparse."""
    target = sp.csr_array(Y.astype(dtype)) if sparse else Y.astype(dtype)
    encoded, classes, binary = encode_target(target)
    assert not binary
    assert_array_equal(classes, np.arange(Y.shape[1]))
    assert encoded.dtype == (np.float32 if sparse else np.uint8)
    assert_array_equal(_dense(encoded), Y)
    if not sparse:
        assert np.shares_memory(encoded, target) == (target.dtype.itemsize == 1)


@pytest.mark.filterwarnings("ignore:The number of unique classes:UserWarning")
@PROPERTIES
@given(y=hnp.arrays(np.int64, st.integers(3, 30), elements=st.integers(-5, 50)))
def test_any_multiclass_1d_target_is_refused_with_the_multi_hot_fix(y):
    """Check that a 1-D integer target with three or more classes is refused
    with the class count and the multi-hot encoding to use instead."""
    n_classes = len(np.unique(y))
    if n_classes < 3:
        return
    with pytest.raises(ValueError, match=rf"{n_classes} classes.*multi-hot"):
        encode_target(y)


@PROPERTIES
@given(Y=_matrices(st.integers(-3, 3)))
def test_any_matrix_with_three_values_is_refused(Y):
    """Check that a matrix holding three or more distinct values is refused."""
    if len(np.unique(Y)) < 3:
        return
    with pytest.raises(ValueError, match=r"values other than 0 and 1"):
        encode_target(Y)


@PROPERTIES
@given(
    Y=_matrices(st.integers(0, 1)),
    values=st.sampled_from([(-1, 1), (0, 2), (1, 2), (3, 7)]),
)
def test_any_two_valued_matrix_other_than_0_1_is_refused(Y, values):
    """Check that two values other than 0 and 1 are refused, not trained on."""
    target = np.where(Y == 1, values[1], values[0])
    assume(not np.isin(target, (0, 1)).all())
    with pytest.raises(ValueError, match=r"values other than 0 and 1"):
        encode_target(target)


@PROPERTIES
@given(
    y=hnp.arrays(np.int64, st.integers(2, 30), elements=st.integers(0, 1)),
    labels=st.sampled_from([(0, 1), (-1, 1), ("ham", "spam"), (2.0, 7.0)]),
)
def test_any_two_class_1d_target_is_one_label_for_the_second_class(y, labels):
    """Check that a 1-D target with two classes becomes one 0/1 column."""
    if len(np.unique(y)) < 2:
        return
    target = np.asarray(labels)[y]
    encoded, classes, binary = encode_target(target)
    assert binary
    assert_array_equal(classes, sorted(labels))
    assert_array_equal(encoded.ravel(), target == classes[1])


@PROPERTIES
@given(
    rows=st.lists(
        st.lists(st.sampled_from(["beach", "sunset", "urban"]), max_size=3),
        min_size=1,
        max_size=8,
    ).filter(lambda rows: any(rows))
)
def test_any_list_of_tag_lists_is_refused(rows):
    """Check that lists of string tags are refused before reaching numpy."""
    with pytest.raises(ValueError, match=r"list of label lists.*MultiLabelBinarizer"):
        reject_label_lists(rows)


@PROPERTIES
@given(Y=_matrices(st.integers(0, 1), min_columns=1))
def test_any_indicator_written_as_lists_passes_the_label_list_check(Y):
    """Check that equal-length 0/1 lists are never mistaken for label lists."""
    reject_label_lists(Y.tolist())


@pytest.fixture(scope="module")
def fitted_for_decoding():
    return MultiLabelNNClassifier(**FAST).fit(X, Y)


@PROPERTIES
@given(data=st.data())
def test_predict_with_label_bounds_is_decode_of_predict_proba(
    fitted_for_decoding, data
):
    """Check that predict under any min_labels/max_labels is decode of
    predict_proba with thresholds_, and respects both bounds on every row."""
    min_labels = data.draw(st.integers(0, 3))
    max_labels = data.draw(st.none() | st.integers(max(min_labels, 1), 3))
    clf = fitted_for_decoding
    clf.set_params(min_labels=min_labels, max_labels=max_labels)
    try:
        prediction = clf.predict(X)
    finally:
        clf.set_params(min_labels=0, max_labels=None)
    expected = decode(
        clf.predict_proba(X),
        clf.thresholds_,
        min_labels=min_labels,
        max_labels=max_labels,
    )
    assert_array_equal(prediction, expected)
    counts = prediction.sum(axis=1)
    assert counts.min() >= min_labels
    assert counts.max() <= (3 if max_labels is None else max_labels)


@PROPERTIES
@given(
    scores=hnp.arrays(np.float64, (5, 4), elements=st.floats(0, 1)),
    thresholds=hnp.arrays(np.float64, 4, elements=st.floats(0, 1)),
    lower_by=hnp.arrays(np.float64, 4, elements=st.floats(0, 1)),
)
def test_decode_lower_thresholds_only_add_labels(scores, thresholds, lower_by):
    """Check that lowering thresholds never removes a predicted label."""
    high = decode(scores, thresholds)
    low = decode(scores, thresholds - lower_by)
    assert np.all(low >= high)


@PROPERTIES
@given(
    n_labels=st.integers(1, 6),
    excess=st.integers(1, 3),
    bad=st.sampled_from(["min_labels", "max_labels"]),
)
def test_decode_refuses_impossible_bounds(n_labels, excess, bad):
    """Check that bounds no prediction can meet are refused, naming the bound."""
    scores = np.full((2, n_labels), 0.5)
    if bad == "min_labels":
        bounds = {"min_labels": n_labels + excess}
        match = rf"min_labels={n_labels + excess} exceeds the number of labels"
    else:
        bounds = {"min_labels": n_labels, "max_labels": n_labels - excess}
        match = rf"max_labels={n_labels - excess} is smaller than min_labels"
        if n_labels - excess < 0:
            match = r"max_labels must be a non-negative integer"
    with pytest.raises(ValueError, match=match):
        decode(scores, 0.5, **bounds)
