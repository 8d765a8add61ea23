"""Exercise 6.5: a small U-Net for semantic segmentation, its per-pixel loss, Dice and IoU.

Classification gives one label per image; segmentation gives one per pixel. A U-Net does it with
an encoder that halves the resolution while it doubles the channels, a bottleneck, and a decoder
that climbs back up. What the way down loses (where exactly an edge was) comes back through skip
connections: each decoder block upsamples its input and concatenates the encoder feature map of
the same resolution along the channels before its convolutions.

    x (N, 1, 32, 32) -> enc 0 (N, w, 32, 32) ---------------------------------- skip 0 --+
                          max-pool -> enc 1 (N, 2w, 16, 16) ------------- skip 1 --+      |
                                     max-pool -> bottleneck (N, 4w, 8, 8)          |      |
                                                 up -> cat (N, 2w + 2w, 16, 16) <--+      |
                                                        block (N, 2w, 16, 16)             |
                                                        up -> cat (N, w + w, 32, 32) <----+
                                                               block (N, w, 32, 32)
                                                               1x1 head (N, n_classes, 32, 32)

(width w = 8, depth 2). The loss is the cross-entropy of every pixel, averaged over all pixels.
Pixel accuracy flatters a model that predicts background everywhere, so segmentation is scored
per class by overlap: IoU = |P and T| / |P or T| and Dice = 2 |P and T| / (|P| + |T|), where P and T
are the pixels predicted as and truly of the class.

The milestone trains the network on generated "shapes on noise" images (`grader.data.shapes`):
background 0, disc 1, square 2, triangle 3.
"""
from __future__ import annotations

import numpy as np
from tinygrad import Tensor, nn


class ConvBlock:
    """Two rounds of 3x3 convolution (padding 1, no bias) -> BatchNorm -> ReLU.

    Attributes conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), bn1 = nn.BatchNorm(c_out),
    conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), bn2 = nn.BatchNorm(c_out).
    The convolutions carry no bias: BatchNorm subtracts each channel's mean right after, which
    would cancel it (its gradient would be zero). (N, c_in, H, W) -> (N, c_out, H, W).
    """

    def __init__(self, c_in: int, c_out: int):
        raise NotImplementedError("Exercise 6.5: implement ConvBlock.__init__ (see its docstring)")

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError("Exercise 6.5: implement ConvBlock.__call__ (see its docstring)")


class UpBlock:
    """One decoder step: upsample by 2, concatenate the skip connection, then a ConvBlock.

    Attributes up = nn.ConvTranspose2d(c_in, c_out, 2, stride=2) (doubles H and W) and
    block = ConvBlock(2 * c_out, c_out). For x (N, c_in, h, w) and the encoder's feature map
    skip (N, c_out, 2h, 2w):

        out = block(cat([skip, up(x)], dim=1))      (N, c_out, 2h, 2w)

    The skip comes FIRST along the channels (channels 0..c_out-1 of block.conv1's input), the
    upsampled features second; the weights of block.conv1 are laid out in that order.
    """

    def __init__(self, c_in: int, c_out: int):
        raise NotImplementedError("Exercise 6.5: implement UpBlock.__init__ (see its docstring)")

    def __call__(self, x: Tensor, skip: Tensor) -> Tensor:
        raise NotImplementedError("Exercise 6.5: implement UpBlock.__call__ (see its docstring)")


class UNet:
    """A U-Net of `depth` levels with `width` channels at the top level.

    Attributes (built in this order, so that `Tensor.manual_seed` makes them reproducible):
      encoders   list of `depth` ConvBlocks; level i maps c_{i-1} -> width * 2**i channels,
                 with c_{-1} = in_channels
      bottleneck ConvBlock(width * 2**(depth-1), width * 2**depth)
      decoders   list of `depth` UpBlocks, deepest first: decoders[j] is
                 UpBlock(width * 2**(depth-j), width * 2**(depth-j-1))
      head       nn.Conv2d(width, n_classes, 1): per-pixel logits

    Forward: each encoder's output is kept as a skip and max-pooled (2x2, stride 2) before the next
    level; the bottleneck runs at 1 / 2**depth of the resolution; decoders[j] takes the skip of
    encoders[depth-1-j]. Raises ValueError unless in_channels, width, depth >= 1, n_classes >= 2.
    """

    def __init__(self, in_channels: int = 1, n_classes: int = 4, width: int = 8, depth: int = 2):
        if min(in_channels, width, depth) < 1 or n_classes < 2:
            raise ValueError(f"need in_channels, width, depth >= 1 and n_classes >= 2; got "
                             f"{in_channels}, {width}, {depth}, {n_classes}")
        self.in_channels, self.n_classes, self.width, self.depth = in_channels, n_classes, width, depth
        raise NotImplementedError("Exercise 6.5: implement UNet.__init__ (see its docstring)")

    def __call__(self, x: Tensor) -> Tensor:
        """Logits (N, n_classes, H, W) for images x (N, in_channels, H, W), float32.

        H and W must both be divisible by 2**depth (each level halves them and the decoder must
        meet every skip at its exact size). Raises ValueError, before any computation, when x is
        not 4-D, has another number of channels, or H or W is not a multiple of 2**depth.
        """
        raise NotImplementedError("Exercise 6.5: implement UNet.__call__ (see its docstring)")


def pixel_cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over every pixel: a scalar Tensor.

    For logits z (N, C, H, W) and integer labels y (N, H, W) with values in 0..C-1:

        loss = -1 / (N H W) * sum_{n,h,w} log softmax_c(z[n, :, h, w])[y[n, h, w]]

    The softmax runs over the class axis (axis 1), separately at each pixel. Differentiable with
    respect to the logits. Raises ValueError when logits are not 4-D or labels are not (N, H, W).
    """
    if logits.ndim != 4 or tuple(labels.shape) != (logits.shape[0], *logits.shape[2:]):
        raise ValueError(f"expected logits (N, C, H, W) and labels (N, H, W); got "
                         f"{tuple(logits.shape)} and {tuple(labels.shape)}")
    raise NotImplementedError("Exercise 6.5: implement pixel_cross_entropy (see its docstring)")


def _label_maps(pred, target, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Both label maps as int64 arrays, after checking that they fit together."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"pred and target differ in shape: {pred.shape} and {target.shape}")
    for name, labels in (("pred", pred), ("target", target)):
        if labels.dtype.kind not in "iu":
            raise ValueError(f"{name} must hold integer labels (argmax the logits first), got {labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{name} has labels outside 0..{n_classes - 1}")
    return pred.astype(np.int64), target.astype(np.int64)


def iou(pred: np.ndarray, target: np.ndarray, n_classes: int) -> np.ndarray:
    """Intersection over union of every class: float64 array (n_classes,).

    pred and target are integer label maps of one shape (any, e.g. (N, H, W)). With P_c and T_c the
    pixels labelled c in pred and in target:

        IoU_c = |P_c and T_c| / |P_c or T_c|

    Empty-class convention: a class absent from both maps (an empty union) has no IoU; its entry is
    NaN, and `mean_score` leaves it out. A class present in only one of the two has IoU 0.
    Raises ValueError when the shapes differ, a map is not integer, or a label is outside
    0..n_classes-1.
    """
    pred, target = _label_maps(pred, target, n_classes)
    raise NotImplementedError("Exercise 6.5: implement iou (see its docstring)")


def dice(pred: np.ndarray, target: np.ndarray, n_classes: int) -> np.ndarray:
    """Dice coefficient of every class: float64 array (n_classes,).

        Dice_c = 2 |P_c and T_c| / (|P_c| + |T_c|)

    (the F1 score of the class's pixels; Dice = 2 IoU / (1 + IoU)). Same inputs, errors and
    empty-class convention as `iou`: NaN for a class absent from both maps, 0 for a class present in
    only one.
    """
    pred, target = _label_maps(pred, target, n_classes)
    raise NotImplementedError("Exercise 6.5: implement dice (see its docstring)")


def mean_score(per_class: np.ndarray, include_background: bool = False) -> float:
    """Mean of per-class scores (from `iou` or `dice`) as a Python float.

    Class 0 is the background and is left out unless `include_background`. NaN entries (classes
    absent from both maps) are left out too; when no class is left, the mean is NaN. Raises
    ValueError for anything but a 1-D array of at least 2 entries.
    """
    per_class = np.asarray(per_class, dtype=np.float64)
    if per_class.ndim != 1 or len(per_class) < 2:
        raise ValueError(f"expected one score per class (1-D, >= 2 entries), got shape {per_class.shape}")
    raise NotImplementedError("Exercise 6.5: implement mean_score (see its docstring)")
