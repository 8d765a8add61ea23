"""Exercise 6.3: symmetric INT8 quantisation of weights and activations, and a QuantizedLinear layer.

A float32 weight costs 4 bytes; an int8 code costs 1. Symmetric quantisation maps a real value w to
an integer code with one positive float `scale` per group of values:

    scale = max|w| / 127          (over the group; 1.0 when the group is all zeros)
    q     = clip(round(w / scale), -127, 127)      as int8
    w'    = q * scale                              (dequantised, float32)

`round` is round-half-to-even (NumPy's and tinygrad's `.round()`), and the range is the symmetric
[-127, 127]: -128 is never used, so that negating a code never overflows and zero is exactly 0.
The group is the whole tensor (per-tensor) or one output channel (per-channel). Per-channel scales
cost a few floats more and follow each channel's own magnitude: a channel of small weights is no
longer rounded to a handful of levels because another channel holds a large one.

Activations are quantised the same way, but their range must be measured before inference:
calibration runs a few batches through the float model and an observer keeps the running min/max
(or a high percentile of |x|, which ignores rare outliers). With int8 inputs and int8 weights, a
linear layer is an integer matmul followed by one float rescale per output channel:

    y = (x_q @ W_q) * (s_x * s_w) + b          x_q @ W_q accumulated in int32

The accumulation must be int32: one product is up to 127 * 127 = 16129, and a sum of a few of them
overflows int8 and int16. In tinygrad `a.dot(b)` of two int8 tensors stays int8 and wraps;
`a.dot(b, dtype=dtypes.int32)` accumulates in int32.

Quantisation-aware training inserts `fake_quantize` (quantise then dequantise, still float) into the
forward pass. `round` has zero gradient almost everywhere, so the backward pass uses the
straight-through estimator: the gradient passes unchanged where the value is inside the clip range
and is 0 where the value was clipped.

Layout: as in Exercise 4.1, a linear layer computes y = x @ W + b with W of shape
(in_features, out_features), so an output channel is a column of W (axis 1).
"""
from __future__ import annotations

import numpy as np
from tinygrad import Tensor, dtypes

QMAX = 127  # codes live in [-QMAX, QMAX]


def _as_scale(scale) -> Tensor:
    """A float32 Tensor from a Python number, NumPy array or Tensor of scales."""
    if isinstance(scale, Tensor):
        return scale.cast(dtypes.float32)
    return Tensor(np.asarray(scale, dtype=np.float32))


def quantize(w: Tensor, axis: int | None = None) -> tuple[Tensor, Tensor]:
    """Symmetric INT8 quantisation of a float tensor: returns (q, scale).

    axis None (per-tensor): one scale for all of w, scale = max|w| / 127, a float32 Tensor of shape ().
    axis k (per-channel): one scale per index along axis k, the max taken over all the other axes;
    scale is float32 with w's shape except 1 on every axis but k (e.g. (1, out) for an (in, out)
    weight and axis 1), so that `q * scale` broadcasts. Negative k counts from the end.
    A group whose values are all zero gets scale 1.0 (its codes are 0), never 0 or NaN.
    q = clip(round_half_even(w / scale), -127, 127), an int8 Tensor of w's shape.
    Raises ValueError for an axis outside w's dimensions or a w that is not floating point.
    """
    if not dtypes.is_float(w.dtype):
        raise ValueError(f"quantize expects a floating-point tensor, got {w.dtype}")
    if axis is not None and not -w.ndim <= axis < w.ndim:
        raise ValueError(f"axis {axis} is out of range for a tensor of {w.ndim} dimensions")
    ### BEGIN SOLUTION
    w = w.cast(dtypes.float32)
    if axis is None:
        amax = w.abs().max()
    else:
        axis = axis % w.ndim
        amax = w.abs().max(axis=tuple(i for i in range(w.ndim) if i != axis), keepdim=True)
    scale = (amax > 0).where(amax / QMAX, 1.0).realize()
    return quantize_with_scale(w, scale), scale
    ### END SOLUTION


def quantize_with_scale(x: Tensor, scale) -> Tensor:
    """INT8 codes of x for a given scale (a number or a float Tensor that broadcasts against x).

    q = clip(round_half_even(x / scale), -127, 127) as int8. Values beyond +-127 * scale (an
    activation larger than anything seen in calibration) saturate at +-127: clip before the cast,
    since casting an out-of-range float to int8 wraps around. Returns an int8 Tensor of x's shape.
    Raises ValueError when a scale is not positive.
    """
    scale = _as_scale(scale)
    ### BEGIN SOLUTION
    if (scale.numpy() <= 0).any():
        raise ValueError("scales must be positive")
    return (x.cast(dtypes.float32) / scale).round().clip(-QMAX, QMAX).cast(dtypes.int8)
    ### END SOLUTION


def dequantize(q: Tensor, scale) -> Tensor:
    """Float32 values q * scale of int8 codes q; scale is a number or a Tensor that broadcasts
    against q (the scale `quantize` returned). Raises ValueError when q is not int8."""
    if q.dtype != dtypes.int8:
        raise ValueError(f"dequantize expects int8 codes, got {q.dtype}")
    ### BEGIN SOLUTION
    return q.cast(dtypes.float32) * _as_scale(scale)
    ### END SOLUTION


def int8_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Exact integer product of int8 matrices a (N, K) and b (K, M): an int32 Tensor (N, M).

    Every sum of products is accumulated in int32, so the result is exact as long as it fits in
    int32 (K * 127 * 127 < 2**31, K up to 133,000): no wrap-around in int8 or int16 and no
    rounding as in float32 sums beyond 2**24. Raises ValueError unless both are 2-D int8 with
    matching inner sizes.
    """
    if a.dtype != dtypes.int8 or b.dtype != dtypes.int8:
        raise ValueError(f"int8_matmul expects int8 inputs, got {a.dtype} and {b.dtype}")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"int8_matmul expects (N, K) and (K, M), got {a.shape} and {b.shape}")
    ### BEGIN SOLUTION
    return a.dot(b, dtype=dtypes.int32)
    ### END SOLUTION


class MinMaxObserver:
    """Activation calibration from the extremes: keeps the smallest and largest value observed.

    `observe(x)` takes a float Tensor of any shape (one batch) and updates `lo` and `hi` (Python
    floats, None before the first batch) to the running min and max over all batches so far.
    `scale()` = max(|lo|, |hi|) / 127 as a Python float (1.0 when every value seen was 0).
    Raises ValueError from `scale()` before any batch was observed.
    """

    def __init__(self):
        self.lo: float | None = None
        self.hi: float | None = None

    def observe(self, x: Tensor) -> None:
        """Widen [lo, hi] to include every value of the batch x."""
        ### BEGIN SOLUTION
        lo, hi = x.min().item(), x.max().item()
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        ### END SOLUTION

    def scale(self) -> float:
        """max(|lo|, |hi|) / 127, or 1.0 when that max is 0."""
        ### BEGIN SOLUTION
        if self.lo is None:
            raise ValueError("no batch observed yet: call observe() before scale()")
        amax = max(abs(self.lo), abs(self.hi))
        return amax / QMAX if amax > 0 else 1.0
        ### END SOLUTION


class PercentileObserver:
    """Activation calibration that ignores rare outliers: a percentile of |x| over every value seen.

    `observe(x)` records the batch (a float Tensor of any shape). `scale()` = P / 127 as a Python
    float, where P = np.percentile(|all observed values|, percentile) with NumPy's default linear
    interpolation, over the values of all batches pooled together (not an average of per-batch
    percentiles); 1.0 when P is 0. percentile=100 gives the largest |x|, as MinMaxObserver does.
    Raises ValueError for a percentile outside (0, 100], and from `scale()` before any batch.
    """

    def __init__(self, percentile: float = 99.99):
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile must be in (0, 100], got {percentile}")
        self.percentile = float(percentile)
        ### BEGIN SOLUTION
        self._seen: list[np.ndarray] = []
        ### END SOLUTION

    def observe(self, x: Tensor) -> None:
        """Record |x| of one batch (a copy: later changes to x do not matter)."""
        ### BEGIN SOLUTION
        self._seen.append(np.abs(x.numpy().astype(np.float32).ravel()))
        ### END SOLUTION

    def scale(self) -> float:
        """The percentile of |x| over all recorded values, divided by 127 (1.0 when it is 0)."""
        ### BEGIN SOLUTION
        if not self._seen:
            raise ValueError("no batch observed yet: call observe() before scale()")
        p = float(np.percentile(np.concatenate(self._seen), self.percentile))
        return p / QMAX if p > 0 else 1.0
        ### END SOLUTION


class QuantizedLinear:
    """A linear layer y = x @ W + b stored as int8 weights with one float32 scale per output channel.

    Built from a float weight (in_features, out_features) and an optional bias (out_features,):
      weight  int8 Tensor (in, out), the per-channel codes of W (`quantize(W, axis=1)`)
      scale   float32 Tensor (out,), one scale per output channel (column of W)
      bias    float32 Tensor (out,) kept in float, or None
      input_scale  a positive Python float (from calibration) or None
    Forward for x (N, in) float32, returning float32 (N, out):
      input_scale None (w8a32, weight-only):  x @ (weight * scale) + bias
      input_scale s (w8a8): x_q = quantize_with_scale(x, s), then
                            int8_matmul(x_q, weight) * (s * scale) + bias
    The float weight is not kept. Raises ValueError for a weight that is not 2-D, a bias of the
    wrong shape, or an input_scale that is not positive; the forward raises ValueError when x does
    not have in_features columns.
    """

    def __init__(self, weight: Tensor, bias: Tensor | None = None, input_scale: float | None = None):
        if weight.ndim != 2:
            raise ValueError(f"weight must be (in_features, out_features), got shape {weight.shape}")
        if bias is not None and tuple(bias.shape) != (weight.shape[1],):
            raise ValueError(f"bias must have shape ({weight.shape[1]},), got {bias.shape}")
        if input_scale is not None and not input_scale > 0:
            raise ValueError(f"input_scale must be positive, got {input_scale}")
        self.in_features, self.out_features = weight.shape
        self.input_scale = None if input_scale is None else float(input_scale)
        ### BEGIN SOLUTION
        q, scale = quantize(weight, axis=1)
        self.weight = q.realize()
        self.scale = scale.reshape(self.out_features).contiguous().realize()
        self.bias = None if bias is None else bias.cast(dtypes.float32).contiguous().realize()
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        """y (N, out) float32 for x (N, in): w8a32 without an input_scale, w8a8 with one."""
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"x must be (N, {self.in_features}), got shape {x.shape}")
        ### BEGIN SOLUTION
        if self.input_scale is None:
            y = x.cast(dtypes.float32) @ dequantize(self.weight, self.scale)
        else:
            x_q = quantize_with_scale(x, self.input_scale)
            y = int8_matmul(x_q, self.weight).cast(dtypes.float32) * (self.scale * self.input_scale)
        return y if self.bias is None else y + self.bias
        ### END SOLUTION

    def nbytes(self) -> int:
        """Bytes of what the layer stores: the int8 codes (1 byte each), the float32 scales and the
        float32 bias (4 bytes each; 0 without a bias), as a Python int."""
        ### BEGIN SOLUTION
        tensors = [self.weight, self.scale] + ([] if self.bias is None else [self.bias])
        return int(sum(t.numel() * t.dtype.itemsize for t in tensors))
        ### END SOLUTION


def fake_quantize(x: Tensor, scale) -> Tensor:
    """Quantise and dequantise in one float step, with a straight-through gradient (for QAT).

    Forward: clip(round_half_even(x / scale), -127, 127) * scale, float32, x's shape; scale is a
    positive number or a float Tensor that broadcasts against x (per-channel fake quantisation).
    Backward (straight-through estimator): d out / d x = 1 where -127 * scale <= x <= 127 * scale
    and 0 outside, so an upstream gradient g arrives as g * [|x| <= 127 * scale]; rounding itself
    is treated as the identity. Raises ValueError when a scale is not positive.
    """
    scale = _as_scale(scale)
    ### BEGIN SOLUTION
    if (scale.numpy() <= 0).any():
        raise ValueError("scales must be positive")
    limit = scale * QMAX
    clipped = x.cast(dtypes.float32).clip(-limit, limit)
    rounded = (clipped / scale).round() * scale
    return clipped + (rounded - clipped).detach()
    ### END SOLUTION
