"""The training loop, its callbacks and the backend steps it calls."""

from sklearn_multilabel.neural_network.training._callbacks import Callback
from sklearn_multilabel.neural_network.training._loop import (
    TrainingHistory,
    TrainingSchedule,
    collect_if_large,
    make_objective,
    train,
)

__all__ = [
    "Callback",
    "TrainingHistory",
    "TrainingSchedule",
    "collect_if_large",
    "make_objective",
    "train",
]
