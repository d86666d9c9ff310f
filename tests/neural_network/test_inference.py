"""Forward passes: precision, batch independence, sparse rows kept sparse."""

import keras
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_multilabel import MultiLabelNNClassifier, load_model, save_model
from sklearn_multilabel.neural_network import _batches
from sklearn_multilabel.neural_network._batches import rows_per_batch, sparse_rows
from sklearn_multilabel.neural_network._network import takes_sparse_input

from ..conftest import FAST, network_input

SPARSE_CONTAINERS = [sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array]


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y = multilabel_data
    return MultiLabelNNClassifier(**FAST).fit(X, Y)


@pytest.fixture(scope="module")
def sparse_data(multilabel_data):
    X, Y = multilabel_data
    return sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0)), Y


def _keras_logits(model, X):
    return keras.ops.convert_to_numpy(model(X, training=False))


def test_float32_rows_give_float32_outputs_equal_to_keras(fitted, multilabel_data):
    """Check the fast path: float32 in, float32 out, Keras' logits to 1e-6."""
    X = multilabel_data[0].astype(np.float32)
    logits = fitted.decision_function(X)
    assert logits.dtype == np.float32
    assert fitted.predict_proba(X).dtype == np.float32
    expected = _keras_logits(fitted.model_, network_input(fitted, X))
    assert_allclose(logits, expected, rtol=1e-6, atol=1e-6)


def test_float64_outputs_do_not_depend_on_the_batch(fitted, multilabel_data):
    """Check that a float64 row gets the same probabilities alone or in a batch."""
    X = multilabel_data[0]
    full = fitted.predict_proba(X)
    assert full.dtype == np.float64
    one_by_one = np.vstack([fitted.predict_proba(X[i : i + 1]) for i in range(20)])
    assert_allclose(one_by_one, full[:20], rtol=1e-12, atol=0)
    reversed_rows = fitted.predict_proba(X[::-1])[::-1]
    assert_allclose(reversed_rows, full, rtol=1e-12, atol=0)


def test_probabilities_stay_inside_the_open_interval(fitted, multilabel_data):
    """Check the clipping in both precisions, for logits that saturate."""
    X = multilabel_data[0] * 1e4
    for dtype in (np.float32, np.float64):
        proba = fitted.predict_proba(X.astype(dtype))
        assert proba.dtype == dtype
        assert np.all((proba > 0) & (proba < 1))
        assert proba.max() == 1 - np.finfo(dtype).eps


@pytest.fixture
def toarray_forbidden(monkeypatch):
    """Make densifying any sparse matrix or array fail."""

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"densified a sparse {self.shape} block")

    for container in (sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array):
        monkeypatch.setattr(container, "toarray", refuse)
        monkeypatch.setattr(container, "todense", refuse)


@pytest.mark.parametrize("container", SPARSE_CONTAINERS)
def test_default_network_never_densifies_sparse_rows(
    sparse_data, container, toarray_forbidden
):
    """Check that fit (with validation and threshold tuning) and every
    prediction multiply sparse rows as they are."""
    X, Y = sparse_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 3}).fit(container(X), Y)
    assert takes_sparse_input(clf.model_)
    proba = clf.predict_proba(container(X))
    assert proba.shape == Y.shape
    clf.predict(container(X))
    clf.decision_function(container(X))


def test_sparse_fit_equals_dense_fit_in_float32(sparse_data):
    """Check that sparse kernels train the same network as dense ones, to
    float32 rounding, in both output precisions."""
    X, Y = sparse_data
    params = {**FAST, "max_iter": 5, "input_noise": 0, "n_bins": 0}
    for dtype in (np.float32, np.float64):
        sparse = MultiLabelNNClassifier(**params).fit(X.astype(dtype), Y)
        dense = MultiLabelNNClassifier(**params).fit(X.toarray().astype(dtype), Y)
        assert_allclose(
            sparse.predict_proba(X.astype(dtype)),
            dense.predict_proba(X.toarray().astype(dtype)),
            rtol=1e-4,
        )


def test_sparse_network_round_trips_through_save_model(sparse_data, tmp_path):
    """Check that a network built for sparse rows is saved and loaded."""
    X, Y = sparse_data
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 3}).fit(X, Y)
    save_model(clf, tmp_path / "sparse.skml")
    loaded = load_model(tmp_path / "sparse.skml")
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert takes_sparse_input(loaded.model_)


def _custom_network(meta):
    inputs = keras.Input(shape=(meta["n_features_in"],))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(meta["n_labels"])(hidden))


def test_custom_network_densifies_small_batches_only(sparse_data, monkeypatch):
    """Check that a network without sparse support gets sparse rows densified
    in batches capped by bytes, never the whole matrix."""
    X, Y = sparse_data
    monkeypatch.setattr(_batches, "DENSE_BATCH_BYTES", 4 * X.shape[1] * 16)
    densified = []
    original = sp.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        densified.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording_toarray)
    clf = MultiLabelNNClassifier(
        **{**FAST, "max_iter": 2, "batch_size": 8}, build_network=_custom_network
    ).fit(X, Y)
    densified.clear()
    clf.predict_proba(X)
    assert densified and max(densified) == 16
    assert not takes_sparse_input(clf.model_)


def test_rows_per_batch_caps_densified_bytes_only():
    """Check the batch-size rule: dense input and sparse-capable consumers keep
    the requested size; densified sparse rows fit in DENSE_BATCH_BYTES."""
    wide = sp.csr_matrix((10, 50_000), dtype=np.float32)
    assert rows_per_batch(np.zeros((10, 50_000)), 4096, keep_sparse=False) == 4096
    assert rows_per_batch(wide, 4096, keep_sparse=True) == 4096
    capped = rows_per_batch(wide, 4096, keep_sparse=False)
    assert capped * 50_000 * 4 <= _batches.DENSE_BATCH_BYTES < (capped + 1) * 200_000
    assert rows_per_batch(sp.csr_matrix((10, 10**9)), 4096, keep_sparse=False) == 1


def test_sparse_rows_are_canonical():
    """Check that duplicates are summed and columns sorted, as TensorFlow's
    sparse tensors need, without touching the caller's matrix."""
    X = sp.csr_matrix(
        (np.array([1.0, 2.0, 3.0]), np.array([2, 0, 2]), np.array([0, 3])),
        shape=(1, 3),
    )
    batch = sparse_rows(X, slice(None))
    assert_array_equal(batch.indices, [0, 2])
    assert_array_equal(batch.data, np.array([2.0, 4.0], dtype=np.float32))
    assert X.nnz == 3


@pytest.mark.parametrize("hidden_layer_sizes", [(8,), (8, 4)])
def test_batch_norm_is_folded_into_numpy_inference(multilabel_data, hidden_layer_sizes):
    """Check that batch normalisation learns moving statistics and that the
    numpy pass, which folds them into the kernels, equals Keras' own."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(
        **{**FAST, "hidden_layer_sizes": hidden_layer_sizes, "batch_norm": True}
    ).fit(X, Y)
    norms = [
        layer
        for layer in clf.model_.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert len(norms) == len(hidden_layer_sizes)
    assert not np.allclose(np.asarray(norms[0].moving_mean), 0.0)
    keras_logits = keras.ops.convert_to_numpy(
        clf.model_(network_input(clf, X.astype(np.float32)), training=False)
    )
    assert_allclose(
        clf.decision_function(X.astype(np.float32)), keras_logits, rtol=1e-5, atol=1e-5
    )


def test_sparse_fit_with_batch_norm_equals_dense_fit(sparse_data):
    """Check that batch normalisation after a sparse first layer trains the
    network the same dense rows train."""
    X, Y = sparse_data
    params = {**FAST, "max_iter": 5, "input_noise": 0, "n_bins": 0, "batch_norm": True}
    sparse = MultiLabelNNClassifier(**params).fit(X, Y)
    dense = MultiLabelNNClassifier(**params).fit(X.toarray(), Y)
    # Dividing by batch standard deviations amplifies the float32 rounding
    # differences of the two multiplications more than plain layers do.
    assert_allclose(
        sparse.predict_proba(X), dense.predict_proba(X.toarray()), rtol=1e-3
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hidden_overflow_gives_nan_logits_on_its_rows_only(dtype):
    """Check that a hidden layer overflowing to -inf, which a ReLU would turn
    into a harmless 0, still marks that row's logits as non-finite."""
    from sklearn_multilabel.neural_network._inference import NumpyForward

    layers = [
        (np.array([[-10.0, -10.0]], dtype=np.float32), np.zeros(2, np.float32), "relu"),
        (np.ones((2, 1), dtype=np.float32), np.full(1, 0.5, np.float32), "linear"),
    ]
    rows = np.array([[1.0], [np.finfo(dtype).max]], dtype=dtype)
    with np.errstate(over="ignore"):  # as predict_proba calls it
        logits = NumpyForward(None, layers)(rows)
    assert logits[0, 0] == 0.5
    assert np.isnan(logits[1, 0])
