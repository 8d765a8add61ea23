"""Milestone of Exercise 1.4: linear regression on the diabetes data set, fitted two ways.

Data: 442 patients, 10 features, target = disease progression one year later. A fixed, seeded 80/20
split (seed 0); features standardized with the training set's mean and standard deviation (so the
test set never leaks into the scaling, and gradient descent sees a well-conditioned problem).

The learner's `fit_normal_equations` and `fit_gradient_descent` are both fitted on the training set.
Metrics:
    test_r2          min(test R^2 of the normal-equation weights, test R^2 of the gradient-descent weights):
                     the gated metric, so both fits must be right
    test_r2_normal   test R^2 of the normal-equation weights
    test_r2_gd       test R^2 of the gradient-descent weights
    train_r2         training R^2 of the normal-equation weights
    weight_gap       max |w_normal - w_gd|: how far gradient descent is from the closed form
    final_loss       the last training MSE of gradient descent
The loss curves are saved as curves.png in out_dir. Both fits take well under a second (one full-batch call
each), so this milestone shows no progress bar.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from grader import data
from grader.milestones import Run
from grader.target import exercise

SEED, TRAIN_FRACTION, LR = 0, 0.8, 0.1
EPOCHS = {"smoke": 5000, "full": 20000}


def split(X: np.ndarray, y: np.ndarray, seed: int = SEED):
    """The fixed train/test split and the standardization fitted on the training part."""
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(TRAIN_FRACTION * len(y))
    train, test = order[:cut], order[cut:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    return (X[train] - mean) / std, y[train].astype(np.float64), (X[test] - mean) / std, y[test].astype(np.float64)


def run(tier: str = "smoke", out_dir: Path = Path(".grader/runs/1.4")) -> dict[str, float]:
    if tier not in EPOCHS:
        raise ValueError(f"tier must be one of {sorted(EPOCHS)}, got {tier!r}")
    linreg = exercise("1.4")
    run = Run(out_dir, f"Linear regression on diabetes ({tier}, lr={LR})", "test_r2", xlabel="gradient step")
    X_train, y_train, X_test, y_test = split(*data.diabetes())

    w_normal = np.asarray(linreg.fit_normal_equations(X_train, y_train), dtype=np.float64)
    w_gd, history = linreg.fit_gradient_descent(X_train, y_train, lr=LR, epochs=EPOCHS[tier])
    w_gd = np.asarray(w_gd, dtype=np.float64)

    r2_normal = float(linreg.r2_score(y_test, linreg.predict(X_test, w_normal)))
    r2_gd = float(linreg.r2_score(y_test, linreg.predict(X_test, w_gd)))
    history = [float(v) for v in history]
    best = float(linreg.mse(X_train, y_train, w_normal))
    run.curves = {"training MSE (gradient descent)": history,
                  "log10(MSE - least-squares MSE)": [float(np.log10(max(v - best, 1e-12))) for v in history]}
    return run.finish({
        "test_r2": min(r2_normal, r2_gd),
        "test_r2_normal": r2_normal,
        "test_r2_gd": r2_gd,
        "train_r2": float(linreg.r2_score(y_train, linreg.predict(X_train, w_normal))),
        "weight_gap": float(np.max(np.abs(w_normal - w_gd))),
        "final_loss": history[-1] if history else float("nan"),
    })
