"""Validation splits that keep every label's frequency."""

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit


def validation_split(Y, validation_fraction, seed):
    """Split row indices into training and validation parts, per-label stratified.

    Iterative stratification (Sechidis et al., 2011) keeps each label's
    positive rate close in both parts, so rare labels still have positives to
    tune their thresholds on.

    Parameters
    ----------
    Y : ndarray or sparse matrix of shape (n_samples, n_labels)
        0/1 indicator matrix.
    validation_fraction : float
        Share of rows held out, in (0, 1).
    seed : int

    Returns
    -------
    train_rows, validation_rows : ndarray of int
        Sorted indices of each part.

    Raises
    ------
    ValueError
        If either part would be empty.
    """
    n_samples = Y.shape[0]
    n_validation = int(np.ceil(validation_fraction * n_samples))
    if n_validation < 1 or n_samples - n_validation < 1:
        raise ValueError(
            f"Cannot hold out a validation split of {validation_fraction} from "
            f"n_samples={n_samples}: both parts need at least 1 sample. Pass more "
            "samples, or set early_stopping=False and a fixed threshold (e.g. "
            "threshold=0.5) so that no validation split is needed."
        )
    labels = (Y.toarray() if sp.issparse(Y) else np.asarray(Y)).astype(np.int8)
    splitter = _splitter(labels, n_validation, seed)
    train_rows, validation_rows = next(splitter.split(np.zeros((n_samples, 1)), labels))
    return np.sort(train_rows), np.sort(validation_rows)


def _splitter(labels, n_validation, seed):
    """Choose the splitter that can stratify these labels.

    Parameters
    ----------
    labels : ndarray of shape (n_samples, n_labels)
    n_validation : int
    seed : int

    Returns
    -------
    splitter : scikit-learn splitter with ``n_splits=1``
    """
    if labels.shape[1] > 1:
        from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

        return MultilabelStratifiedShuffleSplit(
            n_splits=1, test_size=n_validation, random_state=seed
        )
    counts = np.bincount(labels[:, 0], minlength=2)
    n_train = len(labels) - n_validation
    if counts.min() >= 2 and min(n_validation, n_train) >= 2:
        return StratifiedShuffleSplit(
            n_splits=1, test_size=n_validation, random_state=seed
        )
    return ShuffleSplit(n_splits=1, test_size=n_validation, random_state=seed)
