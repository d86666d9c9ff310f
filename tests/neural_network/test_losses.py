"""Losses from logits against their numpy references and textbook formulas."""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from scipy import sparse

from sklearn_multilabel.neural_network._losses import (
    LOSSES,
    balanced_pos_weight,
    binary_crossentropy_from_logits,
    binary_crossentropy_numpy,
    loss_numpy,
    make_loss,
)

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

# Non-default parameters, so that every parameter a loss reads matters.
LOSS_PARAMS = {
    "binary_crossentropy": {},
    "focal": {"gamma": 1.5, "alpha": 0.25},
    "asymmetric": {"gamma_pos": 1.0, "gamma_neg": 3.0, "clip": 0.1},
}


def _naive_bce(Y, logits, pos_weight=1.0):
    """Textbook formula, only valid for moderate logits."""
    p = 1 / (1 + np.exp(-logits))
    return np.mean(-(pos_weight * Y * np.log(p) + (1 - Y) * np.log(1 - p)))


def _naive_focal(Y, logits, gamma, alpha):
    """Textbook focal loss -alpha_t (1 - p_t)^gamma log(p_t)."""
    p = 1 / (1 + np.exp(-logits))
    p_t = np.where(Y == 1, p, 1 - p)
    alpha_t = 1.0 if alpha is None else np.where(Y == 1, alpha, 1 - alpha)
    return np.mean(-alpha_t * (1 - p_t) ** gamma * np.log(p_t))


def _naive_asymmetric(Y, logits, gamma_pos, gamma_neg, clip):
    """Textbook asymmetric loss with shifted probability max(p - clip, 0)."""
    p = 1 / (1 + np.exp(-logits))
    p_m = np.maximum(p - clip, 0)
    positive = (1 - p) ** gamma_pos * np.log(p)
    negative = p_m**gamma_neg * np.log(1 - p_m)
    return np.mean(-Y * positive - (1 - Y) * negative)


def _random_problem(seed, n_samples=32, n_labels=3):
    """Logits spread over +-10 and a sparse 0/1 target."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=4, size=(n_samples, n_labels))
    Y = (rng.random((n_samples, n_labels)) < 0.3).astype(np.float64)
    return Y, logits


def _keras_value(name, Y, logits, sample_weight=None, **params):
    """The Keras loss evaluated eagerly on float32 inputs, as a float."""
    weight = None if sample_weight is None else sample_weight.astype(np.float32)
    value = make_loss(name, **params)(
        Y.astype(np.float32), logits.astype(np.float32), weight
    )
    return float(keras.ops.convert_to_numpy(value))


_logits = arrays(np.float64, (4, 3), elements=st.floats(-15, 15))
_targets = arrays(np.int8, (4, 3), elements=st.integers(0, 1))


@settings(max_examples=50, deadline=None)
@given(logits=_logits, Y=_targets)
def test_numpy_loss_matches_textbook_formula(logits, Y):
    """Check that the stable formula equals -y log p - (1-y) log(1-p)."""
    assert_allclose(
        binary_crossentropy_numpy(Y, logits), _naive_bce(Y, logits), rtol=1e-9
    )
    assert_allclose(
        loss_numpy("binary_crossentropy", Y, logits), _naive_bce(Y, logits), rtol=1e-9
    )


@settings(max_examples=50, deadline=None)
@given(
    logits=_logits,
    Y=_targets,
    pos_weight=arrays(np.float64, 3, elements=st.floats(0, 20)),
)
def test_weighted_bce_matches_textbook_formula(logits, Y, pos_weight):
    """Check that pos_weight multiplies the -y log p term of each label."""
    assert_allclose(
        loss_numpy("binary_crossentropy", Y, logits, pos_weight=pos_weight),
        _naive_bce(Y, logits, pos_weight),
        rtol=1e-9,
    )


@settings(max_examples=50, deadline=None)
@given(
    logits=_logits,
    Y=_targets,
    gamma=st.floats(0, 5),
    alpha=st.none() | st.floats(0, 1),
)
def test_focal_numpy_matches_textbook_formula(logits, Y, gamma, alpha):
    """Check the stable focal loss against -alpha_t (1-p_t)^gamma log p_t."""
    assert_allclose(
        loss_numpy("focal", Y, logits, gamma=gamma, alpha=alpha),
        _naive_focal(Y, logits, gamma, alpha),
        rtol=1e-7,
        atol=1e-12,
    )


@settings(max_examples=50, deadline=None)
@given(
    logits=_logits,
    Y=_targets,
    gamma_pos=st.floats(0, 3),
    gamma_neg=st.floats(0, 6),
    clip=st.sampled_from([0.0, 0.05]) | st.floats(0, 0.5),
)
def test_asymmetric_numpy_matches_textbook_formula(
    logits, Y, gamma_pos, gamma_neg, clip
):
    """Check the stable asymmetric loss against Ridnik et al.'s formula."""
    params = {"gamma_pos": gamma_pos, "gamma_neg": gamma_neg, "clip": clip}
    assert_allclose(
        loss_numpy("asymmetric", Y, logits, **params),
        _naive_asymmetric(Y, logits, **params),
        rtol=1e-7,
        atol=1e-12,
    )


@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 3.0, 0.5])])
def test_keras_loss_matches_numpy(pos_weight):
    """Check the Keras loss against the numpy reference, weighted or not."""
    Y, logits = _random_problem(0)
    weight = None if pos_weight is None else pos_weight.astype(np.float32)
    value = keras.ops.convert_to_numpy(
        binary_crossentropy_from_logits(
            Y.astype(np.float32), logits.astype(np.float32), weight
        )
    )
    assert_allclose(value, binary_crossentropy_numpy(Y, logits, pos_weight), rtol=1e-5)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 3.0, 0.5])])
@pytest.mark.parametrize("weighted_samples", [False, True])
def test_make_loss_matches_loss_numpy(name, pos_weight, weighted_samples):
    """Check each Keras loss against its numpy reference, with or without weights."""
    Y, logits = _random_problem(1)
    sample_weight = None
    if weighted_samples:
        sample_weight = np.random.default_rng(2).uniform(0, 3, size=Y.shape[0])
    params = {**LOSS_PARAMS[name], "pos_weight": pos_weight}
    expected = loss_numpy(name, Y, logits, sample_weight=sample_weight, **params)
    value = _keras_value(name, Y, logits, sample_weight, **params)
    assert_allclose(value, expected, rtol=1e-5)


@pytest.mark.parametrize("name", LOSSES)
def test_make_loss_traces_in_tf_function(name):
    """Check that the loss traces with an unknown batch size and keeps float32."""
    loss = make_loss(name, pos_weight=[2.0, 1.0, 0.5], **LOSS_PARAMS[name])
    spec = tf.TensorSpec((None, 3), tf.float32)

    @tf.function(input_signature=[spec, spec, tf.TensorSpec((None,), tf.float32)])
    def traced(Y, logits, sample_weight):
        return loss(Y, logits, sample_weight)

    Y, logits = _random_problem(3)
    sample_weight = np.linspace(0, 2, Y.shape[0])
    value = traced(
        Y.astype(np.float32), logits.astype(np.float32), sample_weight.astype("f4")
    )
    assert value.dtype == tf.float32
    expected = loss_numpy(
        name,
        Y,
        logits,
        sample_weight=sample_weight,
        pos_weight=[2.0, 1.0, 0.5],
        **LOSS_PARAMS[name],
    )
    assert_allclose(float(value), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "name, params",
    [
        ("focal", {"gamma": 0.0, "alpha": None}),
        ("asymmetric", {"gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.0}),
    ],
)
@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 3.0, 0.5])])
def test_loss_reduces_to_bce(name, params, pos_weight):
    """Check that focal and asymmetric losses without focusing equal BCE."""
    Y, logits = _random_problem(4)
    expected = loss_numpy("binary_crossentropy", Y, logits, pos_weight=pos_weight)
    assert_allclose(
        loss_numpy(name, Y, logits, pos_weight=pos_weight, **params),
        expected,
        rtol=1e-12,
    )
    value = _keras_value(name, Y, logits, pos_weight=pos_weight, **params)
    assert_allclose(value, expected, rtol=1e-5)


def test_focal_alpha_weighs_positive_and_negative_terms():
    """Check that alpha=0.5 halves the loss of alpha=None."""
    Y, logits = _random_problem(5)
    assert_allclose(
        loss_numpy("focal", Y, logits, alpha=0.5),
        loss_numpy("focal", Y, logits) / 2,
        rtol=1e-12,
    )


def test_asymmetric_clip_discards_easy_negatives():
    """Check that negatives with p <= clip cost nothing, positives still do."""
    logits = np.array([[-3.0, -3.0]])  # p = 0.047 < clip = 0.05
    assert loss_numpy("asymmetric", [[0, 0]], logits) == 0.0
    assert loss_numpy("asymmetric", [[1, 1]], logits) > 0.0
    assert _keras_value("asymmetric", np.zeros((1, 2)), logits) == 0.0


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"gamma": 0.5, "alpha": 0.25, "gamma_pos": 0.5, "gamma_neg": 0.5},
        {"gamma": 0.0, "gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.0},
        {"gamma_neg": 0.5, "clip": 0.0},
    ],
)
def test_loss_and_gradient_are_finite_for_extreme_logits(name, params):
    """Check finite values and gradients at logits of +-1000, right or wrong."""
    logits = tf.Variable([[1000.0, -1000.0, 1000.0, -1000.0]])
    Y = tf.constant([[0.0, 1.0, 1.0, 0.0]])
    loss = make_loss(name, pos_weight=[1.0, 2.0, 1.0, 2.0], **params)
    with tf.GradientTape() as tape:
        value = loss(Y, logits, tf.constant([2.0]))
    gradient = tape.gradient(value, logits).numpy()
    assert np.isfinite(float(value))
    assert np.all(np.isfinite(gradient))
    expected = loss_numpy(
        name,
        Y.numpy(),
        logits.numpy(),
        pos_weight=[1.0, 2.0, 1.0, 2.0],
        **params,
    )
    assert np.isfinite(expected)
    assert_allclose(float(value), expected, rtol=1e-5)


def test_extreme_wrong_logits_cost_their_magnitude():
    """Check that a confident mistake of 1000 costs 1000, and ASL's is capped."""
    logits, Y = np.array([[1000.0, -1000.0]]), np.array([[0, 1]])
    assert_allclose(loss_numpy("binary_crossentropy", Y, logits), 1000.0)
    assert_allclose(loss_numpy("focal", Y, logits), 1000.0)
    # A wrong confident negative costs (1 - clip)^gamma_neg * -log(clip).
    capped = (0.95**4 * -np.log(0.05) + 1000.0) / 2
    assert_allclose(loss_numpy("asymmetric", Y, logits), capped)
    assert_allclose(_keras_value("asymmetric", Y, logits), capped, rtol=1e-6)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("params", [{}, {"gamma": 0.5, "gamma_neg": 0.5}])
def test_keras_gradient_matches_numpy_finite_differences(name, params):
    """Check the float64 Keras gradient against differences of the reference."""
    Y, logits = _random_problem(6, n_samples=4)
    sample_weight = np.array([1.0, 0.5, 2.0, 0.0])
    loss = make_loss(name, pos_weight=[2.0, 1.0, 0.5], **params)
    variable = tf.Variable(logits)
    with tf.GradientTape() as tape:
        value = loss(tf.constant(Y), variable, tf.constant(sample_weight))
    gradient = tape.gradient(value, variable).numpy()

    def reference(z):
        return loss_numpy(
            name,
            Y,
            z,
            sample_weight=sample_weight,
            pos_weight=[2.0, 1.0, 0.5],
            **params,
        )

    step = 1e-6
    numeric = np.zeros_like(logits)
    for index in np.ndindex(logits.shape):
        shift = np.zeros_like(logits)
        shift[index] = step
        numeric[index] = (reference(logits + shift) - reference(logits - shift)) / (
            2 * step
        )
    assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", LOSSES)
def test_constant_sample_weight_equals_unweighted(name):
    """Check that a sample_weight of all 2 gives the unweighted loss."""
    Y, logits = _random_problem(7)
    twos = np.full(Y.shape[0], 2.0)
    expected = loss_numpy(name, Y, logits, **LOSS_PARAMS[name])
    assert_allclose(
        loss_numpy(name, Y, logits, sample_weight=twos, **LOSS_PARAMS[name]),
        expected,
        rtol=1e-12,
    )
    value = _keras_value(name, Y, logits, twos, **LOSS_PARAMS[name])
    assert_allclose(value, expected, rtol=1e-5)


@pytest.mark.parametrize("name", LOSSES)
def test_zero_sample_weight_drops_rows(name):
    """Check that rows of weight 0 are as if absent, and all-zero gives 0."""
    Y, logits = _random_problem(8)
    sample_weight = np.where(np.arange(Y.shape[0]) % 3 == 0, 0.0, 1.0)
    kept = sample_weight > 0
    expected = loss_numpy(name, Y[kept], logits[kept], **LOSS_PARAMS[name])
    assert_allclose(
        loss_numpy(name, Y, logits, sample_weight=sample_weight, **LOSS_PARAMS[name]),
        expected,
        rtol=1e-12,
    )
    value = _keras_value(name, Y, logits, sample_weight, **LOSS_PARAMS[name])
    assert_allclose(value, expected, rtol=1e-5)
    zeros = np.zeros(Y.shape[0])
    assert loss_numpy(name, Y, logits, sample_weight=zeros) == 0.0
    assert _keras_value(name, Y, logits, zeros) == 0.0


def test_loss_numpy_shares_the_defaults_of_make_loss():
    """Check that loss_numpy without parameters uses make_loss's defaults and
    refuses a parameter make_loss does not take."""
    rng = np.random.default_rng(0)
    Y = (rng.random((6, 3)) < 0.5).astype(float)
    logits = rng.normal(size=(6, 3))
    for name in LOSSES:
        defaults = {
            param.name: param.default
            for param in inspect.signature(make_loss).parameters.values()
            if param.name != "name"
        }
        assert loss_numpy(name, Y, logits) == loss_numpy(name, Y, logits, **defaults)
    assert loss_numpy("focal", Y, logits) != loss_numpy("focal", Y, logits, gamma=0)
    with pytest.raises(TypeError, match="gama"):
        loss_numpy("focal", Y, logits, gama=1.0)


def test_balanced_pos_weight_on_a_small_matrix():
    """Check n_neg / n_pos per label, clipped, including never-positive labels."""
    Y = np.array(
        [
            [1, 1, 0, 1, 1],
            [0, 1, 0, 1, 0],
            [0, 1, 0, 1, 0],
            [0, 0, 0, 1, 0],
            [0, 0, 0, 1, 0],
            [0, 0, 0, 1, 0],
        ]
    )
    expected = [5.0, 1.0, 10.0, 0.1, 5.0]
    assert_allclose(balanced_pos_weight(Y), expected)
    assert_allclose(balanced_pos_weight(sparse.csr_matrix(Y)), expected)
    assert_allclose(balanced_pos_weight(Y, max_weight=4), [4, 1, 4, 0.25, 4])
    assert_allclose(balanced_pos_weight(Y, max_weight=1), np.ones(5))


def test_balanced_pos_weight_balances_total_weights():
    """Check that weighted positives and negatives carry the same total."""
    Y = (np.random.default_rng(9).random((200, 4)) < [0.2, 0.3, 0.5, 0.7]).astype(int)
    pos_weight = balanced_pos_weight(Y)
    assert_allclose(pos_weight * Y.sum(axis=0), (1 - Y).sum(axis=0))


@pytest.mark.parametrize(
    "params, err_msg",
    [
        (
            {"name": "bce"},
            r"'name' .* among \{'binary_crossentropy', 'focal', 'asymmetric'\}\. "
            "Got 'bce'",
        ),
        ({"name": "focal", "gamma": -1}, r"'gamma' .* range \[0, inf\)\. Got -1"),
        ({"name": "focal", "alpha": 1.5}, r"'alpha' .* \[0, 1\] or None\. Got 1.5"),
        ({"name": "focal", "gamma": "2"}, r"'gamma' .* Got '2' instead"),
        ({"name": "asymmetric", "clip": 1.0}, r"'clip' .* range \[0, 1\)\. Got 1.0"),
        ({"name": "asymmetric", "gamma_neg": np.nan}, r"'gamma_neg' .* Got nan"),
        ({"name": "asymmetric", "gamma_pos": -0.5}, r"'gamma_pos' .* Got -0.5"),
        ({"name": "focal", "pos_weight": [[1.0]]}, r"pos_weight has shape \(1, 1\)"),
        ({"name": "focal", "pos_weight": [1.0, -2.0]}, r"invalid values \[-2\.\]"),
        ({"name": "focal", "pos_weight": [np.inf, 1.0]}, r"invalid values \[inf\]"),
    ],
)
def test_invalid_loss_params_raise(params, err_msg):
    """Check that a bad name or parameter names the valid options."""
    with pytest.raises(ValueError, match=err_msg):
        make_loss(**params)
    name = params.pop("name")
    with pytest.raises(ValueError, match=err_msg):
        loss_numpy(name, np.zeros((2, 2)), np.zeros((2, 2)), **params)


@pytest.mark.parametrize(
    "kwargs, err_msg",
    [
        ({"logits": np.zeros((2, 3))}, r"Y has shape \(2, 2\) and logits \(2, 3\)"),
        ({"pos_weight": [1.0, 2.0, 3.0]}, "pos_weight has 3 values for 2 labels"),
        ({"sample_weight": [1.0]}, r"sample_weight has shape \(1,\) for 2 samples"),
    ],
)
def test_loss_numpy_rejects_mismatched_shapes(kwargs, err_msg):
    """Check that shapes that disagree raise a message naming both."""
    kwargs = {"logits": np.zeros((2, 2)), **kwargs}
    with pytest.raises(ValueError, match=err_msg):
        loss_numpy("focal", np.zeros((2, 2)), **kwargs)


@pytest.mark.parametrize(
    "Y, max_weight, err_msg",
    [
        (np.zeros((3, 2)), 0.5, r"'max_weight' .* \[1, inf\)\. Got 0.5"),
        (np.zeros((3, 2)), np.inf, r"'max_weight' .* Got inf"),
        (np.zeros(3), 10.0, r"Y has shape \(3,\)"),
        (np.zeros((0, 2)), 10.0, r"Y has shape \(0, 2\)"),
    ],
)
def test_balanced_pos_weight_rejects_bad_input(Y, max_weight, err_msg):
    """Check that a bad Y or max_weight raises with the received value."""
    with pytest.raises(ValueError, match=err_msg):
        balanced_pos_weight(Y, max_weight=max_weight)
