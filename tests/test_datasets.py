import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sklearn_multilabel.datasets
from sklearn_multilabel.datasets import load_emotions, load_scene, load_yeast

SHARED_DATASETS_DIR = Path("/work/shared/datasets")

# Expected values from the table in the datasets' README (the Mulan split).
FACTS = ("name", "n_train", "n_test", "n_features", "n_labels", "cardinality", "author")
TABLE = [
    (load_yeast, "yeast", 1500, 917, 103, 14, 4.237, "Elisseeff"),
    (load_scene, "scene", 1211, 1196, 294, 6, 1.074, "Boutell"),
    (load_emotions, "emotions", 391, 202, 72, 6, 1.868, "Trohidis"),
]
DATASETS = [
    pytest.param(loader, dict(zip(FACTS, facts, strict=True)), id=facts[0])
    for loader, *facts in TABLE
]


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_loader_returns_standard_split_shapes(loader, expected):
    """Check that train and test arrays have the shapes of the Mulan split."""
    data = loader()

    n_features, n_labels = expected["n_features"], expected["n_labels"]
    assert data.X_train.shape == (expected["n_train"], n_features)
    assert data.Y_train.shape == (expected["n_train"], n_labels)
    assert data.X_test.shape == (expected["n_test"], n_features)
    assert data.Y_test.shape == (expected["n_test"], n_labels)


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_loader_returns_documented_dtypes(loader, expected):
    """Check that X is float32 as stored and Y is converted to int64."""
    data = loader()

    assert data.X_train.dtype == np.float32
    assert data.X_test.dtype == np.float32
    assert data.Y_train.dtype == np.int64
    assert data.Y_test.dtype == np.int64


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_loader_targets_are_indicator_matrices(loader, expected):
    """Check that Y holds only 0 and 1 and every label occurs in both splits."""
    data = loader()

    for Y in (data.Y_train, data.Y_test):
        assert_array_equal(np.unique(Y), [0, 1])
        assert np.all(Y.sum(axis=0) > 0)


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_loader_label_cardinality_matches_readme(loader, expected):
    """Check that the mean number of labels per sample matches the README."""
    data = loader()

    Y = np.vstack([data.Y_train, data.Y_test])
    cardinality = Y.sum(axis=1).mean()

    assert_allclose(cardinality, expected["cardinality"], atol=5e-4)


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_loader_names_are_unique_strings_per_column(loader, expected):
    """Check that feature and label names are unique str, one per column."""
    data = loader()

    assert data.feature_names.shape == (expected["n_features"],)
    assert data.label_names.shape == (expected["n_labels"],)
    for names in (data.feature_names, data.label_names):
        assert names.dtype.kind == "U"
        assert len(set(names.tolist())) == len(names)


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_loader_descr_cites_source(loader, expected):
    """Check that DESCR names the Mulan source and the paper to cite."""
    descr = loader().DESCR

    assert "Mulan" in descr
    assert expected["author"] in descr
    assert f"{expected['n_train']} train, {expected['n_test']} test" in descr
    assert f"{expected['cardinality']:.3f}" in descr


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_loader_return_X_y_matches_bunch(loader, expected):
    """Check that return_X_y=True gives the Bunch arrays in documented order."""
    data = loader()

    result = loader(return_X_y=True)

    assert isinstance(result, tuple)
    assert len(result) == 4
    expected_arrays = (data.X_train, data.Y_train, data.X_test, data.Y_test)
    for returned, reference in zip(result, expected_arrays, strict=True):
        assert returned.dtype == reference.dtype
        assert_array_equal(returned, reference)


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_loader_docstring_states_its_own_numbers(loader, expected):
    """Check that the shared docstring part carries each loader's numbers."""
    doc = loader.__doc__
    n_train, n_test = expected["n_train"], expected["n_test"]
    n_features, n_labels = expected["n_features"], expected["n_labels"]
    assert doc.startswith(f"Load the {expected['name']} ")
    assert f"Samples (train/test)  {n_train} / {n_test}\n" in doc
    assert f"Label cardinality     {expected['cardinality']}\n" in doc
    assert f"X_train : ndarray of shape ({n_train}, {n_features}), dtype=float32" in doc
    assert f"Y_test : ndarray of shape ({n_test}, {n_labels}), dtype=int64" in doc
    assert f"label_names : ndarray of shape ({n_labels},), dtype=str" in doc
    headings = [
        line
        for line in doc.splitlines()
        if line in ("Parameters", "Returns", "Examples")
    ]
    assert headings == ["Parameters", "Returns", "Examples"]
    assert f"import {loader.__name__}" in doc.split("Examples")[1]


@pytest.mark.parametrize("loader, expected", DATASETS)
def test_bundled_archive_equals_shared_copy(loader, expected):
    """Check that the bundled archive is byte-identical to the shared source."""
    filename = f"{expected['name']}.npz"
    source = SHARED_DATASETS_DIR / filename
    if not source.is_file():
        pytest.skip(f"{source} is not available to compare with")

    bundled = resources.files("sklearn_multilabel.datasets") / "data" / filename

    assert bundled.read_bytes() == source.read_bytes()


def test_datasets_import_does_not_load_keras():
    """Check that importing the loaders leaves TensorFlow and Keras unloaded."""
    code = (
        "import sys\n"
        "import sklearn_multilabel.datasets\n"
        "loaded = sorted({'tensorflow', 'keras'} & set(sys.modules))\n"
        "print(','.join(loaded))\n"
    )

    # `python -c` puts its working directory first on sys.path: running it
    # next to the package makes the child import the copy under test.
    package_parent = Path(sklearn_multilabel.datasets.__file__).parents[2]

    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=package_parent,
    )

    assert result.stdout.strip() == ""
