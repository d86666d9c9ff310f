"""The quality bars of issue 4, and the scores compared with them."""

from sklearn.metrics import f1_score

# The bars issue 4 quotes (test micro-/macro-F1 of the best baseline given
# tuned thresholds); compare_baselines.py re-measures them.
ISSUE_BARS = {
    "yeast": {"micro_f1": 0.636, "macro_f1": 0.497},
    "scene": {"micro_f1": 0.749, "macro_f1": 0.753},
    "emotions": {"micro_f1": 0.670, "macro_f1": 0.679},
}


def f1_scores(Y_true, Y_pred):
    """Micro- and macro-F1 of multi-hot predictions (0 for an empty label).

    Parameters
    ----------
    Y_true, Y_pred : ndarray of shape (n_samples, n_labels)

    Returns
    -------
    scores : dict of str to float
    """
    return {
        "micro_f1": float(f1_score(Y_true, Y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(Y_true, Y_pred, average="macro", zero_division=0)),
    }
