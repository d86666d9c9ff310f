"""Loaders for the multi-label benchmark datasets bundled with the package."""

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

_DATA_PACKAGE = "sklearn_multilabel.datasets"


def _load_mulan_dataset(name, *, return_X_y):
    """Load one bundled dataset of the Mulan collection with its standard split.

    Parameters
    ----------
    name : str
        Name of the dataset: the archive is ``data/<name>.npz`` and its
        description ``descr/<name>.rst`` inside this package.

    return_X_y : bool
        If True, return ``(X_train, Y_train, X_test, Y_test)`` instead of a
        :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple of ndarray
        The Bunch has the keys ``X_train``, ``Y_train``, ``X_test``,
        ``Y_test``, ``feature_names``, ``label_names`` and ``DESCR``. ``X_*``
        are float32 as stored; ``Y_*`` are converted from the stored int8 to
        int64 0/1 indicator matrices.
    """
    package_root = resources.files(_DATA_PACKAGE)
    # Opening through importlib.resources rather than a filesystem path keeps
    # the loaders working when the package is imported from a zip archive.
    with (
        (package_root / "data" / f"{name}.npz").open("rb") as file,
        np.load(file, allow_pickle=False) as archive,
    ):
        X_train = archive["X_train"]
        X_test = archive["X_test"]
        Y_train = archive["Y_train"].astype(np.int64)
        Y_test = archive["Y_test"].astype(np.int64)
        feature_names = archive["feature_names"]
        label_names = archive["label_names"]

    if return_X_y:
        return X_train, Y_train, X_test, Y_test

    descr = (package_root / "descr" / f"{name}.rst").read_text(encoding="utf-8")
    return Bunch(
        X_train=X_train,
        Y_train=Y_train,
        X_test=X_test,
        Y_test=Y_test,
        feature_names=feature_names,
        label_names=label_names,
        DESCR=descr,
    )


def load_yeast(*, return_X_y=False):
    """Load the yeast gene-function dataset (multi-label classification).

    2,417 genes described by 103 numeric features, each annotated with any of
    14 functional classes (4.237 classes per gene on average). The standard
    split of the Mulan collection is kept: 1,500 training and 917 test genes.

    ===================   ===============
    Samples (train/test)  1500 / 917
    Features              103, real
    Labels                14
    Label cardinality     4.237
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

        X_train : ndarray of shape (1500, 103), dtype=float32
            Training features, as distributed.
        Y_train : ndarray of shape (1500, 14), dtype=int64
            Training labels as a 0/1 indicator matrix.
        X_test : ndarray of shape (917, 103), dtype=float32
            Test features.
        Y_test : ndarray of shape (917, 14), dtype=int64
            Test labels as a 0/1 indicator matrix.
        feature_names : ndarray of shape (103,), dtype=str
            Names of the feature columns.
        label_names : ndarray of shape (14,), dtype=str
            Names of the label columns, in the order of the columns of ``Y_*``.
        DESCR : str
            Description of the dataset, with its source and citation.

    (X_train, Y_train, X_test, Y_test) : tuple of ndarray
        Returned instead of the Bunch when ``return_X_y`` is True.

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


def load_scene(*, return_X_y=False):
    """Load the scene image dataset (multi-label classification).

    2,407 natural scene images described by 294 colour features, each
    annotated with any of 6 scene types (beach, sunset, fall foliage, field,
    mountain, urban; 1.074 per image on average). The standard split of the
    Mulan collection is kept: 1,211 training and 1,196 test images.

    ===================   ===============
    Samples (train/test)  1211 / 1196
    Features              294, real
    Labels                6
    Label cardinality     1.074
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

        X_train : ndarray of shape (1211, 294), dtype=float32
            Training features, as distributed.
        Y_train : ndarray of shape (1211, 6), dtype=int64
            Training labels as a 0/1 indicator matrix.
        X_test : ndarray of shape (1196, 294), dtype=float32
            Test features.
        Y_test : ndarray of shape (1196, 6), dtype=int64
            Test labels as a 0/1 indicator matrix.
        feature_names : ndarray of shape (294,), dtype=str
            Names of the feature columns.
        label_names : ndarray of shape (6,), dtype=str
            Names of the label columns, in the order of the columns of ``Y_*``.
        DESCR : str
            Description of the dataset, with its source and citation.

    (X_train, Y_train, X_test, Y_test) : tuple of ndarray
        Returned instead of the Bunch when ``return_X_y`` is True.

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


def load_emotions(*, return_X_y=False):
    """Load the emotions music dataset (multi-label classification).

    593 music clips described by 72 rhythmic and timbre features, each
    annotated with any of 6 emotion groups (1.868 per clip on average). The
    standard split of the Mulan collection is kept: 391 training and 202 test
    clips.

    ===================   ===============
    Samples (train/test)  391 / 202
    Features              72, real
    Labels                6
    Label cardinality     1.868
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

        X_train : ndarray of shape (391, 72), dtype=float32
            Training features, as distributed.
        Y_train : ndarray of shape (391, 6), dtype=int64
            Training labels as a 0/1 indicator matrix.
        X_test : ndarray of shape (202, 72), dtype=float32
            Test features.
        Y_test : ndarray of shape (202, 6), dtype=int64
            Test labels as a 0/1 indicator matrix.
        feature_names : ndarray of shape (72,), dtype=str
            Names of the feature columns.
        label_names : ndarray of shape (6,), dtype=str
            Names of the label columns, in the order of the columns of ``Y_*``.
        DESCR : str
            Description of the dataset, with its source and citation.

    (X_train, Y_train, X_test, Y_test) : tuple of ndarray
        Returned instead of the Bunch when ``return_X_y`` is True.

    Examples
    --------
    >>> from sklearn_multilabel.datasets import load_emotions
    >>> X_train, Y_train, X_test, Y_test = load_emotions(return_X_y=True)
    >>> X_train.shape, Y_train.shape, X_test.shape, Y_test.shape
    ((391, 72), (391, 6), (202, 72), (202, 6))
    """
    return _load_mulan_dataset("emotions", return_X_y=return_X_y)
