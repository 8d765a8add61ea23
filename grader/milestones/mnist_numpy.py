"""Milestone 3.6: a deep MLP on real MNIST, built entirely from the learner's own NumPy code.

The learner's `mnist_mlp.py` (3.6) builds the model from the learner's `layers.py` (3.5) and runs the
training loop; nothing here computes a forward or backward pass. Smoke tier: a short CPU run (CI runs
it against the reference); full tier: more epochs and a wider network.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from grader import data
from grader.milestones import save_curves, track
from grader.target import exercise

TIERS = {
    # sizes, epochs, batch size, learning rate, dropout
    "smoke": dict(sizes=(784, 256, 128, 64, 10), epochs=3, batch_size=128, lr=0.05, dropout=0.1),
    "full": dict(sizes=(784, 512, 256, 128, 10), epochs=15, batch_size=128, lr=0.05, dropout=0.2),
}


def _prepare(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 28, 28] -> float32 [N, 784], standardised with MNIST's pixel mean and std."""
    return ((images.reshape(len(images), -1).astype(np.float32) / 255.0 - 0.1307) / 0.3081).astype(np.float32)


def run(tier: str = "smoke", out_dir: Path = Path("runs/mnist_numpy")) -> dict[str, float]:
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {sorted(TIERS)}, got {tier!r}")
    cfg, out_dir = TIERS[tier], Path(out_dir)
    mlp, layers = exercise("3.6"), exercise("3.5")
    X_train, y_train, X_test, y_test = data.mnist()
    X_train, X_test = _prepare(X_train), _prepare(X_test)

    model = mlp.build_model(layers, sizes=cfg["sizes"], dropout=cfg["dropout"], seed=0, dtype=np.float32)
    curves: dict[str, list[float]] = {"train loss": [], "test loss": [], "test accuracy": []}
    history, state, start = [], None, time.perf_counter()
    for epoch in track(range(cfg["epochs"]), description=f"MNIST MLP ({tier})", total=cfg["epochs"]):
        lr = cfg["lr"] * (0.5 ** (epoch // 5)) if tier == "full" else cfg["lr"]
        train_loss, state = mlp.train_epoch(model, X_train, y_train, lr=lr, batch_size=cfg["batch_size"],
                                            seed=epoch, state=state)
        test_loss, test_acc = mlp.evaluate(model, X_test, y_test)
        row = {"epoch": epoch + 1, "train_loss": float(train_loss), "test_loss": float(test_loss),
               "test_accuracy": float(test_acc), "seconds": round(time.perf_counter() - start, 2)}
        history.append(row)
        curves["train loss"].append(row["train_loss"])
        curves["test loss"].append(row["test_loss"])
        curves["test accuracy"].append(row["test_accuracy"])
        print(f"epoch {row['epoch']}: train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {test_acc:.4f}  ({row['seconds']:.1f} s)", flush=True)

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(history, indent=1) + "\n")
    save_curves(out_dir, curves, title=f"MNIST MLP {'-'.join(map(str, cfg['sizes']))}, {tier} tier")
    return {"test_accuracy": history[-1]["test_accuracy"], "test_loss": history[-1]["test_loss"],
            "train_loss": history[-1]["train_loss"], "epochs": float(cfg["epochs"]),
            "seconds": round(time.perf_counter() - start, 2)}
