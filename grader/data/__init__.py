"""Datasets for milestones and lessons, as NumPy arrays.

Small tabular sets that ship inside scikit-learn (work offline everywhere):
    diabetes(), breast_cancer(), digits(), iris()  ->  (X float64 [N, D], y [N])
"""
from __future__ import annotations

import numpy as np


def _sklearn(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets as skd
    bunch = getattr(skd, f"load_{name}")()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)


def diabetes():
    """442 patients, 10 standardized features, target: disease progression after one year (float)."""
    return _sklearn("diabetes")


def breast_cancer():
    """569 tumours, 30 features, target: 1 benign / 0 malignant (int)."""
    return _sklearn("breast_cancer")


def digits():
    """1797 8x8 handwritten digits flattened to 64 features in 0..16, target 0..9 (int)."""
    return _sklearn("digits")


def iris():
    """150 flowers, 4 features, target: 3 species (int)."""
    return _sklearn("iris")
