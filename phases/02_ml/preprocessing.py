"""Exercise 2.2: preprocessing and evaluation.

Scalers learn statistics on the training split only (`fit`) and then apply those stored statistics to
any data (`transform`): refitting on validation or test data leaks information about it into the model.
Splits and folds decide which rows a model may learn from; the metrics say how well it did.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np


class NotFittedError(RuntimeError):
    """Raised when a method that needs fitted statistics or weights is called before `fit`."""


class StandardScaler:
    """Standardise each column: (X - mean_) / scale_, with mean_ and scale_ (population std, ddof=0)
    learned by `fit` on X of shape (N, D). A constant column (all its values equal) has std 0; its
    scale_ is set to 1 so the result is 0, never NaN. Recognise it from its values: the computed std of
    a constant column can be rounding noise (about 1e-17) instead of exactly 0, and dividing by that
    blows the noise up to +-1. `transform` and `inverse_transform` before `fit` raise NotFittedError."""

    def __init__(self):
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> "StandardScaler":
        """Learn mean_ and scale_ (float64, shape (D,)) from X; returns self."""
        raise NotImplementedError("Exercise 2.2: implement StandardScaler.fit (see its docstring)")

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(X - mean_) / scale_ with the statistics stored by `fit` (never recomputed from X), float64."""
        raise NotImplementedError("Exercise 2.2: implement StandardScaler.transform (see its docstring)")

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Undo `transform`: Z * scale_ + mean_, float64."""
        raise NotImplementedError("Exercise 2.2: implement StandardScaler.inverse_transform (see its docstring)")

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """fit(X), then transform(X)."""
        return self.fit(X).transform(X)


class MinMaxScaler:
    """Map each column linearly onto feature_range = (lo, hi) using the column's min and max learned by
    `fit`: lo + (X - data_min_) / data_range_ * (hi - lo). A constant column has range 0; its
    data_range_ is set to 1 so it maps to lo, never NaN. Before `fit`, transforms raise NotFittedError."""

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)):
        self.feature_range = feature_range
        self.data_min_: np.ndarray | None = None
        self.data_range_: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> "MinMaxScaler":
        """Learn data_min_ and data_range_ (float64, shape (D,)) from X; returns self."""
        raise NotImplementedError("Exercise 2.2: implement MinMaxScaler.fit (see its docstring)")

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Scale X with the stored data_min_ / data_range_ (values outside the fitted range map outside
        feature_range; nothing is clipped), float64."""
        raise NotImplementedError("Exercise 2.2: implement MinMaxScaler.transform (see its docstring)")

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Undo `transform`, float64."""
        raise NotImplementedError("Exercise 2.2: implement MinMaxScaler.inverse_transform (see its docstring)")

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """fit(X), then transform(X)."""
        return self.fit(X).transform(X)


def train_test_split(X: np.ndarray, y: np.ndarray, test_size: float = 0.25, seed: int = 0,
                     stratify: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows with np.random.default_rng(seed) and split them into (X_train, X_test, y_train, y_test).

    Without stratify the test split holds ceil(test_size * N) rows. With stratify, each class c of y
    (n_c rows) puts round(test_size * n_c) of its rows in the test split, so both splits keep the class
    proportions; `round` is Python's, which sends halves to the even integer (round(2.5) == 2, round(3.5)
    == 4). Which rows go to the test split is random (every row equally likely), and both splits come in
    shuffled order, classes mixed, never sorted by row or by class. Every row lands in exactly one
    split; the same seed gives the same split. X and y keep their dtypes.
    Raises ValueError unless 0 < test_size < 1 and len(X) == len(y).
    """
    raise NotImplementedError("Exercise 2.2: implement train_test_split (see its docstring)")


class KFold:
    """K-fold cross-validation indices for N samples.

    The samples (in order 0..N-1, or permuted by np.random.default_rng(seed).permutation(N) when
    shuffle=True) are cut into n_splits contiguous folds; the first N % n_splits folds hold one extra
    sample. `split(N)` yields (train_idx, test_idx) int arrays, one pair per fold, each fold the test
    set exactly once. Raises ValueError if n_splits < 2 or n_splits > N.
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = False, seed: int = 0):
        self.n_splits, self.shuffle, self.seed = n_splits, shuffle, seed

    def split(self, n_samples: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (train_idx, test_idx) for each of the n_splits folds, in order."""
        raise NotImplementedError("Exercise 2.2: implement KFold.split (see its docstring)")


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of positions where y_pred equals y_true (a float in [0, 1])."""
    raise NotImplementedError("Exercise 2.2: implement accuracy (see its docstring)")


def cross_val_score(make_model: Callable[[], object], X: np.ndarray, y: np.ndarray, n_splits: int = 5,
                    seed: int = 0, metric: Callable[[np.ndarray, np.ndarray], float] = accuracy) -> np.ndarray:
    """Score a fresh model per fold: for each (train, test) of KFold(n_splits, shuffle=True, seed=seed),
    model = make_model(); model.fit(X[train], y[train]); score metric(y[test], model.predict(X[test])).

    Returns a float64 array of n_splits scores, in fold order.
    """
    raise NotImplementedError("Exercise 2.2: implement cross_val_score (see its docstring)")


def precision_recall_f1(y_true: np.ndarray, y_pred: np.ndarray, positive=1) -> tuple[float, float, float]:
    """Binary precision TP / (TP + FP), recall TP / (TP + FN) and F1 = 2 P R / (P + R) for the class
    `positive`. A ratio whose denominator is 0 is defined as 0.0 (no warning, no NaN)."""
    raise NotImplementedError("Exercise 2.2: implement precision_recall_f1 (see its docstring)")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j, for integer labels 0..K-1.

    K is n_classes, or 1 + the largest label in y_true and y_pred. int64, shape (K, K); rows sum to the
    class counts of y_true.
    """
    raise NotImplementedError("Exercise 2.2: implement confusion_matrix (see its docstring)")
