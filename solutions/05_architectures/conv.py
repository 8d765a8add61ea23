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
    ### BEGIN SOLUTION
    if min(size, kernel, stride, dilation) < 1 or padding < 0:
        raise ValueError(f"need size, kernel, stride, dilation >= 1 and padding >= 0, got "
                         f"size={size} kernel={kernel} stride={stride} padding={padding} dilation={dilation}")
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(f"kernel span {span} is larger than the padded input {size + 2 * padding}")
    return (size + 2 * padding - span) // stride + 1
    ### END SOLUTION


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> int:
    """Receptive field (in input cells, along one axis) of one output cell of a stack of layers.

    `layers` lists (kernel, stride, dilation) per layer, input side first. With jump J_l, the product of
    the strides of the layers before layer l (J_1 = 1), the field is

        r = 1 + sum_l dilation_l * (kernel_l - 1) * J_l

    Padding does not change r. An empty stack gives 1. Raises ValueError for an entry that is not three
    ints or has a kernel, stride or dilation below 1.
    Example: receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)]) == 1 + 2 + 1 + 2*2 == 8.
    """
    ### BEGIN SOLUTION
    field, jump = 1, 1
    for layer in layers:
        if len(layer) != 3 or not all(isinstance(v, int) for v in layer) or min(layer) < 1:
            raise ValueError(f"each layer is (kernel, stride, dilation) with ints >= 1, got {layer!r}")
        kernel, stride, dilation = layer
        field += dilation * (kernel - 1) * jump
        jump *= stride
    return field
    ### END SOLUTION


### BEGIN SOLUTION
def _windows(x: Tensor, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
             dilation: tuple[int, int], fill: float) -> Tensor:
    """(N, C, H, W) -> (N, C, Ho, Wo, kH, kW): every window of the input padded with `fill`."""
    if x.ndim != 4:
        raise ValueError(f"input must be (N, C, H, W), got shape {x.shape}")
    (ph, pw), (dh, dw) = padding, dilation
    for axis, (n, k, p, d) in enumerate(zip(x.shape[2:], kernel, padding, dilation)):
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError(f"kernel span {d * (k - 1) + 1} along {'HW'[axis]} is larger than the "
                             f"padded input {n + 2 * p}")
    x = x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)), value=fill)
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1, (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    # tap (u, v) of every window: the cells u*dh, u*dh + sh, ... (a strided slice, no copy)
    taps = [x[:, :, u * dh:u * dh + sh * (ho - 1) + 1:sh, v * dw:v * dw + sw * (wo - 1) + 1:sw]
            for u in range(kh) for v in range(kw)]
    return Tensor.stack(*taps, dim=-1).reshape(*x.shape[:2], ho, wo, kh, kw)
### END SOLUTION


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
    ### BEGIN SOLUTION
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W) and w (C_out, C_in/groups, kH, kW), got {x.shape} and {w.shape}")
    (n, c_in, _, _), (c_out, c_group, kh, kw) = x.shape, w.shape
    if not isinstance(groups, int) or groups < 1 or c_in % groups or c_out % groups:
        raise ValueError(f"groups={groups!r} must be an int >= 1 dividing C_in={c_in} and C_out={c_out}")
    if c_group != c_in // groups:
        raise ValueError(f"w has {c_group} input channels per group; x has {c_in} channels in {groups} group(s)")
    if b is not None and tuple(b.shape) != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},), got {b.shape}")
    cols = _windows(x, (kh, kw), _pair(stride, "stride", 1), _pair(padding, "padding", 0),
                    _pair(dilation, "dilation", 1), 0.0)
    ho, wo = cols.shape[2:4]
    # (N, G, C_in/G, Ho, Wo, kH, kW) -> (N, G, Ho*Wo, C_in/G*kH*kW): one row per output position
    cols = cols.reshape(n, groups, c_group, ho, wo, kh, kw).permute(0, 1, 3, 4, 2, 5, 6)
    cols = cols.reshape(n, groups, ho * wo, c_group * kh * kw)
    kernels = w.reshape(groups, c_out // groups, c_group * kh * kw).permute(0, 2, 1)
    out = (cols @ kernels).permute(0, 1, 3, 2).reshape(n, c_out, ho, wo)
    return out if b is None else out + b.reshape(1, c_out, 1, 1)
    ### END SOLUTION


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> Tensor:
    """Maximum over every kernel_size window of x (N, C, H, W), each channel on its own.

    stride defaults to kernel_size (windows side by side). Padding cells hold -inf, so they never win:
    every output is the maximum of real input cells (as in tinygrad and PyTorch). The gradient flows to
    the cell that holds the maximum. Output (N, C, Ho, Wo) with Ho = conv_output_size(H, kH, sh, ph).

    Raises ValueError for an input that is not 4-D, kernel_size or stride < 1, padding < 0 or larger
    than half the kernel (a window made of padding alone), or a window larger than the padded input.
    """
    ### BEGIN SOLUTION
    kernel = _pair(kernel_size, "kernel_size", 1)
    pad = _pair(padding, "padding", 0)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"padding {padding!r} must be at most half of kernel_size {kernel_size!r}")
    strides = kernel if stride is None else _pair(stride, "stride", 1)
    return _windows(x, kernel, strides, pad, (1, 1), float("-inf")).max(axis=(-2, -1))
    ### END SOLUTION


def avg_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               count_include_pad: bool = True) -> Tensor:
    """Mean over every kernel_size window of x (N, C, H, W), each channel on its own.

    stride defaults to kernel_size. Padding cells are zeros. With count_include_pad=True (the default,
    as in tinygrad and PyTorch) every window is divided by kH*kW, padded zeros included, so a border
    window is pulled towards 0; with False it is divided by the number of real input cells it covers.
    Output (N, C, Ho, Wo) with Ho = conv_output_size(H, kH, sh, ph). Same ValueErrors as max_pool2d.
    """
    ### BEGIN SOLUTION
    kernel = _pair(kernel_size, "kernel_size", 1)
    pad = _pair(padding, "padding", 0)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"padding {padding!r} must be at most half of kernel_size {kernel_size!r}")
    strides = kernel if stride is None else _pair(stride, "stride", 1)
    sums = _windows(x, kernel, strides, pad, (1, 1), 0.0).sum(axis=(-2, -1))
    if count_include_pad:
        return sums / (kernel[0] * kernel[1])
    counts = _windows(x.ones_like(), kernel, strides, pad, (1, 1), 0.0).sum(axis=(-2, -1))
    return sums / counts
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
        kh, kw = _pair(kernel_size, "kernel_size", 1)
        bound = 1 / math.sqrt(in_channels // groups * kh * kw)
        self.weight = Tensor.uniform(out_channels, in_channels // groups, kh, kw, low=-bound, high=bound)
        self.bias = Tensor.uniform(out_channels, low=-bound, high=bound) if bias else None
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        """conv2d(x, weight, bias) with this layer's stride, padding, dilation and groups."""
        ### BEGIN SOLUTION
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        ### END SOLUTION

    def parameters(self) -> list[Tensor]:
        """[weight, bias], or [weight] for a layer without bias."""
        ### BEGIN SOLUTION
        return [self.weight] if self.bias is None else [self.weight, self.bias]
        ### END SOLUTION
