"""The forward pass a fitted network predicts with, and its checked outputs."""

import numpy as np

from sklearn_multilabel.neural_network._binning import EncodedForward
from sklearn_multilabel.neural_network._inference import (
    CompiledForward,
    NumpyForward,
    batched_logits,
)

# Largest float32: the network's weights and Keras' computations are float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def inference_function(custom, model, n_features, layers=None, bins=None):
    """Return the fastest exact forward pass of a trained network, on raw rows.

    A numpy pass for the default network (from ``layers`` when already at
    hand), a traced Keras call for a ``custom`` one; ``bins`` encode first.
    """
    forward = (
        CompiledForward(model, n_features) if custom else NumpyForward(model, layers)
    )
    return forward if bins is None else EncodedForward(bins, forward)


def checked_logits(forward, X, link=None):
    """Return ``forward``'s outputs for ``X``, refusing overflowed logits.

    ``link`` (e.g. ``sigmoid``) is applied in place to each checked batch.
    """

    def checked_link(logits):
        # Beyond float32's range, the float32 network itself overflows:
        # a float64 batch's finite logits there would be meaningless.
        if not np.abs(logits).max(initial=0.0) <= FLOAT32_MAX:
            raise ValueError(
                "The network's outputs overflowed (non-finite logits, or "
                "beyond float32's range) for some rows of X: X holds values "
                "far outside the training range. Scale X as during fit "
                "(e.g. the same StandardScaler in a Pipeline)."
            )
        if link is not None:
            link(logits)

    with np.errstate(over="ignore", invalid="ignore"):
        return batched_logits(forward, X, link=checked_link)
