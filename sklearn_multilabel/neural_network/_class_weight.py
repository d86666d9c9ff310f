"""Per-label positive weights from ``class_weight``."""

import numpy as np

from sklearn_multilabel.neural_network._losses import balanced_pos_weight


def positive_weights(class_weight, Y, classes, binary):
    """Turn ``class_weight`` into one positive-term weight per label.

    Parameters
    ----------
    class_weight : None, "balanced", dict or array-like of shape (n_labels,)
        None weighs every term 1. "balanced" weighs each label's positives
        by its negative-to-positive ratio in ``Y`` (clipped, see
        ``balanced_pos_weight``). For an indicator target, a dict maps label
        indices to positive weights (missing labels weigh 1) and an array
        gives one positive weight per label. For a 1-D binary target, a dict
        maps both class values to weights, as in scikit-learn; since only
        their ratio matters to the loss's minimiser, the positive term gets
        ``weight[classes[1]] / weight[classes[0]]``.
    Y : ndarray or sparse matrix of shape (n_samples, n_labels)
        Training targets.
    classes : ndarray
        The estimator's ``classes_``.
    binary : bool
        Whether the target was 1-D binary.

    Returns
    -------
    pos_weight : ndarray of shape (n_labels,) or None

    Raises
    ------
    ValueError
        If a dict names an unknown label or class, or an array has the wrong
        length or a negative value.
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        return balanced_pos_weight(Y)
    n_labels = Y.shape[1]
    if isinstance(class_weight, dict):
        unknown = set(class_weight) - set(classes.tolist())
        if unknown:
            raise ValueError(
                f"class_weight names {sorted(unknown, key=str)}, which are not "
                f"among the classes {classes.tolist()}: key the dict by "
                + ("class value." if binary else "label index (0 to n_labels - 1).")
            )
        if binary:
            negative = class_weight.get(classes[0], 1.0)
            weights = [class_weight.get(classes[1], 1.0) / negative]
        else:
            weights = [class_weight.get(label, 1.0) for label in range(n_labels)]
    else:
        weights = class_weight
    weights = np.asarray(weights, dtype=np.float64)
    if (
        weights.shape != (n_labels,)
        or np.any(weights < 0)
        or not np.all(np.isfinite(weights))
    ):
        raise ValueError(
            f"class_weight gives weights of shape {weights.shape} for {n_labels} "
            "labels: pass one finite non-negative positive weight per label, a "
            "dict {label_index: weight}, or 'balanced'."
        )
    return weights
