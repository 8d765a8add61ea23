"""Milestone for Exercise 6.5: the learner's UNet segments generated shapes on noise.

Training images come from `grader.data.shapes` (seed 0), the test set from another seed (12345) that
no training batch uses. The step is the grader's: Adam on the learner's `UNet` with the learner's
`pixel_cross_entropy`, a TinyJit step fed by `DeviceLoop`. After every epoch the grader predicts
the test set itself (inference mode, argmax of the logits) and scores it with its own confusion
matrix: the gate is the mean IoU over the three shape classes (disc, square, triangle; background
left out), each class's IoU pooled over all test pixels. Writes curves.png and segmentation.png
(rows: image, truth, prediction for 8 test images; grey levels 0 background .. 1 triangle).

smoke: 32 x 32 images, UNet(width 8, depth 2), batch 32, Adam 3e-3 with a cosine decay to 0, 2 epochs
over 4,096 images (256 steps), 256 test images. Measured with the reference (`grader milestone 6.5
--reference`, cold kernel cache, 2 shared cores at load 7-9): mean IoU 0.847 after epoch 1 and 0.873
after epoch 2 (disc 0.85, square 0.89, triangle 0.87; pixel accuracy 0.987), 257.5 CPU s for the
whole child (222.7 in the training process), 702 s wall. About 130-150 CPU s of it is tinygrad
compiling the step and the evaluation (paid by every child); a step costs about 0.36 CPU s. One
epoch alone (128 steps, cosine over 128) gave 0.792 in 220 CPU s, so the second epoch costs little
and steadies the gate; 192 steps over 2,048 images with a fused Adam gave only 0.569 (no triangle
found yet). Gate 0.65, budget 600 CPU s (the registry's ceiling; 2.3x).
full: 48 x 48 images, width 16, depth 3, 12 epochs over 8,192 images (3,072 steps), 1,024 test
images, gate 0.9 (not run here: a GPU or an evening).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from grader.data.shapes import CLASSES, N_CLASSES, shapes_on_noise
from grader.milestones import Run, save_picture, tile
from grader.milestones.mnist_tinygrad import DeviceLoop, cosine_steps, realized
from grader.target import exercise

TIERS = {"smoke": dict(size=32, width=8, depth=2, train=4096, test=256, epochs=2, lr=3e-3),
         "full": dict(size=48, width=16, depth=3, train=8192, test=1024, epochs=12, lr=3e-3)}
BATCH, EVAL_BATCH, TEST_SEED, SHOWN = 32, 256, 12345, 8


def predict(model, images: np.ndarray) -> np.ndarray:
    """Argmax labels (N, H, W) of the model's logits in inference mode, computed here."""
    from tinygrad import Context, Tensor, TinyJit

    @TinyJit
    def logits_of(x):
        return model(x).realize()

    labels = []
    with Context(TRAINING=0):
        for start in range(0, len(images), EVAL_BATCH):
            part = images[start:start + EVAL_BATCH]
            logits = logits_of(Tensor(part)).numpy()
            if logits.shape != (len(part), N_CLASSES, *part.shape[2:]):
                raise ValueError(f"the model gave logits of shape {logits.shape} for images {part.shape}; "
                                 f"expected {(len(part), N_CLASSES, *part.shape[2:])}")
            labels.append(logits.argmax(axis=1))
    return np.concatenate(labels)


def class_iou(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """IoU of every class over all pixels of the set, from a confusion matrix (NaN when empty)."""
    counts = np.bincount(truth.ravel() * N_CLASSES + pred.ravel(), minlength=N_CLASSES ** 2)
    confusion = counts.reshape(N_CLASSES, N_CLASSES)
    inter = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - inter
    return np.where(union > 0, inter / np.maximum(union, 1), np.nan)


def run(tier: str = "smoke", out_dir: Path = Path("milestone_out")) -> dict[str, float]:
    from tinygrad import Context, Tensor, TinyJit, nn
    from tinygrad.nn.optim import Adam

    cfg = TIERS[tier]
    unet = exercise("6.5")
    X_train, y_train = shapes_on_noise(cfg["train"], size=cfg["size"], seed=0)
    X_test, y_test = shapes_on_noise(cfg["test"], size=cfg["size"], seed=TEST_SEED)

    Tensor.manual_seed(0)
    rng = np.random.default_rng(0)
    model = unet.UNet(1, N_CLASSES, width=cfg["width"], depth=cfg["depth"])
    opt = realized(Adam(nn.state.get_parameters(model), lr=cfg["lr"]))

    @TinyJit
    @Context(TRAINING=1)
    def step(x: Tensor, y: Tensor) -> Tensor:
        opt.zero_grad()
        loss = unet.pixel_cross_entropy(model(x), y).backward()
        return loss.realize(*opt.schedule_step())

    run = Run(out_dir, f"Exercise 6.5 UNet on shapes ({tier})", "test_mean_iou", cfg["epochs"])
    loop = DeviceLoop(step, X_train, y_train.astype(np.int32), batch=BATCH)
    advance = cosine_steps(run, opt, cfg["epochs"] * loop.steps, cfg["lr"])

    for _ in range(cfg["epochs"]):
        run.begin_epoch(loop.steps)
        train_loss = loop.epoch(rng.permutation(len(X_train)), advance)
        pred = predict(model, X_test)
        ious = class_iou(pred, y_test)
        run.end_epoch(train_loss=train_loss, test_mean_iou=float(np.nanmean(ious[1:])),
                      pixel_accuracy=float((pred == y_test).mean()))
        if run.gate_passed():
            break

    shown = np.concatenate([np.clip(X_test[:SHOWN, 0], 0, 1), y_test[:SHOWN] / (N_CLASSES - 1),
                            pred[:SHOWN] / (N_CLASSES - 1)])
    save_picture(Path(out_dir) / "segmentation.png", tile(shown, 3, SHOWN, cfg["size"]),
                 f"6.5 ({tier}): image / truth / prediction")
    last = run.history[-1]
    per_class = {f"iou_{name}": float(v) for name, v in zip(CLASSES[1:], ious[1:])}
    return run.finish({"test_mean_iou": last["test_mean_iou"], "pixel_accuracy": last["pixel_accuracy"],
                       "final_train_loss": last["train_loss"], **per_class})
