"""Exercise 2.3: gradient-based optimisers in NumPy.

Each optimiser owns a learning rate and whatever state it needs (velocities, moment estimates), and
`step(params, grads)` updates a list of float arrays *in place* (params[i][...] = ..., or -=), so a
model that holds those arrays sees the new values without being told. State is kept per position in
the list and created on the first step.
"""
from __future__ import annotations

import numpy as np


def _check(params: list[np.ndarray], grads: list[np.ndarray]) -> None:
    if len(params) != len(grads):
        raise ValueError(f"{len(params)} parameters but {len(grads)} gradients")
    for i, (p, g) in enumerate(zip(params, grads)):
        if np.shape(p) != np.shape(g):
            raise ValueError(f"parameter {i} has shape {np.shape(p)} but its gradient has shape {np.shape(g)}")


class GradientDescent:
    """Plain gradient descent: p <- p - lr * g."""

    def __init__(self, lr: float = 0.01):
        self.lr = lr

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every array of params in place. Raises ValueError when the lists or shapes differ."""
        ### BEGIN SOLUTION
        _check(params, grads)
        for p, g in zip(params, grads):
            p -= self.lr * g
        ### END SOLUTION


class Momentum:
    """Heavy-ball momentum: v <- beta v + g;  p <- p - lr v, with v = 0 before the first step."""

    def __init__(self, lr: float = 0.01, beta: float = 0.9):
        self.lr, self.beta = lr, beta
        self.velocity: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update velocities and params in place. Raises ValueError when the lists or shapes differ."""
        ### BEGIN SOLUTION
        _check(params, grads)
        if self.velocity is None:
            self.velocity = [np.zeros_like(p, dtype=np.float64) for p in params]
        for p, g, v in zip(params, grads, self.velocity):
            v *= self.beta
            v += g
            p -= self.lr * v
        ### END SOLUTION


class Adam:
    """Adam (Kingma & Ba, 2015). With step counter t starting at 1 and m = v = 0 before the first step:

        m <- b1 m + (1 - b1) g            v <- b2 v + (1 - b2) g^2
        m_hat = m / (1 - b1^t)            v_hat = v / (1 - b2^t)        (bias correction)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    Without the bias correction the first steps are far too small, because m and v start at 0.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One Adam update of every array of params, in place; increments t. Raises ValueError when the
        lists or shapes differ."""
        ### BEGIN SOLUTION
        _check(params, grads)
        if self.m is None:
            self.m = [np.zeros_like(p, dtype=np.float64) for p in params]
            self.v = [np.zeros_like(p, dtype=np.float64) for p in params]
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        ### END SOLUTION
