"""Exercise 5.1: 2-D convolution and pooling built from tinygrad's movement ops and one matmul.

A convolution layer slides a small kernel over an image and takes a dot product at every position.
Written naively it is six nested loops; written the way frameworks do it, it is two steps:

1. im2col: pad the input, then gather every kernel-sized window into a row of a matrix. Tap (u, v)
   of all windows at once is one strided slice of the padded input (rows u*dh, u*dh + sh, ...);
   stacking the kH*kW slices and a `reshape`/`permute` give the matrix.
2. one matmul of that window matrix with the kernels flattened to (C_out, C_in * kH * kW).

Pooling reuses the same windows and reduces them with `max` or `mean` instead of a matmul.

Everything is cross-correlation, as in PyTorch and tinygrad (the kernel is not flipped):

    out[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * xpad[n, g(o) * C_in/G + c, i*sh + u*dh, j*sw + v*dw]

where xpad is x with `padding` zeros on each side, G the number of groups and g(o) the group of
output channel o. Along one axis the output has floor((n + 2p - d(k-1) - 1) / s) + 1 positions, and
a stack of layers sees a receptive field that grows by d(k-1) times the product of the strides
before it. Gradients come for free: every op used here is differentiable in tinygrad.

Forbidden: `Tensor.conv2d`, `Tensor.conv_transpose2d`, `Tensor.max_pool2d`, `Tensor.avg_pool2d`
and `tinygrad.nn.Conv2d` (it calls `Tensor.conv2d`). `pad`, slicing, `stack`, `reshape`, `permute`
and matmul are the building blocks. `Tensor.unfold` is allowed and gives the same windows, but the
backward pass of two nested unfolds compiled about 6x slower than strided slices in tinygrad 0.14
(22 vs 3.7 CPU-s for one gradient of a small grouped conv on the development machine).
"""
from __future__ import annotations

import math
from typing import Sequence

from tinygrad import Tensor

IntPair = int | tuple[int, int]


def _pair(value: IntPair, name: str, minimum: int) -> tuple[int, int]:
    """(h, w) from an int or a 2-tuple of ints, each at least `minimum`; ValueError otherwise."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{name} must be an int or a (h, w) pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Number of window positions along one axis: floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1.

    A kernel of k taps with dilation d spans d(k-1)+1 input cells; the first window starts at the first
    padded cell and each next one `stride` cells later, as long as it still fits in size + 2*padding.
    All arguments are Python ints. Raises ValueError when size, kernel, stride or dilation is < 1,
    padding < 0, or the kernel span is larger than the padded input (no window fits).
    Example: conv_output_size(32, 5, 1, 2) == 32 ("same" padding), conv_output_size(7, 3, 2) == 3.
    """
    raise NotImplementedError("Exercise 5.1: implement conv_output_size (see its docstring)")


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> int:
    """Receptive field (in input cells, along one axis) of one output cell of a stack of layers.

    `layers` lists (kernel, stride, dilation) per layer, input side first. With jump J_l, the product of
    the strides of the layers before layer l (J_1 = 1), the field is

        r = 1 + sum_l dilation_l * (kernel_l - 1) * J_l

    Padding does not change r. An empty stack gives 1. Raises ValueError for an entry that is not three
    ints or has a kernel, stride or dilation below 1.
    Example: receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)]) == 1 + 2 + 1 + 2*2 == 8.
    """
    raise NotImplementedError("Exercise 5.1: implement receptive_field (see its docstring)")


def conv2d(x: Tensor, w: Tensor, b: Tensor | None = None, stride: IntPair = 1, padding: IntPair = 0,
           dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of x (N, C_in, H, W) with w (C_out, C_in / groups, kH, kW), plus bias b (C_out,).

    out[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * xpad[n, g*C_in/G + c, i*sh + u*dh, j*sw + v*dw]
    with g = o // (C_out / G): output channel o reads only the input channels of its own group g
    (groups = C_in gives a depthwise convolution). stride, padding (zeros on both sides) and dilation
    are ints or (h, w) pairs. Output (N, C_out, Ho, Wo) with Ho = conv_output_size(H, kH, sh, ph, dh)
    and likewise Wo; dtype of x. Differentiable in x, w and b.

    Raises ValueError when x or w is not 4-D, groups < 1, C_in or C_out is not divisible by groups,
    w.shape[1] != C_in / groups, b is not of shape (C_out,), stride or dilation < 1, padding < 0, or
    the dilated kernel is larger than the padded input.
    """
    raise NotImplementedError("Exercise 5.1: implement conv2d (see its docstring)")


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> Tensor:
    """Maximum over every kernel_size window of x (N, C, H, W), each channel on its own.

    stride defaults to kernel_size (windows side by side). Padding cells hold -inf, so they never win:
    every output is the maximum of real input cells (as in tinygrad and PyTorch). The gradient flows to
    the cell that holds the maximum. Output (N, C, Ho, Wo) with Ho = conv_output_size(H, kH, sh, ph).

    Raises ValueError for an input that is not 4-D, kernel_size or stride < 1, padding < 0 or larger
    than half the kernel (a window made of padding alone), or a window larger than the padded input.
    """
    raise NotImplementedError("Exercise 5.1: implement max_pool2d (see its docstring)")


def avg_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               count_include_pad: bool = True) -> Tensor:
    """Mean over every kernel_size window of x (N, C, H, W), each channel on its own.

    stride defaults to kernel_size. Padding cells are zeros. With count_include_pad=True (the default,
    as in tinygrad and PyTorch) every window is divided by kH*kW, padded zeros included, so a border
    window is pulled towards 0; with False it is divided by the number of real input cells it covers.
    Output (N, C, Ho, Wo) with Ho = conv_output_size(H, kH, sh, ph). Same ValueErrors as max_pool2d.
    """
    raise NotImplementedError("Exercise 5.1: implement avg_pool2d (see its docstring)")


class Conv2d:
    """A convolution layer: weight (C_out, C_in / groups, kH, kW) and bias (C_out,), applied with conv2d.

    Initialisation as in tinygrad.nn.Conv2d and PyTorch (Kaiming-uniform with a = sqrt(5)): weight and
    bias are drawn with `Tensor.uniform` from U(-bound, bound), bound = 1 / sqrt(fan_in) with
    fan_in = (C_in / groups) * kH * kW, weight first, then bias. `parameters()` returns [weight, bias]
    (or [weight] with bias=False). ValueError when C_in or C_out is not divisible by groups.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1, bias: bool = True):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        raise NotImplementedError("Exercise 5.1: implement Conv2d.__init__ (see its docstring)")

    def __call__(self, x: Tensor) -> Tensor:
        """conv2d(x, weight, bias) with this layer's stride, padding, dilation and groups."""
        raise NotImplementedError("Exercise 5.1: implement Conv2d.__call__ (see its docstring)")

    def parameters(self) -> list[Tensor]:
        """[weight, bias], or [weight] for a layer without bias."""
        raise NotImplementedError("Exercise 5.1: implement Conv2d.parameters (see its docstring)")
