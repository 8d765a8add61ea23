"""Exercise 4.6: devices, and a backend of your own ("TOY": NumPy memory + a UOp interpreter).

tinygrad runs the same Tensor program on any device: `Tensor(..., device="PYTHON")`, `.to("CPU:1")`, or
`with Context(DEV="X")`. A device is three parts: an Allocator (memory: alloc, copy in, copy out), a
Renderer (turns a kernel's linearized UOp list into "source"), and a Program (runs that source on buffers).
Here the renderer ships the UOp list itself (pickled) and the program is `interpret`, which you write;
the rest of the device (allocator, renderer, registration as "TOY") is given in `grader/toy_device.py`:
`toy_device.register(interpret)` makes `Device["TOY"]`, `Tensor(..., device="TOY")` and
`Context(DEV="TOY")` run every kernel through your function.

A linearized kernel is a flat list of UOps where every source comes before its user:
  PARAM (a buffer argument; `arg.slot` is its position)   CONST (a number)   CAST (convert to `u.dtype`)
  INDEX(buf, i): a pointer to element i                     LOAD(ptr) or LOAD(ptr, alt, gate): alt when not gate
  STORE(ptr, value)       RANGE(end): a loop over 0..end-1, closed by END(..., range) further down the list
  BUFFER: a small scratch array (accumulators)              AFTER(x, ...): x (ordering only)
  ALU ops (ADD, MUL, MAX, CMPLT, WHERE, EXP2, ...): the functions in ALU below; every result is CAST to u.dtype
  SINK, GROUP, NOOP: no effect.   IF(gate) ... ENDIF: skip the block when the gate is false.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
from tinygrad import Tensor
from tinygrad.dtype import AddrSpace, _to_np_dtype, bitcast, dtypes, truncate
from tinygrad.uop.ops import Ops, UOp


def compare_devices(fn: Callable[[str], Tensor], devices: list[str], repeats: int = 2) -> dict[str, tuple[np.ndarray, float]]:
    """Run `fn(device)` (which builds a Tensor on `device`) on each device; {device: (result as a NumPy array,
    best wall time in seconds over `repeats` runs, including realize)}. The first run compiles."""
    ### BEGIN SOLUTION
    out = {}
    for dev in devices:
        best, result = math.inf, None
        for _ in range(repeats):
            start = time.perf_counter()
            result = fn(dev).numpy()
            best = min(best, time.perf_counter() - start)
        out[dev] = (result, best)
    return out
    ### END SOLUTION


ALU: dict[Ops, Callable] = {
    Ops.ADD: lambda a, b: a + b, Ops.SUB: lambda a, b: a - b, Ops.MUL: lambda a, b: a * b, Ops.MAX: max,
    Ops.CMPLT: lambda a, b: a < b, Ops.CMPNE: lambda a, b: a != b, Ops.CMPEQ: lambda a, b: a == b,
    Ops.WHERE: lambda c, a, b: a if c else b, Ops.NEG: lambda a: -a,
    Ops.EXP2: lambda a: math.inf if a > 1023 else 2.0 ** a,
    Ops.LOG2: lambda a: math.log2(a) if a > 0 else (-math.inf if a == 0 else math.nan),
    Ops.SQRT: lambda a: math.sqrt(a) if a >= 0 else math.nan,
    Ops.RECIPROCAL: lambda a: 1 / a if a != 0 else math.copysign(math.inf, a),
    Ops.AND: lambda a, b: a & b, Ops.OR: lambda a, b: a | b, Ops.XOR: lambda a, b: a ^ b,
    Ops.SHL: lambda a, b: a << b, Ops.SHR: lambda a, b: a >> b,
    Ops.CDIV: lambda a, b: int(a / b) if b != 0 else 0, Ops.CMOD: lambda a, b: a - b * int(a / b) if b != 0 else 0,
}


def cast(x, dtype):
    """Convert a Python scalar to `dtype` like C does: floats round to the type's precision, ints wrap."""
    if dtypes.is_float(dtype):
        return truncate.get(dtype, float)(float(x))
    if dtype == dtypes.bool:
        return bool(x)
    return truncate.get(dtype, int)(int(x))


def interpret(uops: list[UOp], bufs: list[np.ndarray], vals: tuple[int, ...] = ()) -> None:
    """Execute one linearized kernel. `bufs` are flat uint8 NumPy arrays in PARAM-slot order (view them with
    the PARAM's dtype: `buf.view(_to_np_dtype(u.dtype))`); `vals` are the values of symbolic variables (PARAMs
    in AddrSpace.ALU, in order). Results are written into `bufs` in place.

    Walk the list with a program counter. RANGE starts its loop variable at 0 or increments it; when it
    reaches the RANGE's end (its first source) jump past the matching END; END jumps back to its RANGE.
    Every ALU result and every CAST is converted with `cast(value, u.dtype)`.
    """
    ### BEGIN SOLUTION
    pos = {u: i for i, u in enumerate(uops)}
    end_of = {u.src[1]: i for i, u in enumerate(uops) if u.op is Ops.END}
    endif_of = {u.src[0]: i for i, u in enumerate(uops) if u.op is Ops.ENDIF}
    slots = sorted(u.arg.slot for u in uops if u.op is Ops.PARAM and u.addrspace is not AddrSpace.ALU)
    by_slot, vals, v, i = dict(zip(slots, bufs)), list(vals), {}, 0
    while i < len(uops):
        u = uops[i]
        s = [v.get(x) for x in u.src]
        if u.op is Ops.PARAM:
            v[u] = vals.pop(0) if u.addrspace is AddrSpace.ALU else by_slot[u.arg.slot].view(_to_np_dtype(u.dtype))
        elif u.op is Ops.BUFFER:
            v[u] = np.zeros(u.max_numel(), dtype=_to_np_dtype(u.dtype))
        elif u.op is Ops.CONST:
            v[u] = u.arg
        elif u.op is Ops.CAST:
            v[u] = cast(s[0], u.dtype)
        elif u.op is Ops.BITCAST:
            v[u] = bitcast(s[0], u.src[0].dtype, u.dtype)
        elif u.op is Ops.INDEX:
            v[u] = (s[0], int(s[1]))
        elif u.op is Ops.LOAD:
            v[u] = s[0][0][s[0][1]].item() if len(s) < 3 or s[2] else s[1]
        elif u.op is Ops.STORE:
            s[0][0][s[0][1]] = s[1]
        elif u.op is Ops.IF:
            if not s[0]:
                i = endif_of[u] + 1
                continue
        elif u.op is Ops.AFTER:
            v[u] = s[0]
        elif u.op is Ops.RANGE:
            v[u] = 0 if u not in v else v[u] + 1
            if v[u] >= s[0]:
                del v[u]
                i = end_of[u] + 1
                continue
        elif u.op is Ops.END:
            i = pos[u.src[1]]
            continue
        elif u.op in ALU:
            v[u] = cast(ALU[u.op](*s), u.dtype)
        elif u.op not in (Ops.SINK, Ops.GROUP, Ops.NOOP, Ops.ENDIF):
            raise NotImplementedError(f"TOY cannot run {u.op}")
        i += 1
    ### END SOLUTION
