"""Module paths of releases before the subpackage layout, for old pickles.

A pickle names each object's class by its module; estimators pickled
before the layout change name ``sklearn_multilabel._classifier`` and
``sklearn_multilabel._tuning``. Those names stay importable as aliases of
the modules that now hold the classes.
"""

import importlib
import sys

LEGACY_MODULES = {
    "sklearn_multilabel._classifier": "sklearn_multilabel.neural_network._classifier",
    "sklearn_multilabel._scikeras": "sklearn_multilabel.neural_network._scikeras",
    "sklearn_multilabel._persistence": "sklearn_multilabel.neural_network._persistence",
    "sklearn_multilabel._tuning": "sklearn_multilabel.thresholds._search",
    "sklearn_multilabel._tuner": "sklearn_multilabel.thresholds._tuner",
}


def register_legacy_modules():
    """Make each legacy module name an alias of the module now in its place."""
    for legacy, current in LEGACY_MODULES.items():
        sys.modules.setdefault(legacy, importlib.import_module(current))
