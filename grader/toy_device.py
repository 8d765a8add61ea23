"""The given shell of the TOY device for Exercise 4.6: NumPy memory, a renderer that ships the linearized UOp
list, and a program that hands it to the learner's `interpret(uops, bufs, vals)`.

    from grader import toy_device
    toy_device.register(toy.interpret)        # Device["TOY"] now runs every kernel through interpret
    Tensor([1.0, 2.0], device="TOY") * 2

tinygrad opens a device named X by importing `tinygrad.runtime.ops_x` and instantiating its class `XDevice`;
`register` installs such a module. Calling it again swaps the interpreter (kernels compiled before keep the
interpreter they were built with).
"""
from __future__ import annotations

import pickle
import sys
import types
from typing import Callable

import numpy as np
from tinygrad.device import Allocator, Compiled, Compiler, Program
from tinygrad.renderer import Renderer
from tinygrad.uop.ops import Ops

NATIVE_OPS = (Ops.ADD, Ops.SUB, Ops.MUL, Ops.MAX, Ops.CMPLT, Ops.CMPNE, Ops.CMPEQ, Ops.WHERE, Ops.NEG, Ops.EXP2,
              Ops.LOG2, Ops.SQRT, Ops.RECIPROCAL, Ops.AND, Ops.OR, Ops.XOR, Ops.SHL, Ops.SHR, Ops.CDIV, Ops.CMOD)
_interpret: dict[str, Callable] = {}


class ToyAllocator(Allocator):
    def _alloc(self, size, options): return np.zeros(size, dtype=np.uint8)
    def _copyin(self, dest, src: memoryview): dest[:] = np.frombuffer(src, dtype=np.uint8)
    def _copyout(self, dest: memoryview, src): np.frombuffer(dest, dtype=np.uint8)[:] = src
    def _offset(self, buf, size: int, offset: int): return buf[offset:offset + size]


class ToyCompiler(Compiler):
    def compile(self, src: str) -> bytes: return bytes.fromhex(src)


class ToyRenderer(Renderer):
    has_local, has_shared, supports_float4, global_max = False, False, False, None
    code_for_op = {op: None for op in NATIVE_OPS}
    compiler = ToyCompiler()
    def render(self, uops) -> str: return pickle.dumps(list(uops)).hex()


class ToyProgram(Program):
    def __init__(self, dev, obj):
        self.uops, self.interpret = pickle.loads(obj.lib), _interpret["fn"]
    def __call__(self, *bufs, global_size=(1, 1, 1), local_size=(1, 1, 1), vals=(), wait=False, **kw):
        self.interpret(self.uops, list(bufs), tuple(vals))


class ToyDevice(Compiled):
    def __init__(self, device: str): super().__init__(device, ToyAllocator(self), [ToyRenderer], ToyProgram)


def register(interpret: Callable) -> str:
    """Route the TOY device's kernels through `interpret`; returns the device name "TOY"."""
    _interpret["fn"] = interpret
    module = types.ModuleType("tinygrad.runtime.ops_toy")
    module.ToyDevice = ToyDevice
    sys.modules.setdefault("tinygrad.runtime.ops_toy", module)
    return "TOY"


# train_losses("CPU", steps=2, numpy_init=True) with tinygrad 0.14.0, recorded so that the visible test
# trains on TOY alone (grader/tests/test_toy_device.py checks that CPU training still gives these)
CPU_LOSSES = (0.6585829257965088, 0.5835019946098328)


def train_losses(device: str, steps: int = 3, seed: int = 0, numpy_init: bool = False) -> list[float]:
    """Losses of `steps` SGD steps of a 4-8-2 MLP on fixed random data, everything on `device`.

    The layers start as tinygrad initialises them (random-number kernels run on `device`), or with
    `numpy_init` from NumPy draws copied in (about half the code generation on a slow device)."""
    from tinygrad import Context, Tensor, nn
    from tinygrad.nn.state import get_parameters
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(16, 4)).astype(np.float32), (rng.normal(size=16) > 0).astype(np.int32)
    with Context(DEV=device):
        Tensor.manual_seed(seed)
        l1, l2 = nn.Linear(4, 8), nn.Linear(8, 2)
        if numpy_init:
            for layer in (l1, l2):
                n_out, n_in = layer.weight.shape
                layer.weight = Tensor((rng.normal(size=(n_out, n_in)) / np.sqrt(n_in)).astype(np.float32))
                layer.bias = Tensor(np.zeros(n_out, np.float32))
        opt = nn.optim.SGD(get_parameters([l1, l2]), lr=0.5)
        losses = []
        with Context(TRAINING=1):
            for _ in range(steps):
                opt.zero_grad()
                loss = l2(l1(Tensor(X)).relu()).sparse_categorical_crossentropy(Tensor(y)).backward()
                opt.step()
                losses.append(loss.item())
    return losses
