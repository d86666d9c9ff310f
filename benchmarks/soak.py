"""Soak: hundreds of consecutive fits in one process, as in a grid search.

Each step builds a fresh ``MultiLabelNNClassifier`` (a new ``random_state``
each time, as a search over seeds or folds would), fits it on a small
multi-label problem, calls ``predict_proba`` and drops it. After every step
the script records the resident set size (``/proc/self/statm``, Linux) and the
wall time of the step; it prints both curves every ``--every`` fits and a
summary:

- RSS growth after the warm-up, in total and per fit (least-squares slope
  over the post-warm-up fits, robust to the allocator's steps);
- median time per fit over the first and the last ``--window`` fits after the
  warm-up, and their ratio (a ratio well above 1 means each fit pays for
  state left behind by the previous ones).

The first fits import TensorFlow and grow its caches, so the warm-up fits are
excluded from both measures. ``tests/test_soak.py`` runs a short version of
this loop in CI with the bounds stated there.

Usage::

    python benchmarks/soak.py                    # 200 fits (~2 min, 2 cores)
    python benchmarks/soak.py --fits 50 --every 5
    python benchmarks/soak.py --threshold-cv 0   # one network per fit
    python benchmarks/soak.py --sparse           # CSR features
    python benchmarks/soak.py --json soak.json   # also write the raw curves
"""

import argparse
import gc
import json
import os
import statistics
import sys
import time
import warnings

import numpy as np

PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20

# Tiny network and data: the soak measures what each fit leaves behind, not
# training speed, so each fit should cost well under a second.
PARAMS = {
    "hidden_layer_sizes": (16,),
    "max_iter": 10,
    "learning_rate": 0.01,
    "dropout": 0.1,
}


def parse_args(argv=None):
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fits", type=int, default=200, help="number of fits")
    parser.add_argument("--warmup", type=int, default=10, help="fits not measured")
    parser.add_argument(
        "--window", type=int, default=10, help="fits in each timing median"
    )
    parser.add_argument("--every", type=int, default=10, help="print every N fits")
    parser.add_argument("--samples", type=int, default=200, help="rows per fit")
    parser.add_argument(
        "--threshold-cv",
        type=int,
        default=5,
        help="networks of the fold ensemble each fit trains (default 5, the "
        "estimator's default); 0 trains one network (threshold_cv=None)",
    )
    parser.add_argument(
        "--sparse", action="store_true", help="fit on CSR features instead of dense"
    )
    parser.add_argument(
        "--no-collect",
        dest="collect",
        action="store_false",
        help="do not run the garbage collector before reading the RSS",
    )
    parser.add_argument("--json", help="write the per-fit curves to this file")
    args = parser.parse_args(argv)
    if args.fits < args.warmup + 2 * args.window:
        parser.error(
            f"--fits={args.fits} leaves too few fits after a warm-up of "
            f"{args.warmup} for two windows of {args.window}: pass more fits."
        )
    return args


def resident_mib():
    """Return this process's resident set size in MiB.

    Returns
    -------
    rss : float
    """
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_MIB


def make_data(n_samples, *, sparse=False):
    """Return scaled features and a 5-label indicator target.

    Parameters
    ----------
    n_samples : int
    sparse : bool, default=False
        Return the features as a CSR matrix (word counts, as a text set).

    Returns
    -------
    X : ndarray or CSR matrix of shape (n_samples, 10)
    Y : ndarray of shape (n_samples, 5)
    """
    import scipy.sparse as sp
    from sklearn.datasets import make_multilabel_classification
    from sklearn.preprocessing import StandardScaler

    X, Y = make_multilabel_classification(
        n_samples=n_samples, n_features=10, n_classes=5, random_state=0
    )
    if sparse:
        return sp.csr_matrix(X), Y
    return StandardScaler().fit_transform(X), Y


def soak(n_fits, X, Y, *, threshold_cv=5, collect=True, every=0):
    """Fit, predict and drop ``n_fits`` estimators, recording RSS and time.

    Parameters
    ----------
    n_fits : int
    X, Y : ndarray
    threshold_cv : int or None, default=5
        Fold networks per fit (the fold ensemble); None trains one network.
    collect : bool, default=True
        Run the garbage collector after each fit, before reading the RSS, so
        that the curve shows what the fits retain rather than where Python's
        collector happens to be in its cycle (Keras models hold reference
        cycles: without it the RSS saw-tooths by tens of MiB).
    every : int, default=0
        Print a progress line every ``every`` fits; 0 prints nothing.

    Returns
    -------
    rss : list of float
        Resident MiB after each fit.
    seconds : list of float
        Wall time of each fit plus its ``predict_proba``.
    """
    from sklearn_multilabel import MultiLabelNNClassifier

    rss, seconds = [], []
    for index in range(n_fits):
        started = time.perf_counter()
        estimator = MultiLabelNNClassifier(
            **PARAMS, threshold_cv=threshold_cv, random_state=index
        ).fit(X, Y)
        estimator.predict_proba(X)
        seconds.append(time.perf_counter() - started)
        del estimator
        if collect:
            gc.collect()
        rss.append(resident_mib())
        if every and (index % every == 0 or index == n_fits - 1):
            print(
                f"fit {index + 1:4d}  rss {rss[-1]:8.1f} MiB  "
                f"time {seconds[-1]:6.3f} s",
                flush=True,
            )
    return rss, seconds


def summarise(rss, seconds, warmup, window):
    """Reduce the curves to the numbers the soak is judged on.

    Parameters
    ----------
    rss, seconds : list of float
    warmup : int
    window : int

    Returns
    -------
    summary : dict
    """
    measured_rss = np.asarray(rss[warmup:])
    fits = np.arange(len(measured_rss))
    first = statistics.median(seconds[warmup : warmup + window])
    last = statistics.median(seconds[-window:])
    return {
        "fits": len(rss),
        "warmup": warmup,
        "rss_after_warmup_mib": float(measured_rss[0]),
        "rss_final_mib": float(measured_rss[-1]),
        "rss_growth_mib": float(measured_rss[-1] - measured_rss[0]),
        "rss_slope_mib_per_fit": float(np.polyfit(fits, measured_rss, 1)[0]),
        "median_first_s": first,
        "median_last_s": last,
        "slowdown": last / first,
    }


def main(argv=None):
    """Run the soak and print its summary.

    Parameters
    ----------
    argv : list of str, default=None
    """
    args = parse_args(argv)
    warnings.simplefilter("ignore")
    X, Y = make_data(args.samples, sparse=args.sparse)
    threshold_cv = args.threshold_cv or None
    print(
        f"threshold_cv={threshold_cv}, {'sparse' if args.sparse else 'dense'} X; "
        f"rss before the first fit: {resident_mib():.1f} MiB",
        flush=True,
    )
    rss, seconds = soak(
        args.fits,
        X,
        Y,
        threshold_cv=threshold_cv,
        collect=args.collect,
        every=args.every,
    )
    summary = summarise(rss, seconds, args.warmup, args.window)
    print()
    print(
        f"{summary['fits']} fits, the first {args.warmup} excluded as warm-up\n"
        f"RSS   {summary['rss_after_warmup_mib']:.1f} -> "
        f"{summary['rss_final_mib']:.1f} MiB: +{summary['rss_growth_mib']:.1f} MiB, "
        f"{summary['rss_slope_mib_per_fit']:.3f} MiB per fit (slope)\n"
        f"time  median of the first {args.window}: "
        f"{summary['median_first_s']:.3f} s, of the last {args.window}: "
        f"{summary['median_last_s']:.3f} s, ratio {summary['slowdown']:.2f}"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({**summary, "rss_mib": rss, "seconds": seconds}, out, indent=1)
    return summary


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
    sys.exit(0)
