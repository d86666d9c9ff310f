"""Custom networks: the softmax refusal, logits, seeding and scikeras builders."""

import random

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_multilabel import MultiLabelNNClassifier, ScikerasBuilder

from ..conftest import FAST

keras = pytest.importorskip("keras")


def build_logits(meta):
    """A small custom network returning logits, with unseeded layers."""
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in"],)),
            keras.layers.Dense(12, activation="relu"),
            keras.layers.Dense(meta["n_labels"]),
        ]
    )


def build_with_output(activation=None, units=None, softmax_layer=False):
    def build(meta):
        layers = [
            keras.Input((meta["n_features_in"],)),
            keras.layers.Dense(units or meta["n_labels"], activation=activation),
        ]
        if softmax_layer:
            layers.append(keras.layers.Softmax())
        return keras.Sequential(layers)

    return build


@pytest.mark.parametrize(
    "builder, err_type, err_msg",
    [
        (
            build_with_output("softmax"),
            ValueError,
            "softmax, which makes the labels compete",
        ),
        (
            build_with_output(softmax_layer=True),
            ValueError,
            "independent yes/no decisions",
        ),
        (build_with_output(units=3), ValueError, r"shape \(None, 3\).*5 labels"),
        (build_with_output("relu"), ValueError, r"activation 'relu'.*logits"),
        (lambda meta: "not a model", TypeError, "must return a keras.Model"),
    ],
    ids=[
        "softmax-activation",
        "softmax-layer",
        "wrong-units",
        "relu-output",
        "not-a-model",
    ],
)
def test_bad_custom_networks_are_refused(multilabel_data, builder, err_type, err_msg):
    """Check that a wrong output layer is refused with the reason and the fix."""
    X, Y = multilabel_data
    with pytest.raises(err_type, match=err_msg):
        MultiLabelNNClassifier(**FAST, build_network=builder).fit(X, Y)


def test_sigmoid_output_is_trained_from_logits(multilabel_data):
    """Check that a final sigmoid becomes logits and probabilities stay right."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**FAST, build_network=build_with_output("sigmoid"))
    clf.fit(X, Y)
    assert clf.model_.layers[-1].activation.__name__ == "linear"
    logits = keras.ops.convert_to_numpy(clf.model_(X.astype(np.float32)))
    assert_allclose(clf.predict_proba(X), 1 / (1 + np.exp(-logits)), rtol=1e-5)


def test_custom_network_is_repeatable_without_python_random(multilabel_data):
    """Check that unseeded custom layers repeat under random_state whatever
    the state of Python's global generator, which the fit neither reseeds nor
    draws from beyond what the builder's own layers draw."""
    X, Y = multilabel_data
    meta = {"n_features_in": X.shape[1], "n_labels": Y.shape[1], "random_state": 0}
    random.seed(7)
    build_logits(meta)
    expected_next = random.random()
    random.seed(7)
    first = MultiLabelNNClassifier(**FAST, build_network=build_logits).fit(X, Y)
    assert random.random() == expected_next
    random.seed(8)
    second = MultiLabelNNClassifier(**FAST, build_network=build_logits).fit(X, Y)
    assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    other = MultiLabelNNClassifier(**{**FAST, "random_state": 1}).set_params(
        build_network=build_logits
    )
    assert not np.allclose(other.fit(X, Y).predict_proba(X), first.predict_proba(X))


def build_seeded(meta):
    """A custom network whose every layer has its own seed."""
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in"],)),
            keras.layers.Dense(
                12, kernel_initializer=keras.initializers.GlorotUniform(seed=3)
            ),
            keras.layers.Dropout(0.2, seed=4),
            keras.layers.Dense(
                meta["n_labels"],
                kernel_initializer=keras.initializers.GlorotUniform(seed=5),
            ),
        ]
    )


def test_fit_leaves_python_random_alone(multilabel_data):
    """Check that fitting a builder whose layers are all seeded leaves
    Python's global generator exactly as it was, and keeps those seeds."""
    X, Y = multilabel_data
    random.seed(3)
    state = random.getstate()
    clf = MultiLabelNNClassifier(**FAST, build_network=build_seeded).fit(X, Y)
    assert random.getstate() == state
    kernel_seed = clf.model_.layers[0].get_config()["kernel_initializer"]["config"]
    assert kernel_seed["seed"] == 3
    assert clf.model_.layers[1].get_config()["seed"] == 4


def test_builder_model_is_never_edited(multilabel_data):
    """Check that a builder returning one and the same sigmoid model at every
    call gets it back untouched: each fit trains a fresh copy."""
    X, Y = multilabel_data
    shared = build_with_output("sigmoid")(
        {"n_features_in": X.shape[1], "n_labels": Y.shape[1]}
    )
    weights = [w.copy() for w in shared.get_weights()]
    params = {**FAST, "threshold_cv": 2, "max_iter": 3}
    clf = MultiLabelNNClassifier(**params, build_network=lambda meta: shared)
    clf.fit(X, Y)
    assert shared.layers[-1].activation.__name__ == "sigmoid"
    for kept, before in zip(shared.get_weights(), weights, strict=True):
        assert_array_equal(kept, before)
    assert all(layer is not shared for layer in clf.model_.layers)
    again = MultiLabelNNClassifier(**params, build_network=lambda meta: shared)
    assert_array_equal(again.fit(X, Y).predict_proba(X), clf.predict_proba(X))


def test_fits_in_two_threads_equal_sequential_fits(multilabel_data):
    """Check that two custom-network fits running at once in two threads give
    the networks that one after the other give."""
    from concurrent.futures import ThreadPoolExecutor

    X, Y = multilabel_data

    def fit(seed):
        params = {**FAST, "random_state": seed, "dropout": 0.2}
        clf = MultiLabelNNClassifier(**params, build_network=build_logits)
        return clf.fit(X, Y).predict_proba(X)

    sequential = [fit(0), fit(1)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        concurrent = list(pool.map(fit, [0, 1]))
    for alone, together in zip(sequential, concurrent, strict=True):
        assert_array_equal(alone, together)


class SubclassedNetwork(keras.Model):
    """A subclassed model, which Keras cannot clone."""

    def __init__(self, n_labels):
        super().__init__()
        self.out = keras.layers.Dense(n_labels)

    def call(self, inputs):
        return self.out(inputs)


class UnconfiguredDense(keras.layers.Dense):
    """A layer whose config cannot rebuild it (a required argument)."""

    def __init__(self, units, extra, **kwargs):
        super().__init__(units, **kwargs)
        self.extra = extra


def test_subclassed_network_is_refused(multilabel_data):
    """Check that a subclassed model, whose layers cannot be seeded, is
    refused with the fix."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(
        **FAST, build_network=lambda meta: SubclassedNetwork(meta["n_labels"])
    )
    with pytest.raises(TypeError, match="subclassed SubclassedNetwork.*Sequential"):
        clf.fit(X, Y)


@pytest.mark.parametrize("activation", [None, "sigmoid"])
def test_network_that_cannot_be_cloned_is_trained_as_returned(
    multilabel_data, activation
):
    """Check that a model with a layer Keras cannot rebuild is trained as it
    is, with a warning that random_state cannot seed it, and is refused when
    its sigmoid would have to be edited."""
    X, Y = multilabel_data

    def build(meta):
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in"],)),
                UnconfiguredDense(meta["n_labels"], 1, activation=activation),
            ]
        )

    clf = MultiLabelNNClassifier(**FAST, build_network=build)
    with pytest.warns(UserWarning, match="cannot clone.*in place.*random_state"):
        if activation is None:
            clf.fit(X, Y)
            assert clf.predict_proba(X).shape == Y.shape
            return
        with pytest.raises(ValueError, match=r"ends in a sigmoid.*Dense\(5\)"):
            clf.fit(X, Y)


def test_builder_receives_meta(multilabel_data):
    """Check that the builder gets the data's shapes and an integer seed."""
    X, Y = multilabel_data
    seen = {}

    def build(meta):
        seen.update(meta)
        return build_logits(meta)

    MultiLabelNNClassifier(**{**FAST, "max_iter": 1}, build_network=build).fit(X, Y)
    assert seen["n_features_in"] == X.shape[1]
    assert seen["n_labels"] == Y.shape[1]
    assert isinstance(seen["random_state"], int)


def scikeras_build(meta, compile_kwargs):
    """A builder written for scikeras' KerasClassifier(model=...)."""
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(meta["n_outputs_expected_"], activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", **compile_kwargs)
    return model


def test_scikeras_builder_adapts_in_one_line(multilabel_data):
    """Check that a scikeras model function trains unchanged via ScikerasBuilder."""
    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**FAST, build_network=ScikerasBuilder(scikeras_build))
    clf.fit(X, Y)
    assert clf.predict_proba(X).shape == Y.shape
    assert clf.score(X, Y) > 0.2


def test_scikeras_builder_taking_only_meta():
    """Check that a scikeras function without compile_kwargs gets only meta."""
    calls = []

    def build(meta):
        calls.append(meta)
        return build_logits({"n_features_in": meta["n_features_in_"], "n_labels": 2})

    model = ScikerasBuilder(build)(
        {"n_features_in": 3, "n_labels": 2, "random_state": 0}
    )
    assert calls[0]["n_outputs_expected_"] == 2
    assert model.outputs[0].shape[-1] == 2


def test_pickle_custom_network(multilabel_data):
    """Check that a custom network survives pickling with equal outputs."""
    import pickle

    X, Y = multilabel_data
    clf = MultiLabelNNClassifier(**FAST, build_network=build_logits).fit(X, Y)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
