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

### BEGIN SOLUTION
def _float(z) -> np.ndarray:
    z = np.asarray(z)
    return z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_erf = np.vectorize(math.erf, otypes=[np.float64])
### END SOLUTION


def sigmoid(z: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + exp(-z)), in (0, 1).

    Stable for large |z|: exp is only ever taken of -|z|, so neither overflow warnings nor NaN occur
    (sigmoid(-1000) is 0, sigmoid(1000) is 1).
    """
    ### BEGIN SOLUTION
    z = _float(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)
    ### END SOLUTION


def sigmoid_grad(z: np.ndarray) -> np.ndarray:
    """d sigma / dz = sigma(z) * (1 - sigma(z)); at most 1/4 (at z = 0)."""
    ### BEGIN SOLUTION
    s = sigmoid(z)
    return s * (1 - s)
    ### END SOLUTION


def tanh(z: np.ndarray) -> np.ndarray:
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z), in (-1, 1)."""
    ### BEGIN SOLUTION
    return np.tanh(_float(z))
    ### END SOLUTION


def tanh_grad(z: np.ndarray) -> np.ndarray:
    """d tanh / dz = 1 - tanh(z)^2."""
    ### BEGIN SOLUTION
    t = np.tanh(_float(z))
    return 1 - t * t
    ### END SOLUTION


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0)."""
    ### BEGIN SOLUTION
    z = _float(z)
    return np.maximum(z, 0).astype(z.dtype)
    ### END SOLUTION


def relu_grad(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0 (the convention at z = 0 is 0)."""
    ### BEGIN SOLUTION
    z = _float(z)
    return (z > 0).astype(z.dtype)
    ### END SOLUTION


def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """z where z > 0, alpha * z otherwise."""
    ### BEGIN SOLUTION
    z = _float(z)
    return np.where(z > 0, z, alpha * z).astype(z.dtype)
    ### END SOLUTION


def leaky_relu_grad(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """1 where z > 0, alpha otherwise."""
    ### BEGIN SOLUTION
    z = _float(z)
    return np.where(z > 0, 1.0, alpha).astype(z.dtype)
    ### END SOLUTION


def gelu(z: np.ndarray, approximate: str = "tanh") -> np.ndarray:
    """Gaussian error linear unit, z * Phi(z), Phi the standard normal CDF.

    approximate="none":  z * 0.5 * (1 + erf(z / sqrt(2)))                       (exact)
    approximate="tanh":  0.5 * z * (1 + tanh(sqrt(2/pi) * (z + 0.044715 z^3)))  (the usual approximation)
    Raises ValueError for any other `approximate`.
    """
    ### BEGIN SOLUTION
    z = _float(z)
    if approximate == "tanh":
        return (0.5 * z * (1 + np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z ** 3)))).astype(z.dtype)
    if approximate == "none":
        return (z * 0.5 * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype)
    raise ValueError(f"approximate must be 'tanh' or 'none', got {approximate!r}")
    ### END SOLUTION


def gelu_grad(z: np.ndarray, approximate: str = "tanh") -> np.ndarray:
    """d gelu / dz for the same two forms.

    exact:  Phi(z) + z * phi(z), with phi(z) = exp(-z^2 / 2) / sqrt(2 pi)
    tanh:   with u = sqrt(2/pi) (z + 0.044715 z^3) and t = tanh(u):
            0.5 (1 + t) + 0.5 z (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 z^2)
    Raises ValueError for any other `approximate`.
    """
    ### BEGIN SOLUTION
    z = _float(z)
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (z + 0.044715 * z ** 3))
        du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z ** 2)
        return (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du).astype(z.dtype)
    if approximate == "none":
        cdf = 0.5 * (1 + _erf(z / math.sqrt(2)))
        pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return (cdf + z * pdf).astype(z.dtype)
    raise ValueError(f"approximate must be 'tanh' or 'none', got {approximate!r}")
    ### END SOLUTION


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z)_i = exp(z_i) / sum_j exp(z_j) along `axis`; entries in (0, 1] summing to 1.

    Stable: subtract the maximum along `axis` first (softmax is unchanged by a constant shift), so
    softmax([1000, 1000]) is [0.5, 0.5], not NaN.
    """
    ### BEGIN SOLUTION
    z = _float(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    ### END SOLUTION


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z - max - log sum exp(z - max) along `axis`.

    Computed directly, not as log(softmax(z)): stays finite where softmax underflows to 0.
    """
    ### BEGIN SOLUTION
    z = _float(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    ### END SOLUTION


def softmax_backward(z: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gradient with respect to z of a loss L, given grad_out = dL/ds with s = softmax(z, axis).

    Softmax is not element-wise: every output depends on every input along `axis`. The Jacobian is
    ds_i/dz_j = s_i (delta_ij - s_j), so dL/dz_j = s_j (grad_out_j - sum_i grad_out_i s_i).
    Shapes of z, grad_out and the result are equal.
    """
    ### BEGIN SOLUTION
    s = softmax(z, axis)
    return s * (grad_out - (grad_out * s).sum(axis=axis, keepdims=True))
    ### END SOLUTION


def log_softmax_backward(z: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gradient with respect to z given grad_out = dL/dl with l = log_softmax(z, axis).

    d l_i / d z_j = delta_ij - s_j, so dL/dz_j = grad_out_j - s_j * sum_i grad_out_i.
    """
    ### BEGIN SOLUTION
    s = softmax(z, axis)
    return grad_out - s * grad_out.sum(axis=axis, keepdims=True)
    ### END SOLUTION


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """The full Jacobian of softmax at a 1-D z: J[i, j] = ds_i / dz_j = s_i (delta_ij - s_j), shape (n, n).

    Raises ValueError unless z is 1-D.
    """
    ### BEGIN SOLUTION
    z = _float(z)
    if z.ndim != 1:
        raise ValueError(f"softmax_jacobian takes a 1-D z, got shape {z.shape}")
    s = softmax(z)
    return np.diag(s) - np.outer(s, s)
    ### END SOLUTION
