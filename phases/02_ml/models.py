"""Exercise 2.4: linear models trained by full-batch gradient descent.

All three models start from zero weights and take `n_iters` gradient steps of size `lr` on a mean loss
over the N training rows plus a penalty on the weights (never on the intercept):

    LinearRegression     J = (1/2N) ||X w + b - y||^2              + l1 ||w||_1 + (l2/2) ||w||^2
    LogisticRegression   J = mean BCE(sigmoid(X w + b), y)          + (l2/2) ||w||^2
    SoftmaxRegression    J = mean CE(softmax(X W + b), y)           + (l2/2) ||W||^2

The gradient of each mean loss has a 1/N factor: X^T r / N where r is the residual (prediction - target,
or probability - one-hot). Each `fit` records J before every step in loss_history_ and returns self.
Every `fit` starts afresh from zero weights and an empty loss_history_, whatever an earlier fit left,
and never changes the hyperparameters given to __init__ (n_classes included).
Inputs: X float array (N, D); y as stated per model. `predict` before `fit` raises NotFittedError.
"""
from __future__ import annotations

import numpy as np


class NotFittedError(RuntimeError):
    """Raised when a method that needs fitted statistics or weights is called before `fit`."""


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Stable logistic function (you wrote it in Exercise 2.1; given here)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z: np.ndarray) -> np.ndarray:
    """Stable softmax along the last axis (you wrote it in Exercise 2.1; given here)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class LinearRegression:
    """Least squares with optional L1/L2 penalties. y: float (N,). coef_ (D,), intercept_ float."""

    def __init__(self, lr: float = 0.1, n_iters: int = 1000, l1: float = 0.0, l2: float = 0.0):
        self.lr, self.n_iters, self.l1, self.l2 = lr, n_iters, l1, l2
        self.coef_: np.ndarray | None = None
        self.intercept_: float = 0.0
        self.loss_history_: list[float] = []

    def fit(self, X: np.ndarray, y: np.ndarray) -> "LinearRegression":
        """n_iters steps: w <- w - lr (X^T r / N + l1 sign(w) + l2 w), b <- b - lr mean(r), r = X w + b - y."""
        raise NotImplementedError("Exercise 2.4: implement LinearRegression.fit (see its docstring)")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """X coef_ + intercept_, float64 (N,)."""
        raise NotImplementedError("Exercise 2.4: implement LinearRegression.predict (see its docstring)")

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Coefficient of determination R^2 = 1 - sum (y - y_hat)^2 / sum (y - mean y)^2."""
        raise NotImplementedError("Exercise 2.4: implement LinearRegression.score (see its docstring)")


class LogisticRegression:
    """Binary logistic regression. y: labels 0/1 (N,). coef_ (D,), intercept_ float."""

    def __init__(self, lr: float = 0.1, n_iters: int = 1000, l2: float = 0.0):
        self.lr, self.n_iters, self.l2 = lr, n_iters, l2
        self.coef_: np.ndarray | None = None
        self.intercept_: float = 0.0
        self.loss_history_: list[float] = []

    def fit(self, X: np.ndarray, y: np.ndarray) -> "LogisticRegression":
        """n_iters steps: w <- w - lr (X^T (p - y) / N + l2 w), b <- b - lr mean(p - y), p = sigmoid(X w + b).

        The recorded loss is computed from the logits z in the stable form max(z,0) - z y + log(1 + e^-|z|).
        """
        raise NotImplementedError("Exercise 2.4: implement LogisticRegression.fit (see its docstring)")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) = sigmoid(X coef_ + intercept_), float64 (N,)."""
        raise NotImplementedError("Exercise 2.4: implement LogisticRegression.predict_proba (see its docstring)")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class 1 where predict_proba >= 0.5, else 0; int64 (N,)."""
        raise NotImplementedError("Exercise 2.4: implement LogisticRegression.predict (see its docstring)")

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of predict(X) against y."""
        raise NotImplementedError("Exercise 2.4: implement LogisticRegression.score (see its docstring)")


class SoftmaxRegression:
    """Multinomial logistic regression. y: integer labels 0..K-1 (N,), K = n_classes or max(y) + 1.
    coef_ (D, K), intercept_ (K,)."""

    def __init__(self, lr: float = 0.1, n_iters: int = 1000, l2: float = 0.0, n_classes: int | None = None):
        self.lr, self.n_iters, self.l2, self.n_classes = lr, n_iters, l2, n_classes
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None
        self.loss_history_: list[float] = []

    def fit(self, X: np.ndarray, y: np.ndarray) -> "SoftmaxRegression":
        """n_iters steps: W <- W - lr (X^T (P - T) / N + l2 W), b <- b - lr mean_rows(P - T), with
        P = softmax(X W + b) and T the one-hot labels."""
        raise NotImplementedError("Exercise 2.4: implement SoftmaxRegression.fit (see its docstring)")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """softmax(X coef_ + intercept_), float64 (N, K); rows sum to 1."""
        raise NotImplementedError("Exercise 2.4: implement SoftmaxRegression.predict_proba (see its docstring)")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class per row, int64 (N,); a tie goes to the lowest class index (np.argmax)."""
        raise NotImplementedError("Exercise 2.4: implement SoftmaxRegression.predict (see its docstring)")

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of predict(X) against y."""
        raise NotImplementedError("Exercise 2.4: implement SoftmaxRegression.score (see its docstring)")
