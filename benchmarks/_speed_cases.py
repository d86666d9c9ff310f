"""Data, estimators and in-process measurements of ``bench_speed.py``.

Everything here runs inside one worker subprocess per case, so that peak
memory and lazy imports of one estimator do not leak into another's numbers.
"""

import gc
import os
import resource
import time
import warnings

import numpy as np
import scipy.sparse as sp

SEED = 0
HIDDEN = 128
BATCH_SIZE = 256
EPOCHS = 10
LEARNING_RATE = 1e-3
ALPHA = 1e-4
WARMUP_ROWS = 512
# Features of the warm-up fit: enough to trace, too few to pre-allocate.
WARMUP_FEATURES = 200

SIZES = {
    "small": {"n_samples": 2_000, "n_features": 100, "n_labels": 10},
    "medium": {"n_samples": 20_000, "n_features": 300, "n_labels": 50},
    "large": {"n_samples": 100_000, "n_features": 500, "n_labels": 100},
    "sparse": {
        "n_samples": 100_000,
        "n_features": 50_000,
        "n_labels": 100,
        "density": 0.001,
    },
}

ESTIMATORS = ("ours", "mlp", "ovr_lr", "scikeras")


def make_data(size, seed=SEED):
    """Build the synthetic data set of one size.

    Labels come from a noisy linear function of the features, cut per label
    at a quantile giving it a prevalence between 3% and 30%, so every model
    has something to learn and labels have unequal frequencies.

    Parameters
    ----------
    size : str
        A key of ``SIZES``.
    seed : int, default=SEED

    Returns
    -------
    X : ndarray of float32 or CSR matrix of shape (n_samples, n_features)
    Y : ndarray of int8 of shape (n_samples, n_labels)
    """
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    n, d, n_labels = spec["n_samples"], spec["n_features"], spec["n_labels"]
    if "density" in spec:
        X = _tfidf_like(rng, n, d, spec["density"])
        weights = rng.standard_normal((d, n_labels), dtype=np.float32)
    else:
        X = rng.standard_normal((n, d), dtype=np.float32)
        weights = rng.standard_normal((d, n_labels), dtype=np.float32) / np.sqrt(d)
    scores = np.asarray(X @ weights)
    scores += 0.5 * rng.standard_normal(scores.shape, dtype=np.float32)
    prevalence = rng.uniform(0.03, 0.3, size=n_labels)
    cuts = np.array(
        [np.quantile(scores[:, j], 1 - prevalence[j]) for j in range(n_labels)]
    )
    return X, (scores > cuts).astype(np.int8)


def _tfidf_like(rng, n_samples, n_features, density):
    """Return a CSR matrix shaped like L2-normalised TF-IDF vectors.

    Term popularity follows a Zipf-like law over a shuffled vocabulary, and
    values are term counts times inverse document frequencies.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_samples, n_features : int
    density : float

    Returns
    -------
    X : CSR matrix of float32
    """
    from sklearn.preprocessing import normalize

    per_row = np.maximum(rng.poisson(density * n_features, size=n_samples), 1)
    popularity = 1.0 / np.arange(1, n_features + 1) ** 0.8
    popularity /= popularity.sum()
    vocabulary = rng.permutation(n_features)
    columns = vocabulary[rng.choice(n_features, size=per_row.sum(), p=popularity)]
    idf = np.log(1.0 / popularity)[np.argsort(vocabulary)].astype(np.float32)
    counts = rng.geometric(0.7, size=columns.size).astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(per_row)])
    X = sp.csr_matrix(
        (np.log1p(counts) * idf[columns], columns.astype(np.int32), indptr),
        shape=(n_samples, n_features),
    )
    X.sum_duplicates()
    return normalize(X, copy=False)


def make_estimator(name, n_labels, max_iter=EPOCHS):
    """Build one estimator, configured like every other (Dense 128, Adam).

    Parameters
    ----------
    name : str
        One of ``ESTIMATORS``.
    n_labels : int
    max_iter : int, default=EPOCHS

    Returns
    -------
    estimator : scikit-learn estimator
    """
    if name == "ours":
        from sklearn_multilabel import MultiLabelNNClassifier

        return MultiLabelNNClassifier(
            hidden_layer_sizes=(HIDDEN,),
            dropout=0.0,
            input_noise=0.0,
            n_bins=0,
            alpha=ALPHA,
            learning_rate=LEARNING_RATE,
            batch_size=BATCH_SIZE,
            max_iter=max_iter,
            early_stopping=False,
            n_iter_no_change=10**6,
            threshold=0.5,
            threshold_cv=None,
            random_state=SEED,
        )
    if name == "mlp":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(
            hidden_layer_sizes=(HIDDEN,),
            alpha=ALPHA,
            learning_rate_init=LEARNING_RATE,
            batch_size=BATCH_SIZE,
            max_iter=max_iter,
            tol=0.0,
            n_iter_no_change=10**6,
            early_stopping=False,
            random_state=SEED,
        )
    if name == "ovr_lr":
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        return OneVsRestClassifier(LogisticRegression())
    if name == "scikeras":
        from scikeras.wrappers import KerasClassifier

        return KerasClassifier(
            model=_scikeras_network,
            model__n_labels=n_labels,
            loss="binary_crossentropy",
            optimizer="adam",
            optimizer__learning_rate=LEARNING_RATE,
            epochs=max_iter,
            batch_size=BATCH_SIZE,
            verbose=0,
            random_state=SEED,
        )
    raise ValueError(f"Unknown estimator {name!r}; choose from {ESTIMATORS}.")


def _scikeras_network(meta, n_labels):
    """Build the scikeras peer's network: Dense(128, relu), one sigmoid per label.

    Parameters
    ----------
    meta : dict
        scikeras' data-dependent shapes.
    n_labels : int

    Returns
    -------
    model : keras.Model
    """
    import keras

    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(n_labels, activation="sigmoid"),
        ]
    )


def n_parameters(n_features, n_labels):
    """Return the number of weights of the benchmarked architecture.

    Parameters
    ----------
    n_features, n_labels : int

    Returns
    -------
    n : int
    """
    return n_features * HIDDEN + HIDDEN + HIDDEN * n_labels + n_labels


def data_facts(size, X, Y):
    """Describe one size's data: shape, nnz, and bytes of data and model.

    Parameters
    ----------
    size : str
    X : ndarray or sparse matrix
    Y : ndarray

    Returns
    -------
    facts : dict
    """
    spec = SIZES[size]
    return {
        "shape": [spec["n_samples"], spec["n_features"], spec["n_labels"]],
        "sparse": bool(sp.issparse(X)),
        "nnz": int(X.nnz) if sp.issparse(X) else int(X.size),
        "data_bytes": data_nbytes(X, Y),
        "model_bytes": 4 * n_parameters(spec["n_features"], spec["n_labels"]),
        "label_prevalence": float(Y.mean()),
    }


def data_nbytes(X, Y):
    """Return the bytes held by ``X`` (its three arrays if sparse) and ``Y``.

    Parameters
    ----------
    X : ndarray or sparse matrix
    Y : ndarray

    Returns
    -------
    nbytes : int
    """
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes + Y.nbytes
    return X.nbytes + Y.nbytes


def rss_bytes():
    """Return the current resident set size of this process, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def peak_rss_bytes():
    """Return the peak resident set size of this process, in bytes.

    Returns
    -------
    peaks : dict
        ``ru_maxrss`` (Linux reports KiB; it also remembers the parent's
        RSS at fork, so it is not reset by ``reset_peak_rss``) and
        ``VmHWM`` from ``/proc/self/status`` (reset by it), or None.
    """
    peaks = {
        "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "vm_hwm": None,
    }
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peaks["vm_hwm"] = int(line.split()[1]) * 1024
    return peaks


def reset_peak_rss():
    """Restart the peak-RSS counter (Linux ``clear_refs``), if allowed.

    Returns
    -------
    done : bool
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def time_call(function):
    """Run ``function()`` once and return (seconds, result)."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def time_repeated(function, repeats, budget, after_each=None):
    """Time up to ``repeats`` calls, stopping early once ``budget`` is spent.

    A call is started only if the time spent so far plus one more call of
    the last duration stays within ``budget``, so a slow case runs once.
    The previous call's result is dropped and collected before each call.

    Parameters
    ----------
    function : callable
    repeats : int
    budget : float
        Seconds.
    after_each : callable, default=None
        Called as ``after_each(run)`` after each call, with its index.

    Returns
    -------
    seconds : list of float
    result : object
        What the last call returned.
    """
    seconds, result = [], None
    for run in range(repeats):
        if seconds and sum(seconds) + seconds[-1] > budget:
            break
        result = None  # a caller holds one result at a time, not two
        gc.collect()
        elapsed, result = time_call(function)
        seconds.append(elapsed)
        if after_each is not None:
            after_each(run)
    return seconds, result


def time_many_calls(function, max_calls=200, budget=3.0, warmup=5):
    """Return the median seconds of many calls of ``function``, after a warm-up.

    Parameters
    ----------
    function : callable
    max_calls : int, default=200
    budget : float, default=3.0
        Seconds after which no more calls are started (at least 5 are made).
    warmup : int, default=5

    Returns
    -------
    median : float
    n_calls : int
    """
    for _ in range(warmup):
        function()
    seconds, started = [], time.perf_counter()
    while len(seconds) < max_calls and (
        len(seconds) < 5 or time.perf_counter() - started < budget
    ):
        elapsed, _ = time_call(function)
        seconds.append(elapsed)
    return float(np.median(seconds)), len(seconds)


def numpy_forward(weights):
    """Return the float32 numpy forward pass of Dense(relu) -> Dense(sigmoid).

    Sparse rows are multiplied as they are, without densifying.

    Parameters
    ----------
    weights : list of ndarray
        ``[kernel_0, bias_0, kernel_1, bias_1]`` as from ``get_weights``.

    Returns
    -------
    forward : callable
        ``forward(X) -> ndarray`` of probabilities.
    """
    from scipy.special import expit

    kernel_0, bias_0, kernel_1, bias_1 = (
        np.asarray(w, dtype=np.float32) for w in weights
    )

    def forward(X):
        hidden = np.asarray(X @ kernel_0)
        hidden += bias_0
        np.maximum(hidden, 0.0, out=hidden)
        logits = hidden @ kernel_1
        logits += bias_1
        return expit(logits, out=logits)

    return forward


def micro_f1(Y, proba):
    """Return the micro-averaged F1 of ``proba >= 0.5`` against ``Y``."""
    from sklearn.metrics import f1_score

    return float(f1_score(Y, np.asarray(proba) >= 0.5, average="micro"))


def measure_estimator(name, X, Y, repeats, fit_budget, predict_budget, epochs=EPOCHS):
    """Time fit and predict_proba of one estimator, and watch its memory.

    The estimator is first fitted on a few rows and features (loading
    TensorFlow and tracing what is traced once per process, without
    allocating anything of the full model's size). Then peak RSS is read
    three times, each after resetting the counter: over the first full fit,
    over the later fits (the previous fit's estimator is dropped first), and
    over predict_proba. Extras are counted from the RSS before the first
    full fit; the numpy bound is timed after every reading.

    With ``epochs < EPOCHS`` the times are extrapolated to ``EPOCHS``
    epochs: networks train ``epochs`` epochs and their fit time is scaled by
    ``EPOCHS / epochs`` (every epoch does the same work); the one-vs-rest
    peer, which has no epochs, fits the same share of the labels and its
    times are scaled by the inverse share (labels are fitted independently).

    Parameters
    ----------
    name : str
    X : ndarray or sparse matrix
    Y : ndarray
    repeats : int
    fit_budget, predict_budget : float
        Seconds after which repeated fits (predictions) stop.
    epochs : int, default=EPOCHS

    Returns
    -------
    result : dict
    """
    fit_scale = predict_scale = 1.0
    max_iter = EPOCHS
    result = {"loadavg_before": os.getloadavg()[0]}
    if epochs < EPOCHS and name == "ovr_lr":
        n_fitted = max(1, round(Y.shape[1] * epochs / EPOCHS))
        fit_scale = predict_scale = Y.shape[1] / n_fitted
        result["extrapolated_from"] = f"{n_fitted} of {Y.shape[1]} labels"
        Y = np.ascontiguousarray(Y[:, :n_fitted])
    elif epochs < EPOCHS:
        max_iter, fit_scale = epochs, EPOCHS / epochs
        result["extrapolated_from"] = f"{epochs} of {EPOCHS} epochs"
    n_labels = Y.shape[1]
    warmup = (slice(0, min(WARMUP_ROWS, X.shape[0])), slice(0, WARMUP_FEATURES))
    result["warmup_fit_s"], _ = time_call(
        lambda: make_estimator(name, n_labels).fit(X[warmup], Y[warmup[0]])
    )
    gc.collect()
    result["rss_before_fit"] = rss_bytes()
    result["peak_reset"] = reset_peak_rss()

    def read_first_fit_peak(run):
        if run == 0:
            result["first_fit_peak"] = peak_rss_bytes()["vm_hwm"]
            reset_peak_rss()

    seconds, estimator = time_repeated(
        lambda: make_estimator(name, n_labels, max_iter).fit(X, Y),
        repeats,
        fit_budget,
        after_each=read_first_fit_peak,
    )
    if len(seconds) > 1:
        result["later_fit_peak"] = peak_rss_bytes()["vm_hwm"]
    result["fit_s_measured"] = seconds
    result["fit_s"] = [fit_scale * s for s in seconds]
    gc.collect()
    reset_peak_rss()
    row = X[:1]
    one_row, result["predict_1row_calls"] = time_many_calls(
        lambda: estimator.predict_proba(row), budget=predict_budget
    )
    result["predict_1row_s"] = predict_scale * one_row
    seconds, proba = time_repeated(
        lambda: estimator.predict_proba(X), repeats, predict_budget
    )
    result["predict_peak"] = peak_rss_bytes()["vm_hwm"]
    result["predict_all_s"] = [predict_scale * s for s in seconds]
    result["train_micro_f1"] = micro_f1(Y, proba)
    if name == "ours":
        result.update(_numpy_bound(estimator, X, proba, repeats, predict_budget))
    result["loadavg_after"] = os.getloadavg()[0]
    return result


def _numpy_bound(estimator, X, proba, repeats, predict_budget):
    """Time a numpy forward pass of our trained weights and compare outputs.

    Parameters
    ----------
    estimator : MultiLabelNNClassifier
        Fitted with one hidden layer and no dropout.
    X : ndarray or sparse matrix
    proba : ndarray
        ``estimator.predict_proba(X)``.
    repeats : int
    predict_budget : float

    Returns
    -------
    result : dict
    """
    forward = numpy_forward(estimator.model_.get_weights())
    row = X[:1]
    one_row, calls = time_many_calls(lambda: forward(row), budget=predict_budget)
    seconds, bound_proba = time_repeated(lambda: forward(X), repeats, predict_budget)
    return {
        "numpy_predict_1row_s": one_row,
        "numpy_predict_1row_calls": calls,
        "numpy_predict_all_s": seconds,
        "numpy_max_abs_diff": float(np.max(np.abs(bound_proba - proba))),
    }


def measure_grid_search(n_jobs, repeats, max_iter=EPOCHS):
    """Time GridSearchCV over 4 candidates x 3 folds of our estimator.

    Our estimator is fitted once before timing so the parent process has
    TensorFlow loaded; with ``n_jobs > 1`` the first search also pays for
    starting the workers and importing TensorFlow in each, later searches
    reuse them.

    Parameters
    ----------
    n_jobs : int
    repeats : int
    max_iter : int, default=EPOCHS

    Returns
    -------
    result : dict
    """
    from sklearn.model_selection import GridSearchCV

    X, Y = make_data("small")
    make_estimator("ours", Y.shape[1]).fit(X[:WARMUP_ROWS], Y[:WARMUP_ROWS])
    search = GridSearchCV(
        make_estimator("ours", Y.shape[1], max_iter=max_iter),
        {"alpha": [1e-4, 1e-3], "hidden_layer_sizes": [(64,), (128,)]},
        cv=3,
        scoring="f1_micro",
        n_jobs=n_jobs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds = [time_call(lambda: search.fit(X, Y))[0] for _ in range(repeats)]
    return {"n_jobs": n_jobs, "n_fits": 12, "fit_s": seconds}
