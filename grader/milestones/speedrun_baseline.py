"""The naive MNIST training loop that Exercise 7.5 makes fast (grader code: the milestone times this copy).

A ReLU MLP y = x W + b per layer (ReLU between layers, none after the last), trained by plain
mini-batch SGD on the mean softmax cross-entropy of each batch:

    rows of step t:  (t * batch_size + j) mod N,  j = 0 .. batch_size - 1   (in order, wrapping)
    loss_t         = mean over those rows of  -log softmax(f(x_j))[y_j]      (parameters before step t)
    p             <- p - lr * d loss_t / d p                                (every parameter)

Every slow habit is here on purpose: float64 parameters, one sample at a time (a new graph and a new
schedule for each), the gradient of each sample copied out to NumPy and summed there, the data converted
from NumPy inside the loop, the loss read with `.item()` per sample, no TinyJit. The sum of the
per-sample gradients divided by batch_size is exactly the gradient of the batch's mean loss, so a batched
float32 version follows the same loss curve up to float32 rounding.
"""
from __future__ import annotations

import numpy as np

from grader.milestones.mnist_tinygrad import layer_inputs


def batch_rows(step: int, batch_size: int, n: int) -> np.ndarray:
    """The row indices of step `step`: (step * batch_size + arange(batch_size)) mod n."""
    return (step * batch_size + np.arange(batch_size)) % n


def naive_train(X, Y, params, steps: int, batch_size: int, lr: float):
    """Train the MLP `params` = [W1, b1, ..., Wk, bk] (NumPy arrays, W (fan_in, fan_out), b (fan_out,))
    on X (N, D) and integer labels Y (N,) for `steps` SGD steps of `batch_size` rows.

    Returns (losses, params): the float64 mean loss of every step (before its update), shape (steps,),
    and the trained parameters as float64 NumPy arrays of the input shapes."""
    from tinygrad import Tensor, dtypes

    X, Y = np.asarray(X), np.asarray(Y)
    current = [np.array(p, dtype=np.float64) for p in params]
    losses = []
    for step in range(steps):
        total = [np.zeros_like(p) for p in current]
        loss_sum = 0.0
        for i in batch_rows(step, batch_size, len(X)):
            weights = [Tensor(p, dtype=dtypes.float64) for p in current]
            h = Tensor(X[i:i + 1].astype(np.float64))
            for k in range(0, len(weights), 2):
                h = h.matmul(weights[k]) + weights[k + 1]
                if k + 2 < len(weights):
                    h = h.relu()
            target = np.zeros((1, h.shape[1]))
            target[0, int(Y[i])] = 1.0
            loss = -(h.log_softmax(axis=1) * Tensor(target)).sum()
            grads = loss.gradient(*weights)
            Tensor.realize(loss, *grads)
            for acc, g in zip(total, grads):
                acc += g.numpy()
            loss_sum += loss.item()
        losses.append(loss_sum / batch_size)
        current = [p - lr * g / batch_size for p, g in zip(current, total)]
    return np.array(losses, dtype=np.float64), current


def numpy_train(X, Y, params, steps: int, batch_size: int, lr: float):
    """The same training written out in float64 NumPy (forward, hand-derived backward, update): the
    grader's oracle for the losses and parameters. Returns (losses, params) like `naive_train`."""
    X, Y = np.asarray(X), np.asarray(Y)
    current = [np.array(p, dtype=np.float64) for p in params]
    losses = np.empty(steps, dtype=np.float64)
    for step in range(steps):
        rows = batch_rows(step, batch_size, len(X))
        *inputs, h = layer_inputs(current[0::2], current[1::2], X[rows].astype(np.float64))
        z = h - h.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        picked = np.arange(batch_size), Y[rows]
        losses[step] = -log_p[picked].mean()
        d = np.exp(log_p)
        d[picked] -= 1.0
        d /= batch_size                      # d loss / d logits
        grads = [None] * len(current)
        for k in range(len(current) - 2, -1, -2):
            grads[k], grads[k + 1] = inputs[k // 2].T @ d, d.sum(axis=0)
            if k:
                d = (d @ current[k].T) * (inputs[k // 2] > 0)
        current = [p - lr * g for p, g in zip(current, grads)]
    return losses, current
