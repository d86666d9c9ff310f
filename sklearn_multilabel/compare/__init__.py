"""The comparison runner: ``python -m sklearn_multilabel.compare DATASET``.

Fits :class:`~sklearn_multilabel.MultiLabelNNClassifier` and scikit-learn
baselines after the same preprocessing, scores them on the same rows and
writes the table. The parts: ``_data`` (loading), ``_models`` (the default
models and their pipeline), ``_runner`` (fitting and scoring), ``_report``
(tables and chart), ``_progress`` and ``_cli`` (the command line).
"""

from sklearn_multilabel.compare._cli import main
from sklearn_multilabel.compare._data import load_dataset
from sklearn_multilabel.compare._models import default_models
from sklearn_multilabel.compare._report import ComparisonResult
from sklearn_multilabel.compare._runner import compare, evaluation_splits

__all__ = [
    "ComparisonResult",
    "compare",
    "default_models",
    "evaluation_splits",
    "load_dataset",
    "main",
]
