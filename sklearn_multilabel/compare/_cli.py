"""The command line: ``python -m sklearn_multilabel.compare DATASET``.

Parses the arguments, picks the default models asked for, runs
:func:`~sklearn_multilabel.compare.compare`, prints the table and writes it,
as CSV and markdown with a bar chart, to ``compare_results/<dataset>``.

Examples
--------
Command line::

    python -m sklearn_multilabel.compare yeast
    python -m sklearn_multilabel.compare scene --tune
    python -m sklearn_multilabel.compare emotions --cv 5 --models MLPClassifier
    python -m sklearn_multilabel.compare data.npz --out results/
    python -m sklearn_multilabel.compare data.csv --label-prefix tag_ --cv 5
    python -m sklearn_multilabel.compare openml:yeast
"""

import argparse
import os
import shlex
import sys
from pathlib import Path

from sklearn_multilabel.compare._data import BUNDLED, load_dataset
from sklearn_multilabel.compare._models import DEFAULT_MODEL_NAMES, build_default_models
from sklearn_multilabel.compare._runner import HOLDOUT_FRACTION, compare

_DESCRIPTION = """\
Compare MultiLabelNNClassifier with scikit-learn baselines on a dataset:
every model is fitted after the same StandardScaler on the training rows and
scored on the test rows."""


def _input_formats():
    """The ``--help`` epilog: what a CSV or .npz input must hold."""
    test = round(100 * HOLDOUT_FRACTION)
    return f"""\
input files:
  CSV   a header row, then one row per sample. The label columns are the
        ones named by --labels a,b,c or starting with --label-prefix tag_
        (exactly one of the two); their cells are 0/1, true/false or yes/no
        (any case; also t/f, y/n). Every other column is a numeric feature.
  .npz  arrays X_train, Y_train, X_test, Y_test (a train/test split), or X
        and Y (no split); optional feature_names and label_names. Y is a 0/1
        (or boolean) matrix of shape (n_samples, n_labels), n_labels >= 2.

Without a train/test split (a CSV file, an .npz with X and Y, OpenML), the
models train on {100 - test} % of the rows and are scored on the other {test} %,
a hold-out stratified per label; --cv K cross-validates on all rows instead.
"""


def _parser():
    """Command-line parser of ``python -m sklearn_multilabel.compare``."""
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_multilabel.compare",
        description=_DESCRIPTION,
        epilog=_input_formats(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "dataset",
        nargs="?",
        default="yeast",
        help=f"bundled name ({', '.join(BUNDLED)}), .npz or .csv path, or "
        "OpenML name or id (openml:NAME, openml:ID); default: yeast",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        metavar="NAME",
        help="default models to run, by name: "
        + ", ".join(DEFAULT_MODEL_NAMES)
        + " (case-insensitive); default: all",
    )
    parser.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="cross-validate with K folds stratified per label on all rows "
        "instead of scoring the test split",
    )
    parser.add_argument(
        "--tune",
        action="store_true",
        help="wrap each baseline in MultiLabelThresholdTuner (per-label thresholds)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder; default: compare_results/<dataset>[-tuned][-cvK]",
    )
    parser.add_argument(
        "--labels", help="CSV/OpenML: comma-separated names of the label columns"
    )
    parser.add_argument(
        "--label-prefix", help="CSV: every column whose name starts with it is a label"
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--no-progress", action="store_true", help="do not show progress on stderr"
    )
    return parser


def _select_models(names, random_state, parser):
    """Default models of the given names, case-insensitively; None for all.

    Unknown names, and models that cannot run here, end in ``parser.error``.
    """
    if names is None:
        return None
    by_key = {name.lower(): name for name in DEFAULT_MODEL_NAMES}
    unknown = [name for name in names if name.lower() not in by_key]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {list(by_key.values())}")
    models, skipped = build_default_models(
        random_state, [by_key[name.lower()] for name in names]
    )
    for name, reason in skipped.items():
        parser.error(f"{name} cannot run: {reason}")
    return models


def main(argv=None):
    """Command-line entry point: run the comparison, print and write the table.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; None reads ``sys.argv``.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    # Only an entry point owns its process environment: quieten TensorFlow here.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    labels = args.labels.split(",") if args.labels else None
    try:
        data = load_dataset(args.dataset, labels=labels, label_prefix=args.label_prefix)
    except (OSError, ValueError) as error:
        parser.error(str(error))
    models = _select_models(args.models, args.random_state, parser)
    result = compare(
        data,
        models,
        cv=args.cv,
        tune_thresholds=args.tune,
        random_state=args.random_state,
        progress=not args.no_progress,
    )
    if not result.folds:
        reasons = "".join(f"{name}: {note}\n" for name, note in result.notes.items())
        parser.exit(1, f"No model could be fitted.\n{reasons}")
    print(result)
    best = result.best("micro_f1")
    print(f"Best micro F1: {best['model']} ({best['micro_f1']:.4f})")
    suffix = ("-tuned" if args.tune else "") + (f"-cv{args.cv}" if args.cv else "")
    out = args.out or Path("compare_results") / f"{data.name}{suffix}"
    command = shlex.join(
        ["python", "-m", "sklearn_multilabel.compare", *(argv or sys.argv[1:])]
    )
    for path in result.save(out, command=command):
        print(f"Wrote {path}")
