"""Adam's update, written once for every backend step and the sparse path.

The constants are Keras' defaults and the operations those of
``keras.optimizers.Adam``, in its order: the bias-corrected step size, then
the moments, then the weights. Everything is ``keras.ops``, so the same
functions run traced by TensorFlow, jitted by JAX, eagerly on PyTorch and on
blocks of a kernel's rows (``_row_blocks``).
"""

from keras import ops

BETA_1 = 0.9
BETA_2 = 0.999
EPSILON = 1e-7


def step_size(learning_rate, iteration):
    """Return the bias-corrected step size of update number ``iteration``."""
    return (
        learning_rate
        * ops.sqrt(1.0 - ops.power(BETA_2, iteration))
        / (1.0 - ops.power(BETA_1, iteration))
    )


def moments(gradient, m, v):
    """Return Adam's first and second moments after ``gradient``."""
    return (
        m + (gradient - m) * (1.0 - BETA_1),
        v + (ops.square(gradient) - v) * (1.0 - BETA_2),
    )


def weight_change(alpha, m, v):
    """Return what to subtract from the weights, given the new moments."""
    return alpha * m / (ops.sqrt(v) + EPSILON)
