"""MultiLabelNNClassifier: a Keras network with one sigmoid per label."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from sklearn_multilabel._validation import (
    encode_target,
    reject_empty_label_set,
    reject_label_lists,
    target_label_names,
)
from sklearn_multilabel.neural_network._batches import as_row_major
from sklearn_multilabel.neural_network._binning import (
    PiecewiseLinearBins,
    quantile_edges,
)
from sklearn_multilabel.neural_network._folds import fit_networks, plan_networks
from sklearn_multilabel.neural_network._inference import sigmoid
from sklearn_multilabel.neural_network._parameters import (
    PARAMETER_CONSTRAINTS,
    resolve_input_noise,
    resolve_n_bins,
)
from sklearn_multilabel.neural_network._prediction import (
    checked_logits,
    inference_function,
)
from sklearn_multilabel.neural_network._state import (
    fitted_state,
    forget,
    history_attributes,
    pickled_state,
    publish,
    unfitted_on_failure,
    unpickled_state,
)
from sklearn_multilabel.thresholds._decoding import (
    check_label_bounds,
    check_thresholds,
    decode,
)
from sklearn_multilabel.thresholds._search import (
    DEFAULT_SHRINKAGE,
    fixed_thresholds,
    is_strategy,
    tune_thresholds,
)


class MultiLabelNNClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label neural network: one sigmoid per label, learned thresholds.

    A Keras network (TensorFlow by default; JAX or PyTorch via
    ``KERAS_BACKEND``) returns one logit per label and is
    trained on a loss computed from the logits (binary cross-entropy by
    default). ``predict`` compares each label's probability with its own
    threshold, tuned on rows the network did not train on.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256,)
        Width of each hidden layer of the default network.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Hidden-layer activation, named as in ``MLPClassifier``.
    dropout : float, default=0.5
        Dropout rate after each hidden layer, in [0, 1).
    batch_norm : bool, default=False
        Batch-normalise each hidden layer before its activation. Inference
        uses the moving averages, folded into the kernels.
    input_noise : float or "auto", default="auto"
        Standard deviation of the Gaussian noise added to every feature of
        each training batch, in units of that feature's standard deviation
        over the training rows: a regulariser that keeps the network from
        relying on exact feature values (predictions see the features
        unchanged). 0 trains on the rows as given. "auto" is 1.0 for dense
        ``X`` and 0 for sparse ``X``, whose rows noise on every feature would
        make dense; a positive value with sparse ``X`` is an error. Noisy
        training usually runs more epochs before early stopping.
    n_bins : int or "auto", default="auto"
        Piecewise-linear encoding of the features (Gorishniy et al. 2022):
        each feature is cut into ``n_bins`` bins at quantiles of its training
        values, and the network gets, after the raw features, one input per
        bin saying how far the value has gone through it (0 below, 1 above,
        linear inside), so that one hidden layer can bend its response at a
        feature's quantiles as a tree's splits do. The first layer gets up to
        ``n_bins + 1`` times as many inputs; the encoding is computed batch
        by batch, never for the whole ``X``. 0 gives the network the raw
        features only. "auto" is 8 for dense ``X`` and the default network,
        fewer for wide ``X`` so that ``n_features * (n_bins + 1)`` stays
        within 3,000, and 0 when fewer than 2 would fit (over 1,000
        features), for sparse ``X`` or for a custom ``build_network``;
        a positive value with sparse ``X`` or a custom network is an error.
    alpha : float, default=1.0
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
        With ``threshold_cv=None`` (or ``ensemble=False``): the share of the
        training rows held out, with per-label stratification, for early
        stopping, and for threshold tuning when ``threshold_cv`` is None (so
        tuning costs no extra fit). A fold ensemble's networks stop on their
        own held-out fold instead.
    n_iter_no_change : int, default=20
        Patience of the stopping rule, in epochs.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss counted as an improvement.
    loss : {"binary_crossentropy", "focal", "asymmetric"}, \
            default="binary_crossentropy"
        Per-label loss, computed from logits. "focal" (Lin et al. 2017) uses
        ``gamma`` and ``focal_alpha``; "asymmetric" (Ridnik et al. 2021) uses
        ``gamma_pos``, ``gamma_neg`` and ``clip``.
    gamma : float, default=2.0
        Focusing exponent of the focal loss.
    focal_alpha : float or None, default=None
        Weight of positives in the focal loss, in [0, 1] (``alpha`` is
        already the L2 penalty). None weighs both terms 1.
    gamma_pos, gamma_neg : float, default=0.0, 4.0
        Focusing exponents of the asymmetric loss for positives, negatives.
    clip : float, default=0.05
        Probability margin of the asymmetric loss for negatives.
    class_weight : None, "balanced", dict or array-like, default=None
        Weight of each label's positive term in the loss. "balanced" uses the
        label's negative-to-positive ratio, clipped to [0.1, 10]; a dict maps
        label indices (class values for a 1-D binary target, as in
        scikit-learn) to weights; an array gives one weight per label.
    threshold : str, callable, float or array-like, default="f1"
        How ``predict`` turns probabilities into labels. A strategy tunes
        the thresholds on held-out rows: "f1" (each label's F1, rare labels
        shrunk toward the global micro-F1 threshold), "fbeta" (with
        ``beta``), "micro_f1", "samples_f1", "samples_jaccard" (per-label
        thresholds maximising that global metric), "global_micro_f1" (one
        threshold for all labels), "youden", "prevalence", or a callable
        ``metric(Y_true, Y_pred) -> float``. A float or an array of one value
        per label fixes the thresholds. Tuned thresholds follow one rule
        whatever the strategy: a label never positive in the training rows
        is never predicted (its threshold is ``nextafter(1, 2)``, above any
        probability), one always positive is always predicted (threshold
        0); a label positive in the training rows but not in the tuning
        rows follows the strategy. Fixed thresholds are kept as given.
    beta : float, default=1.0
        Weight of recall relative to precision for ``threshold="fbeta"``.
    threshold_shrinkage : float, default=20.0
        For "f1"/"fbeta": the number of positives at which a label's own
        threshold and the global one weigh equally; 0 disables shrinkage.
    threshold_cv : int or None, default=5
        None trains one network and tunes thresholds on its validation rows
        (no extra cost). An int K splits the rows into K per-label stratified
        folds and trains one network per fold on the other folds (stopped
        early on its own fold): thresholds are tuned on the out-of-fold
        probabilities of every row, and ``ensemble`` says what predicts.
    ensemble : bool, default=True
        With ``threshold_cv=K``: True keeps the K fold networks and averages
        their logits (K fits; ``model_`` is one network holding them all).
        False refits one network on all rows (K + 1 fits), as
        ``CalibratedClassifierCV(ensemble=False)`` does.
    min_labels : int, default=0
        ``predict`` gives every sample at least this many labels, adding its
        highest-scoring ones when too few pass their thresholds.
    max_labels : int or None, default=None
        ``predict`` keeps at most this many labels per sample, the
        highest-scoring ones.
    build_network : callable, default=None
        Builds a custom Keras network instead of the default one. Called as
        ``build_network(meta)`` with ``meta`` a dict holding
        ``n_features_in``, ``n_labels`` and an integer ``random_state``; it
        must return a ``keras.Model`` ending in one logit per label (a final
        sigmoid is accepted and turned into logits; softmax is refused).
        The returned model is never trained or edited: a clone is, built
        from its configuration with every unseeded initializer and random
        layer seeded from ``random_state`` (weights the builder sets, e.g.
        pretrained ones, are not carried over).
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the weight initialisation (drawn by
        numpy, so equal on every backend), dropout (drawn by the backend),
        the shuffling of rows and the threshold folds. An int makes fits
        repeatable.
    verbose : int, default=0
        0 is silent (as grid searches want). 1 prints each network's name
        ("Network 2/5 (fold 2 of 5)") then one line per epoch with its
        losses; 2 shows a tqdm progress bar per network instead, when tqdm
        is installed.
    warm_start : bool, default=False
        With ``threshold_cv=None``: fit continues training the fitted
        network for up to ``max_iter`` more epochs (Adam's moments start
        afresh), keeps its ``bin_edges_`` and re-tunes the thresholds;
        ``history_`` grows. X must have the same features and y the same
        labels. Refused for fold networks, which are merged once trained.

    Attributes
    ----------
    classes_ : ndarray
        ``arange(n_labels)`` for an indicator target; the two classes for a
        1-D binary target.
    label_names_ : ndarray of shape (n_labels,) or None
        Names of the labels, in the order of the columns of ``predict``: the
        column names of ``y`` when it is a DataFrame with string column
        names, else None.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
    model_ : keras.Model
        The trained network, returning logits. For an ensemble, one network
        whose logits are the mean of the fold networks' (for the default
        network, their hidden layers side by side).
    bin_edges_ : list of ndarray or None
        Bin edges of each feature (``n_bins + 1`` quantiles of its training
        values, weighted by ``sample_weight`` if given, repeated ones
        merged), as in ``KBinsDiscretizer``; None when the features are not
        encoded.
    thresholds_ : ndarray of shape (n_labels,)
        Per-label probability thresholds used by ``predict``. May be set by
        hand, or re-tuned with :meth:`retune_thresholds`.
    threshold_search_ : ThresholdSearch or None
        Per-label results of the threshold search (``to_frame()`` gives a
        table); None for fixed thresholds.
    history_ : list of dict
        One ``{"loss": [...], "val_loss": [...]}`` per network of
        ``model_`` (one, or each fold network of an ensemble), one value per
        epoch: "loss" is the training objective, L2 penalty included;
        "val_loss" is the loss on the held-out rows, without the penalty
        (empty without early stopping).
    loss_curve_ : list of float
        Training loss of each epoch, penalty included, as in
        ``MLPClassifier``: ``history_[0]["loss"]``.
    n_iter_ : int
        Number of epochs run (the most of any fold network).
    best_epoch_ : list of int
        Zero-based epoch whose weights were kept, one per network of
        ``history_``.

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

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        *,
        hidden_layer_sizes=(256,),
        activation="relu",
        dropout=0.5,
        batch_norm=False,
        input_noise="auto",
        n_bins="auto",
        alpha=1.0,
        learning_rate=1e-3,
        batch_size="auto",
        max_iter=200,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=20,
        tol=1e-4,
        loss="binary_crossentropy",
        gamma=2.0,
        focal_alpha=None,
        gamma_pos=0.0,
        gamma_neg=4.0,
        clip=0.05,
        class_weight=None,
        threshold="f1",
        beta=1.0,
        threshold_shrinkage=DEFAULT_SHRINKAGE,
        threshold_cv=5,
        ensemble=True,
        min_labels=0,
        max_labels=None,
        build_network=None,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.input_noise = input_noise
        self.n_bins = n_bins
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.loss = loss
        self.gamma = gamma
        self.focal_alpha = focal_alpha
        self.gamma_pos = gamma_pos
        self.gamma_neg = gamma_neg
        self.clip = clip
        self.class_weight = class_weight
        self.threshold = threshold
        self.beta = beta
        self.threshold_shrinkage = threshold_shrinkage
        self.threshold_cv = threshold_cv
        self.ensemble = ensemble
        self.min_labels = min_labels
        self.max_labels = max_labels
        self.build_network = build_network
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_failure
    def fit(self, X, y, sample_weight=None):
        """Train the network and tune the per-label thresholds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training features, float32 or float64. The default network takes
            sparse rows as they are (TensorFlow backend); a custom network
            gets them densified in small batches.
        y : {array-like, sparse matrix} of shape (n_samples, n_labels)
            Multi-hot indicator matrix of 0/1, as produced by
            ``MultiLabelBinarizer``. A 1-D target with two classes is one
            label (plain binary classification).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss (training and validation).
            Thresholds are tuned unweighted. The bin edges and the noise
            scales are weighted statistics of the rows (rows of weight 0 are
            left out of them).

        Returns
        -------
        self : object
            Fitted estimator.

        Notes
        -----
        A fit that raises leaves the estimator unfitted, an earlier fit
        dropped. Ctrl-C (``KeyboardInterrupt``) during the training of a lone
        network (``threshold_cv=None``) after its first epoch ends training
        with a warning and the weights of its best epoch so far, and the fit
        goes on to the thresholds. During a fit of several networks
        (``threshold_cv=K``: the fold ensemble, or the folds and the refit)
        it stops the whole fit: no later network trains, a warning names
        the interrupted one, the ``KeyboardInterrupt`` propagates and the
        estimator is left unfitted.
        """
        previous = fitted_state(self) if self.warm_start else None
        forget(self)
        reject_label_lists(y)
        reject_empty_label_set(y)
        label_names = target_label_names(y)
        X, y = self._validate_training_data(X, y)
        sparse = sp.issparse(X)
        resolve_input_noise(self.input_noise, sparse)  # refuses noise on sparse X
        n_bins = resolve_n_bins(self.n_bins, self.build_network, sparse, X.shape[1])
        Y, classes, binary = encode_target(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if previous and "thresholds_" in previous:
            _check_warm_start(self, previous, X, Y)
            bin_edges = previous["bin_edges_"]
        else:
            previous = None
            bin_edges = quantile_edges(X, n_bins, sample_weight) if n_bins else None
        bins = None if bin_edges is None else PiecewiseLinearBins(bin_edges)
        thresholds = fixed_thresholds(self.threshold, Y.shape[1])
        check_label_bounds(self.min_labels, self.max_labels, Y.shape[1])
        plan = plan_networks(self, X, Y, sample_weight, bins, tuned=thresholds is None)
        networks = fit_networks(
            self,
            (X, Y, sample_weight),
            plan,
            classes=classes,
            binary=binary,
            warm_model=previous["model_"] if previous else None,
        )
        search = None
        if thresholds is None:
            search = self._search(
                networks.labels, networks.scores, self.threshold, Y_train=Y
            )
            thresholds = search.thresholds

        # Published only now, so that a failed fit leaves nothing that predicts.
        publish(
            self,
            {
                **fitted_state(self),  # what validate_data set
                "classes_": classes,
                "label_names_": label_names,
                "_binary": binary,
                "_target_dtype": y.dtype,
                "model_": networks.model,
                "bin_edges_": bin_edges,
                **history_attributes(networks.histories, previous),
                "threshold_search_": search,
                "thresholds_": thresholds,
            },
        )
        self._forward = networks.forward
        return self

    def _validate_training_data(self, X, y):
        """Validate ``X`` and ``y`` for fit, saying how to encode string features."""
        try:
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                dtype=[np.float32, np.float64],
                multi_output=True,
            )
        except ValueError as error:
            if "could not convert string to float" not in str(error):
                raise
            raise ValueError(
                f"X holds strings ({error}); the network needs numeric features: "
                "encode categorical columns first (OneHotEncoder in a "
                "ColumnTransformer), or text with TfidfVectorizer."
            ) from error
        return as_row_major(X), y

    def retune_thresholds(self, X, y):
        """Re-tune ``thresholds_`` on new held-out rows, without retraining.

        Uses the ``threshold`` strategy ("f1" when ``threshold`` is fixed).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows the network did not train on.
        y : {array-like, sparse matrix} of shape (n_samples, n_labels)
            Their indicator targets (or 1-D binary target).

        Returns
        -------
        self : object
        """
        check_is_fitted(self)
        reject_label_lists(y)
        # Not validate_data, whose reset would drop feature_names_in_.
        y = check_array(
            y, accept_sparse="csr", ensure_2d=False, dtype=None, input_name="y"
        )
        Y, classes, _ = encode_target(y)
        if len(classes) != len(self.classes_) or Y.shape[1] != len(self.thresholds_):
            raise ValueError(
                f"y has {Y.shape[1]} labels but the estimator was fitted on "
                f"{len(self.thresholds_)}: pass targets with the same labels."
            )
        strategy = self.threshold if is_strategy(self.threshold) else "f1"
        scores = self._logits(X, link=sigmoid)
        self.threshold_search_ = self._search(Y, scores, strategy)
        self.thresholds_ = self.threshold_search_.thresholds
        return self

    def _search(self, Y_tune, scores, strategy, Y_train=None):
        """Tune thresholds on held-out ``scores`` with this estimator's parameters."""
        return tune_thresholds(
            Y_tune,
            scores,
            strategy,
            beta=self.beta,
            shrinkage=self.threshold_shrinkage,
            Y_train=Y_train,
        )

    def _logits(self, X, link=None):
        """Validate ``X`` and return its logits, shape (n_samples, n_labels).

        float32 for float32 ``X``, float64 for any other; ``link`` (e.g.
        ``sigmoid``) is applied in place to each checked batch.
        """
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],  # float64 for int, bool, float16
            reset=False,
        )
        if getattr(self, "_forward", None) is None:
            edges = self.bin_edges_
            bins = None if edges is None else PiecewiseLinearBins(edges)
            self._forward = inference_function(
                self.build_network is not None,
                self.model_,
                self.n_features_in_,
                bins=bins,
            )

        return checked_logits(self._forward, as_row_major(X), link)

    def decision_function(self, X):
        """Return the network's logits, one per label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        logits : ndarray of shape (n_samples, n_labels)
            float32 for float32 ``X`` (as ``MLPClassifier``), float64
            otherwise. For a 1-D binary target, shape (n_samples,).
        """
        check_is_fitted(self)
        logits = self._logits(X)
        return logits.ravel() if self._binary else logits

    def predict_proba(self, X):
        """Return the probability of each label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_labels)
            Independent per-label probabilities, strictly inside (0, 1);
            float32 for float32 ``X`` (as ``MLPClassifier``), float64
            otherwise. For a 1-D binary target, shape (n_samples, 2) as in
            scikit-learn's binary classifiers.
        """
        check_is_fitted(self)
        proba = self._logits(X, link=sigmoid)
        if self._binary:
            return np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
        return proba

    def predict(self, X):
        """Predict labels: each probability compared with its threshold.

        ``min_labels`` and ``max_labels`` then bound the labels per sample.

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
        proba = self._logits(X, link=sigmoid)
        if np.shape(self.thresholds_) != (proba.shape[1],):
            raise ValueError(
                f"thresholds_ has shape {np.shape(self.thresholds_)} but the network "
                f"predicts {proba.shape[1]} labels: set one threshold per label."
            )
        # The validator of decode, also on the plain path: NaN would never predict.
        check_thresholds(self.thresholds_, proba.shape[1], name="thresholds_")
        if self._binary:
            return self.classes_[(proba[:, 0] >= self.thresholds_[0]).astype(int)]
        if self.min_labels == 0 and self.max_labels is None:
            return (proba >= self.thresholds_).astype(self._target_dtype)
        labels = decode(
            proba,
            self.thresholds_,
            min_labels=self.min_labels,
            max_labels=self.max_labels,
        )
        return labels.astype(self._target_dtype)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "thresholds_")

    def __getstate__(self):
        return pickled_state(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(unpickled_state(state))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.input_tags.sparse = True
        return tags


def _check_warm_start(estimator, previous, X, Y):
    """Refuse a warm start the fitted network cannot continue on ``X, Y``."""
    if estimator.threshold_cv is not None:
        raise ValueError(
            f"warm_start=True continues one network, but threshold_cv="
            f"{estimator.threshold_cv} trains fold networks anew: pass "
            "threshold_cv=None, or warm_start=False."
        )
    fitted = (previous["n_features_in_"], len(previous["thresholds_"]))
    if (X.shape[1], Y.shape[1]) != fitted:
        raise ValueError(
            f"warm_start=True continues a network fitted on {fitted[0]} features "
            f"and {fitted[1]} labels, but X has {X.shape[1]} features and y "
            f"{Y.shape[1]} labels: pass data of the fitted shape, or "
            "warm_start=False to fit anew."
        )
