"""Milestone for Exercise 4.1: train the learner's TinygradNN on MNIST with their TinyJit step.

smoke: 4 epochs of Adam (lr 1e-3, batch 128) on CPU, about a minute on 2 cores; full: 15 epochs with the
learning rate decayed by 0.8 per epoch. The gate is the test-set accuracy (10,000 images never trained on).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from grader import data
from grader.milestones import Run, flat_pixels
from grader.target import exercise

TIERS = {"smoke": dict(epochs=4, decay=1.0), "full": dict(epochs=15, decay=0.8)}
BATCH = 128


class DeviceBatches:
    """Arrays of equal length kept in the same device buffers from one load to the next, with a view of
    each batch of rows at a symbolic offset: TinyJit replays one capture for every batch, no batch is
    copied in, and the views are made once (slicing with a symbolic offset costs about 1.5 ms of Python
    per tensor, as much as the kernels of a small step)."""

    def __init__(self, batch: int):
        self.batch = batch
        self._tensors: list | None = None
        self._views: list[tuple] = []

    def load(self, *arrays: np.ndarray) -> list[tuple]:
        """Copy the arrays in (the first load allocates); one tuple of views per whole batch of rows."""
        from tinygrad import Tensor, Variable
        new = [Tensor(a) for a in arrays]
        if self._tensors is None:
            self._tensors = new
            Tensor.realize(*new)
            steps = len(arrays[0]) // self.batch
            offset = Variable("batch", 0, steps - 1)
            starts = [offset.bind(i) * self.batch for i in range(steps)]
            self._views = [tuple(t.shrink(((at, at + self.batch),) + (None,) * (t.ndim - 1)) for t in new) for at in starts]
        else:
            Tensor.realize(*(t.assign(n) for t, n in zip(self._tensors, new)))
        return self._views


class DeviceLoop:
    """Feeds a TinyJit `step(x, y) -> loss` from a training set that is on the device for a whole epoch.

    Once per epoch the set is shuffled (NumPy) and copied in as one block (`DeviceBatches`); each step
    gets a view of it. The loss is read (`.item()` waits for the step and copies out) every `every`-th
    step only. The lesson of phase 4 explains the tricks. Measured and not used: shuffling on the device
    (`X[Tensor(order)]` is a gather kernel of seconds per epoch) and summing every loss on the device (a
    second TinyJit costs more per step than `.item()`)."""

    def __init__(self, step, X: np.ndarray, y: np.ndarray, batch: int = BATCH, every: int = 10):
        self.step, self.X, self.y, self.every = step, X, y, every
        self.steps = len(X) // batch
        self.batches = DeviceBatches(batch)

    def epoch(self, order: np.ndarray, advance=lambda: None) -> float:
        """One pass in the given order (a permutation of the rows), calling `advance()` after each step;
        the mean of the losses read."""
        losses = []
        for i, (x, y) in enumerate(self.batches.load(self.X[order], self.y[order])):
            loss = self.step(x, y)
            if i % self.every == 0:
                losses.append(loss.item())
            advance()
        return float(np.mean(losses))


def realized(optimizer):
    """The optimizer, with its parameters and state (moments, step counts, learning rate) computed now.
    Left lazy, the first step folds the zero moments and the initial weights into its kernels, and
    TinyJit's capture (the second call) compiles the whole step again: for the 6.5 U-Net that second
    compile was a quarter of all compile time."""
    from tinygrad import Tensor
    from tinygrad.nn.state import get_state_dict
    Tensor.realize(*get_state_dict(optimizer).values())
    return optimizer


def layer_inputs(weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray) -> list[np.ndarray]:
    """A ReLU MLP (the 4.1 layout, y = x W + b) evaluated in NumPy by the grader: the input to every
    layer, then the logits, as a list of len(weights) + 1 arrays."""
    out = [X]
    for k, (w, b) in enumerate(zip(weights, biases)):
        h = out[-1] @ w + b
        out.append(np.maximum(h, 0.0) if k < len(weights) - 1 else h)
    return out


def cosine_lr(step: int, total: int, base: float) -> float:
    """Learning rate after `step` of `total` steps: base * (1 + cos(pi * step / total)) / 2."""
    return base * 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))


def cosine_steps(run: Run, optimizer, total: int, base: float, every: int = 10):
    """The `advance` callback of `DeviceLoop.epoch` for a cosine schedule over `total` steps: each call
    counts a step in `run`, and every `every` steps the optimizer's learning-rate Tensor is set to
    cosine_lr (an assign, which the TinyJit step reads on its next replay; each is a small copy and
    kernel outside the JIT, hence not every step)."""
    from tinygrad import Tensor
    done = [0]

    def advance() -> None:
        done[0] += 1
        run.advance()
        if done[0] % every == 0:
            optimizer.lr.assign(Tensor([cosine_lr(done[0], total, base)], device=optimizer.lr.device)).realize()
    return advance


def run(tier: str = "smoke", out_dir: Path = Path("milestone_out")) -> dict[str, float]:
    from tinygrad import Tensor
    from tinygrad.nn.optim import Adam

    cfg = TIERS[tier]
    mlp = exercise("4.1")
    X_train, y_train, X_test, y_test = data.mnist()
    X_train, X_test = flat_pixels(X_train), flat_pixels(X_test)
    y_train = np.asarray(y_train, dtype=np.int32)

    Tensor.manual_seed(0)
    rng = np.random.default_rng(0)
    model = mlp.TinygradNN((784, 256, 128, 10))
    opt = realized(Adam(model.parameters(), lr=1e-3))
    step = mlp.make_train_step(model, opt)

    run = Run(out_dir, f"Exercise 4.1 TinygradNN on MNIST ({tier})", "test_accuracy", cfg["epochs"])
    loop = DeviceLoop(step, X_train, y_train)
    for epoch in range(cfg["epochs"]):
        run.begin_epoch(loop.steps)
        train_loss = loop.epoch(rng.permutation(len(X_train)), run.advance)
        run.end_epoch(train_loss=train_loss, test_accuracy=mlp.evaluate(model, X_test, y_test))
        if run.gate_passed():
            break
        opt.lr.assign(opt.lr * cfg["decay"]).realize()
    last = run.history[-1]
    return run.finish({"test_accuracy": last["test_accuracy"], "final_train_loss": last["train_loss"],
                       "epochs": run.epoch})
