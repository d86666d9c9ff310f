"""The models of the comparison runner and the pipeline each one is fitted in."""

from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sklearn_multilabel.neural_network import MultiLabelNNClassifier
from sklearn_multilabel.thresholds import MultiLabelThresholdTuner
from sklearn_multilabel.thresholds._search import is_strategy

# The scikeras peer is a plain Keras setup, the one MultiLabelNNClassifier
# started from before its own defaults were tuned: one hidden layer of 256
# ReLU units, dropout 0.2, Adam at 1e-3, batches of 32, at most 200 epochs
# stopped after 10 without validation-loss improvement on 20 % of the rows,
# best weights restored.
_SCIKERAS_HIDDEN_UNITS = 256
_SCIKERAS_DROPOUT = 0.2
TUNER_CV = 5


def default_models(random_state=0):
    """Return the models compared by default, those that can run here.

    - ``MultiLabelNNClassifier`` with its defaults (thresholds tuned per label);
    - ``OneVsRestClassifier`` with ``LogisticRegression``, with
      ``CalibratedClassifierCV(LinearSVC())`` and with
      ``RandomForestClassifier(n_estimators=300)``;
    - ``MLPClassifier(early_stopping=True)``;
    - ``MultiOutputClassifier(TunedThresholdClassifierCV(LogisticRegression(),
      scoring="f1"))``: scikit-learn's own per-label thresholds.
      (``OneVsRestClassifier(TunedThresholdClassifierCV(...))`` would drop
      the tuned thresholds, scikit-learn issue #30036);
    - scikeras' ``KerasClassifier`` with a sigmoid output and binary
      cross-entropy, when scikeras is installed.

    Parameters
    ----------
    random_state : int, default=0
        Seed given to every model that has one.

    Returns
    -------
    models : dict of str to estimator
        Unfitted models by display name; the comparison puts each after a
        ``StandardScaler``.
    """
    models, _ = build_default_models(random_state)
    return models


def build_default_models(random_state, names=None):
    """Build the named default models (None: all) that can run here.

    Returns them by name, with the reason each one left out cannot run.
    """
    models, skipped = {}, {}
    for name in names or DEFAULT_MODEL_NAMES:
        try:
            models[name] = _FACTORIES[name](random_state)
        except ImportError as error:
            skipped[name] = f"not installed ({error}): pip install scikeras"
    return models, skipped


def _network(random_state):
    """Our estimator with its defaults."""
    return MultiLabelNNClassifier(random_state=random_state)


def _logistic_regression(random_state):
    """One logistic regression per label (no seed needed)."""
    return OneVsRestClassifier(LogisticRegression(max_iter=1000))


def _calibrated_linear_svc(random_state):
    """One linear SVM per label, its scores calibrated into probabilities."""
    return OneVsRestClassifier(
        CalibratedClassifierCV(LinearSVC(random_state=random_state))
    )


def _random_forest(random_state):
    """One random forest of 300 trees per label."""
    return OneVsRestClassifier(
        RandomForestClassifier(n_estimators=300, random_state=random_state)
    )


def _mlp(random_state):
    """scikit-learn's MLP, whose predictions cut every probability at 0.5."""
    return MLPClassifier(early_stopping=True, max_iter=500, random_state=random_state)


def _tuned_logistic_regression(random_state):
    """scikit-learn's own per-label thresholds, tuned for F1."""
    return MultiOutputClassifier(
        TunedThresholdClassifierCV(
            LogisticRegression(max_iter=1000), scoring="f1", random_state=random_state
        )
    )


def scikeras_classifier(random_state=0):
    """scikeras' ``KerasClassifier`` set up for multi-label targets.

    Parameters
    ----------
    random_state : int, default=0
        Seed of scikeras (it seeds TensorFlow's global generators in fit).

    Returns
    -------
    model : scikeras.wrappers.KerasClassifier

    Raises
    ------
    ImportError
        If scikeras is not installed.
    """
    from scikeras.wrappers import KerasClassifier

    return KerasClassifier(
        model=_scikeras_network,
        loss="binary_crossentropy",
        optimizer="adam",
        optimizer__learning_rate=1e-3,
        epochs=200,
        batch_size=32,
        validation_split=0.2,
        callbacks=[_early_stopping()],
        random_state=random_state,
        verbose=0,
    )


# Builders of the default models from a seed, by display name.
_FACTORIES = {
    "MultiLabelNNClassifier": _network,
    "OvR-LogisticRegression": _logistic_regression,
    "OvR-CalibratedLinearSVC": _calibrated_linear_svc,
    "OvR-RandomForest": _random_forest,
    "MLPClassifier": _mlp,
    "MultiOutput-TunedLogReg": _tuned_logistic_regression,
    "scikeras-KerasClassifier": scikeras_classifier,
}
DEFAULT_MODEL_NAMES = tuple(_FACTORIES)


def _early_stopping():
    """Keras early stopping mirroring ``MultiLabelNNClassifier``'s rule."""
    import keras

    return keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=10, min_delta=1e-4, restore_best_weights=True
    )


def _scikeras_network(meta):
    """The scikeras peer's uncompiled network: one sigmoid per label.

    For a multi-label target scikeras' ``meta["n_classes_"]`` is the number of labels.
    """
    import keras

    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(_SCIKERAS_HIDDEN_UNITS, activation="relu"),
            keras.layers.Dropout(_SCIKERAS_DROPOUT),
            keras.layers.Dense(meta["n_classes_"], activation="sigmoid"),
        ]
    )


def prepare(model, *, sparse, tune, random_state):
    """Put a model after a scaler, and inside the threshold tuner if asked.

    Parameters
    ----------
    model : estimator
    sparse : bool
        The features are sparse: scale without centring.
    tune : bool
        Wrap the pipeline in ``MultiLabelThresholdTuner`` (per-label "f1"
        thresholds from 5 stratified folds, then a refit), except for models
        that already tune their thresholds.
    random_state : int
        Seed of the tuner's folds.

    Returns
    -------
    estimator : Pipeline or MultiLabelThresholdTuner
    """
    pipeline = make_pipeline(StandardScaler(with_mean=not sparse), clone(model))
    if tune and not tunes_its_thresholds(model):
        return MultiLabelThresholdTuner(
            pipeline, cv=TUNER_CV, random_state=random_state
        )
    return pipeline


def tunes_its_thresholds(model):
    """Tell whether a model already learns per-label thresholds when fitted.

    Parameters
    ----------
    model : estimator

    Returns
    -------
    tunes : bool
        True for a ``MultiLabelThresholdTuner``, and for a
        ``MultiLabelNNClassifier`` whose ``threshold`` is a strategy.
    """
    if isinstance(model, MultiLabelNNClassifier):
        return is_strategy(model.threshold)
    return isinstance(model, MultiLabelThresholdTuner)
