"""Exercise 5.2: a convolutional network for MNIST, with BatchNorm and dropout, and tools to inspect it.

Exercise 5.1 built the convolution from shifted slices; now the built-in layers are allowed
(`nn.Conv2d`, `nn.BatchNorm`, `nn.Linear`) and the subject is the network around them:

    x (N, 1, 28, 28) -> conv 5x5 -> BatchNorm -> ReLU -> max-pool 2   (N, C1, 12, 12)
                     -> conv 5x5 -> BatchNorm -> ReLU -> max-pool 2   (N, C2, 4, 4)
                     -> flatten (N, 16 C2) -> dropout(p) -> linear -> logits (N, 10)

Two layers behave differently while training. BatchNorm normalises with the statistics of the batch
and updates its running averages; at inference it uses those running averages, so a prediction
does not depend on the other images of the batch. Dropout zeroes each feature with probability p and
scales the survivors by 1 / (1 - p) so that the expected activation is unchanged; at inference it
does nothing. In tinygrad 0.14 both follow `Context(TRAINING=1)`, which is why the training step
runs under it and evaluation must not.

After training, `confusion_matrix` shows which digits are mistaken for which, and
`first_layer_filters` turns the first layer's 5x5 kernels into images (edge and stroke detectors).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from tinygrad import Context, Tensor, TinyJit, nn
from tinygrad.nn.optim import Optimizer


class MnistCNN:
    """Two convolution blocks and a linear head for 28x28 grey-scale digits.

    Layers (attributes, all tinygrad built-ins, initialised by their constructors so that
    `Tensor.manual_seed` makes them reproducible):
      conv1 = nn.Conv2d(1, C1, 5),  bn1 = nn.BatchNorm(C1)     (N, 1, 28, 28) -> (N, C1, 24, 24)
      conv2 = nn.Conv2d(C1, C2, 5), bn2 = nn.BatchNorm(C2)     (N, C1, 12, 12) -> (N, C2, 8, 8)
      fc    = nn.Linear(16 * C2, n_classes)                   (N, 16 C2) -> (N, n_classes)
    with (C1, C2) = `channels`. Each block is conv -> BatchNorm -> ReLU -> 2x2 max-pool (stride 2).
    `dropout` is the probability p with which each of the 16 C2 flattened features is zeroed before
    `fc` while training (survivors scaled by 1 / (1 - p)); it is stored as `self.dropout`.

    Raises ValueError unless both channel counts are positive and 0 <= dropout < 1.
    """

    def __init__(self, channels: Sequence[int] = (16, 32), dropout: float = 0.25, n_classes: int = 10):
        if len(channels) != 2 or any(int(c) < 1 for c in channels):
            raise ValueError(f"channels must be two positive counts, got {tuple(channels)}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        c1, c2 = (int(c) for c in channels)
        self.channels, self.dropout, self.n_classes = (c1, c2), float(dropout), int(n_classes)
        ### BEGIN SOLUTION
        self.conv1, self.bn1 = nn.Conv2d(1, c1, 5), nn.BatchNorm(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 5), nn.BatchNorm(c2)
        self.fc = nn.Linear(16 * c2, self.n_classes)
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        """Logits (N, n_classes) for images x of shape (N, 1, 28, 28), float32.

        Under `Context(TRAINING=1)` BatchNorm uses (and records) batch statistics and dropout is
        active; otherwise the running statistics are used and dropout is the identity.
        """
        ### BEGIN SOLUTION
        x = self.bn1(self.conv1(x)).relu().max_pool2d(2)
        x = self.bn2(self.conv2(x)).relu().max_pool2d(2)
        return self.fc(x.flatten(1).dropout(self.dropout))
        ### END SOLUTION


def make_train_step(model: MnistCNN, optimizer: Optimizer) -> Callable[[Tensor, Tensor], Tensor]:
    """Return a TinyJit-compiled `step(x, y) -> loss` for images x (B, 1, 28, 28) and labels y (B,).

    One call, all under `Context(TRAINING=1)` (batch statistics, dropout, the optimizer's guard):
    zero the gradients, mean cross-entropy of `model(x)` against y, backward, one optimizer update;
    return the loss of the batch before the update (a realized scalar Tensor). Build the optimizer
    over `nn.state.get_parameters(model)`: it then also realizes BatchNorm's running statistics
    with every step. Inputs keep one shape on every call; use them only as Tensors (no `.numpy()`).
    """
    ### BEGIN SOLUTION
    @TinyJit
    @Context(TRAINING=1)
    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = model(x).sparse_categorical_crossentropy(y).backward()
        return loss.realize(*optimizer.schedule_step())
    return step
    ### END SOLUTION


def evaluate(model: MnistCNN, X: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """Accuracy of argmax predictions of `model` on images X (N, 1, 28, 28) float32, labels y (N,).

    Inference mode (TRAINING off, even when the caller is inside `Context(TRAINING=1)`): running
    BatchNorm statistics, no dropout, and nothing about the model changes. Every batch has exactly
    `batch_size` rows, so that one TinyJit function replays for all of them: the last, partial batch
    is padded with zero images whose predictions are ignored. Every one of the N rows counts.
    Returns a Python float in [0, 1]. Raises ValueError when X and y differ in length or N is 0.
    """
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must be non-empty and of equal length, got {len(X)} and {len(y)}")
    ### BEGIN SOLUTION
    @TinyJit
    def predict(x: Tensor) -> Tensor:
        return model(x).argmax(axis=1).realize()

    X = np.asarray(X, dtype=np.float32)
    correct = 0
    with Context(TRAINING=0):
        for start in range(0, len(X), batch_size):
            part = X[start:start + batch_size]
            padded = np.zeros((batch_size, *X.shape[1:]), np.float32)
            padded[:len(part)] = part
            pred = predict(Tensor(padded)).numpy()[:len(part)]
            correct += int((pred == np.asarray(y[start:start + batch_size])).sum())
    return correct / len(X)
    ### END SOLUTION


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts C (n_classes, n_classes), int64: C[i, j] = number of examples of true class i predicted as j.

    Rows are true classes and columns predictions, so the diagonal holds the correct predictions,
    C.sum() == len(y_true), and row i sums to the number of examples of class i. A class that never
    occurs still has its (zero) row and column. Raises ValueError when the two label arrays differ in
    length or a label is outside 0..n_classes-1.
    """
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred differ in length: {len(y_true)} and {len(y_pred)}")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{name} has labels outside 0..{n_classes - 1}")
    ### BEGIN SOLUTION
    flat = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes).astype(np.int64)
    ### END SOLUTION


def normalize_filters(weights: np.ndarray) -> np.ndarray:
    """Min-max normalise every filter of a (F, ...) weight array to [0, 1] for display, float32.

    Filter f (all of weights[f]) is mapped by (w - min_f) / (max_f - min_f), with min_f and max_f
    taken over that filter alone, so each one uses the whole grey scale whatever its magnitude.
    A constant filter (max_f == min_f) becomes all zeros, never NaN. Same shape as `weights`.
    """
    w = np.asarray(weights, dtype=np.float64)
    ### BEGIN SOLUTION
    axes = tuple(range(1, w.ndim))
    lo, hi = w.min(axis=axes, keepdims=True), w.max(axis=axes, keepdims=True)
    span = hi - lo
    return np.where(span > 0, (w - lo) / np.where(span > 0, span, 1.0), 0.0).astype(np.float32)
    ### END SOLUTION


def first_layer_filters(model: MnistCNN) -> np.ndarray:
    """The first convolution's kernels as images: float32 (C1, 5, 5) in [0, 1], each normalised
    on its own (`normalize_filters`) after dropping the single input-channel axis."""
    ### BEGIN SOLUTION
    return normalize_filters(model.conv1.weight.numpy()[:, 0])
    ### END SOLUTION
