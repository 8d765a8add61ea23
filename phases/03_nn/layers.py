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
    raise NotImplementedError("Exercise 3.5: implement xavier_init (see its docstring)")


def kaiming_init(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """He/Kaiming normal: W ~ Normal(0, 2 / n_in), for ReLU layers (ReLU zeroes half the signal, the
    factor 2 makes up for it). Shape (n_in, n_out), float64, one call rng.normal(0, std, size=(n_in, n_out))."""
    raise NotImplementedError("Exercise 3.5: implement kaiming_init (see its docstring)")


class Dense:
    """y = x @ W + b with W (n_in, n_out) from `init` ("kaiming" or "xavier") and
    np.random.default_rng(seed), b = 0 (n_out,), both stored as `dtype` (drawn in float64, then cast).
    params/grads keys: "W", "b". Raises ValueError for an unknown init."""

    def __init__(self, n_in: int, n_out: int, init: str = "kaiming", seed: int = 0, dtype=np.float64):
        raise NotImplementedError("Exercise 3.5: implement Dense.__init__ (see its docstring)")

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        raise NotImplementedError("Exercise 3.5: implement Dense.forward (see its docstring)")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dW = x^T dout, db = dout summed over the batch, dx = dout W^T."""
        raise NotImplementedError("Exercise 3.5: implement Dense.backward (see its docstring)")


class ReLU:
    """max(x, 0) as a layer (no parameters: params and grads are empty dicts). backward passes the
    gradient where x > 0 and 0 elsewhere (0 at x = 0 exactly)."""

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        raise NotImplementedError("Exercise 3.5: implement ReLU.forward (see its docstring)")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError("Exercise 3.5: implement ReLU.backward (see its docstring)")


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
        raise NotImplementedError("Exercise 3.5: implement BatchNorm.__init__ (see its docstring)")

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        raise NotImplementedError("Exercise 3.5: implement BatchNorm.forward (see its docstring)")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Training mode: the batch statistics depend on every row, so
            dx = (gamma * inv_std / N) * (N * dout - sum(dout) - x_hat * sum(dout * x_hat)),
        sums over the batch. Evaluation mode: dx = gamma * inv_std * dout.
        dgamma = sum(dout * x_hat), dbeta = sum(dout), both over the batch."""
        raise NotImplementedError("Exercise 3.5: implement BatchNorm.backward (see its docstring)")


class Dropout:
    """Inverted dropout with drop probability p (0 <= p < 1).

    Training: keep each entry independently with probability 1 - p and scale the kept ones by 1 / (1 - p),
    so the expected output equals the input; the mask is `rng.random(x.shape) >= p` with one
    np.random.default_rng(seed) created in __init__ (a fresh mask on every call). Evaluation: the
    identity. The output keeps x's dtype. backward applies the same mask and scale.
    Raises ValueError unless 0 <= p < 1.
    """

    def __init__(self, p: float = 0.5, seed: int = 0):
        raise NotImplementedError("Exercise 3.5: implement Dropout.__init__ (see its docstring)")

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        raise NotImplementedError("Exercise 3.5: implement Dropout.forward (see its docstring)")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError("Exercise 3.5: implement Dropout.backward (see its docstring)")


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
        raise NotImplementedError("Exercise 3.5: implement ResidualBlock.forward (see its docstring)")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError("Exercise 3.5: implement ResidualBlock.backward (see its docstring)")
