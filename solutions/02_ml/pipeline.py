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
        ### BEGIN SOLUTION
        for step in self.steps[:-1]:
            X = step.fit(X).transform(X)
        self.steps[-1].fit(X, y)
        return self
        ### END SOLUTION

    def _transform(self, X: np.ndarray) -> np.ndarray:
        """X passed through every fitted transformer's transform (nothing is refitted)."""
        ### BEGIN SOLUTION
        for step in self.steps[:-1]:
            X = step.transform(X)
        return X
        ### END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The model's predict on the transformed X."""
        ### BEGIN SOLUTION
        return self.steps[-1].predict(self._transform(X))
        ### END SOLUTION

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The model's predict_proba on the transformed X."""
        ### BEGIN SOLUTION
        return self.steps[-1].predict_proba(self._transform(X))
        ### END SOLUTION

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of predict(X) against y."""
        ### BEGIN SOLUTION
        return float(np.mean(self.predict(X) == np.asarray(y)))
        ### END SOLUTION


def learning_curve(make_model: Callable[[], object], X_train: np.ndarray, y_train: np.ndarray,
                   X_val: np.ndarray, y_val: np.ndarray, sizes: Sequence[int],
                   metric: Callable[[np.ndarray, np.ndarray], float]) -> tuple[np.ndarray, np.ndarray]:
    """Train on growing prefixes of the training set: for each n in sizes, a fresh model = make_model()
    is fit on the first n rows of (X_train, y_train) and scored with metric(y_true, y_pred) on those
    same n rows (train score) and on all of (X_val, y_val) (validation score).

    Returns (train_scores, val_scores), float64 arrays of len(sizes). Raises ValueError for a size
    outside 1..len(X_train).
    """
    ### BEGIN SOLUTION
    train_scores, val_scores = [], []
    for n in sizes:
        if not 1 <= n <= len(X_train):
            raise ValueError(f"size {n} outside 1..{len(X_train)}")
        model = make_model()
        model.fit(X_train[:n], y_train[:n])
        train_scores.append(metric(y_train[:n], model.predict(X_train[:n])))
        val_scores.append(metric(y_val, model.predict(X_val)))
    return np.array(train_scores, dtype=np.float64), np.array(val_scores, dtype=np.float64)
    ### END SOLUTION
