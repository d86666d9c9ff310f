"""TensorFlow's thread pools, sized from joblib's per-worker thread limit."""

import os

# Thread-count variables that joblib's loky backend sets in each worker to
# cpu_count // n_jobs, so that parallel searches do not oversubscribe cores.
JOBLIB_THREAD_LIMITS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_tensorflow_threads():
    """Size TensorFlow's thread pools from joblib's per-worker thread limit.

    TensorFlow otherwise uses every core in every process: two
    ``GridSearchCV(n_jobs=2)`` workers would each run a pool per core. Inside
    a worker where joblib limited threads (``OMP_NUM_THREADS``), this sets
    TensorFlow's own threading configuration (``tf.config.threading``) to
    that limit within ops and 1 between them. The process environment is
    never changed. The user's choice always wins: nothing is set when
    ``TF_NUM_INTRAOP_THREADS`` is in the environment or the pools are
    already configured, nor once TensorFlow has started running ops (its
    pools are fixed then), nor on another Keras backend.

    Returns
    -------
    intra_op_threads : int or None
        The limit applied, or None when nothing was changed.
    """
    limits = [os.environ.get(name) for name in JOBLIB_THREAD_LIMITS]
    limits = [int(value) for value in limits if value and value.isdigit()]
    if not limits or "TF_NUM_INTRAOP_THREADS" in os.environ:
        return None
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    threading = tf.config.threading
    if threading.get_intra_op_parallelism_threads() != 0:
        return None
    threads = max(1, min(limits))
    try:
        threading.set_intra_op_parallelism_threads(threads)
        if "TF_NUM_INTEROP_THREADS" not in os.environ:
            threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow's context is initialised: pools are fixed
        return None
    return threads
