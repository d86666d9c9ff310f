"""Multi-label losses computed from logits, with their numpy references.

Every loss is a sum of a positive term (rows where ``y = 1``) and a negative
term (``y = 0``), averaged over labels, then over samples (weighted by
``sample_weight`` when given). The Keras versions use only ``keras.ops`` so
that they trace inside a ``tf.function``; the numpy versions are float64
references of the same formulas, used for the validation loss and the tests.

Probabilities are never formed and then logged: with ``p = sigmoid(z)``,
``log p = -softplus(-z)``, ``log(1 - p) = -softplus(z)``, and a power
``p ** g = exp(-g * softplus(-z))``. The exponential form keeps the gradient
finite where ``p`` underflows to 0 even for ``0 < g < 1``, where the gradient
of ``p ** g`` itself is infinite.
"""

import numbers
from functools import partial

import numpy as np
from scipy.special import expit

LOSSES = ("binary_crossentropy", "focal", "asymmetric")

# The parameters each loss reads; the others are validated but ignored.
_LOSS_PARAMETERS = {
    "binary_crossentropy": (),
    "focal": ("gamma", "alpha"),
    "asymmetric": ("gamma_pos", "gamma_neg", "clip"),
}
_PARAMETER_RANGES = {
    "gamma": ("[0, inf)", lambda value: 0 <= value < np.inf),
    "alpha": ("[0, 1] or None", lambda value: 0 <= value <= 1),
    "gamma_pos": ("[0, inf)", lambda value: 0 <= value < np.inf),
    "gamma_neg": ("[0, inf)", lambda value: 0 <= value < np.inf),
    "clip": ("[0, 1)", lambda value: 0 <= value < 1),
}


def make_loss(
    name,
    *,
    pos_weight=None,
    gamma=2.0,
    alpha=None,
    gamma_pos=0.0,
    gamma_neg=4.0,
    clip=0.05,
):
    """Return a multi-label loss computed from logits with ``keras.ops``.

    Parameters
    ----------
    name : {"binary_crossentropy", "focal", "asymmetric"}
        ``"binary_crossentropy"``: ``-y log p - (1 - y) log(1 - p)``.
        ``"focal"`` (Lin et al. 2017): ``-alpha_t (1 - p_t) ** gamma log p_t``.
        ``"asymmetric"`` (Ridnik et al. 2021):
        ``-y (1 - p) ** gamma_pos log p - (1 - y) p_m ** gamma_neg log(1 - p_m)``
        with the shifted probability ``p_m = max(p - clip, 0)``.
    pos_weight : array-like of shape (n_labels,), default=None
        Non-negative multiplier of the positive term of each label, for every
        loss (see :func:`balanced_pos_weight`). None weighs every label 1.
    gamma : float, default=2.0
        Focusing exponent of ``"focal"``; 0 gives binary cross-entropy.
    alpha : float in [0, 1], default=None
        Weight of the positive term of ``"focal"`` (``1 - alpha`` weighs the
        negative term). None weighs both terms 1.
    gamma_pos : float, default=0.0
        Focusing exponent of the positive term of ``"asymmetric"``.
    gamma_neg : float, default=4.0
        Focusing exponent of the negative term of ``"asymmetric"``.
    clip : float in [0, 1), default=0.05
        Probability margin of ``"asymmetric"``: negatives predicted below
        ``clip`` cost nothing, and a confident wrong negative costs at most
        ``-log(clip)``.

    Returns
    -------
    loss : callable
        ``loss(Y, logits, sample_weight=None) -> scalar tensor``, with ``Y``
        and ``logits`` of shape (batch_size, n_labels) and ``sample_weight`` of
        shape (batch_size,). The per-sample mean over labels ``l_i`` is
        reduced to ``sum(w_i * l_i) / sum(w_i)`` (0 if every weight is 0), or
        to its mean without weights. The result has the dtype of ``logits``.
        Its ``params`` attribute holds the validated parameters it reads.

    Raises
    ------
    ValueError
        If ``name`` is not in :data:`LOSSES` or a parameter is out of range.

    See Also
    --------
    loss_numpy : The same value, in numpy.

    Examples
    --------
    >>> from sklearn_multilabel.neural_network._losses import make_loss
    >>> loss = make_loss("focal", gamma=2.0)
    >>> round(float(loss([[1.0, 0.0]], [[0.0, 0.0]])), 4)
    0.1733
    """
    params = _check_loss_params(
        name, pos_weight, gamma, alpha, gamma_pos, gamma_neg, clip
    )
    terms = partial(_KERAS_TERMS[name], **params)

    def loss(Y, logits, sample_weight=None):
        from keras import ops

        logits = ops.convert_to_tensor(logits)
        Y = ops.cast(Y, logits.dtype)
        per_sample = ops.mean(terms(Y, logits), axis=-1)
        if sample_weight is None:
            return ops.mean(per_sample)
        sample_weight = ops.cast(sample_weight, logits.dtype)
        return ops.divide_no_nan(
            ops.sum(sample_weight * per_sample), ops.sum(sample_weight)
        )

    loss.__name__ = name
    loss.params = params
    return loss


def loss_numpy(name, Y, logits, *, sample_weight=None, **params):
    """The value of ``make_loss(name, **params)(Y, logits, sample_weight)``, in numpy.

    Computed in float64 with the same stable formulas.

    Parameters
    ----------
    name : {"binary_crossentropy", "focal", "asymmetric"}
    Y : array-like of shape (n_samples, n_labels)
        0/1 targets.
    logits : array-like of shape (n_samples, n_labels)
    sample_weight : array-like of shape (n_samples,), default=None
    **params : dict
        The keyword arguments of :func:`make_loss` (``pos_weight``,
        ``gamma``, ...), with its defaults.

    Returns
    -------
    loss : float

    Raises
    ------
    ValueError
        If ``name`` or a parameter is invalid, or the shapes disagree.
    """
    params = make_loss(name, **params).params
    Y = np.asarray(Y, dtype=np.float64)
    logits = np.asarray(logits, dtype=np.float64)
    if Y.ndim != 2 or Y.shape != logits.shape:
        raise ValueError(
            f"Y has shape {Y.shape} and logits {logits.shape}: pass two arrays "
            "of the same shape (n_samples, n_labels)."
        )
    pos_weight = params["pos_weight"]
    if pos_weight is not None and pos_weight.shape[0] != Y.shape[1]:
        raise ValueError(
            f"pos_weight has {pos_weight.shape[0]} values for "
            f"{Y.shape[1]} labels: pass one weight per label."
        )
    per_sample = np.mean(_NUMPY_TERMS[name](Y, logits, **params), axis=1)
    if sample_weight is None:
        return float(np.mean(per_sample))
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    if sample_weight.shape != per_sample.shape:
        raise ValueError(
            f"sample_weight has shape {sample_weight.shape} for "
            f"{Y.shape[0]} samples: pass one weight per sample."
        )
    total = np.sum(sample_weight)
    return float(np.sum(sample_weight * per_sample) / total) if total else 0.0


def balanced_pos_weight(Y, max_weight=10.0):
    """Per-label positive weights that balance positives against negatives.

    The weight of label ``j`` is ``n_neg_j / n_pos_j`` clipped to
    ``[1 / max_weight, max_weight]``: with it, the positives and negatives of
    each label carry the same total weight, as in scikit-learn's
    ``class_weight="balanced"``. A label present in 90% of rows gets 1/9, a
    label present in 10% gets 9: both are equally imbalanced, so the clip is
    symmetric. A label never positive gets ``max_weight`` (the limit of the
    rule) and one always positive ``1 / max_weight``; neither value changes
    the loss, whose positive terms are then all absent or all present.

    Parameters
    ----------
    Y : {array-like, sparse matrix} of shape (n_samples, n_labels)
        0/1 training targets.
    max_weight : float, default=10.0
        Largest weight, at least 1 (1 disables the weighting). A weight of
        ``w`` makes each positive count as ``w`` negatives: a label with a
        handful of positives and a large weight lets those few rows dominate
        its gradient and makes batch losses noisy, while the threshold step
        corrects what mild weighting leaves: 10 caps only labels rarer than
        about one row in eleven.

    Returns
    -------
    pos_weight : ndarray of shape (n_labels,)
        float64 weights for ``make_loss(..., pos_weight=...)``.

    Raises
    ------
    ValueError
        If ``Y`` is not a non-empty 2-D array or ``max_weight`` is not a
        finite number >= 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_multilabel.neural_network._losses import balanced_pos_weight
    >>> Y = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0]])
    >>> balanced_pos_weight(Y)
    array([ 3.        ,  0.33333333, 10.        ])
    """
    if (
        isinstance(max_weight, bool)
        or not isinstance(max_weight, numbers.Real)
        or not 1 <= max_weight < np.inf
    ):
        raise ValueError(
            "The 'max_weight' parameter of balanced_pos_weight must be a float "
            f"in the range [1, inf). Got {max_weight!r} instead."
        )
    if not hasattr(Y, "toarray"):
        Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[0] == 0:
        raise ValueError(
            f"Y has shape {Y.shape}: pass a non-empty 0/1 indicator matrix of "
            "shape (n_samples, n_labels)."
        )
    n_pos = np.asarray(Y.sum(axis=0), dtype=np.float64).ravel()
    n_neg = Y.shape[0] - n_pos
    with np.errstate(divide="ignore"):
        ratio = n_neg / n_pos
    return np.clip(ratio, 1.0 / max_weight, max_weight)


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

    return ops.mean(_bce_terms(Y, logits, pos_weight))


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
    if pos_weight is not None:
        pos_weight = np.asarray(pos_weight, dtype=np.float64)
    return float(np.mean(_bce_terms_numpy(Y, logits, pos_weight)))


def _check_loss_params(name, pos_weight, gamma, alpha, gamma_pos, gamma_neg, clip):
    """Validate the loss name and parameters; return those the loss reads.

    ``pos_weight`` comes back as a float64 array (or None); errors name the
    parameter, its valid range and the value received.
    """
    if name not in LOSSES:
        raise ValueError(
            "The 'name' parameter of make_loss must be a str among "
            f"{{{', '.join(map(repr, LOSSES))}}}. Got {name!r} instead."
        )
    values = {
        "gamma": gamma,
        "alpha": alpha,
        "gamma_pos": gamma_pos,
        "gamma_neg": gamma_neg,
        "clip": clip,
    }
    for param, (interval, inside) in _PARAMETER_RANGES.items():
        value = values[param]
        if param == "alpha" and value is None:
            continue
        is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not (is_real and inside(value)):
            raise ValueError(
                f"The '{param}' parameter of make_loss must be a float in the "
                f"range {interval}. Got {value!r} instead."
            )
    if pos_weight is not None:
        pos_weight = np.asarray(pos_weight, dtype=np.float64)
        if pos_weight.ndim != 1:
            raise ValueError(
                f"pos_weight has shape {pos_weight.shape}: pass a 1-D array of "
                "finite, non-negative weights, one per label."
            )
        invalid = ~(np.isfinite(pos_weight) & (pos_weight >= 0))
        if np.any(invalid):
            raise ValueError(
                f"pos_weight has invalid values {pos_weight[invalid]}: pass "
                "finite, non-negative weights, one per label."
            )
    params = {param: values[param] for param in _LOSS_PARAMETERS[name]}
    params["pos_weight"] = pos_weight
    return params


def _weigh_positives(positive_term, pos_weight):
    """Multiply the positive term by ``pos_weight`` in the term's dtype."""
    if pos_weight is None:
        return positive_term
    from keras import ops

    return positive_term * ops.cast(pos_weight, positive_term.dtype)


def _bce_terms(Y, logits, pos_weight=None):
    """Element-wise ``pos_weight * y * softplus(-z) + (1 - y) * softplus(z)``."""
    from keras import ops

    positive = _weigh_positives(Y * ops.softplus(-logits), pos_weight)
    return positive + (1.0 - Y) * ops.softplus(logits)


def _focal_terms(Y, logits, pos_weight, gamma, alpha):
    """Element-wise focal loss, ``(1 - p) ** g = exp(-g * softplus(z))``."""
    from keras import ops

    positive = ops.exp(-gamma * ops.softplus(logits)) * ops.softplus(-logits)
    negative = ops.exp(-gamma * ops.softplus(-logits)) * ops.softplus(logits)
    if alpha is not None:
        positive, negative = alpha * positive, (1.0 - alpha) * negative
    return _weigh_positives(Y * positive, pos_weight) + (1.0 - Y) * negative


def _asymmetric_terms(Y, logits, pos_weight, gamma_pos, gamma_neg, clip):
    """Element-wise asymmetric loss with probability shifting by ``clip``."""
    from keras import ops

    positive = ops.exp(-gamma_pos * ops.softplus(logits)) * ops.softplus(-logits)
    if clip == 0:
        negative = ops.exp(-gamma_neg * ops.softplus(-logits)) * ops.softplus(logits)
    else:
        # 1 - p_m = min(1 - p + clip, 1) >= clip, so its log is finite; p_m
        # is 0 below the margin, where p_m ** gamma_neg has no finite gradient
        # for gamma_neg < 1: raise a safe 1 to the power and discard it.
        shifted = ops.maximum(ops.sigmoid(logits) - clip, 0.0)
        kept = shifted > 0
        focusing = ops.power(ops.where(kept, shifted, 1.0), gamma_neg)
        complement = ops.minimum(ops.sigmoid(-logits) + clip, 1.0)
        negative = ops.where(kept, -focusing * ops.log(complement), 0.0)
    return _weigh_positives(Y * positive, pos_weight) + (1.0 - Y) * negative


_KERAS_TERMS = {
    "binary_crossentropy": _bce_terms,
    "focal": _focal_terms,
    "asymmetric": _asymmetric_terms,
}


def _softplus(x):
    """``log(1 + exp(x))`` without overflow."""
    return np.logaddexp(0.0, x)


def _bce_terms_numpy(Y, logits, pos_weight=None):
    """numpy version of :func:`_bce_terms`."""
    weight = 1.0 if pos_weight is None else pos_weight
    return weight * Y * _softplus(-logits) + (1.0 - Y) * _softplus(logits)


def _focal_terms_numpy(Y, logits, pos_weight, gamma, alpha):
    """numpy version of :func:`_focal_terms`."""
    positive = np.exp(-gamma * _softplus(logits)) * _softplus(-logits)
    negative = np.exp(-gamma * _softplus(-logits)) * _softplus(logits)
    if alpha is not None:
        positive, negative = alpha * positive, (1.0 - alpha) * negative
    weight = 1.0 if pos_weight is None else pos_weight
    return weight * Y * positive + (1.0 - Y) * negative


def _asymmetric_terms_numpy(Y, logits, pos_weight, gamma_pos, gamma_neg, clip):
    """numpy version of :func:`_asymmetric_terms`."""
    positive = np.exp(-gamma_pos * _softplus(logits)) * _softplus(-logits)
    if clip == 0:
        negative = np.exp(-gamma_neg * _softplus(-logits)) * _softplus(logits)
    else:
        shifted = np.maximum(expit(logits) - clip, 0.0)
        complement = np.minimum(expit(-logits) + clip, 1.0)
        negative = np.where(shifted > 0, -(shifted**gamma_neg) * np.log(complement), 0)
    weight = 1.0 if pos_weight is None else pos_weight
    return weight * Y * positive + (1.0 - Y) * negative


_NUMPY_TERMS = {
    "binary_crossentropy": _bce_terms_numpy,
    "focal": _focal_terms_numpy,
    "asymmetric": _asymmetric_terms_numpy,
}
