"""The training loop and the backend steps it calls."""

from sklearn_multilabel.neural_network.training._loop import (
    TrainingHistory,
    TrainingSchedule,
    collect_if_large,
    make_objective,
    train,
)

__all__ = [
    "TrainingHistory",
    "TrainingSchedule",
    "collect_if_large",
    "make_objective",
    "train",
]
