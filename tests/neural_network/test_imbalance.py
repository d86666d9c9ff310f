"""Imbalanced labels: class weights, focal and asymmetric losses, sample weights."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.metrics import (
    f1_score,
    label_ranking_average_precision_score,
    make_scorer,
)
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_multilabel import MultiLabelNNClassifier
from sklearn_multilabel.neural_network._class_weight import positive_weights
from sklearn_multilabel.neural_network._losses import balanced_pos_weight

from ..conftest import FAST

SHORT = {**FAST, "max_iter": 5, "threshold": 0.5}


def test_balanced_class_weight_raises_rare_label_probabilities(imbalanced_data):
    """Check that balanced weights lift the mean probability of rare labels."""
    X, Y = imbalanced_data
    plain = MultiLabelNNClassifier(**SHORT).fit(X, Y)
    balanced = MultiLabelNNClassifier(**SHORT, class_weight="balanced").fit(X, Y)
    rare = [2, 3]
    assert np.all(
        balanced.predict_proba(X)[:, rare].mean(0)
        > plain.predict_proba(X)[:, rare].mean(0)
    )


@pytest.mark.parametrize(
    "class_weight, expected",
    [
        ({0: 2.0, 3: 5.0}, [2.0, 1.0, 1.0, 5.0]),
        ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]),
        (None, None),
    ],
)
def test_class_weight_forms(class_weight, expected):
    """Check that dicts and arrays become one positive weight per label."""
    Y = np.eye(4, dtype=int)
    weights = positive_weights(class_weight, Y, np.arange(4), binary=False)
    if expected is None:
        assert weights is None
    else:
        assert_allclose(weights, expected)


def test_balanced_class_weight_is_the_clipped_ratio():
    """Check that "balanced" gives each label its negative/positive ratio."""
    Y = np.array([[1, 0], [0, 0], [0, 0], [0, 1]] * 5)
    assert_allclose(
        positive_weights("balanced", Y, np.arange(2), False), balanced_pos_weight(Y)
    )
    assert_allclose(balanced_pos_weight(Y), [3.0, 3.0])


def test_binary_class_weight_dict_uses_the_class_ratio():
    """Check that {class: weight} for a 1-D target weighs positives by the ratio."""
    weights = positive_weights(
        {"ham": 2.0, "spam": 8.0}, np.zeros((4, 1)), np.array(["ham", "spam"]), True
    )
    assert_allclose(weights, [4.0])


@pytest.mark.parametrize(
    "class_weight, err_msg",
    [
        ({7: 2.0}, r"names \[7\].*label index"),
        ([1.0, 2.0], r"shape \(2,\) for 4 labels"),
        ([1.0, -1.0, 1.0, 1.0], r"non-negative"),
    ],
)
def test_bad_class_weight(imbalanced_data, class_weight, err_msg):
    """Check that a class_weight that does not fit the labels is refused."""
    X, Y = imbalanced_data
    with pytest.raises(ValueError, match=err_msg):
        MultiLabelNNClassifier(**SHORT, class_weight=class_weight).fit(X, Y)


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "focal", "gamma": 2.0},
        {"loss": "focal", "gamma": 1.0, "focal_alpha": 0.25},
        {"loss": "asymmetric", "gamma_neg": 4.0, "clip": 0.05},
    ],
)
def test_alternative_losses_train_and_differ(multilabel_data, params):
    """Check that focal and asymmetric losses train and change the model."""
    X, Y = multilabel_data
    bce = MultiLabelNNClassifier(**SHORT).fit(X, Y)
    other = MultiLabelNNClassifier(**SHORT, **params).fit(X, Y)
    assert other.loss_curve_[-1] < other.loss_curve_[0]
    assert not np.allclose(other.predict_proba(X), bce.predict_proba(X))
    assert label_ranking_average_precision_score(Y, other.predict_proba(X)) > 0.7


def test_invalid_loss_name(multilabel_data):
    """Check that an unknown loss is refused with the valid names."""
    from sklearn.utils._param_validation import InvalidParameterError

    X, Y = multilabel_data
    with pytest.raises(InvalidParameterError, match="'loss' parameter.*focal"):
        MultiLabelNNClassifier(loss="softmax").fit(X, Y)


def test_unit_and_scaled_sample_weights_change_nothing(multilabel_data):
    """Check that all-ones weights equal no weights, and a constant factor cancels."""
    X, Y = multilabel_data
    plain = MultiLabelNNClassifier(**SHORT).fit(X, Y).predict_proba(X)
    ones = MultiLabelNNClassifier(**SHORT).fit(X, Y, sample_weight=np.ones(len(X)))
    scaled = MultiLabelNNClassifier(**SHORT).fit(
        X, Y, sample_weight=np.full(len(X), 3.0)
    )
    assert_array_equal(ones.predict_proba(X), plain)
    assert_allclose(scaled.predict_proba(X), plain, rtol=1e-4)


def test_sample_weight_steers_training(multilabel_data):
    """Check that up-weighting rows where label 0 is positive lifts its scores."""
    X, Y = multilabel_data
    weight = np.where(Y[:, 0] == 1, 10.0, 1.0)
    plain = MultiLabelNNClassifier(**SHORT).fit(X, Y)
    weighted = MultiLabelNNClassifier(**SHORT).fit(X, Y, sample_weight=weight)
    assert weighted.predict_proba(X)[:, 0].mean() > plain.predict_proba(X)[:, 0].mean()


def test_sample_weight_routed_through_pipeline_and_search(multilabel_data):
    """Check that metadata routing delivers sample_weight to the classifier."""
    X, Y = multilabel_data
    weight = np.where(Y[:, 0] == 1, 10.0, 1.0)
    direct = MultiLabelNNClassifier(**SHORT).fit(X, Y, sample_weight=weight)
    with config_context(enable_metadata_routing=True):
        clf = MultiLabelNNClassifier(**SHORT).set_fit_request(sample_weight=True)
        pipeline = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False), clf
        )
        pipeline.fit(X, Y, sample_weight=weight)
        assert_allclose(
            pipeline[-1].predict_proba(pipeline[0].transform(X)).shape, Y.shape
        )
        routed = make_pipeline(clf).fit(X, Y, sample_weight=weight)
        assert_array_equal(routed.predict_proba(X), direct.predict_proba(X))
        search = GridSearchCV(
            MultiLabelNNClassifier(**SHORT).set_fit_request(sample_weight=True),
            {"hidden_layer_sizes": [(8,)]},
            cv=2,
            scoring=make_scorer(f1_score, average="micro").set_score_request(
                sample_weight=True
            ),
        ).fit(X, Y, sample_weight=weight)
        assert_array_equal(
            search.best_estimator_.predict_proba(X),
            MultiLabelNNClassifier(**{**SHORT, "hidden_layer_sizes": (8,)})
            .fit(X, Y, sample_weight=weight)
            .predict_proba(X),
        )
