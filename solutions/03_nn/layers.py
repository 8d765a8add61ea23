"""Exercise 3.5: layers with forward and backward, and the initialisers that make deep stacks trainable.

Every layer follows one protocol, so a network is just a list of layers:

    out = layer.forward(x, training=True)   # caches what backward needs
    dx  = layer.backward(dout)              # sets layer.grads (not accumulated), returns dL/dx
    layer.params  # dict name -> array (updated in place by the optimiser)
    layer.grads   # dict with the same names and shapes, set by backward

Inputs are batches: x has shape (N, D). Self-contained: NumPy only.
"""
from __future__ import annotations

import numpy as np


def xavier_init(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Glorot/Xavier uniform: W ~ U(-a, a), a = sqrt(6 / (n_in + n_out)), so Var W = 2 / (n_in + n_out).

    Keeps activation variance roughly constant through tanh/sigmoid layers. Shape (n_in, n_out), float64,
    one call rng.uniform(-a, a, size=(n_in, n_out)).
    """
    ### BEGIN SOLUTION
    a = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_in, n_out))
    ### END SOLUTION


def kaiming_init(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """He/Kaiming normal: W ~ Normal(0, 2 / n_in), for ReLU layers (ReLU zeroes half the signal, the
    factor 2 makes up for it). Shape (n_in, n_out), float64, one call rng.normal(0, std, size=(n_in, n_out))."""
    ### BEGIN SOLUTION
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
    ### END SOLUTION


class Dense:
    """y = x @ W + b with W (n_in, n_out) from `init` ("kaiming" or "xavier") and
    np.random.default_rng(seed), b = 0 (n_out,), both stored as `dtype` (drawn in float64, then cast).
    params/grads keys: "W", "b". Raises ValueError for an unknown init."""

    def __init__(self, n_in: int, n_out: int, init: str = "kaiming", seed: int = 0, dtype=np.float64):
        ### BEGIN SOLUTION
        inits = {"kaiming": kaiming_init, "xavier": xavier_init}
        if init not in inits:
            raise ValueError(f"init must be one of {sorted(inits)}, got {init!r}")
        W = inits[init](n_in, n_out, np.random.default_rng(seed)).astype(dtype)
        self.params = {"W": W, "b": np.zeros(n_out, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        ### END SOLUTION

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        ### BEGIN SOLUTION
        self._x = x
        return x @ self.params["W"] + self.params["b"]
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dW = x^T dout, db = dout summed over the batch, dx = dout W^T."""
        ### BEGIN SOLUTION
        self.grads["W"] = self._x.T @ dout
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T
        ### END SOLUTION


class ReLU:
    """max(x, 0) as a layer (no parameters: params and grads are empty dicts). backward passes the
    gradient where x > 0 and 0 elsewhere (0 at x = 0 exactly)."""

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        ### BEGIN SOLUTION
        self._mask = x > 0
        return x * self._mask
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION
        return dout * self._mask
        ### END SOLUTION


class BatchNorm:
    """Batch normalisation over the batch axis for x of shape (N, D): y = gamma * x_hat + beta.

    Training: x_hat = (x - mu_B) / sqrt(var_B + eps) with the batch mean and the biased batch variance
    (divide by N), and the running statistics move towards them:
        running_mean = (1 - momentum) * running_mean + momentum * mu_B     (same for running_var, var_B)
    Evaluation (training=False): x_hat = (x - running_mean) / sqrt(running_var + eps); the running
    statistics do not change. They start at 0 (mean) and 1 (var); gamma starts at 1, beta at 0; all four
    are arrays of shape (D,) and dtype `dtype`.
    params/grads keys: "gamma", "beta" (shape (D,)). backward differentiates the mode of the last forward.
    """

    def __init__(self, dim: int, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float64):
        ### BEGIN SOLUTION
        self.momentum, self.eps = momentum, eps
        self.params = {"gamma": np.ones(dim, dtype=dtype), "beta": np.zeros(dim, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.running_mean, self.running_var = np.zeros(dim, dtype=dtype), np.ones(dim, dtype=dtype)
        ### END SOLUTION

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        ### BEGIN SOLUTION
        if training:
            mu, var = x.mean(axis=0), x.var(axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            self.running_var = (1 - m) * self.running_var + m * var
        else:
            mu, var = self.running_mean, self.running_var
        self._inv_std = 1.0 / np.sqrt(var + self.eps)
        self._x_hat = (x - mu) * self._inv_std
        self._training = training
        return self.params["gamma"] * self._x_hat + self.params["beta"]
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Training mode: the batch statistics depend on every row, so
            dx = (gamma * inv_std / N) * (N * dout - sum(dout) - x_hat * sum(dout * x_hat)),
        sums over the batch. Evaluation mode: dx = gamma * inv_std * dout.
        dgamma = sum(dout * x_hat), dbeta = sum(dout), both over the batch."""
        ### BEGIN SOLUTION
        x_hat, inv_std, gamma = self._x_hat, self._inv_std, self.params["gamma"]
        self.grads["gamma"] = (dout * x_hat).sum(axis=0)
        self.grads["beta"] = dout.sum(axis=0)
        if not self._training:
            return gamma * inv_std * dout
        n = dout.shape[0]
        return (gamma * inv_std / n) * (n * dout - dout.sum(axis=0) - x_hat * (dout * x_hat).sum(axis=0))
        ### END SOLUTION


class Dropout:
    """Inverted dropout with drop probability p (0 <= p < 1).

    Training: keep each entry independently with probability 1 - p and scale the kept ones by 1 / (1 - p),
    so the expected output equals the input; the mask is `rng.random(x.shape) >= p` with one
    np.random.default_rng(seed) created in __init__ (a fresh mask on every call). Evaluation: the
    identity. The output keeps x's dtype. backward applies the same mask and scale.
    Raises ValueError unless 0 <= p < 1.
    """

    def __init__(self, p: float = 0.5, seed: int = 0):
        ### BEGIN SOLUTION
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p, self.rng = p, np.random.default_rng(seed)
        self.params, self.grads = {}, {}
        ### END SOLUTION

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        ### BEGIN SOLUTION
        if not training or self.p == 0:
            self._scale = 1.0
            return x
        self._scale = ((self.rng.random(x.shape) >= self.p) / (1 - self.p)).astype(x.dtype)
        return x * self._scale
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION
        return dout * self._scale
        ### END SOLUTION


class ResidualBlock:
    """y = x + F(x), F the given layers applied in order (their output shape must equal x's).

    backward: dL/dx = dout + F's backward of dout (the identity path adds the gradient unchanged).
    params and grads are dicts keyed "<i>.<name>" for the i-th inner layer's parameter <name>, holding
    the inner layers' own arrays (so in-place updates reach them).
    """

    def __init__(self, layers: list):
        self.layers = list(layers)

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        ### BEGIN SOLUTION
        h = x
        for layer in self.layers:
            h = layer.forward(h, training)
        return x + h
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION
        d = dout
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return dout + d
        ### END SOLUTION
