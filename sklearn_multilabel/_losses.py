"""Multi-label losses computed from logits, with their numpy references."""

import numpy as np


def binary_crossentropy_from_logits(Y, logits, pos_weight=None):
    """Mean binary cross-entropy of independent labels, computed from logits.

    Uses ``softplus`` so that large logits neither overflow nor lose the
    gradient the way ``log(sigmoid(z))`` does.

    Parameters
    ----------
    Y : tensor of shape (batch_size, n_labels)
        0/1 targets.
    logits : tensor of shape (batch_size, n_labels)
        Pre-sigmoid network outputs.
    pos_weight : tensor of shape (n_labels,), default=None
        Weight of the positive term of each label; None weighs both terms 1.

    Returns
    -------
    loss : scalar tensor
        Mean over samples and labels of
        ``pos_weight * y * softplus(-z) + (1 - y) * softplus(z)``.
    """
    from keras import ops

    positive_term = Y * ops.softplus(-logits)
    if pos_weight is not None:
        positive_term = positive_term * pos_weight
    return ops.mean(positive_term + (1.0 - Y) * ops.softplus(logits))


def binary_crossentropy_numpy(Y, logits, pos_weight=None):
    """The value of :func:`binary_crossentropy_from_logits`, in numpy.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_labels)
    logits : ndarray of shape (n_samples, n_labels)
    pos_weight : ndarray of shape (n_labels,), default=None

    Returns
    -------
    loss : float
    """
    Y = np.asarray(Y, dtype=np.float64)
    logits = np.asarray(logits, dtype=np.float64)
    weight = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    softplus = np.logaddexp(0.0, logits)
    softplus_neg = np.logaddexp(0.0, -logits)
    return float(np.mean(weight * Y * softplus_neg + (1.0 - Y) * softplus))
