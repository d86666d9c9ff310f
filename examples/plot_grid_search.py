"""
================================================
Grid search over network and threshold settings
================================================

``MultiLabelNNClassifier`` is an ordinary scikit-learn estimator, so a
``Pipeline`` and ``GridSearchCV`` tune its network (``hidden_layer_sizes``,
``alpha``) and its decision rule (``threshold``) in one search.

Two details matter for multi-label targets:

- ``GridSearchCV(cv=3)`` would split the rows with a plain ``KFold``; a
  ``MultilabelStratifiedKFold`` keeps every label's share in every fold.
- scikit-learn has scorer strings for the F1 averages but none for the
  Hamming loss or the label-ranking metrics: ``sklearn_multilabel.metrics``
  provides them as ready-made scorers.

Set ``SKLEARN_MULTILABEL_EXAMPLE_FAST=1`` for a quick run on a tiny grid;
figures go to ``SKLEARN_MULTILABEL_EXAMPLE_OUT`` (default: a folder in the
system's temporary directory).
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
# The data and the pipeline
# -------------------------
# The bundled *emotions* data: 72 audio features, 6 emotion labels, 391
# training and 202 test clips.
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.datasets import load_emotions
from sklearn_multilabel.metrics import lrap_scorer, neg_hamming_loss_scorer

data = load_emotions()
pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        ("clf", MultiLabelNNClassifier(max_iter=5 if FAST else 200, random_state=0)),
    ]
)

# %%
# The grid
# --------
# ``threshold="f1"`` tunes each label's cut for its own F1 (good for macro-F1),
# ``"micro_f1"`` tunes all cuts together for micro-F1, and ``0.5`` is the cut
# ``MLPClassifier`` uses for every label.
if FAST:
    grid = {"clf__hidden_layer_sizes": [(16,)], "clf__threshold": ["f1", 0.5]}
else:
    grid = {
        "clf__hidden_layer_sizes": [(64,), (256,)],
        "clf__alpha": [1e-4, 1e-1],
        "clf__threshold": ["f1", "micro_f1", 0.5],
    }
scoring = {
    "micro_f1": "f1_micro",
    "macro_f1": "f1_macro",
    "neg_hamming_loss": neg_hamming_loss_scorer,
    "lrap": lrap_scorer,
}
search = GridSearchCV(
    pipeline,
    grid,
    scoring=scoring,
    refit="micro_f1",
    cv=MultilabelStratifiedKFold(
        n_splits=2 if FAST else 3, shuffle=True, random_state=0
    ),
)
search.fit(data.X_train, data.Y_train)

# %%
# The results
# -----------
# The label ranking average precision (LRAP) only depends on the probabilities,
# so it does not change with the threshold rule, while the F1 scores and the
# Hamming loss do.
results = search.cv_results_
order = results["rank_test_micro_f1"].argsort()
print(
    f"{'rank':>4}"
    + "".join(f"{title:>10}" for title in ("micro F1", "macro F1", "Hamming", "LRAP"))
    + "  params"
)
for i in order:
    scores = [
        results["mean_test_micro_f1"][i],
        results["mean_test_macro_f1"][i],
        -results["mean_test_neg_hamming_loss"][i],
        results["mean_test_lrap"][i],
    ]
    cells = "".join(f"{score:>10.4f}" for score in scores)
    print(f"{results['rank_test_micro_f1'][i]:>4}{cells}  {results['params'][i]}")

best = search.best_estimator_
Y_pred = best.predict(data.X_test)
print(f"\nBest parameters: {search.best_params_}")
test_f1 = f1_score(data.Y_test, Y_pred, average="micro")
print(f"Test micro F1 of the refitted best pipeline: {test_f1:.4f}")

# %%
# Plot the cross-validated F1 of every candidate
# ----------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

labels = [
    "  ".join(f"{k.removeprefix('clf__')}={v}" for k, v in params.items()).replace(
        "hidden_layer_sizes", "layers"
    )
    for params in results["params"]
]
positions = np.arange(len(labels))
fig, ax = plt.subplots(figsize=(10, 0.45 * len(labels) + 1.5), layout="constrained")
for offset, metric in ((-0.2, "micro_f1"), (0.2, "macro_f1")):
    ax.barh(
        positions + offset,
        results[f"mean_test_{metric}"],
        height=0.4,
        xerr=results[f"std_test_{metric}"],
        label=metric.replace("_", " "),
    )
ax.set_yticks(positions, labels)
ax.set_xlabel("cross-validated score on the training split")
ax.set_xlim(0, 1)
ax.legend(loc="lower right")
ax.set_title("GridSearchCV on emotions: network and threshold parameters")
path = OUT / "grid_search.png"
fig.savefig(path)
print(f"Wrote {path}")
plt.show()
