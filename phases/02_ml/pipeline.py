"""Exercise 2.6: a pipeline and a learning curve, the glue of the phase's milestone.

A Pipeline chains transformers (objects with fit/transform, like the scalers of Exercise 2.2) and a final
model (fit/predict, like the models of Exercise 2.4) so that every statistic is learned from the training
rows only: `fit` fits each transformer on the (transformed) training data; `predict` only *applies* the
fitted transformers. The milestone `grader check 2` runs your pipeline on the breast-cancer data.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


class Pipeline:
    """steps: transformers t_1..t_m (fit(X) -> self, transform(X)) followed by one model (fit(X, y),
    predict(X), and optionally predict_proba(X)). Raises ValueError for an empty list of steps."""

    def __init__(self, steps: Sequence[object]):
        if not steps:
            raise ValueError("a pipeline needs at least a model")
        self.steps = list(steps)

    def fit(self, X: np.ndarray, y: np.ndarray) -> "Pipeline":
        """For each transformer in order: fit it on the current X, then X = its transform(X). Then fit the
        model on the final X and y. Returns self."""
        raise NotImplementedError("Exercise 2.6: implement Pipeline.fit (see its docstring)")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        """X passed through every fitted transformer's transform (nothing is refitted)."""
        raise NotImplementedError("Exercise 2.6: implement Pipeline._transform (see its docstring)")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The model's predict on the transformed X."""
        raise NotImplementedError("Exercise 2.6: implement Pipeline.predict (see its docstring)")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The model's predict_proba on the transformed X."""
        raise NotImplementedError("Exercise 2.6: implement Pipeline.predict_proba (see its docstring)")

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of predict(X) against y."""
        raise NotImplementedError("Exercise 2.6: implement Pipeline.score (see its docstring)")


def learning_curve(make_model: Callable[[], object], X_train: np.ndarray, y_train: np.ndarray,
                   X_val: np.ndarray, y_val: np.ndarray, sizes: Sequence[int],
                   metric: Callable[[np.ndarray, np.ndarray], float]) -> tuple[np.ndarray, np.ndarray]:
    """Train on growing prefixes of the training set: for each n in sizes, a fresh model = make_model()
    is fit on the first n rows of (X_train, y_train) and scored with metric(y_true, y_pred) on those
    same n rows (train score) and on all of (X_val, y_val) (validation score).

    Returns (train_scores, val_scores), float64 arrays of len(sizes). Raises ValueError for a size
    outside 1..len(X_train).
    """
    raise NotImplementedError("Exercise 2.6: implement learning_curve (see its docstring)")
