"""The comparison runner: ``python -m sklearn_multilabel.compare DATASET``.

Fits :class:`~sklearn_multilabel.MultiLabelNNClassifier` and scikit-learn
baselines after the same preprocessing, scores them on the same rows and
writes the table (``compare``, ``main``).
"""

from sklearn_multilabel.compare._cli import (
    ComparisonResult,
    compare,
    default_models,
    evaluation_splits,
    load_dataset,
    main,
)

__all__ = [
    "ComparisonResult",
    "compare",
    "default_models",
    "evaluation_splits",
    "load_dataset",
    "main",
]
