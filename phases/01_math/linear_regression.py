"""Exercise 1.4 (milestone): linear regression from scratch, two ways.

The model is y_hat = X w + b. Folding the bias into the weights with a column of ones,
Xb = [1 | X] and w = (b, w_1, ..., w_D), the mean squared error

    L(w) = (1/N) ||Xb w - y||^2,    grad L(w) = (2/N) Xb^T (Xb w - y)

is minimised either in closed form (the normal equations Xb^T Xb w = Xb^T y) or iteratively by
gradient descent. On the same data both must reach the same weights; the milestone checks that on
the diabetes data set.

Shapes: X is (N, D) float, y is (N,) float, weights are (D + 1,) float64 with the bias first.
"""
from __future__ import annotations

import numpy as np


def add_bias(X: np.ndarray) -> np.ndarray:
    """[1 | X]: X (N, D) with a leading column of ones, shape (N, D + 1), float64."""
    raise NotImplementedError("Exercise 1.4: implement add_bias (see its docstring)")


def _check(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X as float64 (N, D) and y as float64 (N,), or ValueError. Given."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"need X of shape (N, D) and y of shape (N,), got {X.shape} and {y.shape}")
    return X, y


def fit_normal_equations(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The least-squares weights (bias first), from the normal equations Xb^T Xb w = Xb^T y.

    Solve the (D + 1) x (D + 1) system with np.linalg.solve (never form an explicit inverse).
    Returns float64 (D + 1,). Raises ValueError for mismatched shapes.
    """
    raise NotImplementedError("Exercise 1.4: implement fit_normal_equations (see its docstring)")


def mse(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """L(w) = (1/N) sum_n (Xb w - y)_n^2, the mean squared error of weights w (bias first)."""
    raise NotImplementedError("Exercise 1.4: implement mse (see its docstring)")


def fit_gradient_descent(X: np.ndarray, y: np.ndarray, lr: float = 0.1, epochs: int = 1000) -> tuple[np.ndarray, list[float]]:
    """Full-batch gradient descent on the mean squared error, starting from w = 0 (bias first).

    Each epoch: record L(w) in the history, then update w <- w - lr * (2/N) Xb^T (Xb w - y).
    Returns (w, history): w float64 (D + 1,) after `epochs` updates, history a list of `epochs` floats
    where history[k] is the loss before update k (so history[0] is the loss at w = 0).
    Raises ValueError for mismatched shapes, lr <= 0 or epochs < 1.
    """
    raise NotImplementedError("Exercise 1.4: implement fit_gradient_descent (see its docstring)")


def predict(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """y_hat = Xb w for X (N, D) and weights w (D + 1,) with the bias first: float64 (N,).
    Raises ValueError when w does not have D + 1 entries."""
    raise NotImplementedError("Exercise 1.4: implement predict (see its docstring)")


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination R^2 = 1 - SS_res / SS_tot, where
    SS_res = sum (y - y_hat)^2 and SS_tot = sum (y - mean(y))^2.

    1 is a perfect fit, 0 is no better than predicting the mean, negative is worse than that.
    Raises ValueError for different shapes or a constant y_true (all values equal: SS_tot is 0 and
    R^2 is undefined). Test the values themselves for that: a computed SS_tot of a constant y_true
    can be rounding noise instead of exactly 0. Take SS_tot around the mean in two passes, not as
    sum(y^2) - N mean^2, which cancels catastrophically when |mean| is large next to the spread.
    """
    raise NotImplementedError("Exercise 1.4: implement r2_score (see its docstring)")
