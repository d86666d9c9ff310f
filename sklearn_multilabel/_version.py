"""Package version, and the version of the fitted-state layout."""

__version__ = "0.1.0"

# Bumped whenever the fitted attributes change meaning or layout: a fitted
# estimator saved under another format cannot be trusted to predict correctly.
STATE_FORMAT = 1
