"""Loaders for the multi-label benchmark datasets bundled with the package."""

import inspect
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

_DATA_PACKAGE = "sklearn_multilabel.datasets"
# Arrays of every bundled archive, in the order of the Bunch and of return_X_y.
_SPLIT_KEYS = ("X_train", "Y_train", "X_test", "Y_test")
_NAME_KEYS = ("feature_names", "label_names")

# The part of the loaders' docstrings that only differs by the numbers.
_SHARED_DOC = """
===================   ===============
Samples (train/test)  {n_train} / {n_test}
Features              {n_features}, real
Labels                {n_labels}
Label cardinality     {cardinality}
===================   ===============

Read more in the ``DESCR`` of the returned Bunch.

Parameters
----------
return_X_y : bool, default=False
    If True, return ``(X_train, Y_train, X_test, Y_test)`` instead of a
    Bunch object.

Returns
-------
data : :class:`~sklearn.utils.Bunch`
    Dictionary-like object with the following attributes.

    X_train : ndarray of shape ({n_train}, {n_features}), dtype=float32
        Training features, as distributed.
    Y_train : ndarray of shape ({n_train}, {n_labels}), dtype=int64
        Training labels as a 0/1 indicator matrix.
    X_test : ndarray of shape ({n_test}, {n_features}), dtype=float32
        Test features.
    Y_test : ndarray of shape ({n_test}, {n_labels}), dtype=int64
        Test labels as a 0/1 indicator matrix.
    feature_names : ndarray of shape ({n_features},), dtype=str
        Names of the feature columns.
    label_names : ndarray of shape ({n_labels},), dtype=str
        Names of the label columns, in the order of the columns of ``Y_*``.
    DESCR : str
        Description of the dataset, with its source and citation.

(X_train, Y_train, X_test, Y_test) : tuple of ndarray
    Returned instead of the Bunch when ``return_X_y`` is True.
"""


def _load_mulan_dataset(name, *, return_X_y):
    """Load ``data/<name>.npz`` with its split, Y as int64, and ``descr/<name>.rst``.

    Returns the four split arrays when `return_X_y`, else the Bunch.
    """
    package_root = resources.files(_DATA_PACKAGE)
    # Opening through importlib.resources rather than a filesystem path keeps
    # the loaders working when the package is imported from a zip archive.
    with (
        (package_root / "data" / f"{name}.npz").open("rb") as file,
        np.load(file, allow_pickle=False) as archive,
    ):
        arrays = {key: archive[key] for key in _SPLIT_KEYS + _NAME_KEYS}
    for key in ("Y_train", "Y_test"):
        arrays[key] = arrays[key].astype(np.int64)
    if return_X_y:
        return tuple(arrays[key] for key in _SPLIT_KEYS)
    descr = (package_root / "descr" / f"{name}.rst").read_text(encoding="utf-8")
    return Bunch(**arrays, DESCR=descr)


def _mulan_docs(**numbers):
    """Complete a loader's docstring with the shared table, parameters and returns.

    The shared part goes before the loader's own Examples section.
    """

    def document(loader):
        own = inspect.cleandoc(loader.__doc__)
        summary, examples = own.split("\n\nExamples\n", 1)
        shared = _SHARED_DOC.format(**numbers)
        loader.__doc__ = f"{summary}\n{shared}\nExamples\n{examples}\n"
        return loader

    return document


@_mulan_docs(n_train=1500, n_test=917, n_features=103, n_labels=14, cardinality=4.237)
def load_yeast(*, return_X_y=False):
    """Load the yeast gene-function dataset (multi-label classification).

    2,417 genes described by 103 numeric features, each annotated with any of
    14 functional classes (4.237 classes per gene on average). The standard
    split of the Mulan collection is kept: 1,500 training and 917 test genes.

    Examples
    --------
    >>> from sklearn_multilabel.datasets import load_yeast
    >>> yeast = load_yeast()
    >>> yeast.X_train.shape, yeast.Y_train.shape
    ((1500, 103), (1500, 14))
    >>> yeast.label_names[:3].tolist()
    ['Class1', 'Class2', 'Class3']
    """
    return _load_mulan_dataset("yeast", return_X_y=return_X_y)


@_mulan_docs(n_train=1211, n_test=1196, n_features=294, n_labels=6, cardinality=1.074)
def load_scene(*, return_X_y=False):
    """Load the scene image dataset (multi-label classification).

    2,407 natural scene images described by 294 colour features, each
    annotated with any of 6 scene types (beach, sunset, fall foliage, field,
    mountain, urban; 1.074 per image on average). The standard split of the
    Mulan collection is kept: 1,211 training and 1,196 test images.

    Examples
    --------
    >>> from sklearn_multilabel.datasets import load_scene
    >>> scene = load_scene()
    >>> scene.X_test.shape, scene.Y_test.shape
    ((1196, 294), (1196, 6))
    >>> scene.label_names.tolist()
    ['Beach', 'Sunset', 'FallFoliage', 'Field', 'Mountain', 'Urban']
    """
    return _load_mulan_dataset("scene", return_X_y=return_X_y)


@_mulan_docs(n_train=391, n_test=202, n_features=72, n_labels=6, cardinality=1.868)
def load_emotions(*, return_X_y=False):
    """Load the emotions music dataset (multi-label classification).

    593 music clips described by 72 rhythmic and timbre features, each
    annotated with any of 6 emotion groups (1.868 per clip on average). The
    standard split of the Mulan collection is kept: 391 training and 202 test
    clips.

    Examples
    --------
    >>> from sklearn_multilabel.datasets import load_emotions
    >>> X_train, Y_train, X_test, Y_test = load_emotions(return_X_y=True)
    >>> X_train.shape, Y_train.shape, X_test.shape, Y_test.shape
    ((391, 72), (391, 6), (202, 72), (202, 6))
    """
    return _load_mulan_dataset("emotions", return_X_y=return_X_y)
