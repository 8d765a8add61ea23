# %% [markdown]
# # Phase 7: systems
#
# Phases 4 to 6 used tinygrad to train models. This phase looks at what the framework does with the
# arithmetic you give it, and measures it: how many kernels a computation becomes and how many bytes they
# move (fusion), how fast each kernel runs compared with what the machine can do (profiling and the
# roofline), how much memory a backward pass holds and how to trade it for recomputation (gradient
# checkpointing), how one training step is split across devices without changing its result (data
# parallelism), and finally how a slow training loop becomes ten times faster without changing its loss
# curve (the speedrun).
#
# Every section measures something on small tensors with tinygrad and NumPy directly; it never imports
# your exercise files. Numbers depend on the machine, and the timings on its load: read them as orders of
# magnitude. Exercises: 7.1 fusion, 7.2 profiler, 7.3 checkpointing, 7.4 data parallel, 7.5 speedrun.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from tinygrad import Device, GlobalCounters, Tensor, TinyJit, dtypes
from tinygrad.device import Buffer
from tinygrad.helpers import NOOPT

rng = np.random.default_rng(0)


def counters(fn, *args):
    """Run fn(*args) (which realizes its result) and return (kernels, bytes moved, FLOPs) that tinygrad
    counted for it. The inputs must be realized before, or their uploads would be counted too."""
    GlobalCounters.reset()
    out = fn(*args)
    return GlobalCounters.kernel_count, GlobalCounters.global_mem, GlobalCounters.global_ops, out


# %% [markdown]
# ## 1. Fusion: kernels and bytes (Exercise 7.1)
#
# A kernel reads its inputs from memory and writes its output back. tinygrad fuses a chain of
# elementwise operations, and the reduction they feed, into one kernel, so the intermediate values stay
# in registers. Phase 4 (Exercise 4.4) predicted kernel counts on toy graphs; here we measure four
# building blocks of a transformer, written op by op, twice: as tinygrad schedules them (*fused*) and with
# `.realize()` after every op (*unfused*, what an eager framework without a compiler does; `.contiguous()`
# after every op has the same effect inside one schedule).
# `GlobalCounters` counts what actually ran: `kernel_count`, `global_mem` (bytes the kernels read and
# wrote) and `global_ops` (FLOPs).

# %%
X = Tensor(rng.normal(size=(64, 256)).astype(np.float32)).realize()
W = Tensor((rng.normal(size=(256, 256)) * 0.06).astype(np.float32)).realize()
gain, bias = Tensor.ones(256).contiguous().realize(), Tensor.zeros(256).contiguous().realize()


def softmax(x, r):
    m = r(x.max(-1, keepdim=True))
    e = r(r(x - m).exp())
    return r(e / r(e.sum(-1, keepdim=True)))


def layernorm(x, r):
    c = r(x - r(x.mean(-1, keepdim=True)))
    inv = r(r(r(r(c * c).mean(-1, keepdim=True)) + 1e-5).rsqrt())
    return r(r(r(c * inv) * gain) + bias)


def matmul_gelu(x, r):
    h = r(x @ W)
    inner = r(r(h + r(r(r(h * h) * h) * 0.044715)) * 0.7978845608)
    return r(r(h * 0.5) * r(r(inner.tanh()) + 1))


def attention_scores(x, r):
    return softmax(r(r(x @ x.T) * 256 ** -0.5), r)


fused, eager = (lambda t: t), (lambda t: t.realize())
blocks = {"softmax": softmax, "layer norm": layernorm, "matmul + GELU": matmul_gelu, "attention scores": attention_scores}
table = {}
print(f"{'fused / unfused':17s} {'kernels':>9s} {'MB moved':>15s} {'max |diff|':>12s}")
for name, block in blocks.items():
    k_f, b_f, _, y_f = counters(lambda: block(X, fused).realize())
    k_u, b_u, _, y_u = counters(lambda: block(X, eager).realize())
    table[name] = (k_f, k_u, b_f, b_u)
    print(f"{name:17s} {k_f:4d} / {k_u:2d} {b_f / 1e6:8.2f} / {b_u / 1e6:4.2f} "
          f"{np.abs(y_f.numpy() - y_u.numpy()).max():12.1e}")

fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.5))
pos = np.arange(len(table))
for ax, col, unit, label in ((a1, 0, 1, "kernels"), (a2, 2, 1e6, "MB moved (global_mem)")):
    ax.bar(pos - 0.2, [v[col] / unit for v in table.values()], 0.4, label="fused")
    ax.bar(pos + 0.2, [v[col + 1] / unit for v in table.values()], 0.4, label="realize after every op")
    ax.set_xticks(pos, table)
    ax.set_ylabel(label)
    ax.legend(loc="upper left")
    ax.set_ylim(0, 1.25 * max(v[col + 1] / unit for v in table.values()))
a1.set_title("kernels per block (input 64 x 256)")
a2.set_title("memory traffic per block")
plt.tight_layout()
plt.show()

# %% [markdown]
# The values are the same (a fused kernel does the same arithmetic in the same order); the traffic is
# not. Softmax and layer norm still need more than one kernel when fused: a value reduced over a row
# (the maximum, the mean) has to exist before it is used against every element of that row again. The
# GELU after the matmul costs nothing extra when fused, because the kernel applies it to each output of
# the matmul before writing it (an MLP's second matmul then takes one more kernel); unfused, every one
# of its nine ops reads and writes a 64 x 256 array.
#
# **When fusion hurts.** A fused elementwise producer is *recomputed* wherever its consumer needs it. In
# a backward pass the consumer is often a weight gradient, `x.T @ g`, a reduction over the batch: if `g`
# (here the GELU derivative times the upstream gradient) is fused into it, it is recomputed once for
# every column of the weight. `.contiguous_backward()` on the Linear's output makes tinygrad materialize
# that gradient once, and `.contiguous()` on the GELU's output does the same for the forward value the
# second weight gradient reads. Same gradients, a third of the FLOPs:

# %%
Xb = Tensor(rng.normal(size=(256, 64)).astype(np.float32)).realize()
W1 = Tensor((rng.normal(size=(64, 256)) * 0.1).astype(np.float32)).realize()
W2 = Tensor((rng.normal(size=(256, 64)) * 0.06).astype(np.float32)).realize()


def mlp_grads(materialize):
    h = Xb @ W1
    if materialize:
        h = h.contiguous_backward()
    a = h.gelu()
    if materialize:
        a = a.contiguous()
    loss = (a @ W2).square().mean()
    grads = loss.gradient(W1, W2)
    Tensor.realize(loss, *grads)
    return grads


needed = 5 * 2 * 256 * 64 * 256                # 2 matmuls forward; dW2, the gradient into the GELU, dW1
for materialize in (False, True):
    kernels, _, flops, grads = counters(mlp_grads, materialize)
    print(f"{'materialized' if materialize else 'fused as is':12s}: {kernels} kernels, {flops / 1e6:5.1f} MFLOP "
          f"({flops / needed:.1f} x the matmuls'), dW1[0, 0] = {grads[0].numpy()[0, 0]:+.6f}")

# %% [markdown]
# Exercise 7.1 builds fused softmax, layer norm, GELU MLP and attention scores that fit kernel budgets
# read from tinygrad's own schedule, measures bytes moved fused versus unfused, and stops a backward pass
# from recomputing a fused producer. The same fix made the phase-5 GPT step three times cheaper.
#
# ## 2. Profiling: counts, the roofline, timing (Exercise 7.2)
#
# Before timing anything, count. A Linear layer with `n_in` inputs and `n_out` outputs has
# `n_in * n_out + n_out` parameters and costs `2 * batch * n_in * n_out` FLOPs forward (one multiply and
# one add per weight and example); the backward pass costs about twice that (one matmul for the input
# gradient, one for the weight gradient). tinygrad's `global_ops` counts the same FLOPs, plus the
# elementwise work:

# %%
sizes, batch = [784, 256, 128, 10], 64
layers = [(rng.normal(size=(i, o)).astype(np.float32) * 0.05, np.zeros(o, np.float32)) for i, o in zip(sizes, sizes[1:])]
params = sum(w.size + b.size for w, b in layers)
analytic = sum(2 * batch * w.size for w, _ in layers)
Ws = [(Tensor(w).realize(), Tensor(b).realize()) for w, b in layers]
xin = Tensor(rng.normal(size=(batch, 784)).astype(np.float32)).realize()


def mlp_forward(x):
    for k, (w, b) in enumerate(Ws):
        x = x @ w + b
        x = x.relu() if k < len(Ws) - 1 else x
    return x.realize()


kernels, nbytes, flops, _ = counters(mlp_forward, xin)
print(f"MLP 784-256-128-10: {params:,} parameters; forward at batch {batch}:")
print(f"analytic {analytic / 1e6:.2f} MFLOP; tinygrad counted {flops / 1e6:.2f} MFLOP in {kernels} kernels, "
      f"{nbytes / 1e6:.2f} MB")

# %% [markdown]
# A kernel is limited either by arithmetic or by memory. Its **arithmetic intensity** is FLOPs per byte
# moved. A machine that does P FLOP/s and moves B bytes/s cannot run a kernel of intensity I faster than
# `min(P, B * I)`: the **roofline**. Below, P is what NumPy's matmul (BLAS) reaches and B what a NumPy
# copy reaches; the points are tinygrad kernels, timed with `TinyJit` (so the time is the
# kernel's, not Python's) and `Device[...].synchronize()`, the median of nine runs. `global_mem` counts
# each buffer once per kernel, the least a kernel must move; caches can make the true traffic larger.

# %%
def median_time(fn, reps=9):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), np.array(times)


A = rng.normal(size=(512, 512)).astype(np.float32)
peak = 2 * 512 ** 3 / median_time(lambda: A @ A)[0]
src = np.ones(4_000_000, np.float32)
dst = np.empty_like(src)
bandwidth = 2 * src.nbytes / median_time(lambda: np.copyto(dst, src))[0]
print(f"NumPy on this machine: matmul {peak / 1e9:.1f} GFLOP/s, copy {bandwidth / 1e9:.1f} GB/s")

big = Tensor(rng.normal(size=(1024, 1024)).astype(np.float32)).realize()
big2 = Tensor(rng.normal(size=(1024, 1024)).astype(np.float32)).realize()
m128 = Tensor(A[:128, :128].copy()).realize()
m512 = Tensor(A).realize()
probes = {"add 1M": (lambda a, b: (a + b).realize(), big, big2), "sum rows": (lambda a: a.sum(-1).realize(), big),
           "softmax rows": (lambda a: a.softmax(-1).realize(), big), "matmul 128": (lambda a: (a @ a).realize(), m128),
           "matmul 512": (lambda a: (a @ a).realize(), m512)}
points, timings = {}, {}
for name, (fn, *args) in probes.items():
    jitted = TinyJit(fn)
    for _ in range(3):                           # capture and warm up
        jitted(*args)
    _, nbytes, flops, _ = counters(jitted, *args)
    seconds, timings[name] = median_time(lambda: (jitted(*args), Device[Device.DEFAULT].synchronize()))
    points[name] = (flops / nbytes, flops / seconds)
    print(f"{name:13s}{flops / 1e6:6.1f} MFLOP {nbytes / 1e6:6.2f} MB {flops / nbytes:6.2f} FLOP/B "
          f"{flops / seconds / 1e9:5.1f} GFLOP/s {seconds * 1e3:6.2f} ms")

intensity = np.geomspace(0.02, 500, 200)
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.loglog(intensity, np.minimum(peak, bandwidth * intensity) / 1e9, "k-", label="roofline from NumPy")
for name, (i, speed) in points.items():
    ax.loglog(i, speed / 1e9, "o", ms=8, label=name)
ax.axvline(peak / bandwidth, color="0.7", ls=":", label=f"ridge {peak / bandwidth:.1f} FLOP/B")
ax.set_xlabel("arithmetic intensity (FLOP per byte moved)")
ax.set_ylabel("GFLOP/s")
ax.set_title("tinygrad kernels on the roofline")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Left of the ridge a kernel is memory-bound (the add, the row sum): faster arithmetic would not help,
# fewer bytes would, and that is what fusion buys. Right of it a kernel is compute-bound (the matmuls),
# and the gap to the roof is the quality of the generated code (tiling, vectorising; `BEAM` search
# improves it). Softmax sits high because tinygrad expands `exp` into many operations.
#
# A time is a distribution, not a number. Benchmark with warm-up calls first (the first calls compile),
# many repeats, the **median** (robust to the odd slow run) and the **p95** (what one call in twenty waits
# at least), and a confidence interval for the median by the bootstrap: resample the timings with
# replacement many times and take the spread of the resampled medians.

# %%
t_ms = timings["matmul 512"] * 1e3
resampled = np.median(rng.choice(t_ms, size=(2000, len(t_ms))), axis=1)
low, high = np.percentile(resampled, [2.5, 97.5])
print(f"matmul 512 over {len(t_ms)} runs: median {np.median(t_ms):.2f} ms, p95 {np.percentile(t_ms, 95):.2f} ms")
print(f"95% bootstrap confidence interval of the median: [{low:.2f}, {high:.2f}] ms")

# %% [markdown]
# Exercise 7.2 builds these tools: parameter and FLOP counts checked against `GlobalCounters`, the
# kernels, FLOPs and bytes of a step, a roofline against a peak you measure with NumPy, and a benchmark
# harness with warm-up, repeats, median, p95 and a bootstrap confidence interval.
#
# ## 3. Gradient checkpointing: memory for recomputation (Exercise 7.3)
#
# The backward pass needs the activations of the forward pass, so plain `backward()` keeps all of them
# alive until it has used them: memory grows with depth. **Checkpointing** keeps only the input of each
# of k segments (realized and detached), then in the backward pass recomputes one segment at a time from
# its stored input and pulls the gradient through it with `out.gradient(x_in, *weights, gradient=g)`.
# Memory is about k stored inputs plus one segment's activations, so sqrt(depth) segments is the sweet
# spot; the price is a second forward pass.
#
# To measure memory we wrap `Buffer.allocate`, tinygrad's one place where device memory is taken, and
# record the largest `GlobalCounters.mem_used` seen. The network is 16 residual layers
# `x + relu(x @ W)` on a 256 x 128 batch (one activation is 0.13 MB).
#
# From here on the notebook measures memory, values and Python overhead, not the speed of kernels, so
# it sets `NOOPT`: tinygrad then skips the optimisation of each kernel's loops (upcasting, unrolling,
# the work that made the matmuls of section 2 fast). Kernels run slower but compile in a fraction of
# the time, and compiling is most of what this notebook would otherwise spend. Compile time is a cost
# of its own: every new shape pays it once per process.

# %%
NOOPT.value = 1
PEAK = [0]
_allocate = Buffer.allocate


def tracking_allocate(self, *args, **kwargs):
    out = _allocate(self, *args, **kwargs)
    PEAK[0] = max(PEAK[0], GlobalCounters.mem_used)
    return out


Buffer.allocate = tracking_allocate
DEPTH, B, D = 16, 256, 128
weights = [Tensor((rng.normal(size=(D, D)) * 0.05).astype(np.float32)).realize() for _ in range(DEPTH)]
x0 = Tensor(rng.normal(size=(B, D)).astype(np.float32)).realize()


def run(x, ws):
    for w in ws:
        x = x + (x @ w).relu()
    return x


def plain_grads():
    out = run(x0, weights)
    loss = out.square().mean()
    grads = loss.gradient(*weights)
    Tensor.realize(loss, *grads)
    return grads


def checkpointed_grads(k):
    segments = [weights[i * DEPTH // k:(i + 1) * DEPTH // k] for i in range(k)]
    inputs = [x0]
    for ws in segments:                                   # forward: keep only each segment's input
        inputs.append(run(inputs[-1].detach(), ws).realize())
    last = inputs[-1].detach()
    loss = last.square().mean()
    (g,) = loss.gradient(last)
    Tensor.realize(loss, g)
    grads = []
    for ws, x_in in zip(reversed(segments), reversed(inputs[:-1])):   # backward: recompute, then pull g through
        x_in = x_in.detach()
        g, *gw = run(x_in, ws).gradient(x_in, *ws, gradient=g)
        Tensor.realize(g, *gw)
        grads = gw + grads
    return grads


def peak_extra(fn):
    base = GlobalCounters.mem_used
    PEAK[0] = base
    grads = [t.numpy() for t in fn()]
    return (PEAK[0] - base) / 1e6, grads


plain_mb, reference = peak_extra(plain_grads)
counts = [2, 4, 8]
peaks = []
for k in counts:
    mb, grads = peak_extra(lambda: checkpointed_grads(k))
    peaks.append(mb)
    print(f"{k:2d} segments: peak {mb:5.2f} MB (plain backward {plain_mb:.2f} MB), "
          f"max |grad diff| {max(np.abs(a - b).max() for a, b in zip(grads, reference)):.1e}")
Buffer.allocate = _allocate

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(counts, peaks, "o-", label="checkpointed")
ax.axhline(plain_mb, color="C3", ls="--", label="plain backward()")
ax.set_xscale("log", base=2)
ax.set_xticks(counts, counts)
ax.set_xlabel("segments (16 layers)")
ax.set_ylabel("peak extra memory (MB)")
ax.set_ylim(0, 1.15 * plain_mb)
ax.set_title("memory of one backward pass")
ax.legend(loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# The gradients are identical, bit for bit: the recomputation does the same arithmetic. Few segments
# hold a long segment's activations at once during its recomputation; many segments store many inputs
# (with one segment per layer, every layer's input is kept, which is most of what plain backward holds).
# In between, at about sqrt(16) = 4 segments, memory is lowest. The mistake Exercise 7.3 guards against
# is a "checkpoint" that keeps the segment's *outputs* with their graph attached: the gradients are
# right, and nothing is saved.
#
# ## 4. Data parallelism: same step, several devices (Exercise 7.4)
#
# Data parallelism gives every device a full copy of the model (a *replica*) and a slice of the batch.
# Each replica computes the gradient of its slice; an **all-reduce** replaces every replica's gradient by
# the mean over the whole batch, weighted by slice size (the mean of per-slice means is wrong when the
# slices differ in size). Every replica then takes the same step and stays identical. Done right, this is
# *exactly* single-device training on the whole batch. tinygrad gives a CPU several virtual devices,
# `CPU`, `CPU:1`, ...; below, a small MLP trains on one device and on two, with a hand-written
# all-reduce (gather the gradients on the first device, average, step, copy the weights back).

# %%
N, DIN, HIDDEN, CLASSES, BATCH, LR, STEPS = 2048, 32, 64, 4, 128, 0.5, 25
X_np = rng.normal(size=(N, DIN)).astype(np.float32)
Y_np = (X_np @ rng.normal(size=(DIN, CLASSES))).argmax(1).astype(np.int32)
init = [rng.normal(size=(DIN, HIDDEN)).astype(np.float32) * 0.2, np.zeros(HIDDEN, np.float32),
        rng.normal(size=(HIDDEN, CLASSES)).astype(np.float32) * 0.2, np.zeros(CLASSES, np.float32)]
batches = [rng.choice(N, BATCH, replace=False) for _ in range(STEPS)]


def replica(device):
    return [Tensor(p.copy(), device=device).realize() for p in init]


def loss_and_grads(ps, x, y):
    """Mean cross-entropy of the MLP and its gradients, realized together (before any update)."""
    loss = ((x @ ps[0] + ps[1]).relu() @ ps[2] + ps[3]).sparse_categorical_crossentropy(y)
    grads = loss.gradient(*ps)
    Tensor.realize(loss, *grads)
    return loss, grads


def sgd(ps, grads):
    for p, g in zip(ps, grads):
        p.assign(p - LR * g)
    Tensor.realize(*ps)


def train_single():
    ps = replica("CPU")

    @TinyJit
    def step(x, y):
        loss, grads = loss_and_grads(ps, x, y)
        sgd(ps, grads)
        return loss

    losses = [step(Tensor(X_np[idx]), Tensor(Y_np[idx])).item() for idx in batches]
    return losses, ps


def train_data_parallel(devices):
    replicas = [replica(d) for d in devices]

    @TinyJit
    def step(*data):                                           # x and y of every slice, each on its device
        shares = [x.shape[0] / BATCH for x in data[::2]]
        results = [loss_and_grads(ps, x, y) for ps, x, y in zip(replicas, data[::2], data[1::2])]
        loss = sum(share * loss.to(devices[0]) for share, (loss, _) in zip(shares, results))
        mean = [sum(share * grads[j].to(devices[0]) for share, (_, grads) in zip(shares, results))
                for j in range(len(init))]                     # all-reduce: weighted mean on device 0
        sgd(replicas[0], mean)
        for ps in replicas[1:]:                                # broadcast the new weights
            for p, p0 in zip(ps, replicas[0]):
                p.assign(p0.to(p.device))
            Tensor.realize(*ps)
        return loss.realize()

    losses = []
    for idx in batches:
        slices = np.array_split(idx, len(devices))
        data = [t for d, s in zip(devices, slices) for t in (Tensor(X_np[s], device=d), Tensor(Y_np[s], device=d))]
        losses.append(step(*data).item())
    return losses, replicas


single_losses, single_ps = train_single()
dp_losses, replicas = train_data_parallel(["CPU", "CPU:1"])
print(f"loss after {STEPS} steps: 1 device {single_losses[-1]:.6f}, 2 devices {dp_losses[-1]:.6f}")
print(f"max |loss difference| over the steps: {max(abs(a - b) for a, b in zip(single_losses, dp_losses)):.1e}")
print("max |weight difference| 1 vs 2 devices:",
      f"{max(np.abs(a.numpy() - b.numpy()).max() for a, b in zip(single_ps, replicas[0])):.1e};",
      "replicas identical:", all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(*replicas)))

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(single_losses, lw=4, alpha=0.4, label="1 device, batch 128")
ax.plot(dp_losses, "k--", label="2 virtual devices, 64 + 64, all-reduce mean")
ax.set_xlabel("step")
ax.set_ylabel("training loss")
ax.set_title("data parallel = single device (the curves overlap)")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The differences are float32 rounding (the sum is taken in a different order), 1e-7, not a bug. The
# classic bugs are visible at once on such a plot: an all-reduce that *sums* without averaging trains with
# a learning rate multiplied by the number of devices; replicas that skip the broadcast drift apart.
#
# tinygrad can do all this itself: `p.shard_(devices)` (no axis) puts a copy of each weight on every
# device and `x.shard(devices, axis=0)` splits the batch (into equal parts: tinygrad 0.14 refuses a batch
# the number of devices does not divide); the backward pass then all-reduces the gradients for you.
# The same code runs on several GPUs (`devices = [f"CUDA:{i}" for i in range(4)]`), where each device
# has its own arithmetic units and it is faster. On one CPU the virtual devices share the same cores and
# add copies between them, so data parallelism here is *slower* than one device (about 3 times in our
# measurements): Exercise 7.4 grades correctness, never speed.
#
# ## 5. The speedrun: where the time of a training step goes (Exercise 7.5)
#
# A training step in tinygrad costs its kernels plus a fixed overhead for Python, scheduling and
# launching them. For a small model the overhead *is* the step. Below, the same MLP, data and SGD as
# in section 4, in samples per second, four ways: one example at a time (eager; each example's
# gradients copied to NumPy and summed there, the batch's step taken from their mean, as the naive loop
# of Exercise 7.5 does), batches of 128 (eager), batches of 128 under `TinyJit` (the kernels of the step
# are captured once and replayed), and `TinyJit` with the whole data set on the device and the batch
# gathered inside the jitted step (no NumPy indexing, no upload per step). All four compute the same
# update: the gradient of a batch's mean loss is the mean of its examples' gradients.

# %%
def samples_per_second(step, n_steps, per_step):
    step(0)                                                    # warm up: compile, capture
    step(1)
    start = time.perf_counter()
    for i in range(n_steps):
        step(i)
    return n_steps * per_step / (time.perf_counter() - start)


ps_one = replica("CPU")
summed = [np.zeros_like(p) for p in init]


def per_example(i):
    j = batches[0][i]
    _, grads = loss_and_grads(ps_one, Tensor(X_np[j:j + 1]), Tensor(Y_np[j:j + 1]))
    for total, g in zip(summed, grads):
        total += g.numpy()                      # the step itself would follow after BATCH examples


ps_batch = replica("CPU")


def batched(i):
    idx = batches[i % STEPS]
    _, grads = loss_and_grads(ps_batch, Tensor(X_np[idx]), Tensor(Y_np[idx]))
    sgd(ps_batch, grads)


ps_jit = replica("CPU")


@TinyJit
def jit_step(x, y):
    loss, grads = loss_and_grads(ps_jit, x, y)
    sgd(ps_jit, grads)
    return loss


def jitted(i):
    idx = batches[i % STEPS]
    jit_step(Tensor(X_np[idx]), Tensor(Y_np[idx]))


ps_dev = replica("CPU")
X_dev, Y_dev = Tensor(X_np).realize(), Tensor(Y_np).realize()
order_dev = Tensor(np.stack(batches).astype(np.int32)).realize()


@TinyJit
def jit_step_on_device(i):
    idx = order_dev[i].contiguous()     # i is a Tensor: a Python int would be frozen into the jitted step
    loss, grads = loss_and_grads(ps_dev, X_dev[idx], Y_dev[idx])
    sgd(ps_dev, grads)
    return loss


def on_device(i):
    jit_step_on_device(Tensor([i % STEPS], dtype=dtypes.int32).reshape(()))


ladder = {"one example\nat a time": samples_per_second(per_example, 8, 1),
          "batch 128\neager": samples_per_second(batched, 4, BATCH),
          "batch 128\nTinyJit": samples_per_second(jitted, 30, BATCH),
          "TinyJit, data\non device": samples_per_second(on_device, 30, BATCH)}
base = ladder["one example\nat a time"]
for name, speed in ladder.items():
    print(f"{name.replace(chr(10), ' '):25s} {speed:10,.0f} samples/s  ({speed / base:6.0f} x)")

fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar(list(ladder), list(ladder.values()), color=["C3", "C1", "C0", "C2"])
ax.set_yscale("log")
ax.set_ylabel("samples per second")
for k, speed in enumerate(ladder.values()):
    ax.text(k, speed, f"{speed / base:,.0f} x", ha="center", va="bottom")
ax.set_ylim(top=5 * max(ladder.values()))
ax.set_title("the same training step, four ways")
plt.tight_layout()
plt.show()

# %% [markdown]
# Batching divides the overhead by the batch size; `TinyJit` removes most of what is left (no graph to
# build, schedule or compile on each step); keeping the data on the device removes the per-step NumPy
# indexing and upload, a small share here (128 rows of 32 floats) and a larger one for images. None of
# these changes touches the arithmetic, so the loss curve stays as it was. The 7.5 milestone gives you a
# naive loop written the slow way (a Python loop over examples, float64, no JIT, conversions inside the
# loop), and asks for the same loss curve at least ten times faster (two hundred times in the full
# tier); the grader times both loops in one process and compares their CPU time, so a busy machine
# slows both alike.
#
# Next: `make phase7`, then `grader check 7.1`.
