"""Reuse of model-building functions written for scikeras."""

import inspect


class ScikerasBuilder:
    """Adapt a scikeras model function to ``build_network``.

    scikeras calls ``model(meta=..., compile_kwargs=...)`` with a ``meta``
    dict of data-dependent shapes. This adapter passes the same keys, so
    ``MultiLabelNNClassifier(build_network=ScikerasBuilder(build))`` reuses
    the function unchanged. Its compile settings are ignored: the classifier
    trains every network with binary cross-entropy from logits, and a final
    sigmoid is turned into logits.

    Parameters
    ----------
    build : callable
        A scikeras-style function taking ``meta`` and optionally
        ``compile_kwargs``, returning a ``keras.Model``.

    Examples
    --------
    >>> import keras
    >>> def build(meta, compile_kwargs):
    ...     model = keras.Sequential([
    ...         keras.Input((meta["n_features_in_"],)),
    ...         keras.layers.Dense(meta["n_outputs_expected_"], activation="sigmoid"),
    ...     ])
    ...     model.compile(loss="binary_crossentropy", **compile_kwargs)
    ...     return model
    >>> from sklearn_multilabel import MultiLabelNNClassifier
    >>> clf = MultiLabelNNClassifier(build_network=ScikerasBuilder(build))
    """

    def __init__(self, build):
        self.build = build

    def __call__(self, meta):
        """Call the wrapped function with scikeras' arguments.

        Parameters
        ----------
        meta : dict
            ``build_network`` meta: ``n_features_in``, ``n_labels``,
            ``random_state``.

        Returns
        -------
        model : keras.Model
        """
        n_features, n_labels = meta["n_features_in"], meta["n_labels"]
        scikeras_meta = {
            "n_features_in_": n_features,
            "X_shape_": (None, n_features),
            "target_type_": "multilabel-indicator",
            "n_outputs_": n_labels,
            "n_outputs_expected_": n_labels,
            "n_classes_": 2,
            "classes_": [0, 1],
            "random_state": meta["random_state"],
        }
        arguments = {"meta": scikeras_meta, "compile_kwargs": {"optimizer": "adam"}}
        accepted = inspect.signature(self.build).parameters
        return self.build(**{k: v for k, v in arguments.items() if k in accepted})

    def __repr__(self):
        return f"ScikerasBuilder({getattr(self.build, '__name__', self.build)!r})"
