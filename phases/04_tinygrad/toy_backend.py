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
    raise NotImplementedError("Exercise 4.6: implement compare_devices (see its docstring)")


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
    raise NotImplementedError("Exercise 4.6: implement interpret (see its docstring)")
