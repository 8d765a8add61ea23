"""Milestone of Exercise 2.6: a complete, leak-free pipeline on real data, built from your own modules.

Breast cancer (569 tumours, 30 features): stratified split -> StandardScaler (2.2) -> LogisticRegression
(2.4) inside your Pipeline (2.6); test accuracy, precision, recall, F1 and the confusion matrix (2.2), and
5-fold cross-validation on the training split. Then SoftmaxRegression (2.4) on the 8x8 digits. Writes
report.json, curves.png (training losses) and learning_curve.png to out_dir. Gated on `test_accuracy`.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from grader import data
from grader.milestones import Run, track
from grader.target import exercise

TIERS = {  # gradient steps per fit; the smoke tier is what CI runs on two CPU cores
    "smoke": {"logistic_iters": 300, "softmax_iters": 200, "curve_points": 6},
    "full": {"logistic_iters": 1000, "softmax_iters": 500, "curve_points": 12},
}


def run(tier: str = "smoke", out_dir: Path = Path("runs/breast_cancer")) -> dict[str, float]:
    cfg = TIERS[tier]
    pre, models, pipe = exercise("2.2"), exercise("2.4"), exercise("2.6")

    def logistic():
        return pipe.Pipeline([pre.StandardScaler(), models.LogisticRegression(lr=0.5, n_iters=cfg["logistic_iters"], l2=1e-3)])

    run = Run(out_dir, "Exercise 2.6: training loss per gradient step", "test_accuracy", xlabel="gradient step")
    X, y = data.breast_cancer()
    X_train, X_test, y_train, y_test = pre.train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    model = logistic().fit(X_train, y_train)
    y_pred = np.asarray(model.predict(X_test))
    precision, recall, f1 = pre.precision_recall_f1(y_test, y_pred, positive=1)
    confusion = np.asarray(pre.confusion_matrix(y_test, y_pred, n_classes=2))
    run.curves["training loss (breast cancer)"] = list(model.steps[-1].loss_history_)
    cv = np.asarray(pre.cross_val_score(logistic, X_train, y_train, n_splits=5, seed=0))

    sizes = np.unique(np.linspace(20, len(X_train), cfg["curve_points"]).astype(int))
    train_scores, val_scores = [], []
    for n in track(sizes, "learning curve", total=len(sizes)):
        t, v = pipe.learning_curve(logistic, X_train, y_train, X_test, y_test, [int(n)], pre.accuracy)
        train_scores.append(float(t[0]))
        val_scores.append(float(v[0]))

    Xd, yd = data.digits()
    Xd_train, Xd_test, yd_train, yd_test = pre.train_test_split(Xd, yd, test_size=0.25, seed=0, stratify=True)
    digits = pipe.Pipeline([pre.StandardScaler(), models.SoftmaxRegression(lr=0.5, n_iters=cfg["softmax_iters"], l2=1e-3)])
    digits.fit(Xd_train, yd_train)
    digits_accuracy = pre.accuracy(yd_test, digits.predict(Xd_test))
    run.curves["training loss (digits)"] = list(digits.steps[-1].loss_history_)

    metrics = {
        "test_accuracy": float(pre.accuracy(y_test, y_pred)),
        "test_precision": float(precision), "test_recall": float(recall), "test_f1": float(f1),
        "cv_accuracy_mean": float(cv.mean()), "cv_accuracy_std": float(cv.std()),
        "digits_test_accuracy": float(digits_accuracy),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {**metrics, "confusion_matrix": confusion.tolist(), "cv_accuracy_folds": cv.tolist(),
              "learning_curve": {"sizes": sizes.tolist(), "train": train_scores, "test": val_scores}}
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    _plot_learning_curve(out_dir / "learning_curve.png", sizes, train_scores, val_scores)
    return run.finish(metrics)


def _plot_learning_curve(path: Path, sizes, train_scores, test_scores) -> None:
    """Train and test accuracy against the number of training rows (the x axis is the size, not an index)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(sizes, train_scores, "o-", label="train (rows seen)")
    ax.plot(sizes, test_scores, "o-", label="test split")
    ax.set_xlabel("training rows")
    ax.set_ylabel("accuracy")
    ax.set_title("learning curve: logistic regression, breast cancer")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
