"""Exercise 4.4: schedules, kernels and fusion.

Realizing a lazy Tensor first *schedules* its graph: tinygrad cuts the UOp graph into kernels and returns
them as a linear list (`t.schedule_linear()`, an `Ops.LINEAR` UOp whose `src` are `Ops.CALL` items). For each
item `call.src[0]` is the kernel's AST: `Ops.SINK` for a compute kernel, `Ops.COPY` for a transfer (every
`Tensor([...])` upload is one). `tinygrad.engine.realize.run_linear(lin)` executes the list;
`tinygrad.codegen.to_program(ast, renderer)` lowers one AST to a program whose `Ops.SOURCE` src holds the code.

Fusion rules of thumb (CPU, small tensors): a chain of elementwise ops is one kernel; a reduction fuses
with the elementwise ops that feed it; a result that is reduced and then used elementwise against the
unreduced input (x - x.max(1)) needs a second kernel; `.contiguous()` forces a buffer, so a new kernel.

Gotcha: `schedule_linear()` points the tensor at output buffers that are filled only when the schedule
runs. Always `run_linear` what you scheduled, or the tensor (and any identical one) reads zeros.
"""
from __future__ import annotations

from typing import Callable

from tinygrad import Device, Tensor
from tinygrad.codegen import to_program
from tinygrad.engine.realize import run_linear
from tinygrad.uop.ops import Ops

FUSED_BUDGET = 3   # kernels allowed for standardize_rows


def kernel_count(t: Tensor) -> int:
    """Number of compute kernels (SINK items, not copies) needed to realize `t`; runs the schedule.

    Realize the inputs of `t` first if their creation should not be counted. Afterwards `t` is realized
    and still readable; a second call on it counts 0 (nothing is left to compute).
    """
    raise NotImplementedError("Exercise 4.4: implement kernel_count (see its docstring)")


def kernel_sources(t: Tensor) -> list[str]:
    """The generated source code (a str) of each compute kernel of `t`'s schedule, in schedule order.

    Lower every SINK item with `to_program(ast, Device[Device.DEFAULT].renderer)`; run the schedule afterwards.
    Like `kernel_count`, a tensor that is already realized gives an empty list.
    """
    raise NotImplementedError("Exercise 4.4: implement kernel_sources (see its docstring)")


def expressions(a: Tensor, b: Tensor, w: Tensor) -> dict[str, Callable[[], Tensor]]:
    """The expressions whose kernel counts you predict; a, b are (n, n) and w is (n, m), all realized."""
    return {
        "elementwise chain ((a + 1) * 2).relu()": lambda: ((a + 1) * 2).relu(),
        "chain then full sum ((a + 1) * 2).relu().sum()": lambda: ((a + 1) * 2).relu().sum(),
        "matmul with bias and relu (a @ w + 1).relu()": lambda: (a @ w + 1).relu(),
        "two sums added a.sum() + b.sum()": lambda: a.sum() + b.sum(),
        "contiguous break (a + 1).contiguous() * 2": lambda: (a + 1).contiguous() * 2,
        "row max broadcast back a - a.max(1, keepdim=True)": lambda: a - a.max(axis=1, keepdim=True),
        "two matmuls in a row (a @ b) @ w": lambda: (a @ b) @ w,
        "softmax over rows a.softmax(1)": lambda: a.softmax(axis=1),
    }


def predict_kernel_counts() -> dict[str, int]:
    """Your predictions, written as literal numbers (reason them out, then check with kernel_count):
    {name from `expressions`: number of compute kernels} for small (16 x 16) realized inputs."""
    raise NotImplementedError("Exercise 4.4: implement predict_kernel_counts (see its docstring)")


def standardize_rows_unfused(x: Tensor, eps: float = 1e-5) -> Tensor:
    """The computation to improve: every intermediate is forced into its own buffer."""
    mean = x.mean(axis=1, keepdim=True).contiguous()
    centered = (x - mean).contiguous()
    var = centered.square().mean(axis=1, keepdim=True).contiguous()
    scale = (var + eps).rsqrt().contiguous()
    return centered * scale


def standardize_rows(x: Tensor, eps: float = 1e-5) -> Tensor:
    """Same values as `standardize_rows_unfused`: (x - mean_row) / sqrt(var_row + eps), with the biased
    (divide by n) variance of each row, but in at most FUSED_BUDGET kernels. Return a lazy Tensor."""
    raise NotImplementedError("Exercise 4.4: implement standardize_rows (see its docstring)")
