"""The quality bars of issue 4, shared by the benchmark scripts."""

# The bars issue 4 quotes (test micro-/macro-F1 of the best baseline given
# tuned thresholds); compare_baselines.py re-measures them.
ISSUE_BARS = {
    "yeast": {"micro_f1": 0.636, "macro_f1": 0.497},
    "scene": {"micro_f1": 0.749, "macro_f1": 0.753},
    "emotions": {"micro_f1": 0.670, "macro_f1": 0.679},
}
