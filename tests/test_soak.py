"""A short soak: consecutive fits in one process must neither leak nor slow down.

The full 200-fit soak is ``benchmarks/soak.py``. Bounds, measured on 2 cores
(Linux, TensorFlow 2.21, Keras 3.15), with ``gc.collect()`` after each fit so
that the resident size shows what fits retain, not where Python's collector is
in its cycle:

- memory: a network trained with a hand-written Adam step retains about
  0.05 MiB per fit (+2.4 MiB over 50 fits); the package's step, which calls
  ``keras.optimizers.Adam.apply`` inside a fresh ``tf.function`` per fit,
  retains 1.9 MiB per fit (+364 MiB over 190 fits; TensorFlow keeps each
  traced optimizer graph alive, tensorflow/tensorflow#62854). The bound,
  0.5 MiB per fit, is ten times the first and a quarter of the second.
- time: the median of the last five fits may be at most twice the median of
  the first five after warm-up. Medians of five ignore a single collector
  pause; fits on a shared 2-core machine vary by up to about 1.5x from load
  alone (measured ratios 0.8-1.1 over 200 fits), while state accumulating in
  a global registry (a graph, a name table) slows every later fit and keeps
  growing.
"""

import gc
import os
import statistics
import time

import numpy as np
import pytest

from sklearn_multilabel import MultiLabelNNClassifier

from .conftest import FAST

WARMUP, MEASURED = 5, 20
MAX_GROWTH_MIB_PER_FIT = 0.5
MAX_SLOWDOWN = 2.0

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc (Linux)"
)


def _resident_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.fixture(scope="module")
def soak_curves(multilabel_data):
    """RSS after, and time of, each of WARMUP + MEASURED fit-predict-drop steps."""
    X, Y = multilabel_data
    params = {**FAST, "max_iter": 10, "dropout": 0.1}
    rss, seconds = [], []
    for seed in range(WARMUP + MEASURED):
        started = time.perf_counter()
        clf = MultiLabelNNClassifier(**{**params, "random_state": seed}).fit(X, Y)
        clf.predict_proba(X)
        seconds.append(time.perf_counter() - started)
        del clf
        gc.collect()
        rss.append(_resident_mib())
    return np.array(rss[WARMUP:]), seconds[WARMUP:]


def test_repeated_fits_do_not_grow_memory(soak_curves):
    """Check that resident memory stays flat over consecutive fits."""
    rss, _ = soak_curves
    growth_per_fit = (rss[-1] - rss[0]) / (len(rss) - 1)
    assert growth_per_fit < MAX_GROWTH_MIB_PER_FIT, (
        f"RSS grew {rss[-1] - rss[0]:.1f} MiB over {len(rss) - 1} fits"
    )


def test_repeated_fits_do_not_slow_down(soak_curves):
    """Check that the last fits take at most twice as long as the first ones."""
    _, seconds = soak_curves
    first, last = statistics.median(seconds[:5]), statistics.median(seconds[-5:])
    assert last < MAX_SLOWDOWN * first, f"median {first:.3f} s -> {last:.3f} s"
