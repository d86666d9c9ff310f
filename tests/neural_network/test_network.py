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


def test_custom_network_is_repeatable_and_restores_python_random(multilabel_data):
    """Check that unseeded custom layers repeat under random_state, without
    leaving Python's global generator reseeded."""
    X, Y = multilabel_data
    random.seed(7)
    expected_next = random.random()
    random.seed(7)
    first = MultiLabelNNClassifier(**FAST, build_network=build_logits).fit(X, Y)
    assert random.random() == expected_next
    second = MultiLabelNNClassifier(**FAST, build_network=build_logits).fit(X, Y)
    assert_array_equal(first.predict_proba(X), second.predict_proba(X))


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
