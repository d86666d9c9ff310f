"""TensorFlow's thread pools, sized before TensorFlow starts."""

import os
import sys

# Thread-count variables that joblib's loky backend sets in each worker to
# cpu_count // n_jobs, so that parallel searches do not oversubscribe cores.
JOBLIB_THREAD_LIMITS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_tensorflow_threads():
    """Size TensorFlow's thread pools from joblib's per-worker thread limit.

    TensorFlow reads ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS``
    once, when it starts, and otherwise uses every core in every process: two
    ``GridSearchCV(n_jobs=2)`` workers would each run a pool per core. Inside a
    worker where joblib limited threads (``OMP_NUM_THREADS``) and neither
    variable is set, this sets ``TF_NUM_INTRAOP_THREADS`` to that limit and
    ``TF_NUM_INTEROP_THREADS`` to 1. Variables set by the user always win, and
    nothing changes once TensorFlow is imported.

    Returns
    -------
    intra_op_threads : int or None
        The limit applied, or None when nothing was changed.
    """
    if "tensorflow" in sys.modules or "TF_NUM_INTRAOP_THREADS" in os.environ:
        return None
    limits = [os.environ.get(name) for name in JOBLIB_THREAD_LIMITS]
    limits = [int(value) for value in limits if value and value.isdigit()]
    if not limits:
        return None
    threads = max(1, min(limits))
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    return threads
