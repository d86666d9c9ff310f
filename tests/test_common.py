"""scikit-learn's estimator checks, on the default and a fixed-threshold setup."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_multilabel import MultiLabelNNClassifier

from .conftest import FAST

THRESHOLD_AT_HALF = (
    "The check assumes predict cuts probabilities at 0.5 (decision_function at 0); "
    "predict uses learned per-label thresholds by design. scikit-learn lists the "
    "same check for its own TunedThresholdClassifierCV. The fixed-threshold "
    "configuration passes it."
)

# Checks expected to fail, each with its reason. Only the tuned-threshold
# configuration has any; the fixed-threshold one must pass them all.
EXPECTED_FAILED_CHECKS = {
    "tuned": {
        "check_classifiers_train": THRESHOLD_AT_HALF,
        "check_classifier_multioutput": THRESHOLD_AT_HALF,
    },
    "fixed": {},
}

CONFIGURATIONS = {
    "tuned": MultiLabelNNClassifier(**FAST),
    "fixed": MultiLabelNNClassifier(**FAST, threshold=0.5),
}


def _expected_failures(estimator):
    name = "fixed" if estimator.threshold == 0.5 else "tuned"
    return EXPECTED_FAILED_CHECKS[name]


@parametrize_with_checks(
    list(CONFIGURATIONS.values()), expected_failed_checks=_expected_failures
)
def test_sklearn_compatible_estimator(estimator, check):
    """Check that the estimator passes scikit-learn's estimator checks."""
    check(estimator)
