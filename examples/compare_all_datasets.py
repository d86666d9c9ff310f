"""
=========================================================
Comparing against the baselines on scene and emotions
=========================================================

The comparison runner of ``python -m sklearn_multilabel.compare`` as a
function: :func:`sklearn_multilabel.compare.compare` fits every default model
(``MultiLabelNNClassifier``, one-vs-rest logistic regression, calibrated
linear SVM and random forest, ``MLPClassifier``, scikit-learn's
``MultiOutputClassifier(TunedThresholdClassifierCV(LogisticRegression()))``
and scikeras' ``KerasClassifier`` when installed) after a ``StandardScaler``
on the training split, and scores them on the test split.

The same from a shell::

    python -m sklearn_multilabel.compare scene
    python -m sklearn_multilabel.compare emotions --tune

``--tune`` (``tune_thresholds=True``) gives every baseline per-label
thresholds with ``MultiLabelThresholdTuner``, the fair match for the
network's learned thresholds.

Set ``SKLEARN_MULTILABEL_EXAMPLE_FAST=1`` for a quick run with two small
models; tables and charts go to ``SKLEARN_MULTILABEL_EXAMPLE_OUT`` (default:
a folder in the system's temporary directory).
"""

# Each cell imports what it uses, as a notebook would.

# %%
# Settings
# --------
import os
import tempfile
from pathlib import Path

FAST = os.environ.get("SKLEARN_MULTILABEL_EXAMPLE_FAST") == "1"
OUT = Path(
    os.environ.get(
        "SKLEARN_MULTILABEL_EXAMPLE_OUT",
        Path(tempfile.gettempdir()) / "sklearn_multilabel_examples",
    )
)
OUT.mkdir(parents=True, exist_ok=True)

# %%
# The models
# ----------
# ``models=None`` compares the default set. The quick run uses one small
# network (no fold ensemble) and one baseline.
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.compare import compare

models = None
if FAST:
    models = {
        "MultiLabelNNClassifier": MultiLabelNNClassifier(
            hidden_layer_sizes=(16,), max_iter=5, threshold_cv=None, random_state=0
        ),
        "OvR-LogisticRegression": OneVsRestClassifier(
            LogisticRegression(max_iter=1000)
        ),
    }

# %%
# Run the comparison on both datasets
# -----------------------------------
# Each result prints as a table and saves itself as CSV, markdown and a PNG
# bar chart.
results = {}
for dataset in ("scene", "emotions"):
    results[dataset] = compare(dataset, models, random_state=0)
    print(f"\n{results[dataset]}")
    for path in results[dataset].save(OUT / dataset):
        print(f"Wrote {path}")

# %%
# The best model of each dataset
# ------------------------------
for dataset, result in results.items():
    for metric in ("micro_f1", "macro_f1"):
        best = result.best(metric)
        print(f"{dataset}: best {metric} {best[metric]:.4f} ({best['model']})")
