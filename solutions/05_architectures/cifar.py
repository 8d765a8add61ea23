"""Exercise 5.3: a convolutional network for CIFAR-10, with input statistics and data augmentation.

CIFAR-10 images are 32x32 colour photos of ten classes. Three pieces matter beyond the network:

* Normalisation. Each colour channel is shifted and scaled by the mean and standard deviation of that
  channel over the TRAINING images only. The test set is normalised with the same numbers: computing
  them on test images lets information about the test set leak into the model's inputs.
* Data augmentation. Ten thousand images are few for a convolutional network: it starts to memorise
  them after a few epochs. Each time an image is shown it is shifted by up to 4 pixels (a random
  32x32 window of the image padded by 4 zeros on each side) and mirrored left-right with probability
  1/2. Both changes keep the label true, so the network sees "new" images. Augmentation runs on the
  host in NumPy, batch by batch, before the images enter the jitted training step.
* Batch normalisation. `nn.BatchNorm` normalises each channel with the statistics of the current
  batch while training (and updates its running averages), and with the running averages in
  evaluation. In tinygrad the mode is `Context(TRAINING=1)`; outside it the model is in evaluation.

After Exercise 5.2 the built-in layers are allowed: `nn.Conv2d`, `nn.BatchNorm`, `nn.Linear`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tinygrad import Context, Tensor, TinyJit, nn
from tinygrad.nn.optim import Optimizer

PAD = 4  # random-crop padding: every output is a window of the image padded by PAD zeros per side


def channel_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of a set of images, in units of pixel / 255.

    X: uint8 array (N, H, W, C), channels last, as `grader.data.cifar10()` returns it. With
    v = X / 255, mean[c] is the average of v[..., c] over all N*H*W pixels and std[c] is the
    population standard deviation (ddof = 0) of the same values. Returns two float32 arrays of
    shape (C,). Call it on the training set only. Raises ValueError unless X is 4-D with N >= 1.
    """
    X = np.asarray(X)
    if X.ndim != 4 or len(X) == 0:
        raise ValueError(f"expected a non-empty (N, H, W, C) array, got shape {X.shape}")
    ### BEGIN SOLUTION
    v = X.reshape(-1, X.shape[-1]).astype(np.float64) / 255.0
    return v.mean(axis=0).astype(np.float32), v.std(axis=0).astype(np.float32)
    ### END SOLUTION


def normalize(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Standardise images channel by channel and move the channels first.

    X: uint8 (N, H, W, C); mean, std: shape (C,) as `channel_stats` returns (training statistics).
    out[n, c, h, w] = (X[n, h, w, c] / 255 - mean[c]) / std[c], a float32 array (N, C, H, W), the
    layout `nn.Conv2d` expects. The statistics are used as given, never recomputed from X.
    Raises ValueError when X is not 4-D or mean/std do not have C entries.
    """
    X, mean, std = np.asarray(X), np.asarray(mean), np.asarray(std)
    if X.ndim != 4 or mean.shape != (X.shape[-1],) or std.shape != (X.shape[-1],):
        raise ValueError(f"expected X (N, H, W, C) and mean, std of shape (C,), got {X.shape}, "
                         f"{mean.shape}, {std.shape}")
    ### BEGIN SOLUTION
    v = (X.astype(np.float32) / 255.0 - mean.astype(np.float32)) / std.astype(np.float32)
    return np.ascontiguousarray(v.transpose(0, 3, 1, 2), dtype=np.float32)
    ### END SOLUTION


def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random crop with zero padding, then a random horizontal flip, drawn per image.

    X: (N, C, H, W), any dtype (the normalised float32 batch, or uint8 images for a picture). For
    each image independently: pad H and W by PAD = 4 zeros on each side (on normalised inputs zero
    is the training set's mean colour), take the H x W window whose top-left corner is at (dy, dx)
    with dy, dx drawn uniformly from {0, ..., 8} (so (4, 4) is the original image), then mirror it
    along the width axis (`[..., ::-1]`) with probability 1/2. All random draws come from `rng`, so
    the same seed gives the same batch. Returns a new array with X's shape and dtype; X itself is
    never modified. Vectorised over the batch: it runs on the host before every training step.
    Raises ValueError unless X is 4-D.
    """
    X = np.asarray(X)
    if X.ndim != 4:
        raise ValueError(f"expected an (N, C, H, W) batch, got shape {X.shape}")
    ### BEGIN SOLUTION
    n, c, h, w = X.shape
    padded = np.zeros((n, c, h + 2 * PAD, w + 2 * PAD), dtype=X.dtype)
    padded[:, :, PAD:PAD + h, PAD:PAD + w] = X
    dy = rng.integers(0, 2 * PAD + 1, size=n)
    dx = rng.integers(0, 2 * PAD + 1, size=n)
    flip = rng.random(n) < 0.5
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))   # (N, C, 9, 9, H, W), a view
    out = windows[np.arange(n), :, dy, dx]                        # (N, C, H, W), a new array
    out[flip] = out[flip, :, :, ::-1]
    return out
    ### END SOLUTION


class ConvBN:
    """conv 3x3 (padding 1, no bias) -> BatchNorm -> ReLU, keeping the height and width.

    With z = conv(x): out = relu(gamma[c] * (z - m[c]) / sqrt(v[c] + 1e-5) + beta[c]), where (m, v)
    are the batch's per-channel mean and (biased) variance under `Context(TRAINING=1)`, which also
    moves the running averages by momentum 0.1 (running variance from the unbiased batch variance),
    and the running mean and variance in evaluation mode. `nn.BatchNorm` does all of this.
    Attributes `conv` (`nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)`: the BatchNorm's shift
    makes a bias redundant) and `bn` (`nn.BatchNorm(c_out)`). Input (N, c_in, H, W) float32,
    output (N, c_out, H, W).
    """

    def __init__(self, c_in: int, c_out: int):
        ### BEGIN SOLUTION
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm(c_out)
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        return self.bn(self.conv(x)).relu()
        ### END SOLUTION


class CifarNet:
    """A small CNN for 32x32 RGB images: three ConvBN stages, an optional residual block, a linear head.

    With w = width: `blocks` = [ConvBN(3, w), ConvBN(w, 2w), ConvBN(2w, 4w)], each followed by a 2x2
    max-pool (32 -> 16 -> 8 -> 4). With residual=True, `residual` = [ConvBN(4w, 4w), ConvBN(4w, 4w)]
    and x becomes x + residual[1](residual[0](x)); otherwise `residual` is an empty list. Then the
    global average over height and width gives (N, 4w) features and `head` = `nn.Linear(4w, classes)`
    gives raw logits (N, classes). Input (N, 3, H, W) float32 with H, W divisible by 8.

    Pass `nn.state.get_parameters(model)` to the optimizer: it includes the BatchNorm running
    statistics, which the optimizer then realizes with every step (the jitted step needs that).
    """

    def __init__(self, width: int = 16, classes: int = 10, residual: bool = False):
        if width < 1 or classes < 2:
            raise ValueError(f"need width >= 1 and classes >= 2, got {width} and {classes}")
        ### BEGIN SOLUTION
        self.blocks = [ConvBN(3, width), ConvBN(width, 2 * width), ConvBN(2 * width, 4 * width)]
        self.residual = [ConvBN(4 * width, 4 * width), ConvBN(4 * width, 4 * width)] if residual else []
        self.head = nn.Linear(4 * width, classes)
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        for block in self.blocks:
            x = block(x).max_pool2d(2)
        if self.residual:
            x = x + self.residual[1](self.residual[0](x))
        return self.head(x.mean(axis=(2, 3)))
        ### END SOLUTION


def make_train_step(model: CifarNet, optimizer: Optimizer) -> Callable[[Tensor, Tensor], Tensor]:
    """Return a TinyJit-compiled `step(x, y) -> loss` for (N, 3, H, W) float32 images and int labels.

    One call, all under `Context(TRAINING=1)` (BatchNorm uses batch statistics and updates its
    running averages): zero the gradients, mean cross-entropy of `model(x)` against y
    (`sparse_categorical_crossentropy`), backward, one optimizer update; return the realized scalar
    loss. The optimizer must hold `nn.state.get_parameters(model)`, so that realizing its step also
    realizes the new running statistics. Inputs keep one shape across calls; use them only as
    Tensors (no `.numpy()` inside).
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


def evaluate(model: CifarNet, X: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Classification accuracy of `model` in evaluation mode on X (N, 3, H, W) float32, labels y (N,).

    Evaluation mode: outside `Context(TRAINING=1)`, so BatchNorm uses its running statistics and
    changes nothing. Predictions are the argmax of the logits, in batches of at most `batch_size`.
    Returns a Python float in [0, 1]. Raises ValueError when X and y differ in length or N is 0.
    """
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must be non-empty and of equal length, got {len(X)} and {len(y)}")
    ### BEGIN SOLUTION
    correct = 0
    for start in range(0, len(X), batch_size):
        x = Tensor(np.ascontiguousarray(X[start:start + batch_size], dtype=np.float32))
        correct += int((model(x).argmax(axis=1).numpy() == np.asarray(y[start:start + batch_size])).sum())
    return correct / len(X)
    ### END SOLUTION
