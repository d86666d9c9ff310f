"""Binary cross-entropy from logits against its numpy formula."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from sklearn_multilabel._losses import (
    binary_crossentropy_from_logits,
    binary_crossentropy_numpy,
)

keras = pytest.importorskip("keras")


def _naive_bce(Y, logits, pos_weight=1.0):
    """Textbook formula, only valid for moderate logits."""
    p = 1 / (1 + np.exp(-logits))
    return np.mean(-(pos_weight * Y * np.log(p) + (1 - Y) * np.log(1 - p)))


@settings(max_examples=50, deadline=None)
@given(
    logits=arrays(np.float64, (4, 3), elements=st.floats(-15, 15)),
    Y=arrays(np.int8, (4, 3), elements=st.integers(0, 1)),
)
def test_numpy_loss_matches_textbook_formula(logits, Y):
    """Check that the stable formula equals -y log p - (1-y) log(1-p)."""
    assert_allclose(
        binary_crossentropy_numpy(Y, logits), _naive_bce(Y, logits), rtol=1e-9
    )


@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 3.0, 0.5])])
def test_keras_loss_matches_numpy(pos_weight):
    """Check the Keras loss against the numpy reference, weighted or not."""
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=4, size=(32, 3)).astype(np.float32)
    Y = (rng.random((32, 3)) < 0.3).astype(np.float32)
    weight = None if pos_weight is None else pos_weight.astype(np.float32)
    value = keras.ops.convert_to_numpy(
        binary_crossentropy_from_logits(Y, logits, weight)
    )
    assert_allclose(value, binary_crossentropy_numpy(Y, logits, pos_weight), rtol=1e-5)


def test_loss_is_finite_for_extreme_logits():
    """Check that logits of +-1000 give finite losses and gradients."""
    import tensorflow as tf

    logits = tf.Variable([[1000.0, -1000.0]])
    Y = tf.constant([[0.0, 1.0]])
    with tf.GradientTape() as tape:
        loss = binary_crossentropy_from_logits(Y, logits)
    gradient = tape.gradient(loss, logits).numpy()
    assert_allclose(float(loss), 1000.0, rtol=1e-6)
    assert np.all(np.isfinite(gradient))
    assert_allclose(binary_crossentropy_numpy([[0, 1]], [[1000.0, -1000.0]]), 1000.0)
