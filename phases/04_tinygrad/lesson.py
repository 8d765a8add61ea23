# %% [markdown]
# # Phase 4: tinygrad fundamentals
#
# In phases 1-3 you wrote every gradient by hand in NumPy. tinygrad does the same job with three ideas:
#
# 1. **A lazy graph.** `a + b` does not add anything: it returns a Tensor whose `uop` is a node
#    `UOp(Ops.ADD, src=(a.uop, b.uop))`. Identical sub-expressions are one shared node (the graph is a DAG).
# 2. **Scheduling and fusion.** `realize()` cuts the graph into *kernels*: chains of elementwise ops and the
#    reduction they feed become one loop nest, so intermediate results never touch memory.
# 3. **Autograd as graph rewriting.** `backward()` adds gradient nodes to the same graph, one rule per op;
#    the optimizer's update is more graph; `TinyJit` records the kernels of a whole step and replays them.
#
# This notebook illustrates each idea. It uses tinygrad only where that is cheap (building graphs), and
# NumPy for the rest. Exercises: 4.1 MLP, 4.2 Adam, 4.3 UOp graphs, 4.4 schedules, 4.5 backprop,
# 4.6 a backend of your own, 4.7 a rewrite rule and a custom gradient.

# %%
import collections

import matplotlib.pyplot as plt
import numpy as np
from tinygrad import Tensor

# %% [markdown]
# ## 1. A UOp graph, drawn
#
# Below is the graph of `((x + 1) * 2).relu().sum()` for an unrealized 4x4 buffer `x`. Building it runs no
# kernel. Notice that ReLU is not an op of its own: it is `WHERE(0 < y, y, 0)`, and the product `y` is one node
# used twice. We place each node at the depth of its longest path from a leaf (a topological layering).

# %%
x = Tensor.empty(4, 4)
t = ((x + 1) * 2).relu().sum()
nodes = t.uop.toposort()             # sources before users
depth = {}
for u in nodes:
    depth[u] = 1 + max((depth[s] for s in u.src), default=-1)
layers = collections.defaultdict(list)
for u in nodes:
    layers[depth[u]].append(u)
pos = {u: (i - (len(layer) - 1) / 2, -d) for d, layer in layers.items() for i, u in enumerate(layer)}
fig, ax = plt.subplots(figsize=(7, 6))
for u in nodes:
    for s in u.src:
        ax.annotate("", xy=pos[u], xytext=pos[s], arrowprops=dict(arrowstyle="->", color="0.6"))
for u in nodes:
    label = u.op.name + (f"\n{u.arg}" if u.op.name == "CONST" else "")
    ax.text(*pos[u], label, ha="center", va="center", fontsize=8, bbox=dict(boxstyle="round", fc="#dde8f7" if u.src else "#f7e3d0"))
ax.set_axis_off()
ax.set_title("UOp graph of ((x + 1) * 2).relu().sum()  (leaves in orange, data flows down)")
plt.show()
print("op histogram:", dict(collections.Counter(u.op.name for u in nodes)))

# %% [markdown]
# Exercise 4.3 asks you to list such a graph in topological order yourself (without recursion: real graphs
# get deeper than Python's recursion limit), to count its ops, and to write a small interpreter
# `evaluate(SimpleUOp)` that visits each shared node once. A pre-order walk (a node before its sources) is the
# classic mistake: an interpreter following it would read values that do not exist yet.
#
# ## 2. Fusion: why kernel counts matter
#
# A kernel reads its inputs from memory and writes its outputs back. Fusing a chain of elementwise ops into
# the reduction that consumes it means one pass over the data instead of one per op. The model below counts
# the bytes a computation on an n x n float32 input moves, fused versus with every intermediate realized
# (what `.contiguous()` or `.realize()` after every op would force). These are the counts tinygrad
# reports for `((x + 1) * 2).relu().sum()`: 1 kernel fused, 4 unfused (Exercise 4.4 measures them).

# %%
n = np.array([64, 128, 256, 512, 1024, 2048])
elems = n * n * 4                                   # bytes of one float32 n x n array
fused = elems + 4                                   # read x once, write one scalar
unfused = 3 * (2 * elems) + elems + 4               # three elementwise kernels read+write, then the sum reads
fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5))
a1.bar(["fused", "unfused"], [1, 4], color=["#4c72b0", "#dd8452"])
a1.set_ylabel("kernels")
a1.set_title("kernels for ((x+1)*2).relu().sum()")
a2.loglog(n, fused / 1e6, "o-", label="fused (1 kernel)")
a2.loglog(n, unfused / 1e6, "s-", label="realize after every op (4 kernels)")
a2.set_xlabel("n (input is n x n)")
a2.set_ylabel("MB moved")
a2.legend()
a2.set_title("memory traffic: 7x more when unfused")
plt.tight_layout()
plt.show()

# %% [markdown]
# Rules of thumb that Exercise 4.4 makes you predict and then verify with `schedule_linear()`:
# elementwise chains are 1 kernel; a reduction fuses with what feeds it; using a reduced value against the
# full input again (`x - x.max(1)`) needs the reduction first, so 2 kernels; softmax is 3 (max, sum of
# exponentials, divide); `.contiguous()` always adds a kernel; an upload `Tensor([...])` is a copy, not a kernel.
#
# ## 3. Backprop is more graph
#
# For `L = sum(x * x)`, `L.gradient(x)` adds exactly four nodes: a CONST 1.0 seed, an EXPAND (the gradient of a
# sum is the upstream gradient broadcast back), one MUL (upstream * x; both uses of x give the *same* node,
# so it exists once) and an ADD that accumulates the two contributions. The accumulation is the whole point of
# reverse mode: a value used k times receives k gradient terms. Your tape in Exercise 4.5 must `+=`.
# Below, reverse mode on a tiny tape in NumPy, checked against central differences.

# %%
def f(v):
    return float(np.sum(np.maximum(v * 1.5 + v, 0) * v))      # v is used three times


v = np.array([0.5, -1.0, 2.0])
h = v * 1.5 + v                                                 # forward, recording what backward needs
g_out = np.ones(3)                                              # d sum / d (relu(h) * v)
g_relu, g_v = g_out * v, g_out * np.maximum(h, 0)               # product rule: two terms
g_h = g_relu * (h > 0)
g_v = g_v + g_h * 1.5 + g_h                                     # accumulate the two uses inside h
numeric = np.array([(f(v + e) - f(v - e)) / 2e-6 for e in np.eye(3) * 1e-6])
print("reverse mode:", g_v, "| central differences:", numeric.round(6))

# %% [markdown]
# ## 4. Training in tinygrad 0.14 (Exercise 4.1)
#
# The step you write is
#
# ```python
# @TinyJit
# @Context(TRAINING=1)                      # optimizers refuse to step without it
# def step(x, y):
#     opt.zero_grad()
#     loss = model(x).sparse_categorical_crossentropy(y).backward()
#     return loss.realize(*opt.schedule_step())   # forward, backward and update in one schedule
# ```
#
# Call 1 runs normally, call 2 is captured, and every later call replays the compiled kernels without
# running Python. With `DEBUG=2` every executed kernel prints a line such as
# `*** CPU  12 r_32_16_4_49_4 arg 3 mem 0.00 GB tm 35us`: a running number, the kernel name, how many buffers it
# touches, and its time. Names starting with `E_` are elementwise; `r_` kernels contain a reduction (the matmuls
# and the loss); the numbers are loop extents. One step of the 784-256-128-10 MLP with Adam is a few dozen kernels
# on CPU (the listing at the end of this section is a real one): the three forward matmuls with their bias and ReLU fused in, the softmax cross-entropy (max, sum of
# exponentials, the loss), the backward matmuls (two per layer: for the weights and for the layer input), the
# bias gradients (sums over the batch), and the Adam updates, where each parameter's m, v and weight update are
# fused into one or two kernels. The milestone (`grader check 4.1`) saves your real loss and accuracy curves.
#
# Why Kaiming initialisation? With weights drawn from N(0, s^2 / fan_in), each ReLU layer multiplies the mean
# square of the activations by s^2 / 2. Only s^2 = 2 keeps the signal at the same scale through depth; the plot
# pushes a random batch through 20 ReLU layers of width 256 in NumPy.

# %%
rng = np.random.default_rng(0)
for s2, label in ((1.0, "N(0, 1/fan_in)"), (2.0, "N(0, 2/fan_in)  Kaiming"), (3.0, "N(0, 3/fan_in)")):
    h, rms = rng.normal(size=(512, 256)), []
    for _ in range(20):
        h = np.maximum(h @ (rng.normal(size=(256, 256)) * np.sqrt(s2 / 256)), 0)
        rms.append(np.sqrt((h ** 2).mean()))
    plt.semilogy(range(1, 21), rms, "o-", label=label)
plt.xlabel("layer")
plt.ylabel("RMS activation")
plt.title("activation scale through 20 ReLU layers")
plt.legend()
plt.show()

# %% [markdown]
# Here is that listing for one real step (batch 64), captured from a child process with `DEBUG=2`. The first
# call compiled everything; the second, printed here, only runs kernels. Read the names: the first `r_` kernel
# with a 196 (= 784 / 4) in its name is the first layer's matmul, and the kernels after the loss are the backward
# pass and the Adam updates.

# %%
import os
import subprocess
import sys

STEP = """
from tinygrad import Tensor, Context, nn
from tinygrad.nn.state import get_parameters
Tensor.manual_seed(0)
class MLP:
    def __init__(self): self.l1, self.l2, self.l3 = nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10)
    def __call__(self, x): return self.l3(self.l2(self.l1(x).relu()).relu())
model = MLP()
opt = nn.optim.Adam(get_parameters(model), lr=1e-3)
x, y = Tensor.randn(64, 784).realize(), Tensor.randint(64, high=10).realize()
@Context(TRAINING=1)
def step():
    opt.zero_grad()
    return model(x).sparse_categorical_crossentropy(y).backward().realize(*opt.schedule_step())
step()
print("=== second step ===", flush=True)
with Context(DEBUG=2):
    step()
"""
run = subprocess.run([sys.executable, "-c", STEP], env={**os.environ, "NO_COLOR": "1"}, capture_output=True, text=True)
listing = [line for line in (run.stdout + run.stderr).split("=== second step ===")[-1].splitlines() if line.startswith("***")]
print(f"{len(listing)} kernels in one training step; the first 12:")
print("\n".join(line[:100] for line in listing[:12]))

# %% [markdown]
# ### Feeding a TinyJit step fast (what the 4.1 milestone does for you)
#
# Your `step(x, y)` stays simple; the milestone harness (`grader/milestones/mnist_tinygrad.py`) feeds it the
# way fast tinygrad training loops do:
#
# * **Data on the device.** Once per epoch the training set is shuffled and copied in as one block, instead
#   of building `Tensor(X[idx])` from NumPy on every step.
# * **Batch indexing inside the JIT.** Each step gets `X[at:at + 128]` where `at = Variable("batch", 0, n - 1)
#   .bind(i) * 128`: a view at a *symbolic* offset. TinyJit sees the same input shape and the same variable
#   every call, so it replays its kernels with a new value of `batch`; nothing is copied. Making such a view
#   is itself about 1.5 ms of Python, so the harness makes one per batch once and, each epoch, copies the
#   shuffled data into the same buffers (`Tensor.assign`): the views stay valid.
# * **No Python conversion per step.** `.item()` waits for the step and copies the loss out; the harness
#   reads it on every tenth step only, enough for a training curve.
# * **State computed before the first step.** The harness realizes the weights and Adam's moments
#   (`Tensor.realize(*get_state_dict(opt).values())`) before it calls `step`. Left lazy, call 1 folds the
#   random initialisation and the zero moments into its kernels, so call 2, the capture, meets a different
#   graph and compiles the whole step again: for phase 6's U-Net that was a quarter of all compile time.
#
# * **Wider register tiles for the matrix products.** tinygrad's default optimizer computes a 4 x 4 (or
#   4 x 3) block of a product's outputs per pass of the loop over the summed axis, so each loaded value
#   feeds only 3-4 multiply-adds. The milestone runs ask for 16 x 4 along the axis that is contiguous in
#   memory (`grader/tiling.py`): one vector load, four times reused. The order in which each output's terms
#   are added does not change, so the numbers are bit for bit the same; the two big products of this step
#   go from about 25 to 50 GFLOP/s, the step from about 7 to under 5 ms.
#
# What remains per step is the replay of about 40 kernels (Python, about 1.5 ms) and the kernels
# themselves. `BEAM=2` times variants of every kernel once (about 3 CPU minutes for this step), keeps the
# fastest and caches them: here it finds little more than the wider tiles. `make bench` prints both next
# to PyTorch on the same recipe.

# %% [markdown]
# ## 5. Adam, decoupled weight decay, and bias correction (Exercise 4.2)
#
# Adam divides a running mean of gradients by the root of a running mean of squared gradients. Both start at
# 0, so early averages are too small by the factor 1 - b^t; dividing by it is the bias correction. Off by one
# step (dividing by 1 - b^(t+1)) makes the first updates much too large. AdamW adds `wd * p` to the update
# itself; adding it to the gradient instead (an L2 penalty) lets Adam's normalisation shrink the decay for
# parameters with large gradients. The plot shows the correction factor and the first-step update size.

# %%
t = np.arange(1, 41)
for b, style in ((0.9, "-"), (0.999, "--")):
    plt.plot(t, 1 / (1 - b ** t), style, label=f"1 / (1 - {b}^t)")
plt.yscale("log")
plt.xlabel("step t")
plt.ylabel("bias-correction factor")
plt.title("why early steps need correcting")
plt.legend()
plt.show()

# %% [markdown]
# ## 6. Devices and your own backend (Exercise 4.6)
#
# A tinygrad device is memory (an Allocator), a Renderer that turns a kernel's linearized UOp list into
# source, and a Program that runs it. Your TOY device renders nothing: it ships the UOp list and *interprets* it
# with a program counter. A linearized kernel for `out[i] = relu(2 a[i] + 1)` looks like
#
# ```
# PARAM slot 0 (out)   PARAM slot 1 (a)   CONST 6 -> CAST int   RANGE(6)
# INDEX(a, r) -> LOAD -> MUL 2.0 -> ADD 1.0 -> MAX 0.0 -> STORE(INDEX(out, r), ...) -> END(..., RANGE)
# ```
#
# RANGE(end) starts its loop variable at 0, END jumps back, and when the variable reaches `end` the program
# counter jumps past END. Two classic bugs: treating the end as inclusive (one write past the buffer) and
# skipping CAST (integer division and index math then go wrong).
#
# ## 7. A rewrite rule and a custom gradient (Exercise 4.7)
#
# On CPU, `exp` and `log` are expanded into polynomial approximations, so `x.exp().log()` compiles to about a
# hundred lines of C. A `PatternMatcher` rule LOG2(EXP2(y)) -> y removes both and is exact; the mirror rule
# EXP2(LOG2(y)) -> y is *not* allowed, because log of a non-positive number is NaN. Below, the function the
# mirror rule would wrongly replace:

# %%
ys = np.linspace(-2, 3, 400)
with np.errstate(invalid="ignore", divide="ignore"):
    plt.plot(ys, np.exp2(np.log2(ys)), lw=3, label="exp2(log2(y)) (NaN for y < 0, 0 at 0)")
plt.plot(ys, ys, "--", label="y (what the invalid rule returns)")
plt.legend()
plt.title("a rewrite must not change values")
plt.show()
