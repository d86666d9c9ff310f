"""
=====================================
Diagnosing the per-label thresholds
=====================================

``MultiLabelNNClassifier`` learns one decision threshold per label on rows
the network did not train on. This example shows what those thresholds do:

- ``ThresholdCurveDisplay`` draws, for a few labels, the test F1 obtained
  at every possible threshold, with a dot at the learned one;
- ``per_label_report`` lists each label's support, threshold, precision,
  recall and F1, here compared with the usual cut at 0.5.

Set ``SKLEARN_MULTILABEL_EXAMPLE_FAST=1`` for a quick run; figures go to
``SKLEARN_MULTILABEL_EXAMPLE_OUT`` (default: a folder in the system's
temporary directory).
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
# Fit on yeast
# ------------
# 14 gene-function labels whose prevalence ranges from 1.5 % to 75 %.
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.datasets import load_yeast
from sklearn_multilabel.metrics import per_label_report
from sklearn_multilabel.plotting import ThresholdCurveDisplay

data = load_yeast()
model = make_pipeline(
    StandardScaler(),
    MultiLabelNNClassifier(max_iter=5 if FAST else 200, random_state=0),
)
model.fit(data.X_train, data.Y_train)
thresholds = model[-1].thresholds_
proba = model.predict_proba(data.X_test)

# %%
# The report: learned thresholds against 0.5
# ------------------------------------------
# Rare labels get low thresholds: at 0.5 they are almost never predicted.
learned = per_label_report(
    data.Y_test, proba, thresholds, label_names=data.label_names, as_frame=False
)
at_half = per_label_report(
    data.Y_test, proba, 0.5, label_names=data.label_names, as_frame=False
)
print(learned)
for name, report in (("learned thresholds", learned), ("0.5", at_half)):
    Y_pred = (proba >= report["threshold"]).astype(int)
    print(
        f"{name:>18}: macro F1 {f1_score(data.Y_test, Y_pred, average='macro'):.4f}, "
        f"micro F1 {f1_score(data.Y_test, Y_pred, average='micro'):.4f}"
    )

# %%
# F1 against the threshold, for a frequent, a middle and a rare label
# -------------------------------------------------------------------
# Each curve is the test F1 at every distinct predicted probability; the dot
# is the threshold learned on the validation rows, before seeing the test
# set. The dot sits near the top of its curve when the threshold transfers.
import matplotlib.pyplot as plt
import numpy as np

prevalence = data.Y_train.mean(axis=0)
order = np.argsort(-prevalence)
chosen = [order[0], order[len(order) // 2], order[-1]]
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
ThresholdCurveDisplay.from_predictions(
    data.Y_test,
    proba,
    thresholds=thresholds,
    labels=chosen,
    label_names=data.label_names,
    ax=left,
)
left.set_title("Test F1 against the threshold (dots: learned thresholds)")

positions = np.arange(len(order))
right.bar(positions - 0.2, at_half["f1"][order], width=0.4, label="threshold 0.5")
right.bar(positions + 0.2, learned["f1"][order], width=0.4, label="learned thresholds")
right.set_xticks(
    positions, [f"{data.label_names[j]}\n{prevalence[j]:.0%}" for j in order]
)
right.tick_params(axis="x", labelsize=7)
right.set_ylabel("test F1")
right.set_title("Per-label F1, labels by decreasing prevalence")
right.legend()
path = OUT / "threshold_diagnostics.png"
fig.savefig(path)
print(f"Wrote {path}")
plt.show()
