"""MultiLabelNNClassifier inside real scikit-learn workflows: no mocks."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import loguniform, uniform
from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    classification_report,
    coverage_error,
    f1_score,
    hamming_loss,
    jaccard_score,
    label_ranking_average_precision_score,
    label_ranking_loss,
    roc_auc_score,
)
from sklearn.model_selection import (
    GridSearchCV,
    ParameterGrid,
    RandomizedSearchCV,
    cross_val_predict,
    cross_validate,
    train_test_split,
)
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from sklearn_multilabel import MultiLabelNNClassifier

from .conftest import FAST

GRID = {"hidden_layer_sizes": [(8,), (16,)], "threshold": [0.5, "f1"]}
TAGS = ("beach", "forest", "sunset", "urban")
TOPIC_WORDS = {
    "sport": ["match", "goal", "team", "score", "league", "coach"],
    "politics": ["vote", "election", "senate", "policy", "minister", "law"],
    "science": ["atom", "cell", "theory", "experiment", "lab", "data"],
}
FILLER_WORDS = ["the", "a", "today", "report", "new", "people", "said", "week"]


def _pipeline(**params):
    """A scaler followed by a fast classifier, with ``params`` overriding FAST."""
    return Pipeline(
        [
            ("scaler", StandardScaler()),
            ("classifier", MultiLabelNNClassifier(**{**FAST, **params})),
        ]
    )


def _scalar_params(estimator):
    """Return get_params(deep=True) without the nested estimator objects."""
    return {
        name: value
        for name, value in estimator.get_params(deep=True).items()
        if name != "steps" and not isinstance(value, BaseEstimator)
    }


def _tagged_images(n_samples=200, seed=0):
    """Features and tag lists, each tag switched on by one feature."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 6))
    tags = [
        [tag for tag, value in zip(TAGS, row[:4], strict=True) if value > 0.2]
        for row in X
    ]
    return X, tags


def _news_corpus(n_docs=240, seed=0):
    """Short documents whose words come from the topics they are labelled with."""
    rng = np.random.default_rng(seed)
    topics = list(TOPIC_WORDS)
    Y = (rng.random((n_docs, len(topics))) < 0.4).astype(int)
    Y[Y.sum(axis=1) == 0, rng.integers(len(topics))] = 1
    docs = []
    for row in Y:
        words = list(rng.choice(FILLER_WORDS, size=5))
        for topic, present in zip(topics, row, strict=True):
            if present:
                words += list(rng.choice(TOPIC_WORDS[topic], size=4))
        docs.append(" ".join(rng.permutation(words)))
    return docs, Y


@pytest.fixture(scope="module")
def raw_data():
    """Unscaled count features and a 0/1 indicator target with 5 labels."""
    return make_multilabel_classification(
        n_samples=300, n_features=10, n_classes=5, n_labels=2, random_state=0
    )


@pytest.fixture(scope="module")
def split(multilabel_data):
    """A seeded 60/40 train/test split of the scaled data."""
    X, Y = multilabel_data
    return train_test_split(X, Y, test_size=0.4, random_state=0)


@pytest.fixture(scope="module")
def outputs(split):
    """Test labels, predictions and probabilities of a model fitted on the split."""
    X_train, X_test, Y_train, Y_test = split
    clf = MultiLabelNNClassifier(**FAST).fit(X_train, Y_train)
    return Y_test, clf.predict(X_test), clf.predict_proba(X_test)


@pytest.fixture(scope="module")
def grid_searches(multilabel_data):
    """The same seeded grid search run in one process and in two workers."""
    X, Y = multilabel_data
    searches = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(
            MultiLabelNNClassifier(**FAST),
            GRID,
            scoring="f1_micro",
            cv=3,
            n_jobs=n_jobs,
        )
        searches[n_jobs] = search.fit(X, Y)
    return searches


def test_pipeline_fit_predict_shapes(raw_data):
    """Check that a scaler + classifier pipeline fits and predicts per label."""
    X, Y = raw_data
    pipe = _pipeline().fit(X, Y)
    proba = pipe.predict_proba(X)
    prediction = pipe.predict(X)
    assert proba.shape == Y.shape and proba.dtype == np.float64
    assert np.all((proba > 0) & (proba < 1))
    assert prediction.shape == Y.shape
    assert set(np.unique(prediction)) <= {0, 1}
    classifier = pipe.named_steps["classifier"]
    assert_array_equal(
        prediction, (proba >= classifier.thresholds_).astype(prediction.dtype)
    )
    assert classifier.n_features_in_ == X.shape[1]
    assert f1_score(Y, prediction, average="micro") > 0.6


def test_clone_pipeline_is_unfitted_with_equal_params(raw_data):
    """Check that clone of a fitted pipeline gives an unfitted equal copy."""
    X, Y = raw_data
    pipe = _pipeline(threshold=0.4, hidden_layer_sizes=(8, 4)).fit(X, Y)
    copy = clone(pipe)
    assert copy.named_steps["classifier"] is not pipe.named_steps["classifier"]
    assert _scalar_params(copy) == _scalar_params(pipe)
    assert copy.get_params()["classifier__hidden_layer_sizes"] == (8, 4)
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)
    with pytest.raises(NotFittedError):
        copy.predict(X)
    assert not hasattr(copy.named_steps["classifier"], "model_")
    check_is_fitted(pipe)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search(grid_searches, multilabel_data, n_jobs):
    """Check that GridSearchCV scores the 4 candidates and refits the best."""
    X, Y = multilabel_data
    search = grid_searches[n_jobs]
    results = search.cv_results_
    candidates = list(ParameterGrid(GRID))
    assert search.best_params_ in candidates
    assert len(results["params"]) == 4
    assert all(params in candidates for params in results["params"])
    for fold in range(3):
        scores = results[f"split{fold}_test_score"]
        assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))
    assert np.all(np.isfinite(results["mean_test_score"]))
    assert search.best_score_ == pytest.approx(np.max(results["mean_test_score"]))
    assert (
        search.best_estimator_.hidden_layer_sizes
        == (search.best_params_["hidden_layer_sizes"])
    )
    assert search.predict(X).shape == Y.shape


def test_grid_search_same_scores_with_one_or_two_jobs(grid_searches):
    """Check that a seeded search scores identically in one process or two."""
    assert_array_equal(
        grid_searches[1].cv_results_["mean_test_score"],
        grid_searches[2].cv_results_["mean_test_score"],
    )
    assert grid_searches[1].best_params_ == grid_searches[2].best_params_


def test_randomized_search_with_scipy_distributions(multilabel_data):
    """Check that RandomizedSearchCV samples learning_rate and dropout in range."""
    X, Y = multilabel_data
    search = RandomizedSearchCV(
        MultiLabelNNClassifier(**FAST),
        {"learning_rate": loguniform(1e-3, 1e-1), "dropout": uniform(0.0, 0.5)},
        n_iter=2,
        scoring="f1_micro",
        cv=3,
        random_state=0,
    ).fit(X, Y)
    sampled = search.cv_results_["params"]
    assert len(sampled) == 2
    assert sampled[0] != sampled[1]
    for params in sampled:
        assert 1e-3 <= params["learning_rate"] <= 1e-1
        assert 0.0 <= params["dropout"] < 0.5
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert (
        search.best_estimator_.learning_rate == (search.best_params_["learning_rate"])
    )


def test_estimators_fitted_in_workers_match_main_process(multilabel_data):
    """Check that models fitted in loky workers come back and predict as in-process."""
    X, Y = multilabel_data
    runs = [
        cross_validate(
            MultiLabelNNClassifier(**FAST),
            X,
            Y,
            cv=3,
            n_jobs=n_jobs,
            return_estimator=True,
        )
        for n_jobs in (1, 2)
    ]
    for local, remote in zip(runs[0]["estimator"], runs[1]["estimator"], strict=True):
        assert remote.predict(X).shape == Y.shape
        assert_array_equal(remote.predict_proba(X), local.predict_proba(X))
        assert_array_equal(remote.thresholds_, local.thresholds_)


def test_cross_val_predict_probabilities(multilabel_data):
    """Check that cross_val_predict returns out-of-fold per-label probabilities."""
    X, Y = multilabel_data
    proba = cross_val_predict(
        MultiLabelNNClassifier(**FAST), X, Y, cv=3, method="predict_proba"
    )
    assert proba.shape == Y.shape
    assert np.all((proba > 0) & (proba < 1))
    assert label_ranking_average_precision_score(Y, proba) > 0.8


def test_get_params_set_params_round_trip():
    """Check that get_params fed to set_params rebuilds the same estimator."""
    clf = MultiLabelNNClassifier(**FAST, threshold=0.4, alpha=1e-3)
    params = clf.get_params()
    restored = MultiLabelNNClassifier().set_params(**params)
    assert restored.get_params() == params
    assert restored.threshold == 0.4 and restored.alpha == 1e-3
    with pytest.raises(ValueError, match="Invalid parameter 'epochs'"):
        clf.set_params(epochs=3)


def test_nested_set_params_reaches_fit(raw_data):
    """Check that classifier__threshold set on a pipeline is the one fit uses."""
    X, Y = raw_data
    pipe = _pipeline(max_iter=2)
    assert pipe.get_params()["classifier__threshold"] == "f1"
    pipe.set_params(classifier__threshold=0.3, classifier__hidden_layer_sizes=(8,))
    assert pipe.get_params()["classifier__threshold"] == 0.3
    assert pipe.named_steps["classifier"].threshold == 0.3
    pipe.fit(X, Y)
    assert_array_equal(pipe.named_steps["classifier"].thresholds_, np.full(5, 0.3))
    assert pipe.named_steps["classifier"].model_.layers[1].units == 8


# Rows of make_multilabel_classification with no label, predicted with none,
# leave the samples-averaged F1 and Jaccard undefined: scikit-learn warns.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_cross_validate_multilabel_scorers(multilabel_data):
    """Check that cross_validate returns finite train and test scores in [0, 1]."""
    X, Y = multilabel_data
    scoring = ["f1_micro", "f1_macro", "f1_samples", "jaccard_samples"]
    results = cross_validate(
        MultiLabelNNClassifier(**FAST),
        X,
        Y,
        cv=3,
        scoring=scoring,
        return_train_score=True,
    )
    for name in scoring:
        for subset in ("train", "test"):
            scores = results[f"{subset}_{name}"]
            assert scores.shape == (3,)
            assert np.all(np.isfinite(scores))
            assert np.all((scores >= 0) & (scores <= 1))
    assert np.mean(results["test_f1_micro"]) > 0.5


def test_multilabel_binarizer_round_trip():
    """Check that tag lists encoded by MultiLabelBinarizer decode after predict."""
    X, tags = _tagged_images()
    mlb = MultiLabelBinarizer()
    Y = mlb.fit_transform(tags)
    assert_array_equal(mlb.classes_, TAGS)
    clf = MultiLabelNNClassifier(**{**FAST, "max_iter": 60}).fit(X, Y)
    predicted_tags = mlb.inverse_transform(clf.predict(X))
    assert len(predicted_tags) == len(tags)
    assert all(isinstance(row, tuple) for row in predicted_tags)
    assert all(set(row) <= set(TAGS) for row in predicted_tags)
    exact = np.mean(
        [set(p) == set(t) for p, t in zip(predicted_tags, tags, strict=True)]
    )
    assert exact > 0.7


@pytest.mark.parametrize(
    "to_target",
    [
        lambda tags: tags,
        lambda tags: [tuple(row) for row in tags],
        lambda tags: [set(row) for row in tags],
        lambda tags: tuple(tags),
        lambda tags: np.array(tags, dtype=object),
        lambda tags: pytest.importorskip("pandas").Series(tags),
    ],
    ids=["lists", "tuples", "sets", "tuple_of_lists", "object_array", "series"],
)
def test_raw_tag_lists_are_refused(to_target):
    """Check that raw tag lists given to fit point to MultiLabelBinarizer."""
    X, tags = _tagged_images()
    with pytest.raises(ValueError, match="MultiLabelBinarizer"):
        MultiLabelNNClassifier(**FAST).fit(X, to_target(tags))


@pytest.mark.parametrize(
    "metric, low, high",
    [
        (lambda Y, P, S: f1_score(Y, P, average="micro"), 0, 1),
        (lambda Y, P, S: f1_score(Y, P, average="macro"), 0, 1),
        (lambda Y, P, S: f1_score(Y, P, average="samples", zero_division=1), 0, 1),
        (lambda Y, P, S: f1_score(Y, P, average="weighted"), 0, 1),
        (lambda Y, P, S: hamming_loss(Y, P), 0, 1),
        (
            lambda Y, P, S: jaccard_score(Y, P, average="samples", zero_division=1),
            0,
            1,
        ),
        (lambda Y, P, S: jaccard_score(Y, P, average="macro"), 0, 1),
        (lambda Y, P, S: accuracy_score(Y, P), 0, 1),
        (lambda Y, P, S: label_ranking_average_precision_score(Y, S), 0, 1),
        (lambda Y, P, S: coverage_error(Y, S), 0, 5),
        (lambda Y, P, S: label_ranking_loss(Y, S), 0, 1),
        (lambda Y, P, S: roc_auc_score(Y, S, average="micro"), 0, 1),
        (lambda Y, P, S: roc_auc_score(Y, S, average="macro"), 0, 1),
        (lambda Y, P, S: average_precision_score(Y, S, average="micro"), 0, 1),
        (lambda Y, P, S: average_precision_score(Y, S, average="macro"), 0, 1),
    ],
    ids=[
        "f1_micro",
        "f1_macro",
        "f1_samples",
        "f1_weighted",
        "hamming_loss",
        "jaccard_samples",
        "jaccard_macro",
        "subset_accuracy",
        "lrap",
        "coverage_error",
        "label_ranking_loss",
        "roc_auc_micro",
        "roc_auc_macro",
        "average_precision_micro",
        "average_precision_macro",
    ],
)
def test_multilabel_metric_in_range(outputs, metric, low, high):
    """Check that each scikit-learn multilabel metric accepts our outputs."""
    Y, prediction, proba = outputs
    value = metric(Y, prediction, proba)
    assert np.isfinite(value)
    assert low <= value <= high


@pytest.mark.parametrize(
    "metric, higher_is_better",
    [
        (label_ranking_average_precision_score, True),
        (coverage_error, False),
        (label_ranking_loss, False),
        (lambda Y, S: roc_auc_score(Y, S, average="micro"), True),
        (lambda Y, S: roc_auc_score(Y, S, average="macro"), True),
        (lambda Y, S: average_precision_score(Y, S, average="micro"), True),
        (lambda Y, S: average_precision_score(Y, S, average="macro"), True),
    ],
    ids=[
        "lrap",
        "coverage_error",
        "label_ranking_loss",
        "roc_auc_micro",
        "roc_auc_macro",
        "average_precision_micro",
        "average_precision_macro",
    ],
)
def test_ranking_metrics_beat_random_scores(outputs, metric, higher_is_better):
    """Check that predict_proba ranks labels better than random scores do."""
    Y, _, proba = outputs
    random_scores = np.random.default_rng(0).random(proba.shape)
    learned, chance = metric(Y, proba), metric(Y, random_scores)
    assert learned > chance if higher_is_better else learned < chance


def test_classification_report_has_one_entry_per_label(outputs):
    """Check that classification_report lists every label with its support."""
    Y, prediction, _ = outputs
    names = [f"label_{i}" for i in range(Y.shape[1])]
    report = classification_report(
        Y, prediction, target_names=names, output_dict=True, zero_division=0
    )
    assert [key for key in report if key.startswith("label_")] == names
    for i, name in enumerate(names):
        assert report[name]["support"] == Y[:, i].sum()
        assert 0 <= report[name]["f1-score"] <= 1
    assert {"micro avg", "macro avg", "weighted avg", "samples avg"} <= set(report)


def test_one_vs_rest_comparison_on_same_split(split):
    """Check that OneVsRest and our estimator give outputs usable side by side."""
    X_train, X_test, Y_train, Y_test = split
    ours = MultiLabelNNClassifier(**FAST).fit(X_train, Y_train)
    ovr = OneVsRestClassifier(LogisticRegression()).fit(X_train, Y_train)
    scores = {}
    for name, model in (("ours", ours), ("ovr", ovr)):
        prediction, proba = model.predict(X_test), model.predict_proba(X_test)
        assert prediction.shape == proba.shape == Y_test.shape
        assert set(np.unique(prediction)) <= {0, 1}
        scores[name] = np.array(
            [
                f1_score(Y_test, prediction, average="micro"),
                f1_score(Y_test, prediction, average="macro"),
                1 - hamming_loss(Y_test, prediction),
                label_ranking_average_precision_score(Y_test, proba),
                roc_auc_score(Y_test, proba, average="macro"),
            ]
        )
    for values in scores.values():
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
    # Both fit the same easy data: the network should be in the linear model's
    # league on every metric, not far behind it.
    assert np.all(scores["ours"] > scores["ovr"] - 0.1)


def test_pandas_dataframes_through_column_transformer(raw_data):
    """Check DataFrame X and Y through a ColumnTransformer pipeline."""
    pd = pytest.importorskip("pandas")
    X, Y = raw_data
    X_df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    X_df["site"] = np.where(X[:, 0] > np.median(X[:, 0]), "north", "south")
    Y_df = pd.DataFrame(Y, columns=list("abcde"))
    numeric = [f"f{i}" for i in range(X.shape[1])]
    pipe = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("scale", StandardScaler(), numeric),
                        ("encode", OneHotEncoder(sparse_output=False), ["site"]),
                    ]
                ),
            ),
            ("classifier", MultiLabelNNClassifier(**FAST)),
        ]
    ).fit(X_df, Y_df)
    assert_array_equal(pipe.feature_names_in_, X_df.columns)
    assert pipe.named_steps["classifier"].n_features_in_ == X.shape[1] + 2
    assert_array_equal(pipe.named_steps["classifier"].classes_, np.arange(5))
    prediction = pipe.predict(X_df.iloc[:50])
    assert isinstance(prediction, np.ndarray)
    assert prediction.shape == (50, 5)
    assert pipe.predict_proba(X_df.iloc[:50]).shape == (50, 5)
    assert f1_score(Y, pipe.predict(X_df), average="micro") > 0.6


def test_tfidf_text_pipeline_with_sparse_input():
    """Check a TfidfVectorizer pipeline: sparse features from text to labels."""
    docs, Y = _news_corpus()
    train_docs, test_docs = docs[:180], docs[180:]
    pipe = Pipeline(
        [
            ("tfidf", TfidfVectorizer()),
            ("classifier", MultiLabelNNClassifier(**{**FAST, "max_iter": 60})),
        ]
    ).fit(train_docs, Y[:180])
    features = pipe.named_steps["tfidf"].transform(test_docs)
    assert sp.issparse(features)
    assert pipe.named_steps["classifier"].n_features_in_ == features.shape[1]
    proba = pipe.predict_proba(test_docs)
    assert proba.shape == (60, 3)
    assert_allclose(
        proba, pipe.named_steps["classifier"].predict_proba(features.toarray())
    )
    assert f1_score(Y[180:], pipe.predict(test_docs), average="micro") > 0.9
