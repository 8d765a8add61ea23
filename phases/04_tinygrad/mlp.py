"""Exercise 4.1: a 784-256-128-10 multilayer perceptron in tinygrad, trained with a TinyJit step.

tinygrad has no `nn.Module`: a model is any Python object whose tensors the optimizer receives. You write
the layers yourself as plain tensors (no `nn.Linear`), so every piece is visible:

    h1 = relu(x W1 + b1),  h2 = relu(h1 W2 + b2),  logits = h2 W3 + b3

Training in tinygrad 0.14 needs `Context(TRAINING=1)` around the optimizer (without it `opt.step()` raises),
and `TinyJit` turns the whole step (forward, backward, update) into a replay of compiled kernels.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from tinygrad import Context, Tensor, TinyJit
from tinygrad.nn.optim import Optimizer


class TinygradNN:
    """A ReLU MLP with He/Kaiming-normal initialisation.

    For layer sizes (d0, d1, ..., dL) layer k has a weight W_k of shape (d_{k-1}, d_k), float32, drawn from
    N(0, 2 / d_{k-1}) (fan-in Kaiming normal, which keeps the variance of ReLU activations constant from
    layer to layer), and a bias b_k of shape (d_k,) initialised to zero. Use `Tensor.randn` so that
    `Tensor.manual_seed` makes the initialisation reproducible, and `.contiguous()` so that every parameter
    is its own buffer that the optimizer can update in place (it is realized on first use).

    Attributes: `weights` and `biases`, lists of Tensors, one entry per layer.
    """

    def __init__(self, sizes: Sequence[int] = (784, 256, 128, 10)):
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ValueError(f"sizes must list at least two positive layer widths, got {tuple(sizes)}")
        self.sizes = tuple(int(s) for s in sizes)
        raise NotImplementedError("Exercise 4.1: implement TinygradNN.__init__ (see its docstring)")

    def __call__(self, x: Tensor) -> Tensor:
        """Logits for a batch: x of shape (N, ...) with prod(...) == sizes[0] is flattened to (N, sizes[0]).

        Every layer but the last is followed by ReLU; the last layer returns raw logits (N, sizes[-1]).
        """
        raise NotImplementedError("Exercise 4.1: implement TinygradNN.__call__ (see its docstring)")

    def parameters(self) -> list[Tensor]:
        """The trainable tensors in the order [W1, b1, W2, b2, ..., WL, bL] (pass this to an optimizer)."""
        raise NotImplementedError("Exercise 4.1: implement TinygradNN.parameters (see its docstring)")


def make_train_step(model: TinygradNN, optimizer: Optimizer) -> Callable[[Tensor, Tensor], Tensor]:
    """Return a TinyJit-compiled function `step(x, y) -> loss`.

    One call: zero the gradients, compute the mean cross-entropy of `model(x)` against the integer labels y
    (`sparse_categorical_crossentropy`), backpropagate, apply one optimizer update, and return the loss
    (a realized scalar Tensor). All of it must run under `Context(TRAINING=1)`. The inputs keep the same
    shape on every call (TinyJit replays the kernels captured on the second call). Use x and y only as
    Tensors (no `.numpy()` or `.item()` inside): the milestone passes views of a training set that stays on
    the device, and reads the loss once per epoch (the lesson shows how).
    """
    raise NotImplementedError("Exercise 4.1: implement make_train_step (see its docstring)")


def evaluate(model: TinygradNN, X: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """Classification accuracy of `model` on float32 inputs X (N, ...) with integer labels y (N,).

    Predictions are argmax over the logits, computed in batches of at most `batch_size` rows. Returns a
    Python float in [0, 1]. Raises ValueError when X and y have different lengths or N is 0.
    """
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must be non-empty and of equal length, got {len(X)} and {len(y)}")
    raise NotImplementedError("Exercise 4.1: implement evaluate (see its docstring)")
