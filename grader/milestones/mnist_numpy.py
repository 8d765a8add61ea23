"""Milestone 3.6: a deep MLP on real MNIST, built entirely from the learner's own NumPy code.

The learner's `mnist_mlp.py` (3.6) builds the model from the learner's `layers.py` (3.5) and runs the
training loop; nothing here computes a forward or backward pass. Smoke tier: a short CPU run (CI runs
it against the reference); full tier: more epochs and a wider network.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from grader import data
from grader.milestones import Run
from grader.target import exercise

TIERS = {
    # sizes, epochs, batch size, learning rate, dropout
    "smoke": dict(sizes=(784, 256, 128, 64, 10), epochs=3, batch_size=128, lr=0.05, dropout=0.1),
    "full": dict(sizes=(784, 512, 256, 128, 10), epochs=15, batch_size=128, lr=0.05, dropout=0.2),
}


def _prepare(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 28, 28] -> float32 [N, 784], standardised with MNIST's pixel mean and std."""
    return ((images.reshape(len(images), -1).astype(np.float32) / 255.0 - 0.1307) / 0.3081).astype(np.float32)


def _count_steps(model: list, run: Run) -> None:
    """Advance the progress once per training step: the last layer's backward runs once per batch."""
    try:
        last = model[-1]
        backward = last.backward
    except (TypeError, IndexError, AttributeError, KeyError):
        return

    def counted(*args, **kwargs):
        out = backward(*args, **kwargs)
        run.advance()
        return out
    try:
        last.backward = counted
    except AttributeError:  # a layer class with __slots__: progress per epoch only
        pass


def run(tier: str = "smoke", out_dir: Path = Path("runs/mnist_numpy")) -> dict[str, float]:
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {sorted(TIERS)}, got {tier!r}")
    cfg = TIERS[tier]
    mlp, layers = exercise("3.6"), exercise("3.5")
    X_train, y_train, X_test, y_test = data.mnist()
    X_train, X_test = _prepare(X_train), _prepare(X_test)

    model = mlp.build_model(layers, sizes=cfg["sizes"], dropout=cfg["dropout"], seed=0, dtype=np.float32)
    run = Run(out_dir, f"MNIST MLP {'-'.join(map(str, cfg['sizes']))}, {tier} tier", "test_accuracy", cfg["epochs"])
    _count_steps(model, run)
    state = None
    for epoch in range(cfg["epochs"]):
        lr = cfg["lr"] * (0.5 ** (epoch // 5)) if tier == "full" else cfg["lr"]
        run.begin_epoch(steps=math.ceil(len(X_train) / cfg["batch_size"]))
        train_loss, state = mlp.train_epoch(model, X_train, y_train, lr=lr, batch_size=cfg["batch_size"],
                                            seed=epoch, state=state)
        test_loss, test_acc = mlp.evaluate(model, X_test, y_test)
        run.end_epoch(train_loss=train_loss, test_loss=test_loss, test_accuracy=test_acc)
        if run.gate_passed():
            break
    last = run.history[-1]
    return run.finish({"test_accuracy": last["test_accuracy"], "test_loss": last["test_loss"],
                       "train_loss": last["train_loss"], "epochs": run.epoch})
