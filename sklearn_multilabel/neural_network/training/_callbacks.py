"""Small parts the epoch loop calls: stopping, best weights, divergence, output.

Each callback sees the network before the first epoch, the history after
each epoch (``on_epoch_end`` returns True to stop training), a
``KeyboardInterrupt`` (``on_interrupt`` returns True to end training
quietly instead of re-raising it) and the end of training. A new one, say a
progress bar, is a subclass of ``Callback`` overriding the hooks it needs.
"""

import sys
import warnings

import numpy as np


def monitored_loss(history):
    """The loss training watches: the last validation loss, else training loss."""
    return history.val_loss[-1] if history.val_loss else history.loss[-1]


class Callback:
    """Hooks of the epoch loop; each default does nothing."""

    def on_train_begin(self, model, history):
        """Called before the first epoch."""

    def on_epoch_end(self, epoch, history):
        """Called after each epoch (zero-based); return True to stop."""
        return False

    def on_interrupt(self, epoch, history):
        """Called on Ctrl-C during ``epoch``; return True to end training."""
        return False

    def on_train_end(self, model, history):
        """Called once training ends without an error."""


class DivergenceCheck(Callback):
    """Raise ``ValueError`` as soon as the monitored loss is NaN or infinite."""

    def on_epoch_end(self, epoch, history):
        loss = monitored_loss(history)
        if not np.isfinite(loss):
            raise ValueError(
                f"Training diverged: the loss became {loss} at epoch "
                f"{epoch + 1}. Lower learning_rate or scale the features "
                "(e.g. StandardScaler in a Pipeline)."
            )
        return False


class EpochReport(Callback):
    """Print the network's ``title`` (if any), then one line per epoch.

    Each line has the epoch's training loss and, if any, its validation loss.
    """

    def __init__(self, title=None):
        self.title = title

    def on_train_begin(self, model, history):
        if self.title:
            print(self.title, file=sys.stdout, flush=True)

    def on_epoch_end(self, epoch, history):
        line = f"Epoch {epoch + 1}, loss = {history.loss[-1]:.6f}"
        if history.val_loss:
            line += f", val_loss = {history.val_loss[-1]:.6f}"
        print(line, file=sys.stdout, flush=True)
        return False


class ProgressBar(Callback):
    """Show a tqdm bar over the epochs of one network, with its last losses."""

    def __init__(self, tqdm, max_iter, title=None):
        self._tqdm, self.max_iter, self.title = tqdm, max_iter, title

    def on_train_begin(self, model, history):
        self._bar = self._tqdm(total=self.max_iter, desc=self.title, unit="epoch")

    def on_epoch_end(self, epoch, history):
        losses = {"loss": f"{history.loss[-1]:.4f}"}
        if history.val_loss:
            losses["val_loss"] = f"{history.val_loss[-1]:.4f}"
        self._bar.set_postfix(losses, refresh=False)
        self._bar.update(1)
        return False

    def on_interrupt(self, epoch, history):
        self._bar.close()
        return False

    def on_train_end(self, model, history):
        self._bar.close()


def progress_callbacks(verbose, max_iter, title=None):
    """Return what shows training's progress at this ``verbose`` level.

    1 prints lines; 2 shows a tqdm bar when tqdm is installed, else lines.
    """
    if not verbose:
        return []
    if verbose >= 2:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return [ProgressBar(tqdm, max_iter, title)]
    return [EpochReport(title)]


class EarlyStopping(Callback):
    """Stop after ``n_iter_no_change`` epochs without a ``tol`` improvement.

    An improvement is a monitored loss below the best so far minus ``tol``.
    """

    def __init__(self, n_iter_no_change, tol):
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol

    def on_train_begin(self, model, history):
        self._best, self._stale_epochs = np.inf, 0

    def on_epoch_end(self, epoch, history):
        loss = monitored_loss(history)
        improved = loss < self._best - self.tol
        self._stale_epochs = 0 if improved else self._stale_epochs + 1
        self._best = min(self._best, loss)
        return self._stale_epochs >= self.n_iter_no_change


class BestWeights(Callback):
    """Keep the weights of the epoch with the lowest monitored loss.

    They are restored at the end of training and their epoch recorded as
    ``history.best_epoch``. The copy lives in variables of the backend,
    refreshed in place at every improvement (``get_weights`` would allocate
    new arrays each time).
    """

    def on_train_begin(self, model, history):
        import keras

        self._model, self._best = model, np.inf
        # Built empty, then assigned: a variable made from another variable's
        # value would be that same variable on TensorFlow.
        self._copies = [
            keras.Variable(
                keras.initializers.Zeros(),
                shape=weight.shape,
                dtype=weight.dtype,
                trainable=False,
            )
            for weight in model.weights
        ]
        _assign(self._copies, model.weights)

    def on_epoch_end(self, epoch, history):
        loss = monitored_loss(history)
        if loss < self._best:
            self._best = loss
            _assign(self._copies, self._model.weights)
            history.best_epoch = epoch
        return False

    def on_train_end(self, model, history):
        _assign(model.weights, self._copies)


class KeepBestOnInterrupt(Callback):
    """End training on Ctrl-C after the first epoch, with a warning.

    During the first epoch there are no trained weights to keep, so the
    interrupt propagates.
    """

    def on_interrupt(self, epoch, history):
        if epoch == 0:
            return False
        # Attributed two frames above ``train``: the estimator code whose
        # fit was interrupted.
        warnings.warn(
            f"Training interrupted during epoch {epoch + 1}; keeping the "
            f"weights of epoch {history.best_epoch + 1}, the best so far.",
            UserWarning,
            stacklevel=4,
        )
        return True


def default_callbacks(schedule, title=None):
    """Return the callbacks a ``TrainingSchedule`` asks for, in calling order.

    ``title`` names the network in the progress output.
    """
    interrupt = [KeepBestOnInterrupt()] if schedule.keep_best_on_interrupt else []
    return [
        DivergenceCheck(),
        *progress_callbacks(schedule.verbose, schedule.max_iter, title),
        BestWeights(),
        EarlyStopping(schedule.n_iter_no_change, schedule.tol),
        *interrupt,
    ]


def _assign(targets, sources):
    """Give each variable of ``targets`` the value of its ``sources`` twin."""
    for target, source in zip(targets, sources, strict=True):
        target.assign(source.value)
