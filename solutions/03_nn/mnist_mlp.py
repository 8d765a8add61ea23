"""Exercise 3.6 (milestone): a deep MLP on MNIST, assembled from your 3.5 layers.

This module is the glue: it stacks layers into a model, computes the loss and its gradient, and runs
the training loop. It does not import your 3.5 file itself (exercise files are loaded by path); every
function that builds a model receives that module as `layers`, and the milestone
(`grader check 3.6`) passes in YOUR `layers.py`. A model is a plain list of layer objects following the
3.5 protocol (forward(x, training), backward(dout), params, grads).
"""
from __future__ import annotations

import numpy as np


def build_model(layers, sizes: tuple[int, ...] = (784, 256, 128, 64, 10), dropout: float = 0.1,
                seed: int = 0, dtype=np.float64) -> list:
    """The list [Dense, BatchNorm, ReLU, Dropout] for every hidden layer, then a final Dense (logits).

    Dense i (counting from 0) is layers.Dense(sizes[i], sizes[i + 1], init="kaiming", seed=seed + i);
    Dropout i is layers.Dropout(dropout, seed=seed + 100 + i); Dense and BatchNorm get `dtype` (float32
    halves the cost of every matrix product). With the default sizes that is 4 Dense layers.
    Raises ValueError for fewer than two sizes.
    """
    ### BEGIN SOLUTION
    if len(sizes) < 2:
        raise ValueError("sizes needs at least an input and an output size")
    model = []
    for i in range(len(sizes) - 1):
        model.append(layers.Dense(sizes[i], sizes[i + 1], init="kaiming", seed=seed + i, dtype=dtype))
        if i < len(sizes) - 2:
            model += [layers.BatchNorm(sizes[i + 1], dtype=dtype), layers.ReLU(), layers.Dropout(dropout, seed=seed + 100 + i)]
    return model
    ### END SOLUTION


def forward(model: list, x: np.ndarray, training: bool = True) -> np.ndarray:
    """Run x through every layer in order; returns the logits."""
    ### BEGIN SOLUTION
    for layer in model:
        x = layer.forward(x, training)
    return x
    ### END SOLUTION


def backward(model: list, dlogits: np.ndarray) -> None:
    """Backpropagate dL/dlogits through the layers in reverse order (filling every layer's grads)."""
    ### BEGIN SOLUTION
    for layer in reversed(model):
        dlogits = layer.backward(dlogits)
    ### END SOLUTION


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """(loss, dloss/dlogits) for the mean softmax cross-entropy of logits (N, C) against labels y (N,).

    loss = -(1/N) sum_n log softmax(logits_n)[y_n], computed with the max subtracted;
    the gradient is (softmax(logits) - onehot(y)) / N.
    """
    ### BEGIN SOLUTION
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(y)
    grad = np.exp(logp)
    grad[np.arange(n), y] -= 1
    return float(-logp[np.arange(n), y].mean()), grad / n
    ### END SOLUTION


def sgd_step(model: list, lr: float, momentum: float = 0.9, state: dict | None = None) -> dict:
    """One SGD step with momentum on every parameter of every layer, in place:

        v = momentum * v + g;   p -= lr * v        (v starts at 0)

    `state` holds the velocities between calls (pass back what the previous call returned; None at the
    start); the velocity of layer i's parameter `name` is state[(i, name)]. Returns the state.
    """
    ### BEGIN SOLUTION
    state = {} if state is None else state
    for i, layer in enumerate(model):
        for name, p in layer.params.items():
            v = momentum * state.get((i, name), 0.0) + layer.grads[name]
            state[(i, name)] = v
            p -= lr * v
    return state
    ### END SOLUTION


def train_epoch(model: list, X: np.ndarray, y: np.ndarray, lr: float, batch_size: int = 128,
                momentum: float = 0.9, seed: int = 0, state: dict | None = None) -> tuple[float, dict]:
    """One pass over (X, y) in the order np.random.default_rng(seed).permutation(N), in batches of
    `batch_size` (the last may be smaller): forward in training mode, cross_entropy, backward, sgd_step.

    Returns (mean of the batch losses, optimiser state) so that the next epoch continues the momentum.
    """
    ### BEGIN SOLUTION
    order, losses = np.random.default_rng(seed).permutation(len(X)), []
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        loss, dlogits = cross_entropy(forward(model, X[idx], training=True), y[idx])
        backward(model, dlogits)
        state = sgd_step(model, lr, momentum, state)
        losses.append(loss)
    return float(np.mean(losses)), state
    ### END SOLUTION


def evaluate(model: list, X: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the model in evaluation mode (training=False) on (X, y)."""
    ### BEGIN SOLUTION
    total_loss, correct = 0.0, 0
    for start in range(0, len(X), batch_size):
        logits = forward(model, X[start:start + batch_size], training=False)
        loss, _ = cross_entropy(logits, y[start:start + batch_size])
        total_loss += loss * len(logits)
        correct += int((logits.argmax(axis=1) == y[start:start + batch_size]).sum())
    return total_loss / len(X), correct / len(X)
    ### END SOLUTION
