"""Milestone for Exercise 5.9: train the learner's GAN on MNIST and score its samples with a classifier.

The learner's `train_step_d` and `train_step_g` alternate (one D step, then one G step on the same
noise), wrapped here in one TinyJit; real batches and noise are copied in once per round and read at
a symbolic offset (`DeviceBatches`). The score is computed by the grader alone: a softmax MLP
784-64-10 trained here with NumPy on the MNIST training set (seeded; about 96 % test accuracy in a
few CPU seconds) classifies 1000 images that G makes from fixed noise. `conf90` is the fraction of
them classified with max-probability > 0.9 (a recognisable digit); `classes` counts the digits that
at least 2 % of the samples are assigned to (no mode collapse). The gated `sample_score` is conf90
when enough classes are covered (smoke 7, full 9), else 0. Writes `curves.png` and `samples.png`.

smoke: G 64-128-256-784, D 784-256-128-1, Adam (lr 4e-4, beta1 0.5), batch 64, up to 12 rounds of 300
steps, scored after each round; the run ends at the first round that passes. One snapshot of a GAN
is noisy: with the reference, seed 0, conf90 went 0.098 / 0.029 / 0.165 / 0.006 / 0.161 after rounds
3-7 while the covered classes went 6 / 5 / 6 / 7 / 9, so a run fixed at 6 rounds failed where one more
round passed. Measured with the reference, seeds 0-3, 5, 6 (`Tensor.manual_seed` and the batch order;
one process each, 2 cores): the gate passed after 5-7 rounds with sample_score 0.106-0.274, 42-54 CPU s
of training. Speckled but recognisable digits. Gate sample_score >= 0.10, budget 450 CPU s.
full: G 64-256-512-784, D 784-512-256-1, Adam (lr 2e-4, beta1 0.5), batch 64, 28,000 steps (30
epochs), gate sample_score >= 0.5 with 9 classes. Not run here.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from grader import data
from grader.milestones import Run, flat_pixels, save_picture, tile
from grader.milestones.mnist_tinygrad import DeviceBatches, realized
from grader.target import exercise

TIERS = {
    "smoke": dict(g=(64, 128, 256, 784), d=(784, 256, 128, 1), lr=4e-4, rounds=12, steps=300, min_classes=7),
    "full": dict(g=(64, 256, 512, 784), d=(784, 512, 256, 1), lr=2e-4, rounds=28, steps=1000, min_classes=9),
}
BATCH, N_SAMPLES, CONFIDENT, MIN_SHARE = 64, 1000, 0.9, 0.02


class Scorer:
    """A NumPy softmax MLP 784-64-10 (ReLU), trained with momentum SGD for 1 epoch, seed 0."""

    def __init__(self, X: np.ndarray, y: np.ndarray, hidden: int = 64, epochs: int = 1, lr: float = 0.1):
        rng = np.random.default_rng(0)
        self.W1 = (rng.standard_normal((784, hidden)) * np.sqrt(2 / 784)).astype(np.float32)
        self.b1 = np.zeros(hidden, np.float32)
        self.W2 = (rng.standard_normal((hidden, 10)) * np.sqrt(1 / hidden)).astype(np.float32)
        self.b2 = np.zeros(10, np.float32)
        params = [self.W1, self.b1, self.W2, self.b2]
        velocity = [np.zeros_like(p) for p in params]
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for at in range(0, len(X) - 127, 128):
                xb, yb = X[order[at:at + 128]], y[order[at:at + 128]]
                h = np.maximum(xb @ self.W1 + self.b1, 0)
                d = self._softmax(h @ self.W2 + self.b2)
                d[np.arange(len(yb)), yb] -= 1
                d /= len(yb)
                dh = (d @ self.W2.T) * (h > 0)
                grads = [xb.T @ dh, dh.sum(0), h.T @ d, d.sum(0)]
                for p, v, g in zip(params, velocity, grads):
                    v *= 0.9
                    v -= lr * g
                    p += v

    @staticmethod
    def _softmax(logits: np.ndarray) -> np.ndarray:
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        return self._softmax(np.maximum(X @ self.W1 + self.b1, 0) @ self.W2 + self.b2)

    def score(self, images: np.ndarray) -> tuple[float, int]:
        """(fraction classified with max-probability > 0.9, classes holding >= 2 % of the images)."""
        p = self.probabilities(np.clip(images, 0, 1).astype(np.float32))
        counts = np.bincount(p.argmax(1), minlength=10)
        return float((p.max(1) > CONFIDENT).mean()), int((counts >= MIN_SHARE * len(images)).sum())


def run(tier: str = "smoke", out_dir: Path = Path("milestone_out")) -> dict[str, float]:
    from tinygrad import Tensor, TinyJit
    from tinygrad.nn.optim import Adam

    cfg = TIERS[tier]
    gan = exercise("5.9")
    X_train, y_train, X_test, y_test = data.mnist()
    X_train, X_test = flat_pixels(X_train), flat_pixels(X_test)
    scorer = Scorer(X_train, np.asarray(y_train))
    scorer_accuracy = float((scorer.probabilities(X_test).argmax(1) == np.asarray(y_test)).mean())
    real_images = X_train * 2 - 1                       # G's tanh range
    rng = np.random.default_rng(0)
    latent = cfg["g"][0]
    fixed_z = Tensor(np.random.default_rng(1).standard_normal((N_SAMPLES, latent)).astype(np.float32))

    Tensor.manual_seed(0)
    G, D = gan.Generator(cfg["g"]), gan.Discriminator(cfg["d"])
    opt_g = realized(Adam(G.parameters(), lr=cfg["lr"], b1=0.5))
    opt_d = realized(Adam(D.parameters(), lr=cfg["lr"], b1=0.5))

    @TinyJit
    def step(real: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        return gan.train_step_d(G, D, opt_d, real, z), gan.train_step_g(G, D, opt_g, z)

    @TinyJit
    def generate(z: Tensor) -> Tensor:
        return G(z).realize()

    def samples() -> np.ndarray:
        return (generate(fixed_z).numpy() + 1) / 2

    steps = cfg["steps"]
    batches = DeviceBatches(BATCH)
    run = Run(out_dir, f"Exercise 5.9 GAN on MNIST ({tier})", "sample_score", cfg["rounds"],
              xlabel=f"round of {steps} steps")
    for _ in range(cfg["rounds"]):
        run.begin_epoch(steps)
        reals = real_images[rng.integers(0, len(real_images), steps * BATCH)]
        noise = rng.standard_normal((steps * BATCH, latent)).astype(np.float32)
        losses = []
        for i, (x, z) in enumerate(batches.load(reals, noise)):
            loss_d, loss_g = step(x, z)
            if i % 10 == 0:
                losses.append((loss_d.item(), loss_g.item()))
            run.advance()
        conf90, classes = scorer.score(samples())
        mean_d, mean_g = np.mean(losses, axis=0)
        run.end_epoch(d_loss=mean_d, g_loss=mean_g, conf90=conf90, classes=classes,
                      sample_score=conf90 if classes >= cfg["min_classes"] else 0.0)
        if run.gate_passed():
            break

    last = run.history[-1]
    save_picture(out_dir / "samples.png", tile(samples()[:64], 8, 8),
                 f"64 of {N_SAMPLES} samples: conf90 {last['conf90']:.2f}, {last['classes']:.0f} classes")
    return run.finish({"sample_score": last["sample_score"], "conf90": last["conf90"], "classes": last["classes"],
                       "scorer_test_accuracy": scorer_accuracy, "steps": run.epoch * steps})
