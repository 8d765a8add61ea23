"""Exercise 7.3: gradient (activation) checkpointing: recompute in the backward pass.

A backward pass needs the activations of the forward pass: the gradient of relu(x W) with respect
to W is x^T (g * [x W > 0]), so x and x W must still exist when the gradient reaches that layer.
Plain backpropagation through L layers therefore keeps about L activations alive at once, and for
deep networks these, not the weights, fill the device memory.

Checkpointing trades compute for memory. Split the L layers into k contiguous segments. The
forward pass keeps only the k segment inputs (realized, detached from the graph, so nothing before
them is kept), and the loss. The backward pass walks the segments from the last to the first:
it runs the segment forward again from its saved input, back-propagates the incoming gradient g
through it, and hands the gradient of the segment's input to the segment before:

    forward:   h_0 = x;  h_{j+1} = S_j(h_j)  (keep h_0 .. h_{k-1}, realized and detached)
    loss:      l = loss_fn(h_k);  g = dl/dh_k
    backward:  for j = k-1 .. 0:  out = S_j(h_j);  (g, dparams_j) = vjp of out at g
               (out.gradient(h_j, *params_j, gradient=g)), realized before the next segment

At any time the memory holds k saved inputs plus the activations of one segment (about L/k), so
the extra memory is roughly k + L/k activations, smallest at k ~ sqrt(L). The price is one more
forward pass. The arithmetic is the same as plain backpropagation, only done in another order:
the gradients are equal to plain ones (measured with tinygrad on the CPU: bitwise equal).

Memory is measured with tinygrad's own bookkeeping: `GlobalCounters.mem_used` is the number of
bytes currently allocated on devices; it grows in `Buffer.allocate` and shrinks when a buffer is
freed. Its largest value during a call, minus its value at the start, is the call's peak extra
memory. tinygrad is lazy: a tensor's memory is allocated when it is realized and freed when the
last reference to its buffer goes away.

A segment is any callable `segment(x) -> Tensor` with an attribute `params`: the list of tensors
it computes with (its weights). `Residual` and `Segment` below are such objects.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

from tinygrad import GlobalCounters, Tensor
from tinygrad.device import Buffer


class Residual:
    """One residual layer x + relu(x @ w + b): x (B, d), w (d, d), b (d,). params = [w, b]."""

    def __init__(self, w: Tensor, b: Tensor):
        self.w, self.b = w, b

    def __call__(self, x: Tensor) -> Tensor:
        return x + (x @ self.w + self.b).relu()

    @property
    def params(self) -> list[Tensor]:
        return [self.w, self.b]


class Segment:
    """Contiguous layers run one after the other. params: the layers' params, in layer order."""

    def __init__(self, layers: Sequence):
        self.layers = list(layers)

    def __call__(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def params(self) -> list[Tensor]:
        return [p for layer in self.layers for p in layer.params]


def parameters(segments: Sequence) -> list[Tensor]:
    """Every parameter of every segment: segment order, then each segment's own `params` order.
    This is the order in which `plain_grads` and `checkpointed_grads` return gradients."""
    return [p for seg in segments for p in seg.params]


def plain_grads(segments: Sequence, x: Tensor, loss_fn: Callable[[Tensor], Tensor]):
    """Plain backpropagation, for comparison: the whole forward graph is kept for the backward pass.

    Returns (loss, dx, grads): the loss (scalar Tensor), dloss/dx (shape of x) and the gradients of
    `parameters(segments)` in that order, all realized together."""
    h = x
    for seg in segments:
        h = seg(h)
    loss = loss_fn(h)
    dx, *grads = loss.gradient(x, *parameters(segments))
    Tensor.realize(loss, dx, *grads)
    return loss, dx, grads


def peak_memory(fn: Callable[[], object]) -> tuple[object, int]:
    """Run fn() and return (its result, peak extra device memory in bytes).

    The peak is max(GlobalCounters.mem_used) over the call, read right after every
    `Buffer.allocate`, minus mem_used at the start; 0 when fn allocates nothing. Install the
    watcher by replacing `Buffer.allocate` with a wrapper that calls the original; the original
    is put back when fn returns and also when it raises (the exception propagates).
    Example: fn = lambda: Tensor.ones(1000).contiguous().realize() gives a peak of 4000 bytes."""
    raise NotImplementedError("Exercise 7.3: implement peak_memory (see its docstring)")


def segment(layers: Sequence, k: int) -> list[Segment]:
    """Split `layers` (L of them) into k contiguous `Segment`s, in order, every layer in exactly one.
    The sizes differ by at most one, the larger ones first: L = 10, k = 4 gives 3, 3, 2, 2.
    Raises ValueError unless 1 <= k <= L (an empty segment would hold nothing)."""
    raise NotImplementedError("Exercise 7.3: implement segment (see its docstring)")


def sqrt_segments(num_layers: int) -> int:
    """The number of segments that minimises the memory model k + L/k: round(sqrt(L)), at least 1
    (L = 16 -> 4, L = 10 -> 3, L = 2 -> 1). Raises ValueError for num_layers < 1."""
    raise NotImplementedError("Exercise 7.3: implement sqrt_segments (see its docstring)")


def checkpointed_grads(segments: Sequence, x: Tensor, loss_fn: Callable[[Tensor], Tensor]):
    """Backpropagation with recomputation: the same (loss, dx, grads) as `plain_grads`, with less
    peak memory.

    segments: callables with `params` (see the module docstring), applied in order to x (realized);
    loss_fn maps the last segment's output to a scalar Tensor. Forward: keep only each segment's
    input, realized and detached. Backward, last segment first: recompute the segment from its
    saved input and take `out.gradient(input, *params, gradient=g)` with g the gradient arriving
    from the segment after it (for the last one, dloss/dout); realize that segment's gradients
    before moving on, and drop what is no longer needed.

    Returns (loss, dx, grads): loss realized together with the first gradient (so it belongs to
    these weights, whatever happens to them afterwards), dloss/dx, and the gradients of
    `parameters(segments)` in that order, all realized."""
    raise NotImplementedError("Exercise 7.3: implement checkpointed_grads (see its docstring)")
