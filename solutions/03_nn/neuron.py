"""Exercise 3.2: one neuron, by hand; then two layers that solve XOR.

A single sigmoid neuron p = sigma(X w + b) trained with binary cross-entropy is logistic regression.
Its gradient has a famously simple form, derived by the chain rule:

    L = -(1/N) sum_n [y_n log p_n + (1 - y_n) log(1 - p_n)]
    dL/dz_n = (p_n - y_n) / N           (the sigmoid's derivative cancels the log's)
    dL/dw = X^T dL/dz,   dL/db = sum_n dL/dz_n

One neuron draws one straight line, so it cannot separate XOR. Two layers can: a tanh hidden layer
bends the plane, a sigmoid output reads off the class. This module is self-contained (NumPy only).
"""
from __future__ import annotations

import numpy as np

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def neuron_forward(w: np.ndarray, b: float, X: np.ndarray) -> np.ndarray:
    """p = sigma(X @ w + b) for X of shape (N, D), w of shape (D,), scalar b; returns shape (N,).

    Use a sigmoid that does not overflow for large |z|.
    """
    ### BEGIN SOLUTION
    z = X @ w + b
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    ### END SOLUTION


def bce_loss(p: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> float:
    """Mean binary cross-entropy -(1/N) sum [y log p + (1 - y) log(1 - p)], with p clipped to [eps, 1 - eps].

    Returns a Python float. Raises ValueError if p and y differ in shape.
    """
    ### BEGIN SOLUTION
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if p.shape != y.shape:
        raise ValueError(f"p has shape {p.shape} but y has shape {y.shape}")
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    ### END SOLUTION


def neuron_gradients(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """(dL/dw, dL/db) of bce_loss(neuron_forward(w, b, X), y), derived by hand (see the module docstring).

    dL/dw has the shape of w; dL/db is a Python float (summed over the batch).
    """
    ### BEGIN SOLUTION
    dz = (neuron_forward(w, b, X) - y) / len(y)
    return X.T @ dz, float(dz.sum())
    ### END SOLUTION


def init_two_layer(n_in: int, n_hidden: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Parameters of a two-layer network: W1 (n_in, n_hidden), b1 (n_hidden,), W2 (n_hidden,), b2 ().

    W1 and W2 ~ Normal(0, 1) from np.random.default_rng(seed), drawn in that order; biases start at 0.
    All float64.
    """
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(n_in, n_hidden)), "b1": np.zeros(n_hidden),
            "W2": rng.normal(size=n_hidden), "b2": np.zeros(())}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """p = sigma(tanh(X @ W1 + b1) @ W2 + b2), shape (N,)."""
    ### BEGIN SOLUTION
    h = np.tanh(X @ params["W1"] + params["b1"])
    return neuron_forward(params["W2"], params["b2"], h)
    ### END SOLUTION


def two_layer_gradients(params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of bce_loss(two_layer_forward(params, X), y) for every parameter, by the chain rule.

    Returns a dict with the keys and shapes of `params`. With h = tanh(a), a = X W1 + b1:
        dz2 = (p - y) / N,  dW2 = h^T dz2,  db2 = sum dz2,
        da = outer(dz2, W2) * (1 - h^2),  dW1 = X^T da,  db1 = sum over the batch of da.
    """
    ### BEGIN SOLUTION
    h = np.tanh(X @ params["W1"] + params["b1"])
    dz2 = (neuron_forward(params["W2"], params["b2"], h) - y) / len(y)
    da = np.outer(dz2, params["W2"]) * (1 - h * h)
    return {"W1": X.T @ da, "b1": da.sum(axis=0), "W2": h.T @ dz2, "b2": np.asarray(dz2.sum())}
    ### END SOLUTION


def train_xor(n_hidden: int = 8, lr: float = 1.0, steps: int = 2000, seed: int = 0) -> dict[str, np.ndarray]:
    """Full-batch gradient descent on the four XOR points from init_two_layer(2, n_hidden, seed).

    Each step: params[k] -= lr * grads[k]. Returns the trained parameters; with the defaults they
    classify all four points correctly (p > 0.5 exactly for the XOR-true points).
    """
    ### BEGIN SOLUTION
    params = init_two_layer(2, n_hidden, seed)
    for _ in range(steps):
        grads = two_layer_gradients(params, XOR_X, XOR_Y)
        for k in params:
            params[k] = params[k] - lr * grads[k]
    return params
    ### END SOLUTION
