"""Exercise 3.1: activation functions and their derivatives.

A neural network is alternating linear maps and element-wise nonlinearities. Each nonlinearity below
comes with its derivative, which backpropagation multiplies into the upstream gradient. Every function
takes the pre-activation `z` (any shape; a Python float or a 0-d array gives a 0-d result), returns an
array of the same shape, and keeps a floating dtype (float32 in, float32 out; integer input is computed
in float64). None of them modifies `z`.
"""
from __future__ import annotations

import math

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + exp(-z)), in (0, 1).

    Stable for large |z|: exp is only ever taken of -|z|, so neither overflow warnings nor NaN occur
    (sigmoid(-1000) is 0, sigmoid(1000) is 1).
    """
    raise NotImplementedError("Exercise 3.1: implement sigmoid (see its docstring)")


def sigmoid_grad(z: np.ndarray) -> np.ndarray:
    """d sigma / dz = sigma(z) * (1 - sigma(z)); at most 1/4 (at z = 0)."""
    raise NotImplementedError("Exercise 3.1: implement sigmoid_grad (see its docstring)")


def tanh(z: np.ndarray) -> np.ndarray:
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z), in (-1, 1)."""
    raise NotImplementedError("Exercise 3.1: implement tanh (see its docstring)")


def tanh_grad(z: np.ndarray) -> np.ndarray:
    """d tanh / dz = 1 - tanh(z)^2."""
    raise NotImplementedError("Exercise 3.1: implement tanh_grad (see its docstring)")


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0)."""
    raise NotImplementedError("Exercise 3.1: implement relu (see its docstring)")


def relu_grad(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0 (the convention at z = 0 is 0)."""
    raise NotImplementedError("Exercise 3.1: implement relu_grad (see its docstring)")


def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """z where z > 0, alpha * z otherwise."""
    raise NotImplementedError("Exercise 3.1: implement leaky_relu (see its docstring)")


def leaky_relu_grad(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """1 where z > 0, alpha otherwise."""
    raise NotImplementedError("Exercise 3.1: implement leaky_relu_grad (see its docstring)")


def gelu(z: np.ndarray, approximate: str = "tanh") -> np.ndarray:
    """Gaussian error linear unit, z * Phi(z), Phi the standard normal CDF.

    approximate="none":  z * 0.5 * (1 + erf(z / sqrt(2)))                       (exact)
    approximate="tanh":  0.5 * z * (1 + tanh(sqrt(2/pi) * (z + 0.044715 z^3)))  (the usual approximation)
    Raises ValueError for any other `approximate`.
    """
    raise NotImplementedError("Exercise 3.1: implement gelu (see its docstring)")


def gelu_grad(z: np.ndarray, approximate: str = "tanh") -> np.ndarray:
    """d gelu / dz for the same two forms.

    exact:  Phi(z) + z * phi(z), with phi(z) = exp(-z^2 / 2) / sqrt(2 pi)
    tanh:   with u = sqrt(2/pi) (z + 0.044715 z^3) and t = tanh(u):
            0.5 (1 + t) + 0.5 z (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 z^2)
    Raises ValueError for any other `approximate`.
    """
    raise NotImplementedError("Exercise 3.1: implement gelu_grad (see its docstring)")


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z)_i = exp(z_i) / sum_j exp(z_j) along `axis`; entries in (0, 1] summing to 1.

    Stable: subtract the maximum along `axis` first (softmax is unchanged by a constant shift), so
    softmax([1000, 1000]) is [0.5, 0.5], not NaN.
    """
    raise NotImplementedError("Exercise 3.1: implement softmax (see its docstring)")


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z - max - log sum exp(z - max) along `axis`.

    Computed directly, not as log(softmax(z)): stays finite where softmax underflows to 0.
    """
    raise NotImplementedError("Exercise 3.1: implement log_softmax (see its docstring)")


def softmax_backward(z: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gradient with respect to z of a loss L, given grad_out = dL/ds with s = softmax(z, axis).

    Softmax is not element-wise: every output depends on every input along `axis`. The Jacobian is
    ds_i/dz_j = s_i (delta_ij - s_j), so dL/dz_j = s_j (grad_out_j - sum_i grad_out_i s_i).
    Shapes of z, grad_out and the result are equal.
    """
    raise NotImplementedError("Exercise 3.1: implement softmax_backward (see its docstring)")


def log_softmax_backward(z: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gradient with respect to z given grad_out = dL/dl with l = log_softmax(z, axis).

    d l_i / d z_j = delta_ij - s_j, so dL/dz_j = grad_out_j - s_j * sum_i grad_out_i.
    """
    raise NotImplementedError("Exercise 3.1: implement log_softmax_backward (see its docstring)")


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """The full Jacobian of softmax at a 1-D z: J[i, j] = ds_i / dz_j = s_i (delta_ij - s_j), shape (n, n).

    Raises ValueError unless z is 1-D.
    """
    raise NotImplementedError("Exercise 3.1: implement softmax_jacobian (see its docstring)")
