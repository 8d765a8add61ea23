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
        ### BEGIN SOLUTION
        self.weights = [(Tensor.randn(n_in, n_out) * math.sqrt(2.0 / n_in)).contiguous()
                        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        self.biases = [Tensor.zeros(n_out).contiguous() for n_out in self.sizes[1:]]
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        """Logits for a batch: x of shape (N, ...) with prod(...) == sizes[0] is flattened to (N, sizes[0]).

        Every layer but the last is followed by ReLU; the last layer returns raw logits (N, sizes[-1]).
        """
        ### BEGIN SOLUTION
        x = x.flatten(1)
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w + b
            if k < len(self.weights) - 1:
                x = x.relu()
        return x
        ### END SOLUTION

    def parameters(self) -> list[Tensor]:
        """The trainable tensors in the order [W1, b1, W2, b2, ..., WL, bL] (pass this to an optimizer)."""
        ### BEGIN SOLUTION
        return [t for pair in zip(self.weights, self.biases) for t in pair]
        ### END SOLUTION


def make_train_step(model: TinygradNN, optimizer: Optimizer) -> Callable[[Tensor, Tensor], Tensor]:
    """Return a TinyJit-compiled function `step(x, y) -> loss`.

    One call: zero the gradients, compute the mean cross-entropy of `model(x)` against the integer labels y
    (`sparse_categorical_crossentropy`), backpropagate, apply one optimizer update, and return the loss
    (a realized scalar Tensor). All of it must run under `Context(TRAINING=1)`. The inputs keep the same
    shape on every call (TinyJit replays the kernels captured on the second call). Use x and y only as
    Tensors (no `.numpy()` or `.item()` inside): the milestone passes views of a training set that stays on
    the device, and reads the loss once per epoch (the lesson shows how).
    """
    ### BEGIN SOLUTION
    @TinyJit
    @Context(TRAINING=1)
    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = model(x).sparse_categorical_crossentropy(y).backward()
        return loss.realize(*optimizer.schedule_step())
    return step
    ### END SOLUTION


def evaluate(model: TinygradNN, X: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """Classification accuracy of `model` on float32 inputs X (N, ...) with integer labels y (N,).

    Predictions are argmax over the logits, computed in batches of at most `batch_size` rows. Returns a
    Python float in [0, 1]. Raises ValueError when X and y have different lengths or N is 0.
    """
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must be non-empty and of equal length, got {len(X)} and {len(y)}")
    ### BEGIN SOLUTION
    correct = 0
    for start in range(0, len(X), batch_size):
        pred = model(Tensor(np.ascontiguousarray(X[start:start + batch_size], dtype=np.float32))).argmax(axis=1).numpy()
        correct += int((pred == np.asarray(y[start:start + batch_size])).sum())
    return correct / len(X)
    ### END SOLUTION
