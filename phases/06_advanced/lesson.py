# %% [markdown]
# # Phase 6: advanced training
#
# Phase 5 built architectures that learn. This phase is about everything around them: how the learning
# rate and the gradient are shaped during training, how numbers are stored with fewer bits (float16
# for training, int8 for inference), how a trained network is made smaller (pruning, distillation),
# three more architectures (a U-Net that labels every pixel, a single-shot detector that draws boxes,
# a BERT that reads in both directions) and how a trained model leaves Python (ONNX, latency).
#
# Every section below checks one idea on small numbers, with NumPy, tinygrad's built-ins and
# `onnx`/`onnxruntime`; it never imports your exercise files. Most of it reuses one small MLP
# (784-128-64-10) that the next cell trains on 6000 MNIST digits in NumPy in about a second.
# Exercises: 6.1 training, 6.2 mixed precision, 6.3 quantization, 6.4 compression, 6.5 U-Net,
# 6.6 detection, 6.7 BERT, 6.8 deployment.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import onnx
import onnxruntime
from matplotlib.patches import Rectangle
from onnx import TensorProto, helper, numpy_helper
from tinygrad import Tensor, dtypes

from grader.data import mnist, tiny_shakespeare

rng = np.random.default_rng(0)
X_train, y_train, X_test, y_test = mnist(subset=6000)
Xtr = X_train.reshape(len(X_train), -1).astype(np.float32) / 255
Xte = X_test.reshape(len(X_test), -1).astype(np.float32) / 255


def relu(z):
    return np.maximum(z, 0)


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def forward(params, x):
    """Logits of the MLP; params is [W1, b1, W2, b2, W3, b3] with weights (out, in) as in nn.Linear."""
    for k in range(0, len(params) - 2, 2):
        x = relu(x @ params[k].T + params[k + 1])
    return x @ params[-2].T + params[-1]


def gradients(params, x, y):
    """Mean cross-entropy over the batch and its gradient for every parameter (hand-written backprop)."""
    acts = [x]
    for k in range(0, len(params) - 2, 2):
        acts.append(relu(acts[-1] @ params[k].T + params[k + 1]))
    p = softmax(acts[-1] @ params[-2].T + params[-1])
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    delta = p
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = []
    for k in range(len(params) - 2, -1, -2):
        grads = [delta.T @ acts[k // 2], delta.sum(0)] + grads
        delta = (delta @ params[k]) * (acts[k // 2] > 0)
    return loss, grads


def accuracy(params, x=Xte, y=y_test):
    return float(np.mean(forward(params, x).argmax(1) == y))


sizes = [784, 128, 64, 10]
params = []
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    params += [rng.normal(0, np.sqrt(2 / n_in), (n_out, n_in)).astype(np.float32), np.zeros(n_out, np.float32)]
velocity = [np.zeros_like(p) for p in params]
for epoch in range(6):
    order = rng.permutation(len(Xtr))
    for start in range(0, len(order) - 63, 64):
        batch = order[start:start + 64]
        loss, grads = gradients(params, Xtr[batch], y_train[batch])
        for p, v, g in zip(params, velocity, grads):
            v *= 0.9
            v -= 0.05 * g
            p += v
print(f"NumPy MLP 784-128-64-10 on 6000 digits: last batch loss {loss:.3f}, test accuracy {accuracy(params):.3f}")

# %% [markdown]
# ## 1. Learning-rate schedules, clipping, accumulation (Exercise 6.1)
#
# A constant learning rate is a compromise: large enough to move early, small enough to settle late.
# Schedules make it a function of the step t (of T):
#
# * **step decay**: multiply by gamma every s steps, `base * gamma ** (t // s)`;
# * **warm-up + cosine**: rise linearly from 0 over the first W steps (Adam's second-moment estimates
#   are noisy at first, and large early steps can wreck a transformer), then fall along half a cosine,
#   `floor + (base - floor) * (1 + cos(pi * (t - W) / (T - W))) / 2`;
# * **one-cycle**: rise from `peak / div` to `peak` over the first part of training, then fall far below
#   the start (`peak / final_div`); the high middle acts as a regulariser, the low end anneals.

# %%
T, W, base = 1000, 100, 1e-3
t = np.arange(T)
step_decay = base * 0.5 ** (t // 300)
progress = np.clip((t - W) / (T - W), 0, 1)
warm_cosine = np.where(t < W, base * t / W, 1e-5 + (base - 1e-5) * (1 + np.cos(np.pi * progress)) / 2)
rise = int(0.3 * T)
up = (1 - np.cos(np.pi * t / rise)) / 2                              # 0 -> 1 over the rise
down = (1 + np.cos(np.pi * (t - rise) / (T - rise))) / 2             # 1 -> 0 after it
peak, start_lr, end_lr = 2e-3, 2e-3 / 25, 2e-3 / 1e4
one_cycle = np.where(t < rise, start_lr + (peak - start_lr) * up, end_lr + (peak - end_lr) * down)
for name, curve in (("step decay (x0.5 every 300)", step_decay), (f"warm-up {W} + cosine", warm_cosine),
                    ("one-cycle (30% up)", one_cycle)):
    plt.plot(t, curve, label=name)
plt.xlabel("step")
plt.ylabel("learning rate")
plt.title("three learning-rate schedules over 1000 steps")
plt.legend()
plt.show()

# %% [markdown]
# In a `TinyJit` step the learning rate must be a tensor that you change in place
# (`opt.lr.assign(...)`): a Python float is frozen into the kernels at the JIT's second call.
#
# **Gradient clipping by global norm** rescales all gradients together when their joint norm
# `sqrt(sum of ||g||^2 over every parameter)` exceeds a maximum: the direction is kept, only the step
# gets shorter. Clipping each entry to [-c, c] instead changes the direction. One exploding batch, with
# the gradients of the MLP above multiplied by 50 to play that role:

# %%
_, grads = gradients(params, Xtr[:64], y_train[:64])
spike = [50 * g for g in grads]


def global_norm(gs):
    return float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in gs)))


def cosine(a, b):
    a, b = np.concatenate([g.ravel() for g in a]), np.concatenate([g.ravel() for g in b])
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


max_norm = 1.0
factor = min(1.0, max_norm / global_norm(spike))
by_norm = [g * factor for g in spike]
by_value = [np.clip(g, -0.01, 0.01) for g in spike]
print(f"global norm {global_norm(spike):.2f} -> clipped to {global_norm(by_norm):.2f}; "
      f"cosine with the original direction {cosine(spike, by_norm):.4f}")
print(f"clipping each entry to +-0.01 instead: norm {global_norm(by_value):.2f}, cosine {cosine(spike, by_value):.4f}")

# %% [markdown]
# **Gradient accumulation** trades memory for time: k micro-batches of size B/k, each backward adding to
# `.grad` (tinygrad accumulates, like PyTorch), then one optimizer step. With a mean loss, each
# micro-batch's loss must be divided by k, or the accumulated gradient is k times too large. Checked
# with tinygrad's `backward()` on a linear layer: one batch of 8 against 4 micro-batches of 2.

# %%
W_np = rng.normal(0, 0.1, (10, 784)).astype(np.float32)
xb, yb = Xtr[:8], y_train[:8]


def accumulated_grad(n_micro, divide):
    w = Tensor(W_np)
    size = len(xb) // n_micro
    for m in range(n_micro):
        part = slice(m * size, (m + 1) * size)
        loss = (Tensor(xb[part]) @ w.T).sparse_categorical_crossentropy(Tensor(yb[part]))
        (loss / n_micro if divide else loss).backward()
    return w.grad.numpy()


full_batch = accumulated_grad(1, True)
print(f"4 x 2 with loss / 4:  max |difference| from one batch of 8 = {np.abs(accumulated_grad(4, True) - full_batch).max():.1e}")
print(f"4 x 2 without / 4:    ratio of gradient norms = "
      f"{np.linalg.norm(accumulated_grad(4, False)) / np.linalg.norm(full_batch):.3f}")

# %% [markdown]
# (BatchNorm breaks the exact equivalence: in training it normalises with the statistics of each
# micro-batch, not of the whole batch.)
#
# ## 2. float16 and loss scaling (Exercise 6.2)
#
# A float has a sign, e exponent bits and m mantissa bits. The exponent sets the range, the mantissa
# the precision: neighbouring numbers near 1 are 2^-m apart. Below the smallest normal number the
# format has *subnormals* with fewer and fewer significant bits, down to the smallest subnormal;
# anything smaller rounds to 0.

# %%
def float_format(e, m):
    bias = 2 ** (e - 1) - 1
    return {"max": (2 - 2.0 ** -m) * 2.0 ** bias, "smallest normal": 2.0 ** (1 - bias),
            "smallest subnormal": 2.0 ** (1 - bias - m), "spacing at 1": 2.0 ** -m}


formats = {"float32 (8, 23)": float_format(8, 23), "float16 (5, 10)": float_format(5, 10),
           "bfloat16 (8, 7)": float_format(8, 7)}
print(f"{'':16s}" + "".join(f"{k:>20s}" for k in formats["float32 (8, 23)"]))
for name, f in formats.items():
    print(f"{name:16s}" + "".join(f"{v:20.3g}" for v in f.values()))
fp16 = np.finfo(np.float16)
print(f"NumPy agrees for float16: max {fp16.max}, smallest normal {fp16.smallest_normal}, "
      f"smallest subnormal {fp16.smallest_subnormal}, eps {fp16.eps}")

# %% [markdown]
# Two consequences for training, shown with tinygrad's `half`:
#
# * a small gradient **underflows**: 1e-8 is below float16's smallest subnormal (6e-8) and becomes 0;
#   multiplied by a loss scale of 2^16 first, it survives and can be divided back in float32;
# * a small update to a weight near 1 is **lost**: 1 + 1e-4 rounds back to 1 in float16 (the spacing
#   there is 2^-10, about 1e-3). So the optimizer keeps float32 *master weights* and only the forward
#   and backward passes run in float16.

# %%
scale = 2.0 ** 16
print("1e-8 cast to half:", Tensor([1e-8]).half().numpy(),
      "| (1e-8 * 2^16) in half, back to float32 / 2^16:", (Tensor([1e-8 * scale]).half().float() / scale).numpy())
print("half 1.0 + 1e-4:", (Tensor([1.0], dtype=dtypes.half) + 1e-4).numpy(),
      "| float32 1.0 + 1e-4:", (Tensor([1.0]) + 1e-4).numpy())

# %% [markdown]
# How many real gradients fall off the bottom? The gradients of the MLP above on one batch, on a log2
# scale, with float16's limits: entries left of the subnormal limit become 0, entries between the two
# lines keep only a few significant bits. Multiplying the loss by S moves the whole histogram right by
# log2 S; too far right and the largest entries overflow to inf above 65504.

# %%
g_all = np.abs(np.concatenate([g.ravel() for g in grads]))
g_all = g_all[g_all > 0]
log_g = np.log2(g_all)
plt.hist(log_g, bins=80, alpha=0.6, label="loss scale 1")
plt.hist(log_g + 12, bins=80, alpha=0.6, label="loss scale 2^12")
for x_, name in ((-24, "smallest subnormal 2^-24"), (-14, "smallest normal 2^-14"), (np.log2(65504), "max 65504")):
    plt.axvline(x_, color="k", ls="--", lw=1)
    plt.text(x_ - 0.4, plt.ylim()[1] * 0.02, name, rotation=90, ha="right", va="bottom", fontsize=8)
plt.xlabel("log2 |gradient entry|")
plt.ylabel("entries")
plt.title("MLP gradients against float16's range")
plt.legend(loc="upper left")
plt.show()
for s_ in (0, 8, 12, 16):
    g16 = (g_all * 2.0 ** s_).astype(np.float16)
    print(f"scale 2^{s_:<2d}: {np.mean(g16 == 0):6.2%} become 0, {np.mean(g16 < fp16.smallest_normal):6.2%} subnormal "
          f"or 0, {np.mean(np.isinf(g16)):.2%} overflow")

# %% [markdown]
# The right scale changes during training, so a **dynamic loss scaler** searches for it: start high
# (2^16); after every backward pass check the gradients; if any is inf or NaN, *skip* the step (the
# weights stay as they were) and halve the scale; after N steps in a row without overflow, double it.
# The scale hovers within a factor of 2 below the largest value that does not overflow. Below, a scripted run: each
# step's largest gradient (before scaling) is given, and a step overflows when scale x gradient exceeds
# 65504 (a spike at step 90 plays an unlucky batch). Every 25 steps the scaler tries a larger scale,
# overflows and backs off: a few skipped steps are the price of staying close to the limit.

# %%
def run_scaler(largest_grads, scale=2.0 ** 16, growth_interval=25, backoff=0.5, growth=2.0):
    scales, skipped, good = [], [], 0
    for step, g in enumerate(largest_grads):
        scales.append(scale)
        if g * scale > 65504:                                           # inf in float16
            skipped.append(step)
            scale *= backoff
            good = 0
        else:
            good += 1
            if good == growth_interval:
                scale *= growth
                good = 0
    return np.array(scales), skipped


largest = np.full(200, 0.5)
largest[90] = 40.0
scales, skipped = run_scaler(largest)
plt.step(range(200), np.log2(scales), where="post", label="loss scale")
plt.plot(skipped, np.log2(scales[skipped]), "rx", label="overflow: step skipped, scale halved")
plt.axhline(np.log2(65504 / 0.5), color="0.5", ls=":", label="overflow above 65504 / 0.5 (the usual gradient)")
plt.ylim(13.5, 17.5)
plt.xlabel("step")
plt.ylabel("log2 scale")
plt.title("a dynamic loss scaler: back off on overflow, grow after 25 good steps")
plt.legend(fontsize=8, loc="lower left")
plt.show()
print(f"{len(skipped)} of 200 steps skipped: {skipped}")

# %% [markdown]
# ## 3. INT8 quantisation (Exercise 6.3)
#
# Symmetric int8 quantisation stores a weight w as an integer q in [-127, 127] and one float scale s:
# `s = max|w| / 127`, `q = clip(round(w / s), -127, 127)`, `w ~ q * s`. The rounding error of an entry
# is at most s / 2, so one large weight makes s large for everything that shares it. **Per tensor**,
# the whole matrix shares one scale; **per channel**, each output row gets its own (a (out, 1) column
# of scales, a few hundred bytes). Below, the MLP's first weight matrix as trained, and an equivalent
# network with two *outlier channels* (common in large models): rows 5 and 40 of W1 and their biases
# multiplied by 16, the matching columns of W2 divided by 16. ReLU(16 z) = 16 ReLU(z), so the network
# computes exactly the same function, but W1 now has a few very large weights. (The weights here are
# stored (out, in) as in `nn.Linear`, so a channel is a row; 6.3 stores them (in, out), so there a
# channel is a column. Its docstrings fix the layout.)

# %%
def quantize(w, per_row):
    """Symmetric int8 codes and scales: one scale for all of w, or one per row (an (out, 1) column)."""
    s = np.abs(w).max(axis=1, keepdims=True) / 127 if per_row else np.abs(w).max() / 127
    return np.clip(np.round(w / s), -127, 127).astype(np.int8), s


def with_outliers(factor, rows=(5, 40)):
    net = [p.copy() for p in params]
    net[0][list(rows)] *= factor
    net[1][list(rows)] *= factor
    net[2][:, list(rows)] /= factor
    return net


outlier_params = with_outliers(16)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.5), sharey=True)
for ax, (name, net) in zip(axes, (("trained W1", params), ("W1 with 2 outlier channels", outlier_params))):
    w = net[0]
    for label, per_row in (("per tensor", False), ("per channel", True)):
        q, s = quantize(w, per_row)
        err = np.abs(q * s - w).mean(1) / np.abs(w).mean(1)          # mean relative error of each row
        acc = accuracy([q * s] + net[1:])
        ax.semilogy(err, ".", label=f"{label}: test accuracy {acc:.3f}")
    ax.set_title(f"{name} (float32 accuracy {accuracy(net):.3f})", fontsize=10)
    ax.set_xlabel("output channel")
    ax.legend()
axes[0].set_ylabel("mean |error| / mean |w| of the row")
plt.show()
for factor in (16, 64, 128):
    net = with_outliers(factor)
    accs = [accuracy([np.multiply(*quantize(net[0], per_row))] + net[1:]) for per_row in (False, True)]
    print(f"outlier channels x{factor:<3d}: test accuracy per tensor {accs[0]:.3f}, per channel {accs[1]:.3f} "
          f"(float32 {accuracy(net):.3f})")
print(f"W1: {params[0].nbytes:,} bytes in float32, {params[0].size + 4 * params[0].shape[0]:,} in int8 "
      f"with per-channel float32 scales")

# %% [markdown]
# Per tensor, the outliers make the error of every other row more than ten times larger. This small
# MLP shrugs off a lot of that (its accuracy moves only when the outliers get much larger); in deeper
# networks the errors compound layer after layer. Per channel, the outliers cost nothing: their rows
# get their own scales.

# %% [markdown]
# A fully integer layer (w8a8) also quantises the input and multiplies int8 by int8. Each product can
# reach 127 x 127 = 16129 and a row of 784 of them sums to millions: the sum needs 32 bits. In tinygrad
# an int8 `dot` accumulates in int8 unless told otherwise, and wraps around silently; `dtype=dtypes.int32`
# asks for an int32 accumulator. The true result is computed in int64 by NumPy.

# %%
qx, sx = quantize(Xte[:2], True)                                     # two test digits, one scale each
qw, sw = quantize(params[0][:4], True)                               # four output channels
exact = qx.astype(np.int64) @ qw.T.astype(np.int64)
tx, tw = Tensor(qx), Tensor(np.ascontiguousarray(qw.T))
print("int64 (NumPy):      ", exact.ravel())
print("int8 dot, default:  ", tx.dot(tw).numpy().ravel())
print("dot(dtype=int32):   ", tx.dot(tw, dtype=dtypes.int32).numpy().ravel())
approx = exact * sx * sw.T
print(f"rescaled by sx * sw: max |error| vs float32 {np.abs(approx - Xte[:2] @ params[0][:4].T).max():.4f} "
      f"(outputs up to {np.abs(Xte[:2] @ params[0][:4].T).max():.2f})")

# %% [markdown]
# ## 4. Pruning and distillation (Exercise 6.4)
#
# **Magnitude pruning** sets the smallest weights to 0 and keeps a mask so that they stay 0 while the
# network is fine-tuned. *Per layer*, each matrix loses the same fraction; *globally*, one threshold on
# |w| across all matrices decides, so layers with many small weights (the 784-input first layer) give
# up more and small, dense layers (the 10-way output layer) keep what they need. Biases are left alone.
# No fine-tuning below: the accuracy right after pruning.

# %%
weights = params[0::2]


def prune(sparsity, scope):
    if scope == "global":
        threshold = np.quantile(np.abs(np.concatenate([w.ravel() for w in weights])), sparsity)
        masks = [np.abs(w) > threshold for w in weights]
    else:
        masks = [np.abs(w) > np.quantile(np.abs(w), sparsity) for w in weights]
    pruned = [p * masks[k // 2] if k % 2 == 0 else p for k, p in enumerate(params)]
    return pruned, masks


levels = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99]
for scope in ("global", "layer"):
    plt.plot(levels, [accuracy(prune(s_, scope)[0]) for s_ in levels], "o-", label=f"{scope} threshold")
plt.xlabel("fraction of weights set to 0")
plt.ylabel("test accuracy (no fine-tuning)")
plt.title("magnitude pruning of the 784-128-64-10 MLP")
plt.legend()
plt.show()
_, masks = prune(0.9, "global")
print("90% global pruning keeps per layer:", [f"{m.mean():.1%}" for m in masks])

# %% [markdown]
# **Distillation** trains a small student on the outputs of a large teacher. The teacher's
# probabilities say more than the label: which *wrong* classes look plausible. Dividing the logits by a
# temperature T > 1 before the softmax brings that out. The student minimises
# `alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(student, label)`; the T^2 keeps the soft
# term's gradient the same size as T changes (its gradient with respect to the logits is
# `(p_student_T - p_teacher_T) / T`, and the probabilities' differences shrink about like 1/T).
# The MLP as the teacher, on the test digit it is least sure about:

# %%
test_logits = forward(params, Xte)
unsure = int(np.argmin(softmax(test_logits).max(1)))
fig, axes = plt.subplots(1, 5, figsize=(14, 2.8))
axes[0].imshow(X_test[unsure], cmap="gray_r")
axes[0].set_title(f"label {y_test[unsure]}")
axes[0].set_axis_off()
for ax, temp in zip(axes[1:], (1, 2, 4, 8)):
    ax.bar(range(10), softmax(test_logits[unsure] / temp))
    ax.set_xticks(range(10))
    ax.set_ylim(0, 1)
    ax.set_title(f"T = {temp}")
axes[1].set_ylabel("teacher probability")
plt.show()
student = rng.normal(size=10)
for temp in (1, 2, 4, 8):
    g_soft = (softmax(student / temp) - softmax(test_logits[unsure] / temp)) / temp
    print(f"T = {temp}: |grad of the soft term| {np.linalg.norm(g_soft):.4f}, times T^2 {np.linalg.norm(g_soft) * temp ** 2:.4f}")

# %% [markdown]
# ## 5. A U-Net labels every pixel (Exercise 6.5)
#
# Segmentation predicts a class for each pixel. The 6.5 milestone generates its data: shapes on a noisy
# background, with a label image that says which pixel belongs to which shape. A generator of that kind:

# %%
def shapes_image(gen, size=64):
    yy, xx = np.mgrid[:size, :size]
    image = gen.normal(0.3, 0.15, (size, size))
    labels = np.zeros((size, size), np.int64)
    cy, cx, r = gen.integers(12, 52, 2).tolist() + [int(gen.integers(6, 11))]
    labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2] = 1                            # class 1: disc
    top, left, side = *gen.integers(4, 40, 2), int(gen.integers(8, 16))
    labels[top:top + side, left:left + side] = 2                                       # class 2: square
    ty, tx_, h = *gen.integers(8, 44, 2), int(gen.integers(10, 18))
    labels[(yy >= ty) & (yy < ty + h) & (np.abs(xx - tx_) <= (yy - ty) / 2)] = 3      # class 3: triangle
    image[labels > 0] += 0.5
    return np.clip(image, 0, 1), labels


image, truth = shapes_image(np.random.default_rng(3))

# %% [markdown]
# Two scores compare a predicted mask P with the true mask G of one class: **IoU** (Jaccard)
# `|P and G| / |P or G|` and **Dice** `2 |P and G| / (|P| + |G|)`. They rank predictions the same way,
# since Dice = 2 IoU / (1 + IoU); Dice is the kinder number. A class absent from both masks has no
# score (0 / 0). A mean over classes counts each class equally however small it is; the 6.5 milestone
# leaves the background out of it, or a model that finds no shape at all would still score well on the
# largest class. Below, a "prediction" made by shifting the true mask 2 pixels right and flipping 2% of
# the pixels to a random class:

# %%
def iou_dice(pred, true, cls):
    p, g = pred == cls, true == cls
    inter, union = np.sum(p & g), np.sum(p | g)
    return inter / union, 2 * inter / (p.sum() + g.sum())


noise_gen = np.random.default_rng(4)
pred = np.roll(truth, 2, axis=1)
flip = noise_gen.random(pred.shape) < 0.02
pred[flip] = noise_gen.integers(0, 4, flip.sum())
scores = {c: iou_dice(pred, truth, c) for c in (1, 2, 3)}
for c, (iou, dice) in scores.items():
    print(f"class {c}: IoU {iou:.3f}, Dice {dice:.3f}, 2 IoU / (1 + IoU) = {2 * iou / (1 + iou):.3f}")
print(f"mean IoU over the 3 shape classes: {np.mean([s_[0] for s_ in scores.values()]):.3f}")
overlap = np.zeros(truth.shape + (3,))
overlap[(pred == 2) & (truth == 2)] = (0.2, 0.7, 0.2)                  # true positives of class 2
overlap[(pred == 2) & (truth != 2)] = (0.9, 0.2, 0.2)                  # false positives
overlap[(pred != 2) & (truth == 2)] = (0.2, 0.3, 0.9)                  # false negatives
fig, axes = plt.subplots(1, 4, figsize=(13, 3.3))
panels = (("input image", image, "gray"), ("true labels (0-3)", truth, "viridis"),
          ("predicted labels", pred, "viridis"), ("class 2: TP green, FP red, FN blue", overlap, None))
for ax, (title, img, cmap) in zip(axes, panels):
    ax.imshow(img, cmap=cmap)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
plt.show()

# %% [markdown]
# The U-Net's encoder halves the resolution twice while widening the channels; the decoder doubles it
# back with transposed convolutions and, at each scale, concatenates the encoder's feature map of the
# same size (the skip connection) so that fine detail lost in the bottleneck comes back. tinygrad works
# out the shapes of a lazy graph without computing anything, so the shapes of a small U-Net are free:

# %%
x = Tensor.empty(1, 1, 64, 64)
e1 = x.conv2d(Tensor.empty(8, 1, 3, 3), padding=1)
e2 = e1.max_pool2d(2).conv2d(Tensor.empty(16, 8, 3, 3), padding=1)
mid = e2.max_pool2d(2).conv2d(Tensor.empty(32, 16, 3, 3), padding=1)
u2 = mid.conv_transpose2d(Tensor.empty(32, 16, 2, 2), stride=2).cat(e2, dim=1)
u1 = u2.conv2d(Tensor.empty(16, 32, 3, 3), padding=1).conv_transpose2d(Tensor.empty(16, 8, 2, 2), stride=2).cat(e1, dim=1)
out = u1.conv2d(Tensor.empty(4, 16, 1, 1))
for name, t_ in (("input", x), ("encoder 1", e1), ("encoder 2", e2), ("bottleneck", mid),
                 ("up 2 + skip e2", u2), ("up 1 + skip e1", u1), ("logits (4 classes)", out)):
    print(f"{name:20s} {t_.shape}")

# %% [markdown]
# ## 6. Detection: boxes, IoU and non-maximum suppression (Exercise 6.6)
#
# A single-shot (YOLO-style) detector divides the image into a G x G grid; the cell that contains an
# object's centre predicts it: an objectness score, the centre's offset inside the cell, the box's
# width and height, and the class. Every cell predicts, so one object usually gets several overlapping
# boxes. **Non-maximum suppression** keeps the best: sort by score, keep the top box, drop every other
# box of the same class whose IoU with it exceeds a threshold (0.5 here), repeat with what is left. A
# scene of three MNIST digits and a hand-made set of candidates (jittered copies of each true box with
# falling scores, and two weak false alarms):

# %%
def box_iou(a, b):
    """IoU of every box in a (N, 4) with every box in b (M, 4); boxes are (x1, y1, x2, y2)."""
    lo, hi = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = lambda z: np.prod(z[:, 2:] - z[:, :2], axis=1)
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def nms(boxes, scores, classes, threshold=0.5):
    order, keep = list(np.argsort(-scores)), []
    while order:
        best, order = order[0], order[1:]
        keep.append(best)
        ious = box_iou(boxes[[best]], boxes[order])[0] if order else []
        order = [k for k, v in zip(order, ious) if v <= threshold or classes[k] != classes[best]]
    return keep


canvas, truths, digit_classes = np.zeros((64, 64)), [], []
for k, (top, left) in enumerate(((4, 6), (30, 34), (34, 2))):
    digit = X_test[k] / 255
    canvas[top:top + 28, left:left + 28] = np.maximum(canvas[top:top + 28, left:left + 28], digit)
    rows, cols = np.nonzero(digit > 0.3)
    truths.append([left + cols.min(), top + rows.min(), left + cols.max() + 1, top + rows.max() + 1])
    digit_classes.append(y_test[k])
truths = np.array(truths, float)
box_gen = np.random.default_rng(5)
cands, cand_scores, cand_classes = [], [], []
for box, cls in zip(truths, digit_classes):
    for j in range(4):
        cands.append(box + box_gen.normal(0, 2.0, 4) * (j > 0))
        cand_scores.append(0.95 - 0.15 * j - 0.05 * box_gen.random())
        cand_classes.append(cls)
cands += [[40, 2, 58, 20], [28, 24, 40, 36]]
cand_scores += [0.3, 0.2]
cand_classes += [7, 1]
cands, cand_scores, cand_classes = np.array(cands), np.array(cand_scores), np.array(cand_classes)
kept = nms(cands, cand_scores, cand_classes)
print(f"{len(cands)} candidates -> {len(kept)} after NMS; IoU of each kept box with its best true box:",
      box_iou(cands[kept], truths).max(1).round(2))
fig, axes = plt.subplots(1, 2, figsize=(10, 5))
for ax, idx, title in ((axes[0], range(len(cands)), f"{len(cands)} candidates on a 4 x 4 grid"),
                       (axes[1], kept, "after NMS: class and score")):
    ax.imshow(canvas, cmap="gray_r")
    for k in idx:
        x1, y1, x2, y2 = cands[k]
        colour = plt.cm.tab10(cand_classes[k])
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color=colour, lw=1.5))
        if ax is axes[1]:
            ax.text(x1, y1 - 0.7, f"{cand_classes[k]}: {cand_scores[k]:.2f}", fontsize=8, color=colour)
    for g in range(1, 4):
        ax.axhline(16 * g - 0.5, color="0.8", lw=0.5)
        ax.axvline(16 * g - 0.5, color="0.8", lw=0.5)
    ax.set_title(title)
    ax.set_axis_off()
plt.show()

# %% [markdown]
# A detection counts as correct when its IoU with an unclaimed true box of the same class is at least
# 0.5. Average precision (AP) sorts all detections by score and averages the precision over recall
# levels; mAP@0.5 is its mean over classes. The weak false alarms above cost precision only if they
# score above true detections, which is why scores matter and not just boxes.
#
# ## 7. BERT: masked-language modelling in both directions (Exercise 6.7)
#
# GPT predicts the next character and may look only back. BERT sees the whole sequence and learns by
# filling in blanks: 15% of the positions are chosen; of those, 80% become a [MASK] token, 10% a random
# token and 10% stay as they are (so that the model cannot tell from the input which positions are
# graded). The loss counts the chosen positions only: the others get the label -100 and
# `ignore_index=-100`. Here [MASK] is drawn as `_`:

# %%
train_text, val_text = tiny_shakespeare()
chars = sorted(set(train_text))
MASK, IGNORE = len(chars), -100


def mask_tokens(ids, gen, p=0.15):
    chosen = gen.random(ids.shape) < p
    action = gen.random(ids.shape)
    inputs = ids.copy()
    inputs[chosen & (action < 0.8)] = MASK
    swap = chosen & (action >= 0.8) & (action < 0.9)
    inputs[swap] = gen.integers(0, len(chars), swap.sum())
    return inputs, np.where(chosen, ids, IGNORE)


line = next(text for text in val_text.splitlines() if len(text) >= 45)        # a line of verse
ids = np.array([chars.index(ch) for ch in line])
inputs, labels = mask_tokens(ids, np.random.default_rng(3))
show = lambda seq: "".join("_" if k == MASK else chars[k] for k in seq)
kind = lambda k: " " if labels[k] == IGNORE else "M" if inputs[k] == MASK else "K" if inputs[k] == ids[k] else "R"
print("text:   ", line)
print("input:  ", show(inputs))
print("graded: ", "".join(kind(k) for k in range(len(ids))), "  (M masked, R random, K kept)")
many = np.array([chars.index(ch) for ch in train_text[:100_000]])
inp, lab = mask_tokens(many, np.random.default_rng(12))
chosen = lab != IGNORE
print(f"over 100000 characters: {chosen.mean():.2%} chosen; of those {np.mean(inp[chosen] == MASK):.1%} [MASK], "
      f"{np.mean((inp[chosen] != MASK) & (inp[chosen] != many[chosen])):.1%} changed, "
      f"{np.mean(inp[chosen] == many[chosen]):.1%} unchanged (random picks can hit the true character)")

# %% [markdown]
# The attention mask is the other difference. A causal mask lets position i attend to keys 0..i; BERT's
# is full, except for padding: keys beyond a sequence's true length are hidden from every query. With
# tinygrad's `scaled_dot_product_attention`, changing the value of the *last real* token changes the
# *first* position's output only without the causal mask:

# %%
L_, pad = 8, 2
causal = np.tril(np.ones((L_, L_), bool))
padding = np.ones((L_, L_), bool)
padding[:, L_ - pad:] = False
fig, axes = plt.subplots(1, 2, figsize=(8, 3.8))
for ax, m, title in ((axes[0], causal, "causal (GPT): green may attend"),
                     (axes[1], padding, f"bidirectional, last {pad} padded (BERT)")):
    ax.imshow(m, cmap="Greens", vmin=0, vmax=1.3)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("key position")
    ax.set_ylabel("query position")
plt.show()
q_, k_, v_ = (rng.normal(size=(1, 1, L_, 4)).astype(np.float32) for _ in range(3))
v_changed = v_.copy()
v_changed[..., L_ - pad - 1, :] += 1.0                                  # the last real token
for name, kwargs in (("causal", {"is_causal": True}), ("bidirectional", {"attn_mask": Tensor(padding)})):
    before, after = (Tensor(q_).scaled_dot_product_attention(Tensor(k_), Tensor(vv), **kwargs).numpy()
                     for vv in (v_, v_changed))
    print(f"{name:13s}: change at position 0 {np.abs(after - before)[0, 0, 0].max():.3f}")

# %% [markdown]
# Pre-training on masked characters is self-supervised: the text is its own label. Fine-tuning then puts
# a small classifier on the output at one position (BERT's [CLS]) and trains on a labelled task; the
# 6.7 milestone measures how much a pre-trained encoder gains over the same one trained from scratch.
#
# ## 8. Deployment: ONNX and latency (Exercise 6.8)
#
# ONNX describes a model as a graph of standard operators with the weights stored inside, so that a
# runtime that knows nothing about tinygrad (or NumPy) can run it. `onnx.helper` builds the graph node
# by node; `Gemm` with `transB=1` computes `x @ W.T + b` for a weight stored (out, in) as in `nn.Linear`.
# The MLP of this lesson, exported:

# %%
names = ["W1", "b1", "W2", "b2", "W3", "b3"]
nodes = [helper.make_node("Gemm", ["x", "W1", "b1"], ["z1"], transB=1), helper.make_node("Relu", ["z1"], ["h1"]),
         helper.make_node("Gemm", ["h1", "W2", "b2"], ["z2"], transB=1), helper.make_node("Relu", ["z2"], ["h2"]),
         helper.make_node("Gemm", ["h2", "W3", "b3"], ["logits"], transB=1)]
graph = helper.make_graph(
    nodes, "mlp",
    inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 784])],
    outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
    initializer=[numpy_helper.from_array(p, name) for p, name in zip(params, names)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
blob = model.SerializeToString()
print(f"ONNX model: {len(blob):,} bytes, {len(model.graph.node)} nodes:",
      " -> ".join(n.op_type for n in model.graph.node))
session = onnxruntime.InferenceSession(blob, providers=["CPUExecutionProvider"])
ort_logits = session.run(None, {"x": Xte})[0]
print(f"onnxruntime vs NumPy on {len(Xte)} test digits: max |difference| {np.abs(ort_logits - test_logits).max():.1e}, "
      f"same predictions: {np.array_equal(ort_logits.argmax(1), test_logits.argmax(1))}")

# %% [markdown]
# Latency is a distribution, not a number: the first calls pay for setup, and later ones are disturbed
# by whatever else the machine does. Measure many single-example calls after a warm-up and report the
# median (p50) and the 95th percentile (p95, what 1 request in 20 waits at least). On this tiny model
# both runtimes need microseconds; for a tinygrad model the fixed cost of each call dominates at batch 1,
# which is what `TinyJit` cuts.

# %%
def latencies(fn, n=400, warmup=20):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(1e6 * (time.perf_counter() - start))
    return np.array(times)


one = Xte[:1]
runs = {"onnxruntime": lambda: session.run(None, {"x": one}), "NumPy": lambda: forward(params, one)}
fig, ax = plt.subplots(figsize=(9, 3.5))
for (name, fn), colour in zip(runs.items(), ("C0", "C1")):
    lat = latencies(fn)
    p50, p95 = np.percentile(lat, [50, 95])
    ax.hist(lat, bins=np.geomspace(max(lat.min(), 1), lat.max(), 60), alpha=0.5, color=colour, label=name)
    ax.axvline(p50, color=colour, lw=2, label=f"{name} p50 {p50:.0f} us")
    ax.axvline(p95, color=colour, lw=2, ls="--", label=f"{name} p95 {p95:.0f} us")
ax.set_xscale("log")
ax.set_xlabel("latency of one batch-1 call (microseconds)")
ax.set_ylabel("calls")
ax.set_title("400 calls after 20 warm-up calls")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 9. What costs time in tinygrad here
#
# Smaller numbers do not make a CPU faster by themselves. tinygrad's CPU backend has no fast float16
# arithmetic, and an int8 matmul with an int32 accumulator is ordinary integer code. What int8 buys on this backend is memory: a quarter of the bytes.
# A 256 x 256 matmul in each format; the first call of each also schedules and compiles its kernel:

# %%
a32 = Tensor(rng.normal(size=(256, 256)).astype(np.float32)).realize()
variants = {"float32": lambda: a32 @ a32,
            "float16": (lambda h: lambda: h @ h)(a32.half().realize()),
            "int8, int32 accumulator": (lambda q: lambda: q.dot(q, dtype=dtypes.int32))((a32 * 30).cast(dtypes.int8).realize())}
for name, fn in variants.items():
    times = []
    for _ in range(6):
        start = time.perf_counter()
        result = fn().realize()
        times.append(1000 * (time.perf_counter() - start))
    operand_bytes = {"float32": 4, "float16": 2}.get(name, 1) * 256 * 256
    print(f"{name:24s} first call {times[0]:7.1f} ms, then best {min(times[1:]):6.2f} ms; one operand {operand_bytes:,} bytes")

# %% [markdown]
# So the exercises grade float16 and int8 by their numbers (what underflows, how large the error is, how
# many bytes are saved), never by speed. The phase README lists the other costs (every new shape
# compiles new kernels; keep shapes fixed). The 6.8 milestone exports the 5.2 CNN the way section 8
# exported the MLP, checks onnxruntime and a NumPy runtime against tinygrad, quantises it to int8 and
# measures batch-1 latency. Next: `make phase6`, then `grader check 6.1`.
