"""Keras networks: the default multi-layer perceptron and checks of custom ones.

This is the only module that builds Keras layers.
"""

import warnings

import keras
import numpy as np

from sklearn_multilabel.neural_network._batches import batch_slices

# MLPClassifier's activation names, mapped to Keras'.
ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
}

DEFAULT_NETWORK_NAME = "multilabel_mlp"

# Bytes of the float64 blocks in which initial kernels are drawn.
INIT_BLOCK_BYTES = 2**20

SOFTMAX_MESSAGE = (
    "The network's output layer uses softmax, which makes the labels compete: "
    "their probabilities must sum to 1, so one label rising forces the others "
    "down. Multi-label targets are independent yes/no decisions (an image can be "
    "both 'beach' and 'sunset'). Return one logit per label instead (a final "
    "Dense(n_labels) with no activation); MultiLabelNNClassifier applies a "
    "sigmoid per label and trains with binary cross-entropy."
)


def build_default_network(
    meta, *, hidden_layer_sizes, activation, dropout, l2, batch_norm=False, sparse=False
):
    """Build the default multi-layer perceptron returning one logit per label.

    Parameters
    ----------
    meta : dict
        Holds ``n_features_in``, ``n_labels`` and an integer ``random_state``
        from which every initializer and dropout seed is derived.
    hidden_layer_sizes : tuple of int
        Width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}
        Hidden-layer activation, named as in ``MLPClassifier``.
    dropout : float
        Dropout rate after each hidden layer; 0 adds no dropout layer.
    l2 : float
        L2 penalty added to the loss for each kernel, per batch.
    batch_norm : bool, default=False
        Normalise each hidden layer's pre-activations with batch statistics
        (moving averages at inference): Dense, BatchNormalization, then the
        activation.
    sparse : bool, default=False
        Take sparse feature batches, multiplied without densifying. Only the
        TensorFlow backend does; elsewhere the network takes dense batches.

    Returns
    -------
    model : keras.Model
    """
    seed = meta["random_state"]
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input(
        shape=(meta["n_features_in"],),
        sparse=sparse and keras.backend.backend() == "tensorflow",
        name="features",
    )
    hidden = inputs
    for index, width in enumerate(hidden_layer_sizes):
        hidden = keras.layers.Dense(
            width,
            activation=None if batch_norm else ACTIVATIONS[activation],
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2 * index),
            kernel_regularizer=regularizer,
            name=f"hidden_{index}",
        )(hidden)
        if batch_norm:
            normalise = keras.layers.BatchNormalization(name=f"batch_norm_{index}")
            hidden = normalise(hidden)
            hidden = keras.layers.Activation(
                ACTIVATIONS[activation], name=f"activation_{index}"
            )(hidden)
        if dropout > 0:
            hidden = keras.layers.Dropout(
                dropout, seed=seed + 2 * index + 1, name=f"dropout_{index}"
            )(hidden)
    logits = keras.layers.Dense(
        meta["n_labels"],
        kernel_initializer=keras.initializers.GlorotUniform(
            seed=seed + 2 * len(hidden_layer_sizes)
        ),
        kernel_regularizer=regularizer,
        name="logits",
    )(hidden)
    model = keras.Model(inputs, logits, name=DEFAULT_NETWORK_NAME)
    _initialise_from_numpy(model, seed)
    return model


def takes_sparse_input(model):
    """Whether ``model`` was built to take sparse feature batches."""
    return bool(getattr(model.inputs[0], "sparse", False))


def _initialise_from_numpy(model, seed):
    """Give every Dense layer Glorot-uniform kernels drawn by numpy, zero biases.

    Keras' seeded initializers draw from each backend's own generator; numpy's
    makes the starting network the same on every backend (the layers keep
    their seeded Keras initializers, which a clone of the model uses).
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Dense):
            continue
        fan_in, fan_out = layer.kernel.shape
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        # Drawn a block of rows at a time: the same numbers as one draw
        # (row-major from the same stream), without a float64 copy of a wide
        # kernel (a 50,000-feature input layer would need 49 MiB more).
        kernel = np.empty((fan_in, fan_out), dtype=np.float32)
        block = max(1, INIT_BLOCK_BYTES // (8 * fan_out))
        for rows in batch_slices(fan_in, block):
            size = (rows.stop - rows.start, fan_out)
            kernel[rows] = rng.uniform(-limit, limit, size=size)
        layer.set_weights([kernel, np.zeros(fan_out, dtype=np.float32)])


def build_custom_network(builder, meta):
    """Call a user's network builder; return a fresh, seeded copy giving logits.

    The model the builder returns is never trained or edited: it is cloned
    layer by layer, and every seed its layers leave unset (initializers,
    dropout and other random layers) is drawn from ``meta["random_state"]``,
    so fits repeat without Python's global ``random`` being read or
    reseeded, and a builder may return the same model at every call. The
    copy starts from its initializers: weights the builder set are not kept.
    A model whose layers Keras cannot rebuild from their config is trained
    as returned, with a warning, since its unseeded layers cannot follow
    ``random_state``.

    Parameters
    ----------
    builder : callable
        ``builder(meta)`` returning a ``keras.Model``.
    meta : dict
        See :func:`build_default_network`.

    Returns
    -------
    model : keras.Model
        The copy, its sigmoid output (if any) replaced by logits.

    Raises
    ------
    TypeError
        If the builder does not return a Sequential or functional
        ``keras.Model``.
    ValueError
        If the output is not one logit (or sigmoid) per label, or a model
        that cannot be cloned ends in a sigmoid.
    """
    model = builder(meta)
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"build_network must return a keras.Model; got {type(model).__name__}."
        )
    _warn_if_compiled(model)
    copy, reason = _seeded_clone(model, meta["random_state"])
    if copy is None:
        warnings.warn(
            f"build_network returned a model Keras cannot clone ({reason}): it "
            "is trained in place, and its layers created without a seed do not "
            "follow random_state. Return a Sequential or functional model of "
            "layers with a get_config, or seed every layer, for repeatable fits.",
            UserWarning,
            stacklevel=4,
        )
        copy = model
    elif getattr(copy, "optimizer", None) is not None:
        # Our copy, compiled from the builder's config: trained by our Adam.
        copy.optimizer, copy.compiled = None, False
    if not copy.built:
        copy.build((None, meta["n_features_in"]))
    activation = _output_activation(copy, meta["n_labels"], meta["n_features_in"])
    if activation == "sigmoid":
        if copy is model:
            raise ValueError(
                "The model returned by build_network ends in a sigmoid and "
                "cannot be cloned, so its output cannot be turned into logits "
                f"without editing your model: end it with Dense({meta['n_labels']}) "
                "with no activation."
            )
        copy.layers[-1].activation = keras.activations.linear
    return copy


def _warn_if_compiled(model):
    """Warn that the optimizer and loss a builder compiled are not used."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    warnings.warn(
        f"build_network compiled the model with optimizer "
        f"{type(optimizer).__name__} and loss {getattr(model, 'loss', None)!r}; "
        "MultiLabelNNClassifier trains with its own Adam (learning_rate) and "
        "loss (loss=...): pass those parameters instead. The compile is "
        "ignored, and model_ is an uncompiled copy.",
        UserWarning,
        stacklevel=5,
    )


def _seeded_clone(model, random_state):
    """Clone ``model``, every unset seed drawn from ``random_state``.

    Returns ``(clone, None)``, or ``(None, reason)`` when a layer cannot be
    rebuilt from its config; refuses a subclassed model (``TypeError``).
    """
    from keras.src.models.functional import Functional
    from keras.src.utils.naming import uniquify

    rng = np.random.default_rng(random_state)

    def seeded(config):
        if isinstance(config, dict):
            return {
                key: int(rng.integers(1, 2**31 - 1))
                if key == "seed" and value is None
                else seeded(value)
                for key, value in config.items()
            }
        if isinstance(config, list):
            return [seeded(value) for value in config]
        return config

    def clone_layer(layer):
        try:
            return layer.__class__.from_config(seeded(layer.get_config()))
        except (TypeError, ValueError, NotImplementedError) as error:
            raise _NotRebuildable(
                f"its {type(layer).__name__} layer cannot be rebuilt from its "
                "get_config()"
            ) from error

    if not isinstance(model, (keras.Sequential, Functional)):
        raise TypeError(
            "build_network must return a Sequential or functional keras.Model, "
            "which is copied with its layers seeded from random_state; got a "
            f"subclassed {type(model).__name__}. Build the same layers with "
            "keras.Sequential or keras.Model(inputs, outputs)."
        )
    try:
        clone = keras.models.clone_model(
            model, clone_function=clone_layer, recursive=True
        )
    except _NotRebuildable as error:
        return None, str(error)
    # A name of its own: a fold ensemble averages several copies in one model.
    clone.name = uniquify(model.name)
    return clone, None


class _NotRebuildable(Exception):
    """A layer of a user's network that its own config cannot rebuild."""


def _output_shape(model, n_features):
    """Return the shape of a built model's single output, or None."""
    outputs = getattr(model, "outputs", None)
    if outputs and len(outputs) == 1:
        return tuple(outputs[0].shape)
    if outputs:
        return None
    shape = model.compute_output_shape((None, n_features))
    return tuple(shape) if isinstance(shape, tuple) else None


def _output_activation(model, n_labels, n_features):
    """Check a built network's output; return ``"linear"`` or ``"sigmoid"``.

    A wrong number of outputs, softmax or another activation raises.
    """
    output_shape = _output_shape(model, n_features)
    if output_shape is None or len(output_shape) != 2 or output_shape[-1] != n_labels:
        raise ValueError(
            f"The network's output has shape {output_shape}, but the target has "
            f"{n_labels} labels: end the network with Dense({n_labels}) (no "
            "activation), one logit per label."
        )
    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax):
        raise ValueError(SOFTMAX_MESSAGE)
    activation = getattr(last, "activation", None)
    name = getattr(activation, "__name__", "linear" if activation is None else "")
    if name in {"softmax", "log_softmax"}:
        raise ValueError(SOFTMAX_MESSAGE)
    if name not in {"sigmoid", "linear"}:
        raise ValueError(
            f"The network's output layer uses the activation {name!r}; end it "
            f"with Dense({n_labels}) with no activation (logits) or a sigmoid."
        )
    return name


def average_networks(models):
    """Return one network whose logits are the mean of the given networks'.

    Default networks are merged into one of the same kind: their hidden
    layers side by side (block-diagonal kernels after the first), and the
    output layer averaging the blocks, so the numpy inference path still
    applies. Other networks are wrapped under a Keras ``Average`` layer.

    Parameters
    ----------
    models : list of keras.Model
        Trained networks with the same inputs and number of logits.

    Returns
    -------
    model : keras.Model
    """
    if len(models) == 1:
        return models[0]
    average = NetworkAverage(len(models))
    for model in models:
        average.add(model)
    return average.model()


class NetworkAverage:
    """The mean of several networks' logits, built one network at a time.

    Default networks are copied into the merged weights as they are added,
    so the caller may drop each one before training the next: a fold
    ensemble then never holds its fold networks, their copies and the
    merged network at once (a 50,000-term vocabulary makes each first
    layer 98 MiB at width 512). Other networks are kept and wrapped under a
    Keras ``Average`` layer.

    Parameters
    ----------
    n_networks : int
        How many networks will be added.

    Attributes
    ----------
    layers : list of tuple (kernel, bias, activation) or None
        The merged default network as plain dense layers (see
        ``dense_stack``), set by ``model``; None for other networks.
    """

    def __init__(self, n_networks):
        self.n_networks = n_networks
        self.layers = None
        self._n_added = 0
        self._kept = []
        self._merged = []
        self._input = None
        self._default = None

    def add(self, model, layers=None):
        """Add one trained network (``layers``: its ``dense_stack``, if made).

        Default and custom networks cannot be mixed (``ValueError``).
        """
        default = model.name == DEFAULT_NETWORK_NAME
        if self._input is None:
            self._input = (model.inputs[0].shape[1:], takes_sparse_input(model))
            self._default = default
        elif default != self._default:
            raise ValueError("Default and custom networks cannot be averaged together.")
        if not default:
            self._kept.append(model)
        else:
            stack = layers or dense_stack(model)
            if not self._merged:
                self._merged = [
                    self._empty(position, len(stack), kernel.shape, activation)
                    for position, (kernel, _, activation) in enumerate(stack)
                ]
            for position, (kernel, bias, _) in enumerate(stack):
                self._place(position, len(stack), kernel, bias)
        self._n_added += 1

    def _empty(self, position, n_layers, shape, activation):
        """Return zero merged weights for one layer position."""
        n, (rows, columns) = self.n_networks, shape
        rows = rows if position == 0 else rows * n
        columns = columns if position == n_layers - 1 else columns * n
        return [
            np.zeros((rows, columns), np.float32),
            np.zeros(columns, np.float32),
            activation,
        ]

    def _place(self, position, n_layers, kernel, bias):
        """Copy one network's layer into its block of the merged layer."""
        merged_kernel, merged_bias, _ = self._merged[position]
        index, (rows, columns) = self._n_added, kernel.shape
        row_block = slice(index * rows, (index + 1) * rows)
        if position < n_layers - 1:
            column_block = slice(index * columns, (index + 1) * columns)
            rows_of = slice(None) if position == 0 else row_block
            merged_kernel[rows_of, column_block] = kernel
            merged_bias[column_block] = bias
            return
        # The output layer sums the blocks' logits; divided by the number of
        # networks, it returns their mean.
        merged_bias += bias
        if position == 0:
            merged_kernel += kernel
        else:
            merged_kernel[row_block] = kernel / self.n_networks

    def model(self):
        """Return the averaging network, once every network is added."""
        if self._n_added != self.n_networks:
            raise ValueError(
                f"{self._n_added} of {self.n_networks} networks were added."
            )
        shape, sparse = self._input
        inputs = keras.Input(shape=shape, sparse=sparse, name="features")
        if not self._default:
            logits = keras.layers.Average(name="mean_logits")(
                [model(inputs) for model in self._kept]
            )
            return keras.Model(inputs, logits, name="fold_ensemble")
        last = len(self._merged) - 1
        self._merged[last][1] = self._merged[last][1] / self.n_networks
        if last == 0:
            self._merged[0][0] = self._merged[0][0] / self.n_networks
        self.layers = [tuple(layer) for layer in self._merged]
        self._merged = []
        hidden = inputs
        for position, (kernel, bias, activation) in enumerate(self.layers):
            # Zeros, not Keras' unseeded default, which would draw from
            # Python's global random; the weights are set right after.
            layer = keras.layers.Dense(
                kernel.shape[1],
                activation=activation,
                kernel_initializer="zeros",
                name=f"hidden_{position}" if position < last else "logits",
            )
            hidden = layer(hidden)
            _assign_in_blocks(layer.kernel, kernel)
            layer.bias.assign(bias)
        return keras.Model(inputs, hidden, name=DEFAULT_NETWORK_NAME)


def _assign_in_blocks(variable, array):
    """Assign a 2-D array to a variable a block of rows at a time.

    On TensorFlow each block is written in place, so a wide kernel is not
    held twice; other backends take the whole array.
    """
    if keras.backend.backend() != "tensorflow":
        variable.assign(array)
        return
    import tensorflow as tf

    block = max(1, INIT_BLOCK_BYTES // (4 * max(array.shape[1], 1)))
    for rows in batch_slices(array.shape[0], block):
        # A scatter writes in place; a slice assign would first read, and so
        # copy, the whole variable.
        variable.value.scatter_update(
            tf.IndexedSlices(array[rows], tf.range(rows.start, rows.stop))
        )


def dense_stack(model):
    """Return a default network's inference pass as plain dense layers.

    Batch normalisation, an affine map at inference, is folded into the
    kernel and bias before it (in float64, then rounded to float32); layers
    without it keep their weights exactly.

    Parameters
    ----------
    model : keras.Model
        Made of Dense layers, each optionally followed by BatchNormalization
        and an Activation layer, and Dropout layers.

    Returns
    -------
    layers : list of tuple (kernel, bias, activation)
        float32 arrays and the Keras activation name.
    """
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            layers.append(
                [
                    np.asarray(layer.kernel, dtype=np.float32),
                    np.asarray(layer.bias, dtype=np.float32),
                    layer.activation.__name__,
                ]
            )
        elif isinstance(layer, keras.layers.BatchNormalization):
            kernel, bias, activation = layers[-1]
            scale = np.asarray(layer.gamma, dtype=np.float64) / np.sqrt(
                np.asarray(layer.moving_variance, dtype=np.float64) + layer.epsilon
            )
            shift = np.asarray(layer.beta, dtype=np.float64) - scale * np.asarray(
                layer.moving_mean, dtype=np.float64
            )
            layers[-1] = [
                (kernel * scale).astype(np.float32),
                (bias * scale + shift).astype(np.float32),
                activation,
            ]
        elif isinstance(layer, keras.layers.Activation):
            layers[-1][2] = layer.activation.__name__
    return [tuple(entry) for entry in layers]
