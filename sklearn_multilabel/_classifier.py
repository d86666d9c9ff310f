"""MultiLabelNNClassifier: a Keras network with one sigmoid per label."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_multilabel._inference import (
    batched_logits,
    compile_forward,
    numpy_forward,
)
from sklearn_multilabel._splitting import validation_split
from sklearn_multilabel._thresholds import best_fbeta_thresholds
from sklearn_multilabel._training import TrainingSchedule, train
from sklearn_multilabel._validation import encode_target, reject_label_lists

# Labels with no positive among the rows thresholds are tuned on keep this cut.
FALLBACK_THRESHOLD = 0.5
THRESHOLD_STRATEGIES = {"f1"}


class MultiLabelNNClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label neural network: one sigmoid per label, learned thresholds.

    A Keras network (TensorFlow backend) returns one logit per label and is
    trained with binary cross-entropy computed from the logits. ``predict``
    compares each label's probability with its own threshold, tuned on rows
    the network did not train on.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256,)
        Width of each hidden layer of the default network.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Hidden-layer activation, named as in ``MLPClassifier``.
    dropout : float, default=0.2
        Dropout rate after each hidden layer, in [0, 1).
    alpha : float, default=1e-4
        L2 penalty, scaled as in ``MLPClassifier``: the loss gains
        ``alpha / (2 * n_samples) * ||W||^2``.
    learning_rate : float, default=1e-3
        Adam step size.
    batch_size : int or "auto", default="auto"
        Rows per gradient step. "auto" is the power of two closest to
        ``n_samples / 100``, clipped to [32, 512].
    max_iter : int, default=200
        Maximum number of epochs.
    early_stopping : bool, default=True
        Stop when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the best epoch's weights.
    validation_fraction : float, default=0.2
        Share of the training rows held out, with per-label stratification,
        whenever early stopping or threshold tuning needs them. Thresholds
        are tuned on the same rows, so tuning costs no extra fit.
    n_iter_no_change : int, default=10
        Patience of the stopping rule, in epochs.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss counted as an improvement.
    threshold : "f1", float or array-like of shape (n_labels,), default="f1"
        How ``predict`` turns probabilities into labels. "f1" tunes each
        label's threshold to maximise that label's F1 on the validation rows
        (labels without a positive there keep 0.5). A float or an array fixes
        the thresholds.
    build_network : callable, default=None
        Builds a custom Keras network instead of the default one. Called as
        ``build_network(meta)`` with ``meta`` a dict holding
        ``n_features_in``, ``n_labels`` and an integer ``random_state``; it
        must return a ``keras.Model`` ending in one logit per label (a final
        sigmoid is accepted and turned into logits; softmax is refused).
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the weight initialisation, dropout and
        the shuffling of rows. An int makes fits repeatable.
    verbose : int, default=0
        Print one line per epoch when positive.

    Attributes
    ----------
    classes_ : ndarray
        ``arange(n_labels)`` for an indicator target; the two classes for a
        1-D binary target.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
    model_ : keras.Model
        The trained network, returning logits.
    thresholds_ : ndarray of shape (n_labels,)
        Per-label probability thresholds used by ``predict``.
    history_ : dict
        ``{"loss": [...], "val_loss": [...]}``, one value per epoch.
    loss_curve_ : list of float
        Training loss of each epoch.
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        Zero-based epoch whose weights were kept.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Multi-layer perceptron whose
        multi-label predictions cut every probability at 0.5.
    sklearn.multiclass.OneVsRestClassifier : One binary model per label.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn_multilabel import MultiLabelNNClassifier
    >>> X, Y = make_multilabel_classification(n_samples=200, random_state=0)
    >>> clf = MultiLabelNNClassifier(max_iter=20, random_state=0).fit(X, Y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 5)
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "threshold": [
            StrOptions(THRESHOLD_STRATEGIES),
            Interval(Real, 0, 1, closed="both"),
            "array-like",
        ],
        "build_network": [callable, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes=(256,),
        activation="relu",
        dropout=0.2,
        alpha=1e-4,
        learning_rate=1e-3,
        batch_size="auto",
        max_iter=200,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=10,
        tol=1e-4,
        threshold="f1",
        build_network=None,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.threshold = threshold
        self.build_network = build_network
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network and tune the per-label thresholds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training features; float32 and float64 are both accepted, sparse
            input is densified one batch at a time.
        y : {array-like, sparse matrix} of shape (n_samples, n_labels)
            Multi-hot indicator matrix of 0/1, as produced by
            ``MultiLabelBinarizer``. A 1-D target with two classes is one
            label (plain binary classification).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._forget_fit()
        reject_label_lists(y)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float32, np.float64],
            multi_output=True,
        )
        Y, classes, binary = encode_target(y)
        thresholds = self._fixed_thresholds(Y.shape[1])
        split_seed, network_seed, shuffle_seed = check_random_state(
            self.random_state
        ).randint(0, 2**30, size=3)
        X_fit, Y_fit, validation = X, Y, None
        if self.early_stopping or thresholds is None:
            train_rows, validation_rows = validation_split(
                Y, self.validation_fraction, split_seed
            )
            X_fit, Y_fit = X[train_rows], Y[train_rows]
            validation = (X[validation_rows], Y[validation_rows])
        model = self._build_network(X_fit.shape, Y.shape[1], int(network_seed))
        history = train(
            model,
            compile_forward(model, X.shape[1]),
            X_fit,
            Y_fit,
            self._schedule(X_fit.shape[0], int(shuffle_seed)),
            validation=validation if self.early_stopping else None,
        )
        forward = self._inference_function(model)
        if thresholds is None:
            thresholds = _tune_thresholds(forward, *validation)

        # Published only now, so that a failed fit leaves nothing that predicts.
        self.classes_, self._binary, self._target_dtype = classes, binary, y.dtype
        self.model_, self._forward = model, forward
        self.history_ = {"loss": history.loss, "val_loss": history.val_loss}
        self.loss_curve_ = history.loss
        self.n_iter_ = len(history.loss)
        self.best_epoch_ = history.best_epoch
        self.thresholds_ = thresholds
        return self

    def _forget_fit(self):
        """Drop every fitted attribute, so a failed refit cannot predict."""
        fitted = [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]
        for name in fitted + ["_forward"]:
            self.__dict__.pop(name, None)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "thresholds_")

    def _fixed_thresholds(self, n_labels):
        """Return the thresholds fixed by ``threshold``, or None to tune them.

        Parameters
        ----------
        n_labels : int

        Returns
        -------
        thresholds : ndarray of shape (n_labels,) or None
        """
        if isinstance(self.threshold, str):
            return None
        thresholds = np.asarray(self.threshold, dtype=np.float64)
        if thresholds.ndim == 0:
            return np.full(n_labels, float(thresholds))
        if thresholds.shape != (n_labels,) or np.any(
            (thresholds < 0) | (thresholds > 1)
        ):
            raise ValueError(
                f"threshold has shape {thresholds.shape} with values in "
                f"[{thresholds.min(initial=0):g}, {thresholds.max(initial=0):g}], "
                f"but y has {n_labels} labels: pass one probability in [0, 1] per "
                f"label, a single float, or one of {sorted(THRESHOLD_STRATEGIES)}."
            )
        return thresholds

    def _build_network(self, X_shape, n_labels, seed):
        """Build the default or the user's network for this data.

        Parameters
        ----------
        X_shape : tuple of int
            Shape of the training features.
        n_labels : int
        seed : int

        Returns
        -------
        model : keras.Model
        """
        from sklearn_multilabel._network import (
            build_custom_network,
            build_default_network,
        )

        meta = {"n_features_in": X_shape[1], "n_labels": n_labels, "random_state": seed}
        if self.build_network is not None:
            return build_custom_network(self.build_network, meta)
        hidden_layer_sizes = np.atleast_1d(self.hidden_layer_sizes).tolist()
        if not all(
            isinstance(width, Integral) and width > 0 for width in hidden_layer_sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers, e.g. (256,) or "
                f"(512, 256); got {self.hidden_layer_sizes!r}."
            )
        return build_default_network(
            meta,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=self.activation,
            dropout=self.dropout,
            l2=self.alpha / (2 * X_shape[0]),
        )

    def _inference_function(self, model):
        """Return the fastest exact forward pass of a trained network.

        Parameters
        ----------
        model : keras.Model

        Returns
        -------
        forward : callable
            numpy pass for the default network, traced Keras call otherwise.
        """
        if self.build_network is None:
            return numpy_forward(model)
        return compile_forward(model, self.n_features_in_)

    def _schedule(self, n_samples, shuffle_seed):
        """Collect the training-loop parameters for ``n_samples`` rows.

        Parameters
        ----------
        n_samples : int
        shuffle_seed : int

        Returns
        -------
        schedule : TrainingSchedule
        """
        batch_size = self.batch_size
        if batch_size == "auto":
            batch_size = int(
                np.clip(2 ** round(np.log2(max(n_samples, 1) / 100)), 32, 512)
            )
        return TrainingSchedule(
            learning_rate=self.learning_rate,
            batch_size=min(batch_size, n_samples),
            max_iter=self.max_iter,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            shuffle_seed=shuffle_seed,
            verbose=self.verbose,
        )

    def decision_function(self, X):
        """Return the network's logits, one per label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        logits : ndarray of shape (n_samples, n_labels), float64
            For a 1-D binary target, shape (n_samples,).
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float32, np.float64],
            reset=False,
        )
        if getattr(self, "_forward", None) is None:
            self._forward = self._inference_function(self.model_)
        logits = batched_logits(self._forward, X)
        return logits.ravel() if self._binary else logits

    def predict_proba(self, X):
        """Return the probability of each label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_labels), float64
            Independent per-label probabilities, strictly inside (0, 1). For a
            1-D binary target, shape (n_samples, 2) as in scikit-learn's
            binary classifiers.
        """
        check_is_fitted(self)
        proba = _probabilities(self.decision_function(X))
        if self._binary:
            return np.column_stack([1.0 - proba, proba])
        return proba

    def predict(self, X):
        """Predict labels: each probability compared with its threshold.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels)
            0/1 indicator matrix with the dtype of the training target. For a
            1-D binary target, the predicted classes, shape (n_samples,).
        """
        check_is_fitted(self)
        proba = _probabilities(self.decision_function(X))
        if self._binary:
            return self.classes_[(proba >= self.thresholds_[0]).astype(int)]
        return (proba >= self.thresholds_).astype(self._target_dtype)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_forward", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.input_tags.sparse = True
        return tags


def _tune_thresholds(forward, X_val, Y_val):
    """Tune per-label F1 thresholds on held-out rows.

    Parameters
    ----------
    forward : callable
        Inference function of the trained network.
    X_val : array-like of shape (n_validation, n_features)
    Y_val : ndarray or sparse matrix of shape (n_validation, n_labels)

    Returns
    -------
    thresholds : ndarray of shape (n_labels,)
    """
    scores = _probabilities(batched_logits(forward, X_val))
    labels = Y_val.toarray() if sp.issparse(Y_val) else Y_val
    thresholds, _ = best_fbeta_thresholds(
        labels, scores, beta=1.0, fallback=FALLBACK_THRESHOLD
    )
    return thresholds


def _probabilities(logits):
    """Map logits to probabilities kept strictly inside (0, 1).

    Parameters
    ----------
    logits : ndarray

    Returns
    -------
    proba : ndarray, float64
    """
    eps = np.finfo(np.float64).eps
    return np.clip(expit(logits), eps, 1.0 - eps)
