"""Exercise 1.2: numeric calculus.

Finite differences turn any function you can evaluate into one you can differentiate, slowly and
approximately. They are how every later phase checks the gradients it derives by hand or by autograd.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def derivative(f: Callable[[float], float], x: float, h: float = 1e-5) -> float:
    """f'(x) by the central difference (f(x + h) - f(x - h)) / (2h).

    The truncation error is O(h^2); a one-sided difference (f(x + h) - f(x)) / h is only O(h).
    Returns a Python float. Raises ValueError if h <= 0.
    """
    ### BEGIN SOLUTION
    if h <= 0:
        raise ValueError(f"step h must be positive, got {h}")
    return float((f(x + h) - f(x - h)) / (2 * h))
    ### END SOLUTION


def gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """The gradient of a scalar function f: R^n -> R at x, one central difference per coordinate.

    x may have any shape; the result is float64 with the same shape, grad[i] = df/dx_i.
    The caller's x is not modified.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad
    ### END SOLUTION


def jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """The Jacobian of f: R^n -> R^m at a 1-D point x: J[i, j] = d f_i / d x_j, shape (m, n), float64.

    A scalar-valued f gives shape (1, n). The caller's x is not modified.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64).ravel()
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((np.atleast_1d(f(x + step)) - np.atleast_1d(f(x - step))).ravel() / (2 * h))
    return np.stack(columns, axis=1)
    ### END SOLUTION


def gradient_check(f: Callable[[np.ndarray], float], analytic_grad: np.ndarray, x: np.ndarray, h: float = 1e-5) -> float:
    """Relative error between an analytic gradient and the numeric one at x:

        max |analytic - numeric| / max(max |analytic|, max |numeric|, 1e-12)

    About 1e-7 or less means the analytic gradient is right; 1e-2 or more means it is wrong.
    Raises ValueError when analytic_grad and x differ in shape.
    """
    ### BEGIN SOLUTION
    analytic = np.asarray(analytic_grad, dtype=np.float64)
    if analytic.shape != np.shape(x):
        raise ValueError(f"analytic gradient has shape {analytic.shape}, but x has shape {np.shape(x)}")
    numeric = gradient(f, x, h)
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)
    return float(np.abs(analytic - numeric).max(initial=0.0) / scale)
    ### END SOLUTION
