"""Real multi-label benchmark datasets shipped with the package.

The loaders only need numpy and scikit-learn: importing this module does not
import TensorFlow or Keras.
"""

from sklearn_multilabel.datasets._base import load_emotions, load_scene, load_yeast

__all__ = ["load_emotions", "load_scene", "load_yeast"]
