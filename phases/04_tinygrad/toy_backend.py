"""Exercise 4.6: devices, and a backend of your own ("TOY": NumPy memory + a UOp interpreter).

tinygrad runs the same Tensor program on any device: `Tensor(..., device="PYTHON")`, `.to("CPU:1")`, or
`with Context(DEV="X")`. A device is three parts: an Allocator (memory: alloc, copy in, copy out), a
Renderer (turns a kernel's linearized UOp list into "source"), and a Program (runs that source on buffers).
Here the renderer ships the UOp list itself (pickled) and the program is `interpret`, which you write.

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
import pickle
import sys
import time
import types
from typing import Callable

import numpy as np
from tinygrad import Context, Device, Tensor
from tinygrad.device import Allocator, Compiled, Compiler, Program
from tinygrad.dtype import AddrSpace, _to_np_dtype, bitcast, dtypes, truncate
from tinygrad.renderer import Renderer
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


# ---- the device shell (given): memory, "compiler", renderer, program, registration ----
class ToyAllocator(Allocator):
    def _alloc(self, size, options): return np.zeros(size, dtype=np.uint8)
    def _copyin(self, dest, src: memoryview): dest[:] = np.frombuffer(src, dtype=np.uint8)
    def _copyout(self, dest: memoryview, src): np.frombuffer(dest, dtype=np.uint8)[:] = src
    def _offset(self, buf, size: int, offset: int): return buf[offset:offset + size]


class ToyCompiler(Compiler):
    def compile(self, src: str) -> bytes: return bytes.fromhex(src)


class ToyRenderer(Renderer):
    has_local, has_shared, supports_float4, global_max = False, False, False, None
    code_for_op = {op: None for op in ALU}
    compiler = ToyCompiler()
    def render(self, uops) -> str: return pickle.dumps(list(uops)).hex()


class ToyProgram(Program):
    def __init__(self, dev, obj): self.uops = pickle.loads(obj.lib)
    def __call__(self, *bufs, global_size=(1, 1, 1), local_size=(1, 1, 1), vals=(), wait=False, **kw):
        interpret(self.uops, list(bufs), tuple(vals))


class ToyDevice(Compiled):
    def __init__(self, device: str): super().__init__(device, ToyAllocator(self), [ToyRenderer], ToyProgram)


def register() -> str:
    """Make `Device["TOY"]` resolve to ToyDevice (tinygrad imports tinygrad.runtime.ops_toy); returns "TOY"."""
    module = types.ModuleType("tinygrad.runtime.ops_toy")
    module.ToyDevice = ToyDevice
    sys.modules["tinygrad.runtime.ops_toy"] = module
    return "TOY"


def train_losses(device: str, steps: int = 3, seed: int = 0) -> list[float]:
    """Losses of `steps` SGD steps of a 4-8-2 MLP on fixed random data, everything on `device` (given)."""
    from tinygrad import nn
    from tinygrad.nn.state import get_parameters
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(16, 4)).astype(np.float32), (rng.normal(size=16) > 0).astype(np.int32)
    with Context(DEV=device):
        Tensor.manual_seed(seed)
        l1, l2 = nn.Linear(4, 8), nn.Linear(8, 2)
        opt = nn.optim.SGD(get_parameters([l1, l2]), lr=0.5)
        losses = []
        with Context(TRAINING=1):
            for _ in range(steps):
                opt.zero_grad()
                loss = l2(l1(Tensor(X)).relu()).sparse_categorical_crossentropy(Tensor(y)).backward()
                opt.step()
                losses.append(loss.item())
    return losses
