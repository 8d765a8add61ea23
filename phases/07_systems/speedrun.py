"""Exercise 7.5: make a naive MNIST training loop ten times faster without changing its maths.

The slow loop is grader code, `naive_train` in `grader/milestones/speedrun_baseline.py`: read it
first. It trains a ReLU MLP (y = x W + b per layer) by plain mini-batch SGD on the mean softmax
cross-entropy, and does everything the slow way: float64 parameters, one sample at a time (a new
graph, a new schedule and new kernel launches for every sample), the gradients copied out to NumPy
and summed there, the data converted from NumPy inside the loop, the loss read with `.item()` for
every sample, no TinyJit: 5-8 CPU s for one step of 128 MNIST rows on a 2-core machine.

`fast_train` computes the same thing: the same rows in the same order, the same loss, the same
update. The sum of the per-sample gradients divided by the batch size IS the gradient of the batch's
mean loss, so one batched step gives the baseline's step up to float32 rounding. The tools of
phases 4 to 7 that apply:

* batching (phase 4): one (B, D) matmul instead of B vector products;
* TinyJit (4.1): capture the step once, replay its kernels; a Python float such as lr is baked in,
  which is fine here because a new step is built for every call;
* float32 (6.2): half the bytes of float64, and this is what the rest of the curriculum trains in;
* the data on the device (the 4.1 milestone's `DeviceLoop`): copy X and Y in once and give the step
  a view at a symbolic offset (`Variable("start", 0, N - 1).bind(s)`), so that TinyJit replays the
  same kernels for every batch (a gather `X[Tensor(rows)]` works too, at a higher cost per step);
* read the loss once per step, realized together with the parameter updates
  (`loss.realize(*assigns)`): realized after them, it would be computed with the new weights;
* BEAM search (`BEAM=1`, minutes, cached) is optional on top.

The checks grade the maths (the loss curve and the parameters against a float64 NumPy run); the
milestone (`grader/milestones/mnist_speedrun.py`) grades the speed: it times the baseline and
`fast_train` on the same MNIST batches in one process and asks for at least 10x less CPU time
(smoke; 200x for the full tier, which batching alone does not reach), the same first losses and a
trained model that classifies the test set. This file may not import `grader`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from tinygrad import Tensor, TinyJit, Variable


def _checked(X, Y, params, steps, batch_size, lr):
    """Inputs as float32 / int32 NumPy arrays, or ValueError naming what is wrong."""
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must be a non-empty (N, D) array, got shape {X.shape}")
    if Y.shape != (len(X),) or not np.issubdtype(Y.dtype, np.integer):
        raise ValueError(f"Y must hold N = {len(X)} integer labels, got {Y.dtype} of shape {Y.shape}")
    params = [np.asarray(p, dtype=np.float32) for p in params]
    if len(params) == 0 or len(params) % 2:
        raise ValueError("params must be [W1, b1, ..., Wk, bk]: a non-empty list of even length")
    fan_in = X.shape[1]
    for k in range(0, len(params), 2):
        W, b = params[k], params[k + 1]
        if W.ndim != 2 or W.shape[0] != fan_in or b.shape != (W.shape[1],):
            raise ValueError(f"layer {k // 2 + 1}: W {W.shape} and b {b.shape} do not fit an input of "
                             f"width {fan_in} (W must be ({fan_in}, F), b (F,))")
        fan_in = W.shape[1]
    if Y.min() < 0 or Y.max() >= fan_in:
        raise ValueError(f"labels must lie in [0, {fan_in}), got [{Y.min()}, {Y.max()}]")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps}")
    if int(batch_size) != batch_size or not 1 <= batch_size <= len(X):
        raise ValueError(f"batch_size must be an integer in [1, N = {len(X)}], got {batch_size}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    return X.astype(np.float32), Y.astype(np.int32), params, int(steps), int(batch_size), float(lr)


def fast_train(X: np.ndarray, Y: np.ndarray, params: Sequence[np.ndarray], steps: int, batch_size: int,
               lr: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """`naive_train`'s training, batched, in float32, with a TinyJit step fed from the device.

    X (N, D) floats, Y (N,) integer labels in [0, C), params = [W1, b1, ..., Wk, bk] NumPy arrays
    with W_l (fan_in, fan_out), b_l (fan_out,), fan_in of W1 = D, fan_out of Wk = C; the model is
    h = relu(h W_l + b_l) between layers, logits = h Wk + bk. Step t (t = 0 .. steps - 1):

        rows   = (t * batch_size + arange(batch_size)) mod N      in order, wrapping around
        loss_t = mean over rows of  -log softmax(logits(x_j))[y_j]  with the parameters before step t
        p     <- p - lr * d loss_t / d p                            for every parameter

    Returns (losses, params): float32 losses of shape (steps,) and the trained parameters as float32
    NumPy arrays of the input shapes (a new list; the caller's arrays are not changed). Every call is
    independent (its own tensors and its own TinyJit step). Raises ValueError for bad shapes, labels
    outside [0, C), steps < 1, batch_size outside [1, N] or lr <= 0: start with the given
    `_checked(X, Y, params, steps, batch_size, lr)`, which also converts X to float32 and Y to int32.
    """
    raise NotImplementedError("Exercise 7.5: implement fast_train (see its docstring)")
