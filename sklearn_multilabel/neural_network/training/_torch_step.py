"""The PyTorch training step: an eager Adam update after ``backward``."""

import keras

from sklearn_multilabel.neural_network.training import _adam
from sklearn_multilabel.neural_network.training._train_step import penalised


def make_train_step(model, loss, learning_rate):
    """Return an eager ``step(X_batch, Y_batch, weight_batch) -> loss``."""
    import torch

    variables = model.trainable_variables
    ms = [keras.ops.zeros(variable.shape) for variable in variables]
    vs = [keras.ops.zeros(variable.shape) for variable in variables]
    iteration = [keras.ops.convert_to_tensor(0.0, "float32")]

    def step(X_batch, Y_batch, weight_batch):
        X_batch, Y_batch, weight_batch = (
            keras.ops.convert_to_tensor(part)
            for part in (X_batch, Y_batch, weight_batch)
        )
        model.zero_grad()
        logits = model(X_batch, training=True)
        value = penalised(loss(Y_batch, logits, weight_batch), model.losses)
        value.backward()
        with torch.no_grad():
            iteration[0] = iteration[0] + 1.0
            alpha = _adam.step_size(learning_rate, iteration[0])
            for index, variable in enumerate(variables):
                ms[index], vs[index] = _adam.moments(
                    variable.value.grad, ms[index], vs[index]
                )
                variable.assign(
                    variable.value - _adam.weight_change(alpha, ms[index], vs[index])
                )
        return value.detach()

    return step
