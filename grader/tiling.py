"""Register-tiled matrix products for tinygrad's CPU back end, in the grader's milestone runs.

tinygrad picks each kernel's loop optimizations by a heuristic (`hand_coded_optimizations`) unless BEAM
searches. For a matrix product on the CPU it keeps a tile of at most 4 x 4 outputs in registers and,
where a width divides by 3, a 4 x 3 tile: each value loaded then serves 3-4 multiply-adds, and the
vector units stay mostly idle. `install()` wraps the heuristic: for a kernel that sums a product of two
loads (x @ W, its gradients, batched attention products) it asks for a wider tile instead,

* 16 (or 8) outputs along the axis that is contiguous in the output and in an operand (one vector
  load), times 4 along an axis that operand does not read;
* where no such axis exists (both operands contiguous along the sum, as in x @ W.T), 4 x 4 outputs
  with the sum unrolled by 4 (the default's choice, with 4 where it took 3);

then spreads the kernel over threads as the default does. Everything else keeps tinygrad's choice.

The results are bit for bit those of tinygrad's default kernels: a tile only changes which outputs one
pass of the loop computes, never the order in which one output's terms are added. A sum the default
unrolls whole (at most 32 terms, such as a convolution's window) keeps the default's choice: it adds
in another order than a loop, and a wide tile of it is a large program to compile (a cold 6.5 smoke
run took 35 CPU s longer with such tiles).

Measured on one thread, idle 2-core machine: (2048 x 96) @ (96 x 384) 10.8 -> 2.7 ms, its weight
gradient 23 -> 3.1 ms; the 4.1 training step 7.2 -> 4.6 ms; the 5.7 GPT step 323 -> 220 ms.

Milestone children (and `make bench`) install it; test children never run the heuristic (NOOPT=1).
The program store keeps programs made under it apart (`heuristic()` is part of its key).
GRADSCHOOL_TILING=off leaves tinygrad's heuristic alone.
"""
from __future__ import annotations

import os

from grader.after_import import after_import

HOOKED = "tinygrad.codegen.opt.heuristic"
_installed = False


def install() -> None:
    """Use the tiled heuristic in this process, now if tinygrad's is imported, else on its import;
    GRADSCHOOL_TILING=off keeps tinygrad's own."""
    global _installed
    if os.environ.get("GRADSCHOOL_TILING") != "off":
        _installed = True
        after_import(HOOKED, _wrap)


def heuristic() -> str:
    """Which heuristic chooses this process's kernel optimizations: "tiled" once `install()` ran, else
    "tinygrad" (read without importing tinygrad's code generator, which a test child may never need)."""
    return "tiled" if _installed else "tinygrad"


def _wrap(module) -> None:
    if getattr(module.hand_coded_optimizations, "__module__", None) == HOOKED:   # not wrapped yet
        module.hand_coded_optimizations = tiled(module.hand_coded_optimizations)


def tiled(default):
    """tinygrad's heuristic `default` (Scheduler -> Scheduler) with the tiles above for matrix products."""
    def tiled(k):
        chosen = default(k)
        plan = _plan(k, chosen.applied_opts)
        return chosen if plan is None else (_apply(k, plan) or chosen)
    return tiled


def _plan(k, default_opts) -> list | None:
    """The tile for a CPU kernel that sums a product of loads, as a list of tinygrad Opts; None to keep
    the default's choice."""
    from tinygrad.codegen.opt import Opt, OptOps
    from tinygrad.uop.ops import Ops
    if k.ren.has_local or k.ren.target.device != "CPU" or len(k.reduceops) != 1:
        return None
    if any(o.op in (OptOps.TC, OptOps.GROUP, OptOps.GROUPTOP) for o in default_opts):
        return None
    if any(o.op is OptOps.UNROLL and o.arg == 0 for o in default_opts):
        return None   # a short sum unrolled whole (a convolution's window): see the module's docstring
    total = k.reduceop
    stores = [u for u in k.ast.toposort() if u.op is Ops.STORE]
    if total.arg[0] is not Ops.ADD or total.src[0].op is not Ops.MUL or len(stores) != 1:
        return None
    out = stores[0].src[0]
    operands = [b for b in k.bufs if b is not out and b in total.src[0].backward_slice]
    axes = [a for a in k.upcastable_dims if isinstance(k.full_shape[a], int)]
    # an axis some operand does not read: a value loaded once serves the tile's whole row along it
    shared = [a for a in axes if any(k.rngs[a] not in b.src[1].get_idx().backward_slice for b in operands)]
    vector = [a for a in shared
              if _unit_stride(out, k.rngs[a]) and any(_unit_stride(b, k.rngs[a]) for b in operands)]
    if vector:
        j = vector[0]
        width = next((w for w in (16, 8) if k.full_shape[j] % w == 0), None)
        rows = [a for a in shared if a != j and k.full_shape[a] % 4 == 0]
        if width is None or not rows:
            return None
        return [Opt(OptOps.UPCAST, j, width), Opt(OptOps.UPCAST, rows[-1], 4)]
    tile = [a for a in shared if k.full_shape[a] % 4 == 0][-2:]
    sums = k.unrollable_dims
    if len(tile) < 2 or not sums:
        return None
    last = k.full_shape[sums[-1]]   # a sum over a symbolic length (a KV cache) is not unrolled
    unroll = [Opt(OptOps.UNROLL, len(sums) - 1, 4)] if isinstance(last, int) and last % 4 == 0 else []
    return [Opt(OptOps.UPCAST, tile[1], 4), Opt(OptOps.UPCAST, tile[0], 4), *unroll]


def _unit_stride(buf, rng) -> bool:
    from tinygrad.uop.ops import Ops
    return any(term is rng for term in buf.src[1].get_idx().split_uop(Ops.ADD))


def _apply(k, plan):
    """A copy of the kernel with the plan applied, then split over threads as tinygrad's heuristic splits
    it; None if tinygrad refuses an Opt."""
    from tinygrad.codegen.opt import KernelOptError, Opt, OptOps
    from tinygrad.helpers import prod
    from tinygrad.uop.ops import AxisType, resolve
    t = k.copy()
    try:
        for opt in plan:
            t.apply_opt(opt)
    except KernelOptError:
        return None
    if t.ren.has_threads and t.ren.global_max is not None:
        for threads in (32, 16, 12, 8, 6, 5, 4, 3, 2):
            if threads > t.ren.global_max[0] or resolve(prod(t.full_shape) // (128 << 10) < threads):
                continue
            axis = next((a for a in t.axes_of(AxisType.WEAK) if t.full_shape[a] % threads == 0), None)
            if axis is not None:
                try:
                    t.apply_opt(Opt(OptOps.THREAD, axis, threads))
                    break
                except KernelOptError:
                    pass
    return t
