"""Exercise 7.1: kernel fusion, kernel budgets and memory traffic.

Exercise 4.4 counted kernels. Here you measure what fusion buys and write four building blocks of a
transformer so that tinygrad fuses them: softmax, layer norm, a GELU MLP and masked attention scores.
Each comes with an *unfused* version (given, below) that forces every intermediate into its own buffer
with `.contiguous()`; yours must give the same values in at most `KERNEL_BUDGETS[name]` kernels and move
at most `TRAFFIC_RATIOS[name]` times the bytes of the unfused one. Last, fusion can hurt: in a backward
pass tinygrad may recompute a fused producer inside every output element of a weight-gradient
reduction, and one `.contiguous()` in the right place divides the step's FLOPs.

What is measured (`schedule_stats`, and the same counting in the grader):
- kernels: the compute kernels (`Ops.SINK` items, not `Ops.COPY` transfers) of the schedule of the
  outputs, built with the inputs already realized and with `SPLIT_REDUCEOP=0` (tinygrad otherwise
  splits a large reduction in two kernels, and a count would depend on the size) and `SCACHE=0`;
- bytes: `GlobalCounters.global_mem` while that schedule runs: every kernel's buffers, read or written.
  An intermediate that goes through memory costs a write and a read; a fused one costs nothing;
- flops: `GlobalCounters.global_ops` for the same run (tinygrad's estimate of the arithmetic).
The grader also counts the kernels a block runs while it builds its graph (a `.realize()` inside it),
and a block must not read values back to the host (`.numpy()`, `.tolist()`, `.item()`).

A fused version has the *same values* as the unfused one (float32, up to rounding). Rewriting the maths
to save a kernel is not fusion: dropping the max shift of softmax overflows exp() for inputs above ~88,
a variance as mean(x^2) - mean(x)^2 cancels catastrophically when rows have a large mean.
"""
from __future__ import annotations

import math
from typing import Callable

from tinygrad import Context, GlobalCounters, Tensor
from tinygrad.engine.realize import run_linear
from tinygrad.uop.ops import Ops

# The most compute kernels each fused version may schedule into (inputs realized, SPLIT_REDUCEOP=0).
KERNEL_BUDGETS = {"softmax": 3, "layer_norm": 3, "gelu_mlp": 2, "attention_scores": 4}
# The most bytes (GlobalCounters.global_mem) each fused version may move, as a fraction of its unfused
# version on the same inputs. Softmax and layer norm read their input three times (two reductions and
# the output), so they approach 1/2 of the unfused traffic from above.
TRAFFIC_RATIOS = {"softmax": 0.55, "layer_norm": 0.5, "gelu_mlp": 0.5, "attention_scores": 0.5}
# gelu_mlp_for_training: the FLOPs of forward + backward, as a fraction of the plain gelu_mlp's.
BACKWARD_FLOP_RATIO = 0.5


def schedule_stats(fn: Callable[..., Tensor | tuple[Tensor, ...]], *inputs: Tensor) -> dict[str, int]:
    """Measure what computing `fn(*inputs)` costs: {"kernels": int, "bytes": int, "flops": int}.

    Steps: realize every input (their creation is not counted); call `fn(*inputs)`, which returns one
    lazy Tensor or a tuple/list of them; build the schedule of all outputs together
    (`Tensor.schedule_linear`) inside `Context(SPLIT_REDUCEOP=0, SCACHE=0)` (tinygrad caches schedules
    by graph, and a schedule cached under other settings would be reused); count its compute kernels
    (`call.src[0].op is Ops.SINK` for `call` in `lin.src`; COPY items are transfers, not kernels); then
    `GlobalCounters.reset()`, run the schedule (`run_linear`) and read `GlobalCounters.global_mem`
    (bytes) and `GlobalCounters.global_ops` (flops). The outputs are realized and readable afterwards.
    """
    ### BEGIN SOLUTION
    if inputs:
        Tensor.realize(*inputs)
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    with Context(SPLIT_REDUCEOP=0, SCACHE=0):
        lin = outs[0].schedule_linear(*outs[1:])
    kernels = sum(call.src[0].op is Ops.SINK for call in lin.src)
    GlobalCounters.reset()
    run_linear(lin)
    return {"kernels": kernels, "bytes": GlobalCounters.global_mem, "flops": GlobalCounters.global_ops}
    ### END SOLUTION


# ---- softmax -------------------------------------------------------------------------------------

def softmax_unfused(x: Tensor) -> Tensor:
    """softmax over the last axis, one buffer per step (5 kernels)."""
    m = x.max(axis=-1, keepdim=True).contiguous()
    z = (x - m).contiguous()
    e = z.exp().contiguous()
    s = e.sum(axis=-1, keepdim=True).contiguous()
    return e / s


def softmax(x: Tensor) -> Tensor:
    """softmax(x)_i = exp(x_i - max_j x_j) / sum_k exp(x_k - max_j x_j) over the last axis of a float32 x.

    The max shift is part of the contract: entries of 1e3 or -1e3 must give finite, exact
    probabilities (exp overflows float32 above ~88.7). Same shape and dtype as x; lazy.
    Budget: KERNEL_BUDGETS["softmax"] kernels (max, sum of exponentials, the normalised output).
    """
    ### BEGIN SOLUTION
    e = (x - x.max(axis=-1, keepdim=True)).exp()
    return e / e.sum(axis=-1, keepdim=True)
    ### END SOLUTION


# ---- layer norm ----------------------------------------------------------------------------------

def layer_norm_unfused(x: Tensor, w: Tensor, b: Tensor, eps: float = 1e-5) -> Tensor:
    """layer norm over the last axis, one buffer per step (7 kernels)."""
    mean = x.mean(axis=-1, keepdim=True).contiguous()
    centered = (x - mean).contiguous()
    var = (centered * centered).mean(axis=-1, keepdim=True).contiguous()
    inv = (var + eps).rsqrt().contiguous()
    normed = (centered * inv).contiguous()
    scaled = (normed * w).contiguous()
    return scaled + b


def layer_norm(x: Tensor, w: Tensor, b: Tensor, eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * w + b over the last axis of x (..., D); w, b are (D,).

    var is the biased variance (divide by D) of each row; eps sits inside the square root, so a
    constant row gives y = b. Rows may have a mean far larger than their spread (1e3 + N(0, 1)):
    compute the variance from the centred values, not as mean(x^2) - mean^2. float32, x's shape; lazy.
    Budget: KERNEL_BUDGETS["layer_norm"] kernels (mean, variance, the output).
    """
    ### BEGIN SOLUTION
    centered = x - x.mean(axis=-1, keepdim=True)
    inv = (centered.square().mean(axis=-1, keepdim=True) + eps).rsqrt()
    return centered * inv * w + b
    ### END SOLUTION


# ---- GELU MLP ------------------------------------------------------------------------------------

def gelu_unfused(h: Tensor) -> Tensor:
    """The tanh approximation of GELU, one buffer per step."""
    inner = ((h + 0.044715 * h * h * h) * math.sqrt(2 / math.pi)).contiguous()
    t = inner.tanh().contiguous()
    return (0.5 * h * (1 + t)).contiguous()


def gelu_mlp_unfused(x: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) -> Tensor:
    """x @ W1 + b1 -> GELU (tanh) -> @ W2 + b2, one buffer per step (7 kernels)."""
    h = (x @ W1).contiguous()
    h = (h + b1).contiguous()
    g = gelu_unfused(h)
    y = (g @ W2).contiguous()
    return y + b2


def gelu_mlp(x: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) -> Tensor:
    """y = GELU(x @ W1 + b1) @ W2 + b2 for x (N, D), W1 (D, H), b1 (H,), W2 (H, D2), b2 (D2,).

    GELU is the tanh approximation (GPT-2's, and tinygrad's `Tensor.gelu()` default):
    GELU(h) = 0.5 h (1 + tanh(sqrt(2 / pi) (h + 0.044715 h^3))), not the exact erf form and not
    h * sigmoid(1.702 h). float32 (N, D2); lazy.
    Budget: KERNEL_BUDGETS["gelu_mlp"] kernels: each matmul absorbs the elementwise ops around it.
    """
    ### BEGIN SOLUTION
    return (x @ W1 + b1).gelu() @ W2 + b2
    ### END SOLUTION


# ---- attention scores ----------------------------------------------------------------------------

def attention_scores_unfused(q: Tensor, k: Tensor, mask: Tensor) -> Tensor:
    """Masked scaled dot-product attention probabilities, one buffer per step (8 kernels)."""
    s = (q @ k.transpose(-2, -1)).contiguous()
    s = (s * (1 / math.sqrt(q.shape[-1]))).contiguous()
    s = mask.where(s, float("-inf")).contiguous()
    return softmax_unfused(s)


def attention_scores(q: Tensor, k: Tensor, mask: Tensor) -> Tensor:
    """P = softmax(q k^T / sqrt(d) with -inf where mask is False) over the last axis.

    q (..., Tq, d) and k (..., Tk, d) float32; mask bool, broadcastable to (..., Tq, Tk), True = the
    query may attend to that key (every row keeps at least one key). The mask acts before the
    softmax, so each row of P sums to 1 over its kept keys and masked entries are exactly 0; the
    scale is 1 / sqrt(d), d = q.shape[-1]. Returns (..., Tq, Tk) float32; lazy.
    Budget: KERNEL_BUDGETS["attention_scores"] kernels (the scores, max, sum, the output).
    """
    ### BEGIN SOLUTION
    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(q.shape[-1]))
    return softmax(mask.where(scores, float("-inf")))
    ### END SOLUTION


# ---- when fusion hurts ---------------------------------------------------------------------------

def gelu_mlp_for_training(x: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) -> Tensor:
    """The same values as `gelu_mlp`, shaped for a backward pass.

    The gradient of W2 is GELU(x @ W1 + b1)^T @ dy. With everything fused, tinygrad computes the GELU
    (and the first matmul feeding it) inside that reduction, once per element of dW2, instead of
    reading a stored activation. Place `.contiguous()` (store a forward value) and, where useful,
    `.contiguous_backward()` (store a gradient) so that the FLOPs of forward + backward
    (GlobalCounters.global_ops of the loss and the gradients of W1, b1, W2, b2 scheduled together) are
    at most BACKWARD_FLOP_RATIO times those of `gelu_mlp`, with the same values and gradients.
    """
    ### BEGIN SOLUTION
    hidden = (x @ W1 + b1).gelu().contiguous()
    return hidden @ W2 + b2
    ### END SOLUTION
