"""Score MultiLabelNNClassifier's defaults on the test splits, next to the bars.

Issue 4's target: with default parameters, test micro-F1 and macro-F1 at
least those of the best baseline given tuned thresholds. For each bundled
dataset and random_state 0, 1, 2 this fits
``make_pipeline(StandardScaler(), MultiLabelNNClassifier(random_state=s))``
on the training split and scores the test split. The bars are issue 4's
quoted figures and ours from ``compare_baselines.py`` (read from
``results/baselines.json`` when present). Nothing is chosen here.

Usage::

    python benchmarks/check_defaults.py      # ~2 min on 2 cores
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _bars import ISSUE_BARS, f1_scores  # noqa: E402
from _tables import markdown_table  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_multilabel import MultiLabelNNClassifier  # noqa: E402
from sklearn_multilabel.datasets import (  # noqa: E402
    load_emotions,
    load_scene,
    load_yeast,
)

LOADERS = {"yeast": load_yeast, "scene": load_scene, "emotions": load_emotions}
RANDOM_STATES = (0, 1, 2)
RESULTS = Path(__file__).resolve().parent / "results"


def score_defaults(name):
    """Fit the default pipeline per random state; return mean scores and time.

    Parameters
    ----------
    name : str
        Bundled dataset.

    Returns
    -------
    scores : dict
        ``micro_f1``, ``macro_f1`` (mean, std) and ``seconds`` per fit.
    """
    X, Y, X_test, Y_test = LOADERS[name](return_X_y=True)
    micro, macro, seconds = [], [], []
    for state in RANDOM_STATES:
        model = make_pipeline(
            StandardScaler(), MultiLabelNNClassifier(random_state=state)
        )
        start = time.perf_counter()
        model.fit(X, Y)
        seconds.append(time.perf_counter() - start)
        scores = f1_scores(Y_test, model.predict(X_test))
        micro.append(scores["micro_f1"])
        macro.append(scores["macro_f1"])
    return {
        "micro_f1": (float(np.mean(micro)), float(np.std(micro))),
        "macro_f1": (float(np.mean(macro)), float(np.std(macro))),
        "seconds": float(np.mean(seconds)),
    }


def main():
    measured_bars = {}
    if (RESULTS / "baselines.json").exists():
        bars = json.loads((RESULTS / "baselines.json").read_text())["bars"]
        measured_bars = {
            name: {metric: bars[name][metric]["value"] for metric in bars[name]}
            for name in bars
        }
    rows, output = [], {}
    for name in LOADERS:
        scores = score_defaults(name)
        output[name] = scores
        for metric in ("micro_f1", "macro_f1"):
            mean, std = scores[metric]
            issue = ISSUE_BARS[name][metric]
            measured = measured_bars.get(name, {}).get(metric, np.nan)
            rows.append(
                {
                    "dataset": name,
                    "metric": metric,
                    "ours (mean ± std)": f"{mean:.4f} ± {std:.4f}",
                    "issue bar": issue,
                    "ours - issue": f"{mean - issue:+.4f}",
                    "measured bar": measured,
                    "ours - measured": f"{mean - measured:+.4f}",
                    "fit s": scores["seconds"],
                }
            )
    columns = list(rows[0])
    formats = {"issue bar": ".3f", "measured bar": ".4f", "fit s": ".1f"}
    text = (
        "# Default MultiLabelNNClassifier against the bars of issue 4\n\n"
        f"Test splits; mean over random_state {RANDOM_STATES}; "
        "`StandardScaler` first. `fit s`: seconds per fit.\n\n"
        + markdown_table(rows, columns, formats)
        + "\n"
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "defaults.md").write_text(text, encoding="utf-8")
    (RESULTS / "defaults.json").write_text(json.dumps(output, indent=1))


if __name__ == "__main__":
    main()
