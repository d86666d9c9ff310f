"""Scores of the comparison runner, as tables, CSV files and a bar chart."""

import csv
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    hamming_loss,
    jaccard_score,
    label_ranking_average_precision_score,
    roc_auc_score,
)

# (key, title, higher is better): None marks the timings.
METRICS = (
    ("micro_f1", "micro F1", True),
    ("macro_f1", "macro F1", True),
    ("samples_f1", "samples F1", True),
    ("hamming_loss", "Hamming loss", False),
    ("jaccard_samples", "Jaccard (samples)", True),
    ("subset_accuracy", "subset accuracy", True),
    ("lrap", "LRAP", True),
    ("roc_auc_macro", "ROC AUC (macro)", True),
    ("fit_s", "fit s", None),
    ("predict_s", "predict s", None),
)
METRIC_KEYS = tuple(key for key, _, _ in METRICS)


def score_predictions(Y_true, Y_pred, scores):
    """Multi-label quality metrics of predictions and per-label scores.

    Parameters
    ----------
    Y_true, Y_pred : ndarray of shape (n_samples, n_labels)
        0/1 truth and predictions.
    scores : ndarray of shape (n_samples, n_labels) or None
        Per-label scores for the ranking metrics; None leaves LRAP and ROC
        AUC undefined (NaN).

    Returns
    -------
    metrics : dict of str to float
        Every quality key of ``METRICS``. A sample with neither true nor
        predicted labels counts 0 in the samples-averaged F1 and Jaccard
        (``zero_division=0``). The macro ROC AUC averages the labels having
        both classes in `Y_true`; NaN if none has.
    """
    metrics = {
        "micro_f1": f1_score(Y_true, Y_pred, average="micro", zero_division=0),
        "macro_f1": f1_score(Y_true, Y_pred, average="macro", zero_division=0),
        "samples_f1": f1_score(Y_true, Y_pred, average="samples", zero_division=0),
        "hamming_loss": hamming_loss(Y_true, Y_pred),
        "jaccard_samples": jaccard_score(
            Y_true, Y_pred, average="samples", zero_division=0
        ),
        "subset_accuracy": accuracy_score(Y_true, Y_pred),
        "lrap": np.nan,
        "roc_auc_macro": np.nan,
    }
    if scores is not None:
        metrics["lrap"] = label_ranking_average_precision_score(Y_true, scores)
        metrics["roc_auc_macro"] = _macro_roc_auc(Y_true, scores)
    return {key: float(value) for key, value in metrics.items()}


def _macro_roc_auc(Y_true, scores):
    """Mean ROC AUC of the labels with both classes present; NaN if none has."""
    aucs = [
        roc_auc_score(Y_true[:, j], scores[:, j])
        for j in range(Y_true.shape[1])
        if 0 < Y_true[:, j].sum() < Y_true.shape[0]
    ]
    return float(np.mean(aucs)) if aucs else np.nan


class ComparisonResult:
    """Scores of every model on every fold, with tables and a bar chart.

    Returned by :func:`~sklearn_multilabel.compare.compare`; ``str()`` gives
    the text table.

    Parameters
    ----------
    dataset : str
        Name of the dataset.
    evaluation : str
        How the models were evaluated, e.g. the split used.
    folds : list of dict
        One entry per model and fold: ``model``, ``fold`` and every key of
        ``METRICS``.
    notes : dict of str to str, default=None
        Models left out (not installed, or failed), with the reason.

    Attributes
    ----------
    rows : list of dict
        One row per model, in order: ``model``, ``n_folds``, the mean of every
        metric over the folds and, with several folds, its standard deviation
        as ``<metric>_std``.
    """

    def __init__(self, *, dataset, evaluation, folds, notes=None):
        self.dataset = dataset
        self.evaluation = evaluation
        self.folds = folds
        self.notes = dict(notes or {})

    @property
    def rows(self):
        rows = []
        for name in dict.fromkeys(fold["model"] for fold in self.folds):
            runs = [fold for fold in self.folds if fold["model"] == name]
            row = {"model": name, "n_folds": len(runs)}
            values = {key: np.array([run[key] for run in runs]) for key in METRIC_KEYS}
            row.update({key: float(np.mean(v)) for key, v in values.items()})
            if len(runs) > 1:
                row.update(
                    {f"{key}_std": float(np.std(v)) for key, v in values.items()}
                )
            rows.append(row)
        return rows

    def best(self, metric="micro_f1"):
        """Return the row of the best model for one metric.

        Parameters
        ----------
        metric : str, default="micro_f1"
            A quality key of ``METRICS``.

        Returns
        -------
        row : dict
        """
        direction = {key: higher for key, _, higher in METRICS}
        if direction.get(metric) is None:
            raise ValueError(
                f"metric must be one of {[k for k, _, h in METRICS if h is not None]}; "
                f"got {metric!r}."
            )
        sign = 1 if direction[metric] else -1
        return max(
            self.rows, key=lambda row: sign * np.nan_to_num(row[metric], nan=-np.inf)
        )

    def to_text(self):
        """Format the mean scores as a fixed-width text table.

        Returns
        -------
        table : str
        """
        rows = self.rows
        width = max(len("model"), *(len(row["model"]) for row in rows))
        widths = {key: max(len(key), 7) + 2 for key in METRIC_KEYS}
        cells = [
            f"{'model':<{width}}" + "".join(f"{k:>{w}}" for k, w in widths.items())
        ]
        for row in rows:
            values = "".join(f"{_number(row, k):>{w}}" for k, w in widths.items())
            cells.append(f"{row['model']:<{width}}{values}")
        return "\n".join(cells + self._footnotes(markdown=False))

    def __str__(self):
        return self.to_text()

    def to_markdown(self):
        """Format the scores as a markdown table, the best of each column bold.

        Returns
        -------
        table : str
        """
        rows = self.rows
        best = {
            key: self.best(key)["model"]
            for key, _, higher in METRICS
            if higher is not None
        }
        header = "| model | " + " | ".join(title for _, title, _ in METRICS) + " |"
        lines = [header, "|---|" + "---:|" * len(METRICS)]
        for row in rows:
            cells = []
            for key in METRIC_KEYS:
                cell = _number(row, key, spread=True)
                cells.append(f"**{cell}**" if best.get(key) == row["model"] else cell)
            lines.append(f"| {row['model']} | " + " | ".join(cells) + " |")
        return "\n".join(lines + [""] + self._footnotes(markdown=True))

    def _footnotes(self, *, markdown):
        """Lines explaining the table: evaluation, directions, left-out models."""
        spread = " (mean ± std over folds)" if markdown and self._n_folds() > 1 else ""
        lines = [
            f"{self.dataset}: {self.evaluation}{spread}. Hamming loss: lower is "
            "better; every other score: higher is better. Times in seconds."
        ]
        if markdown:
            lines[0] += " Best of each column in bold."
        lines += [f"Not run: {name}: {reason}" for name, reason in self.notes.items()]
        return lines

    def _n_folds(self):
        """Number of folds of the first model, 0 when nothing ran."""
        rows = self.rows
        return rows[0]["n_folds"] if rows else 0

    def write_csv(self, path, *, per_fold=False):
        """Write the mean scores, or every fold's, to a CSV file.

        Parameters
        ----------
        path : str or path-like
        per_fold : bool, default=False
            Write one line per model and fold instead of one per model.

        Returns
        -------
        path : Path
        """
        rows = self.folds if per_fold else self.rows
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path

    def plot(self, ax=None):
        """Draw a grouped bar chart of the quality scores in [0, 1].

        Hamming loss and the timings are left out; with several folds, error
        bars show the standard deviation.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; None makes a new figure (no pyplot state).

        Returns
        -------
        ax : matplotlib.axes.Axes
        """
        if ax is None:
            from matplotlib.figure import Figure

            ax = Figure(figsize=(12, 5.5), layout="constrained").subplots()
        keys = [key for key, _, higher in METRICS if higher]
        titles = [title for _, title, higher in METRICS if higher]
        rows = self.rows
        width = 0.8 / len(rows)
        positions = np.arange(len(keys))
        for i, row in enumerate(rows):
            spread = [row.get(f"{key}_std", 0.0) for key in keys]
            ax.bar(
                positions + (i - (len(rows) - 1) / 2) * width,
                [row[key] for key in keys],
                width,
                yerr=spread if self._n_folds() > 1 else None,
                label=row["model"],
            )
        ax.set_xticks(positions, titles)
        ax.set_ylim(0, 1)
        ax.set_ylabel("score (higher is better)")
        ax.set_title(f"{self.dataset}: {self.evaluation}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4)
        return ax

    def save(self, out_dir, *, command=None):
        """Write ``scores.csv``, ``folds.csv``, ``scores.md`` and ``scores.png``.

        The chart needs matplotlib; without it, it is skipped with a warning.

        Parameters
        ----------
        out_dir : str or path-like
            Created if needed.
        command : str, default=None
            Command that reproduces the results, quoted in ``scores.md``.

        Returns
        -------
        paths : list of Path
            The files written.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [
            self.write_csv(out_dir / "scores.csv"),
            self.write_csv(out_dir / "folds.csv", per_fold=True),
        ]
        markdown = f"# Comparison on {self.dataset}\n\n"
        if command:
            markdown += f"Reproduce with `{command}`.\n\n"
        paths.append(out_dir / "scores.md")
        paths[-1].write_text(markdown + self.to_markdown() + "\n", encoding="utf-8")
        try:
            ax = self.plot()
        except ImportError:
            warnings.warn(
                "matplotlib is not installed: the bar chart scores.png was not "
                "written (pip install matplotlib).",
                UserWarning,
                stacklevel=2,
            )
            return paths
        paths.append(out_dir / "scores.png")
        ax.figure.savefig(paths[-1], dpi=120)
        return paths


def _number(row, key, *, spread=False):
    """Format one metric of a row: 4 decimals, 2 for seconds, "n/a" for NaN.

    With `spread`, append the row's "± std" when it has one.
    """
    value = row[key]
    if np.isnan(value):
        return "n/a"
    digits = 2 if key.endswith("_s") else 4
    cell = f"{value:.{digits}f}"
    if spread and f"{key}_std" in row:
        cell += f" ± {row[f'{key}_std']:.{digits}f}"
    return cell
