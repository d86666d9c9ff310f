"""What a backend's training step is, and which backend's step to make."""

from dataclasses import dataclass


@dataclass
class TrainStep:
    """Adam updates on consecutive batches of rows.

    Parameters
    ----------
    run : callable
        ``run(X_rows, Y_rows, weights) -> losses``: one update per batch of
        ``batch_size`` consecutive rows, returning each batch's loss.
    batches_per_call : int, default=1
        How many batches ``run`` should receive at once: one traced call for
        several batches saves TensorFlow's per-call cost (about a tenth of a
        millisecond, a large share of a small batch's update).
    """

    run: object
    batches_per_call: int = 1


def make_backend_train_step(
    model,
    loss,
    learning_rate,
    n_features,
    n_labels,
    sparse=False,
    batch_size=32,
    n_samples=0,
):
    """Return an Adam step for the Keras backend in use.

    TensorFlow, the default backend, gets a traced ``tf.function``; JAX and
    PyTorch get steps of their own, with the same loss, penalties and Adam
    update (``_adam``), so that a fit gives the same network on every backend
    up to float32 rounding.

    Parameters
    ----------
    model : keras.Model
    loss : callable
        ``loss(Y, logits, sample_weight) -> scalar tensor``.
    learning_rate : float
    n_features, n_labels : int
    sparse : bool, default=False
        Whether feature batches are CSR matrices (TensorFlow only).
    batch_size : int, default=32
        Rows per update.
    n_samples : int, default=0
        Rows per epoch; TensorFlow updates on several batches per call when
        an epoch has enough of them.

    Returns
    -------
    step : TrainStep

    Raises
    ------
    ValueError
        If the backend cannot compute gradients (``numpy``, ``openvino``).
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        from sklearn_multilabel.neural_network.training import _tensorflow_step

        return _tensorflow_step.make_train_step(
            model,
            loss,
            learning_rate,
            n_features,
            n_labels,
            sparse,
            batch_size,
            n_samples,
        )
    if backend == "jax":
        from sklearn_multilabel.neural_network.training._jax_step import (
            make_train_step,
        )
    elif backend == "torch":
        from sklearn_multilabel.neural_network.training._torch_step import (
            make_train_step,
        )
    else:
        raise ValueError(
            f"The Keras backend {backend!r} cannot train networks (it has no "
            "gradients). Set the environment variable KERAS_BACKEND to "
            "'tensorflow', 'jax' or 'torch' before Keras is first imported."
        )
    return one_batch_per_call(make_train_step(model, loss, learning_rate))


def one_batch_per_call(step):
    """Wrap ``step(X_batch, Y_batch, weight_batch) -> loss`` as a ``TrainStep``."""
    return TrainStep(lambda X_rows, Y_rows, weights: [step(X_rows, Y_rows, weights)])


def penalised(loss_value, losses):
    """Add the network's penalties (e.g. L2 of the kernels) to the loss."""
    from keras import ops

    if not losses:
        return loss_value
    return loss_value + ops.sum(ops.stack(losses))
