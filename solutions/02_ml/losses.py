"""Exercise 2.1: losses and regularization, each with its gradient.

A loss turns predictions and targets into one number to minimise; its gradient with respect to the
predictions (or logits) is what every optimiser in this phase follows. All losses here are *means over
the samples*, so their gradients carry a 1/N factor. Losses return Python floats; gradients return
float64 arrays shaped like the predictions.
"""
from __future__ import annotations

import numpy as np


def mse(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """Mean squared error over every entry: L = (1/M) sum_i (y_pred_i - y_true_i)^2, M = y_pred.size.

    y_pred and y_true have the same shape, e.g. (N,) or (N, K). Raises ValueError when the shapes differ.
    """
    ### BEGIN SOLUTION
    y_pred, y_true = np.asarray(y_pred, dtype=np.float64), np.asarray(y_true, dtype=np.float64)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"shapes differ: y_pred {y_pred.shape}, y_true {y_true.shape}")
    return float(np.mean((y_pred - y_true) ** 2))
    ### END SOLUTION


def mse_grad(y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """dL/dy_pred for `mse`: 2 (y_pred - y_true) / M, float64, shaped like y_pred."""
    ### BEGIN SOLUTION
    y_pred, y_true = np.asarray(y_pred, dtype=np.float64), np.asarray(y_true, dtype=np.float64)
    return 2.0 * (y_pred - y_true) / y_pred.size
    ### END SOLUTION


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), float64, without overflow for any finite z.

    For z >= 0 use 1 / (1 + exp(-z)); for z < 0 the equal form exp(z) / (1 + exp(z)), so exp never
    sees a large positive argument.
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def binary_cross_entropy(p: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> float:
    """Mean binary cross-entropy from probabilities, shape (N,):

        L = -(1/N) sum_n [ y_n log p_n + (1 - y_n) log(1 - p_n) ]

    p is first clipped to [eps, 1 - eps] so that p = 0 or 1 gives a large finite loss, not inf.
    """
    ### BEGIN SOLUTION
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(y, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))
    ### END SOLUTION


def binary_cross_entropy_grad(p: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """dL/dp for `binary_cross_entropy` at the clipped p: (p - y) / (p (1 - p)) / N, float64, shape (N,)."""
    ### BEGIN SOLUTION
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(y, dtype=np.float64)
    return (p - y) / (p * (1.0 - p)) / p.size
    ### END SOLUTION


def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of sigmoid(z) against y, computed from the logits z, shape (N,).

    Stable form: per sample max(z, 0) - z y + log(1 + exp(-|z|)), equal to the textbook formula but
    finite for any finite z (z = +-1000 included).
    """
    ### BEGIN SOLUTION
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))
    ### END SOLUTION


def binary_cross_entropy_with_logits_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dz for `binary_cross_entropy_with_logits`: (sigmoid(z) - y) / N, float64, shape (N,)."""
    ### BEGIN SOLUTION
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return (sigmoid(z) - y) / z.size
    ### END SOLUTION


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax along the last axis: z_k - m - log sum_j exp(z_j - m), with m = max_j z_j.

    Subtracting the row maximum m changes nothing mathematically and keeps exp from overflowing.
    float64, same shape as z.
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    ### END SOLUTION


def softmax(z: np.ndarray) -> np.ndarray:
    """softmax along the last axis: exp(z_k - m) / sum_j exp(z_j - m), m the row maximum. Rows sum to 1."""
    ### BEGIN SOLUTION
    return np.exp(log_softmax(z))
    ### END SOLUTION


def one_hot(labels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Targets as float64 rows of `shape` (N, K): integer labels (N,) become one-hot rows; (N, K) rows
    are returned as float64 unchanged. Raises ValueError for any other shape. (Given, not an exercise.)"""
    labels = np.asarray(labels)
    if labels.shape == shape:
        return labels.astype(np.float64)
    if labels.shape != shape[:1]:
        raise ValueError(f"labels of shape {labels.shape} do not fit logits of shape {shape}")
    onehot = np.zeros(shape)
    onehot[np.arange(shape[0]), labels.astype(np.int64)] = 1.0
    return onehot


def categorical_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of softmax(logits) against the labels, from logits of shape (N, K):

        L = -(1/N) sum_n sum_k t_nk log softmax(logits)_nk

    labels are integer classes, shape (N,), or one-hot (or any probability rows), shape (N, K).
    Uses log_softmax, so logits of +-1000 give a finite loss. Raises ValueError for labels of another shape.
    """
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    t = one_hot(labels, logits.shape)
    return float(-np.sum(t * log_softmax(logits)) / logits.shape[0])
    ### END SOLUTION


def categorical_cross_entropy_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """dL/dlogits for `categorical_cross_entropy`: (softmax(logits) - t) / N, float64, shape (N, K)."""
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    t = one_hot(labels, logits.shape)
    return (softmax(logits) - t) / logits.shape[0]
    ### END SOLUTION


def l1_penalty(w: np.ndarray, lam: float) -> float:
    """L1 (lasso) penalty lam * sum |w_i|."""
    ### BEGIN SOLUTION
    return float(lam * np.abs(np.asarray(w, dtype=np.float64)).sum())
    ### END SOLUTION


def l1_grad(w: np.ndarray, lam: float) -> np.ndarray:
    """A subgradient of `l1_penalty`: lam * sign(w), taking 0 at w_i = 0. float64, shaped like w."""
    ### BEGIN SOLUTION
    return lam * np.sign(np.asarray(w, dtype=np.float64))
    ### END SOLUTION


def l2_penalty(w: np.ndarray, lam: float) -> float:
    """L2 (ridge, weight decay) penalty (lam / 2) * sum w_i^2; the 1/2 makes its gradient lam * w."""
    ### BEGIN SOLUTION
    w = np.asarray(w, dtype=np.float64)
    return float(0.5 * lam * np.sum(w * w))
    ### END SOLUTION


def l2_grad(w: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of `l2_penalty`: lam * w, float64, shaped like w."""
    ### BEGIN SOLUTION
    return lam * np.asarray(w, dtype=np.float64)
    ### END SOLUTION
