"""Wider register tiles for matrix products on tinygrad's CPU back end (grader/tiling.py): each kind of
product gets its tile, other kernels keep tinygrad's choice, and every number is bit for bit what
tinygrad's own kernels compute, on one thread or several."""
import json
import subprocess
import sys

import pytest

from grader import childenv, programs, tiling

# products of every layout a model's forward and backward passes make, and kernels that are not products
CASES = """
from tinygrad import Tensor, Variable
def cases(make):
    a, b, bt, g = make(256, 96), make(96, 384), make(384, 96), make(256, 384)
    n = Variable("n", 1, 64).bind(40)   # a length known at run time, as in a KV cache
    return {
        "symbolic sum": make(16, 64)[:, :n] @ make(32, 64)[:, :n].T,
        "x @ W": a @ b,
        "x @ W.T": a @ bt.T,
        "x.T @ g": a.T @ g,
        "masked product": (a @ b) * (g > 0),
        "short sum": make(128, 12) @ make(12, 64),
        "batched": make(4, 64, 48) @ make(4, 48, 64),
        "sum of squares": (a * a).sum(axis=1),
        "elementwise": (a + 1).relu(),
    }
"""

CHILD = CASES + """
import hashlib, json
from grader import tiling
tiling.install()
Tensor.manual_seed(5)
values = cases(lambda *shape: Tensor.randn(*shape).realize())
from tinygrad.codegen.opt import heuristic
print(json.dumps({"heuristic": heuristic.hand_coded_optimizations.__module__,
                  **{name: hashlib.sha256(t.numpy().tobytes()).hexdigest() for name, t in values.items()}}))
"""


def _opts(name: str) -> tuple[list, list]:
    """The Opts tinygrad's heuristic and the tiled one choose for case `name` (no kernel is compiled)."""
    from tinygrad import Device, Tensor
    from tinygrad.codegen.opt import heuristic
    from tinygrad.codegen.opt.postrange import Scheduler
    namespace: dict = {}
    exec(CASES, namespace)
    kernel = namespace["cases"](lambda *shape: Tensor.empty(*shape))[name].linear_with_vars()[0].src[-1].src[0]
    renderer = Device["CPU"].renderer
    default = heuristic.hand_coded_optimizations
    assert default.__module__ == tiling.HOOKED, "this process must not have the tiled heuristic installed"
    return ([(o.op.name, o.arg) for o in f(Scheduler(kernel, renderer)).applied_opts]
            for f in (default, tiling.tiled(default)))


@pytest.mark.parametrize("name, tile", [
    ("x @ W", [("UPCAST", 16), ("UPCAST", 4)]),
    ("x.T @ g", [("UPCAST", 16), ("UPCAST", 4)]),
    ("masked product", [("UPCAST", 16), ("UPCAST", 4)]),   # the mask is read after the sum: no operand
    ("batched", [("UPCAST", 16), ("UPCAST", 4)]),
    ("x @ W.T", [("UPCAST", 4), ("UPCAST", 4), ("UNROLL", 4)]),   # no axis is contiguous in both
])
def test_each_kind_of_product_gets_its_tile(name, tile):
    default, tiled = _opts(name)
    assert tiled[:len(tile)] == tile and all(op == "THREAD" for op, _ in tiled[len(tile):]) and tiled != default


@pytest.mark.parametrize("name", ["short sum", "symbolic sum", "sum of squares", "elementwise"])
def test_other_kernels_keep_tinygrads_choice(name):
    default, tiled = _opts(name)
    assert tiled == default


def _child(tiling_mode: str, threads: int) -> dict:
    env = childenv.environ({**childenv.threads(threads), "GRADSCHOOL_TILING": tiling_mode, "NOOPT": "0",
                            programs.DIR_VAR: "off"})
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tiled_kernels_compute_tinygrads_numbers_bit_for_bit():
    default = _child("off", 1)
    one, two = _child("on", 1), _child("on", 2)
    made_by = (default.pop("heuristic"), one.pop("heuristic"), two.pop("heuristic"))
    assert made_by == (tiling.HOOKED, tiling.__name__, tiling.__name__)
    assert one == default and two == default
