"""The JAX training step: a jitted Adam update of the variables' values."""

import keras

from sklearn_multilabel.neural_network.training import _adam
from sklearn_multilabel.neural_network.training._train_step import penalised


def make_train_step(model, loss, learning_rate):
    """Return a jitted ``step(X_batch, Y_batch, weight_batch) -> loss``.

    JAX has no gradient tape: the step differentiates a pure function of the
    variables' values (``stateless_call``), then writes the new values back,
    so that ``model.get_weights`` and the forward pass see every update.
    """
    import jax

    variable_groups = (model.trainable_variables, model.non_trainable_variables)
    zeros = [keras.ops.zeros(v.shape) for v in model.trainable_variables]
    adam_state = [zeros, list(zeros), keras.ops.convert_to_tensor(0.0, "float32")]

    def penalised_loss(trainable, non_trainable, X_batch, Y_batch, weight_batch):
        logits, non_trainable, losses = model.stateless_call(
            trainable, non_trainable, X_batch, training=True, return_losses=True
        )
        return penalised(loss(Y_batch, logits, weight_batch), losses), non_trainable

    loss_and_gradients = jax.value_and_grad(penalised_loss, has_aux=True)

    @jax.jit
    def update(state, adam_state, X_batch, Y_batch, weight_batch):
        trainable, non_trainable = state
        (value, non_trainable), gradients = loss_and_gradients(
            trainable, non_trainable, X_batch, Y_batch, weight_batch
        )
        ms, vs, iteration = adam_state
        iteration = iteration + 1.0
        alpha = _adam.step_size(learning_rate, iteration)
        moments = [
            _adam.moments(gradient, m, v)
            for gradient, m, v in zip(gradients, ms, vs, strict=True)
        ]
        trainable = [
            weights - _adam.weight_change(alpha, m, v)
            for weights, (m, v) in zip(trainable, moments, strict=True)
        ]
        ms, vs = [m for m, _ in moments], [v for _, v in moments]
        return value, (trainable, non_trainable), [ms, vs, iteration]

    def step(X_batch, Y_batch, weight_batch):
        state = tuple([v.value for v in group] for group in variable_groups)
        value, state, adam_state[:] = update(
            state, adam_state, X_batch, Y_batch, weight_batch
        )
        for group, values in zip(variable_groups, state, strict=True):
            for variable, new_value in zip(group, values, strict=True):
                variable.assign(new_value)
        return value

    return step
