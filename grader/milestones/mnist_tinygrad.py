"""Milestone for Exercise 4.1: train the learner's TinygradNN on MNIST with their TinyJit step.

smoke: 4 epochs of Adam (lr 1e-3, batch 128) on CPU, about a minute on 2 cores; full: 15 epochs with the
learning rate decayed by 0.8 per epoch. The gate is the test-set accuracy (10,000 images never trained on).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from grader import data
from grader.milestones import Run
from grader.target import exercise

TIERS = {"smoke": dict(epochs=4, decay=1.0), "full": dict(epochs=15, decay=0.8)}
BATCH = 128


def _prepare(X: np.ndarray) -> np.ndarray:
    return (np.asarray(X, dtype=np.float32).reshape(len(X), -1) / 255.0)


def run(tier: str = "smoke", out_dir: Path = Path("milestone_out")) -> dict[str, float]:
    from tinygrad import Tensor
    from tinygrad.nn.optim import Adam

    cfg = TIERS[tier]
    mlp = exercise("4.1")
    X_train, y_train, X_test, y_test = data.mnist()
    X_train, X_test = _prepare(X_train), _prepare(X_test)
    y_train = np.asarray(y_train, dtype=np.int32)

    Tensor.manual_seed(0)
    rng = np.random.default_rng(0)
    model = mlp.TinygradNN((784, 256, 128, 10))
    opt = Adam(model.parameters(), lr=1e-3)
    step = mlp.make_train_step(model, opt)

    run = Run(out_dir, f"Exercise 4.1 TinygradNN on MNIST ({tier})", "test_accuracy", cfg["epochs"])
    steps_per_epoch = len(X_train) // BATCH
    for epoch in range(cfg["epochs"]):
        order = rng.permutation(len(X_train))
        losses = []
        run.begin_epoch(steps_per_epoch)
        for i in range(steps_per_epoch):
            idx = order[i * BATCH:(i + 1) * BATCH]
            # .item() now: a TinyJit step returns the same output buffer every call
            losses.append(step(Tensor(X_train[idx]), Tensor(y_train[idx])).item())
            run.advance()
        run.end_epoch(train_loss=np.mean(losses), test_accuracy=mlp.evaluate(model, X_test, y_test))
        opt.lr.assign(opt.lr * cfg["decay"]).realize()
    last = run.history[-1]
    return run.finish({"test_accuracy": last["test_accuracy"], "final_train_loss": last["train_loss"],
                       "epochs": cfg["epochs"]})
