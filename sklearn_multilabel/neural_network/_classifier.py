"""MultiLabelNNClassifier: a Keras network with one sigmoid per label."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from sklearn_multilabel._validation import (
    encode_target,
    reject_empty_label_set,
    reject_label_lists,
)
from sklearn_multilabel._version import STATE_FORMAT, __version__
from sklearn_multilabel.neural_network._backend import limit_tensorflow_threads
from sklearn_multilabel.neural_network._batches import as_row_major
from sklearn_multilabel.neural_network._binning import (
    EncodedForward,
    PiecewiseLinearBins,
    auto_n_bins,
    quantile_edges,
)
from sklearn_multilabel.neural_network._class_weight import positive_weights
from sklearn_multilabel.neural_network._inference import (
    CompiledForward,
    NumpyForward,
    batched_logits,
    output_dtype,
    sigmoid,
)
from sklearn_multilabel.neural_network._input_noise import AUTO_INPUT_NOISE
from sklearn_multilabel.neural_network._losses import LOSSES
from sklearn_multilabel.neural_network._splitting import validation_split
from sklearn_multilabel.neural_network._threshold_step import cross_fitted_scores
from sklearn_multilabel.neural_network.training import (
    TrainingSchedule,
    collect_if_large,
    make_objective,
    train,
)
from sklearn_multilabel.thresholds._decoding import check_label_bounds, decode
from sklearn_multilabel.thresholds._search import (
    DEFAULT_SHRINKAGE,
    STRATEGIES,
    fixed_thresholds,
    is_strategy,
)
from sklearn_multilabel.thresholds._search import (
    tune_thresholds as search_thresholds,
)

# Largest float32: the network's weights and Keras' computations are float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)


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
        Width of each hidden layer of the default network. The defaults of
        the network and schedule were chosen by cross-validation on the
        training splits of the bundled datasets (benchmarks/search_defaults.py,
        then benchmarks/search_ensemble.py under the fold ensemble, input
        noise and feature bins).
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
        ``X`` (chosen by cross-validation on the training splits of the
        bundled sets, benchmarks/search_ensemble.py) and 0 for sparse ``X``,
        whose rows noise on every feature would make dense; a positive value
        with sparse ``X`` is an error. Noisy training runs more epochs before
        early stopping: two to three times the fitting time on the bundled sets.
    n_bins : int or "auto", default="auto"
        Piecewise-linear encoding of the features (Gorishniy et al. 2022):
        each feature is cut into ``n_bins`` bins at quantiles of its training
        values, and the network gets, after the raw features, one input per
        bin saying how far the value has gone through it (0 below, 1 above,
        linear inside), so that one hidden layer can bend its response at a
        feature's quantiles as a tree's splits do. The first layer gets up to
        ``n_bins + 1`` times as many inputs (fits of the bundled sets take up
        to 1.7 times as long); the encoding is computed batch by batch, never
        for the whole ``X``. 0 gives the network the raw features only.
        "auto" is 8 for dense ``X`` and the default network (chosen by
        cross-validation on the training splits of the bundled sets,
        benchmarks/search_ensemble.py), fewer for wide ``X`` so that
        ``n_features * (n_bins + 1)`` stays within 3,000 (the widest input
        it was chosen on is 2,646), and 0 when fewer than 2 would fit (over
        1,000 features), for sparse ``X`` or for a custom ``build_network``;
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
        per label fixes the thresholds.
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
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the weight initialisation (drawn by
        numpy, so equal on every backend), dropout (drawn by the backend),
        the shuffling of rows and the threshold folds. An int makes fits
        repeatable.
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
    history_ : dict
        ``{"loss": [...], "val_loss": [...]}``, one value per epoch; for an
        ensemble, one such list per fold network.
    loss_curve_ : list of float
        Training loss of each epoch (one list per fold network for an
        ensemble).
    n_iter_ : int
        Number of epochs run (the most of any fold network).
    best_epoch_ : int or list of int
        Zero-based epoch whose weights were kept (per fold network for an
        ensemble).

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
        "batch_norm": ["boolean"],
        "input_noise": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "n_bins": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
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
        "loss": [StrOptions(set(LOSSES))],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "focal_alpha": [Interval(Real, 0, 1, closed="both"), None],
        "gamma_pos": [Interval(Real, 0, None, closed="left")],
        "gamma_neg": [Interval(Real, 0, None, closed="left")],
        "clip": [Interval(Real, 0, 1, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, "array-like", None],
        "threshold": [
            StrOptions(set(STRATEGIES)),
            callable,
            Interval(Real, 0, 1, closed="both"),
            "array-like",
        ],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "threshold_shrinkage": [Interval(Real, 0, None, closed="left")],
        "threshold_cv": [Interval(Integral, 2, None, closed="left"), None],
        "ensemble": ["boolean"],
        "min_labels": [Interval(Integral, 0, None, closed="left")],
        "max_labels": [Interval(Integral, 1, None, closed="left"), None],
        "build_network": [callable, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

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

    @_fit_context(prefer_skip_nested_validation=True)
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
        """
        self._forget_fit()
        limit_tensorflow_threads()
        reject_label_lists(y)
        reject_empty_label_set(y)
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
        X = as_row_major(X)
        self._input_noise(sp.issparse(X))  # refuses noise on sparse X up front
        n_bins = self._n_bins(sp.issparse(X), X.shape[1])
        Y, classes, binary = encode_target(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        bin_edges = quantile_edges(X, n_bins, sample_weight) if n_bins else None
        bins = None if bin_edges is None else PiecewiseLinearBins(bin_edges)
        thresholds = fixed_thresholds(self.threshold, Y.shape[1])
        check_label_bounds(self.min_labels, self.max_labels, Y.shape[1])
        if self.threshold_cv is not None and self.threshold_cv > X.shape[0]:
            raise ValueError(
                f"threshold_cv={self.threshold_cv} splits the rows into "
                f"{self.threshold_cv} folds but X has only {X.shape[0]} rows: pass "
                "threshold_cv=None (one network, thresholds tuned on its "
                f"validation rows) or at most {X.shape[0]} folds."
            )
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, 2**30, size=4)
        if self.threshold_cv is not None and self.ensemble:
            network_seeds = rng.randint(0, 2**30, size=(self.threshold_cv, 2))
            model, histories, scores, Y_tune, layers = self._fit_fold_networks(
                X, Y, sample_weight, classes, binary, int(seeds[3]), network_seeds, bins
            )
        else:
            if thresholds is None and self.threshold_cv is not None:
                scores, Y_tune = cross_fitted_scores(
                    self._fold_fit_and_score,
                    X,
                    Y,
                    sample_weight,
                    self.threshold_cv,
                    seeds[3],
                )
            model, history, validation = self._fit_network(
                X, Y, sample_weight, classes, binary, seeds, bins
            )
            histories, layers = [history], None
        forward = self._inference_function(model, layers, bins)
        search = None
        if thresholds is None:
            if self.threshold_cv is None:
                scores = batched_logits(forward, validation[0], link=sigmoid)
                Y_tune = validation[1]
            search = self._search(Y_tune, scores, self.threshold)
            thresholds = search.thresholds

        # Published only now, so that a failed fit leaves nothing that predicts.
        self.classes_, self._binary, self._target_dtype = classes, binary, y.dtype
        self.model_, self._forward = model, forward
        self.bin_edges_ = bin_edges
        self._set_history(histories)
        self.threshold_search_ = search
        self.thresholds_ = thresholds
        return self

    def _set_history(self, histories):
        """Publish the training history of one network, or of each fold's.

        Parameters
        ----------
        histories : list of TrainingHistory
            One for a single network; one per fold network for an ensemble.
        """
        loss = [history.loss for history in histories]
        val_loss = [history.val_loss for history in histories]
        best_epoch = [history.best_epoch for history in histories]
        if len(histories) == 1:
            loss, val_loss, best_epoch = loss[0], val_loss[0], best_epoch[0]
        self.history_ = {"loss": loss, "val_loss": val_loss}
        self.loss_curve_ = loss
        self.n_iter_ = max(len(history.loss) for history in histories)
        self.best_epoch_ = best_epoch

    def _fit_network(self, X, Y, sample_weight, classes, binary, seeds, bins=None):
        """Split off validation rows if needed, build and train the network.

        Parameters
        ----------
        X, Y : array-like
        sample_weight : ndarray or None
        classes : ndarray
        binary : bool
        seeds : ndarray of int
            Split, network and shuffle seeds (and one more, unused here).
        bins : PiecewiseLinearBins or None, default=None
            Encoding of the network's input rows.

        Returns
        -------
        model : keras.Model
        history : TrainingHistory
        validation : tuple (X_val, Y_val, sample_weight_val) or None
        """
        needs_validation = self.early_stopping or (
            is_strategy(self.threshold) and self.threshold_cv is None
        )
        data, validation = (X, Y, sample_weight), None
        if needs_validation:
            train_rows, validation_rows = validation_split(
                Y, self.validation_fraction, int(seeds[0])
            )
            data, validation = (
                tuple(_rows(part, rows) for part in data)
                for rows in (train_rows, validation_rows)
            )
        model, history = self._train_network(
            data,
            validation if self.early_stopping else None,
            classes,
            binary,
            network_seed=int(seeds[1]),
            shuffle_seed=int(seeds[2]),
            bins=bins,
        )
        collect_if_large(model.count_params())
        return model, history, validation

    def _fit_fold_networks(
        self, X, Y, sample_weight, classes, binary, fold_seed, network_seeds, bins=None
    ):
        """Train one network per fold, each stopped early on its own fold.

        Parameters
        ----------
        X, Y : array-like
        sample_weight : ndarray or None
        classes : ndarray
        binary : bool
        fold_seed : int
            Seeds the folds.
        network_seeds : ndarray of int of shape (threshold_cv, 2)
            Weight-initialisation and shuffle seeds of each fold's network.
        bins : PiecewiseLinearBins or None, default=None
            Encoding of the networks' input rows.

        Returns
        -------
        model : keras.Model
            The fold networks merged into one averaging their logits.
        histories : list of TrainingHistory
        scores : ndarray of shape (n_samples, n_labels)
            Out-of-fold probabilities of every row.
        Y_tune : ndarray of shape (n_samples, n_labels)
            The dense targets.
        layers : list of tuple (kernel, bias, activation) or None
            The merged default network's weights as plain dense layers, for
            numpy inference without another copy; None for custom networks.
        """
        from sklearn_multilabel.neural_network._network import (
            NetworkAverage,
            dense_stack,
        )

        average, histories = NetworkAverage(self.threshold_cv), []
        seeds = iter(network_seeds)

        def fit_and_score(train, held):
            network_seed, shuffle_seed = next(seeds)
            model, history = self._train_network(
                train,
                held if self.early_stopping else None,
                classes,
                binary,
                network_seed=int(network_seed),
                shuffle_seed=int(shuffle_seed),
                bins=bins,
            )
            histories.append(history)
            layers = dense_stack(model) if self.build_network is None else None
            scores = batched_logits(
                self._inference_function(model, layers, bins), held[0], link=sigmoid
            )
            # The merge copies what it needs; the fold network may go now.
            average.add(model, layers)
            n_parameters = model.count_params()
            del model, layers
            collect_if_large(n_parameters)
            return scores

        scores, Y_tune = cross_fitted_scores(
            fit_and_score,
            X,
            Y,
            sample_weight,
            self.threshold_cv,
            fold_seed,
            dtype=output_dtype(X),
        )
        model = average.model()
        return model, histories, scores, Y_tune, average.layers

    def _train_network(
        self,
        data,
        validation,
        classes,
        binary,
        *,
        network_seed,
        shuffle_seed,
        bins=None,
    ):
        """Build a network for ``data`` and train it.

        Parameters
        ----------
        data : tuple (X, Y, sample_weight)
        validation : tuple (X_val, Y_val, sample_weight_val) or None
            Rows monitored for early stopping.
        classes : ndarray
        binary : bool
        network_seed, shuffle_seed : int
        bins : PiecewiseLinearBins or None, default=None
            Encodes the rows the network takes; ``data`` and ``validation``
            hold raw rows.

        Returns
        -------
        model : keras.Model
        history : TrainingHistory
        """
        from sklearn_multilabel.neural_network._network import takes_sparse_input

        X, Y, _ = data
        n_inputs = X.shape[1] if bins is None else bins.n_outputs
        model = self._build_network(
            (X.shape[0], n_inputs), Y.shape[1], network_seed, sparse=sp.issparse(X)
        )
        forward = CompiledForward(model, n_inputs, sparse=takes_sparse_input(model))
        pos_weight = positive_weights(self.class_weight, Y, classes, binary)
        history = train(
            model,
            forward if bins is None else EncodedForward(bins, forward),
            data,
            self._schedule(X.shape[0], shuffle_seed, sparse=sp.issparse(X)),
            make_objective(
                self.loss,
                pos_weight=pos_weight,
                gamma=self.gamma,
                alpha=self.focal_alpha,
                gamma_pos=self.gamma_pos,
                gamma_neg=self.gamma_neg,
                clip=self.clip,
            ),
            validation=validation,
            bins=bins,
        )
        return model, history

    def _fold_fit_and_score(self, train, test):
        """Fit a fixed-threshold copy on some rows and score others.

        Parameters
        ----------
        train, test : tuple (X, Y, sample_weight)
            One fold's training and scored rows.

        Returns
        -------
        proba : ndarray of shape (n_test, n_labels)
        """
        X_train, Y_train, weight = train
        fold_model = self.__class__(**self.get_params()).set_params(
            threshold=0.5, threshold_cv=None, min_labels=0, max_labels=None
        )
        fold_model.fit(X_train, Y_train, sample_weight=weight)
        return batched_logits(fold_model._forward, test[0], link=sigmoid)

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
        Y, classes, _ = encode_target(validate_data(self, y=y, multi_output=True))
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

    def _search(self, Y_tune, scores, strategy):
        """Tune thresholds with this estimator's strategy parameters.

        Parameters
        ----------
        Y_tune : ndarray or sparse matrix of shape (n_rows, n_labels)
        scores : ndarray of shape (n_rows, n_labels)
        strategy : str or callable

        Returns
        -------
        search : ThresholdSearch
        """
        return search_thresholds(
            Y_tune,
            scores,
            strategy,
            beta=self.beta,
            shrinkage=self.threshold_shrinkage,
        )

    def _build_network(self, X_shape, n_labels, seed, sparse=False):
        """Build the default or the user's network for this data.

        Parameters
        ----------
        X_shape : tuple of int
            Shape of the training features.
        n_labels : int
        seed : int
        sparse : bool, default=False
            Whether the features are sparse: the default network then takes
            sparse batches where the backend can (TensorFlow).

        Returns
        -------
        model : keras.Model
        """
        from sklearn_multilabel.neural_network._network import (
            build_custom_network,
            build_default_network,
        )

        meta = {"n_features_in": X_shape[1], "n_labels": n_labels, "random_state": seed}
        if self.build_network is not None:
            return build_custom_network(self.build_network, meta)
        widths = np.atleast_1d(self.hidden_layer_sizes).tolist()
        if not all(isinstance(width, Integral) and width > 0 for width in widths):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers, e.g. (256,) or "
                f"(512, 256); got {self.hidden_layer_sizes!r}."
            )
        return build_default_network(
            meta,
            hidden_layer_sizes=widths,
            activation=self.activation,
            dropout=self.dropout,
            l2=self.alpha / (2 * X_shape[0]),
            batch_norm=self.batch_norm,
            sparse=sparse,
        )

    def _inference_function(self, model, layers=None, bins=None):
        """Return the fastest exact forward pass of a trained network.

        Parameters
        ----------
        model : keras.Model
        layers : list of tuple (kernel, bias, activation), default=None
            ``model``'s weights as plain dense layers, when already at hand
            (a merged ensemble): used as they are, without another copy.
        bins : PiecewiseLinearBins or None, default=None
            Encoding of the network's input rows.

        Returns
        -------
        forward : NumpyForward, CompiledForward or EncodedForward
            numpy pass for the default network, traced Keras call otherwise;
            taking raw rows, encoded by ``bins`` first.
        """
        if self.build_network is None:
            forward = NumpyForward(model, layers)
        else:
            forward = CompiledForward(model, self.n_features_in_)
        return forward if bins is None else EncodedForward(bins, forward)

    def _schedule(self, n_samples, shuffle_seed, *, sparse):
        """Collect the training-loop parameters for ``n_samples`` rows.

        Parameters
        ----------
        n_samples : int
        shuffle_seed : int
        sparse : bool
            Whether the training rows are sparse.

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
            input_noise=self._input_noise(sparse),
        )

    def _input_noise(self, sparse):
        """Resolve ``input_noise`` for dense or sparse training rows.

        Parameters
        ----------
        sparse : bool

        Returns
        -------
        input_noise : float

        Raises
        ------
        ValueError
            If a positive ``input_noise`` is asked for sparse rows.
        """
        if self.input_noise == "auto":
            return 0.0 if sparse else AUTO_INPUT_NOISE
        if sparse and self.input_noise > 0:
            raise ValueError(
                f"input_noise={self.input_noise} adds noise to every feature, "
                "which would make sparse rows dense. Pass input_noise=0 or "
                "'auto' (no noise for sparse X), or densify X yourself."
            )
        return float(self.input_noise)

    def _n_bins(self, sparse, n_features):
        """Resolve ``n_bins`` for the network and training rows.

        Parameters
        ----------
        sparse : bool
        n_features : int

        Returns
        -------
        n_bins : int

        Raises
        ------
        ValueError
            If bins are asked for sparse rows or a custom network.
        """
        if self.n_bins == "auto":
            if sparse or self.build_network is not None:
                return 0
            return auto_n_bins(n_features)
        if self.n_bins > 0 and sparse:
            raise ValueError(
                f"n_bins={self.n_bins} encodes every feature of every row, which "
                "would make sparse rows dense. Pass n_bins=0 or 'auto' (no bins "
                "for sparse X), or densify X yourself."
            )
        if self.n_bins > 0 and self.build_network is not None:
            raise ValueError(
                f"n_bins={self.n_bins} encodes the inputs of the default network; "
                "a custom build_network gets the features as they are. Pass "
                "n_bins=0 or 'auto', or encode the features in your network."
            )
        return int(self.n_bins)

    def _logits(self, X, link=None):
        """Validate ``X`` and return its logits, shape (n_samples, n_labels).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        link : callable, default=None
            Applied in place to each batch of checked logits (``sigmoid``).

        Returns
        -------
        outputs : ndarray
            float32 for float32 ``X``, float64 otherwise.
        """
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float32, np.float64],
            reset=False,
        )
        if getattr(self, "_forward", None) is None:
            edges = self.bin_edges_
            bins = None if edges is None else PiecewiseLinearBins(edges)
            self._forward = self._inference_function(self.model_, bins=bins)

        def checked_link(logits):
            # Beyond float32's range, the float32 network itself overflows:
            # a float64 batch's finite logits there would be meaningless.
            if not np.abs(logits).max(initial=0.0) <= FLOAT32_MAX:
                raise ValueError(
                    "The network's outputs overflowed (non-finite logits, or "
                    "beyond float32's range) for some rows of X: X holds values "
                    "far outside the training range. Scale X as during fit "
                    "(e.g. the same StandardScaler in a Pipeline)."
                )
            if link is not None:
                link(logits)

        with np.errstate(over="ignore", invalid="ignore"):
            return batched_logits(self._forward, as_row_major(X), link=checked_link)

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

    def _forget_fit(self):
        """Drop every fitted attribute, so a failed refit cannot predict."""
        fitted = [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]
        for name in fitted + ["_forward"]:
            self.__dict__.pop(name, None)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "thresholds_")

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_forward", None)
        if "thresholds_" in state:
            state["_state_format"] = (STATE_FORMAT, __version__)
        return state

    def __setstate__(self, state):
        saved = state.get("_state_format", (STATE_FORMAT, __version__))
        if "thresholds_" in state and saved[0] != STATE_FORMAT:
            raise ValueError(
                f"This MultiLabelNNClassifier was fitted with sklearn_multilabel "
                f"{saved[1]} (fitted-state format {saved[0]}); this is "
                f"sklearn_multilabel {__version__} (format {STATE_FORMAT}), which "
                "cannot read it. Load it with the version that saved it, or refit."
            )
        # Fitted before `ensemble` existed, `threshold_cv` meant folds + refit.
        state.setdefault("ensemble", False)
        state.setdefault("batch_norm", False)
        state.setdefault("input_noise", 0.0)
        state.setdefault("n_bins", 0)
        if "thresholds_" in state:
            state.setdefault("bin_edges_", None)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.input_tags.sparse = True
        return tags


def _rows(part, rows):
    """Index rows of an array, a sparse matrix, or None.

    Parameters
    ----------
    part : ndarray, sparse matrix or None
    rows : ndarray of int

    Returns
    -------
    subset : same type as ``part``
    """
    return None if part is None else part[rows]
