# %% [markdown]
# # Phase 5: architectures
#
# Phases 3 and 4 trained stacks of fully connected layers. The architectures of this phase build
# assumptions about the data into the network itself:
#
# * a **convolution** assumes that what matters in an image is local and looks the same everywhere;
# * a **recurrent cell** carries a state from one step of a sequence to the next;
# * **attention** lets every position look up every earlier one, with weights it computes itself;
# * a **VAE** and a **GAN** learn to *produce* data instead of labelling it.
#
# This notebook checks each idea on small numbers. It uses tinygrad's own built-ins (`Tensor.conv2d`,
# `nn.LSTMCell`, `Tensor.scaled_dot_product_attention`, ...) as the reference you will rebuild, and
# NumPy where tinygrad adds nothing; it never imports your exercise files. Exercises: 5.1 conv,
# 5.2 MNIST CNN, 5.3 CIFAR-10, 5.4 LSTM, 5.5 seq2seq, 5.6 attention, 5.7 GPT, 5.8 VAE, 5.9 GAN.

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from tinygrad import Context, GlobalCounters, Tensor, TinyJit, nn
from tinygrad.engine.jit import JitError

from grader.data import cifar10, mnist, tiny_shakespeare

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A convolution is a sliding dot product (Exercise 5.1)
#
# A 3x3 kernel is nine weights. The output at (i, j) is the dot product of the kernel with the 3x3
# patch of the input centred at (i, j): the same nine weights at every position (this is
# cross-correlation; deep-learning libraries do not flip the kernel). Below, four hand-set kernels on
# a real MNIST digit, through `Tensor.conv2d` with padding 1 so the output keeps the 28x28 size.
# A vertical-edge kernel answers where ink starts or ends from left to right, a horizontal one from
# top to bottom.

# %%
X_train, y_train, _, _ = mnist(subset=60)
digit = X_train[0].astype(np.float32) / 255
kernels = {
    "vertical edges": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur": [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
}
w = np.array(list(kernels.values()), dtype=np.float32)[:, None]          # (out 4, in 1, 3, 3)
w[2] /= 16
maps = Tensor(digit[None, None]).conv2d(Tensor(w), padding=1).numpy()[0]  # (4, 28, 28)
padded = np.pad(digit, 1)
i, j = 14, 10
print(f"output[0, {i}, {j}] = {maps[0, i, j]:.4f};  patch . kernel = {np.sum(padded[i:i + 3, j:j + 3] * w[0, 0]):.4f}")
fig, axes = plt.subplots(1, 5, figsize=(13, 3))
axes[0].imshow(digit, cmap="gray_r")
axes[0].set_title(f"input (a {y_train[0]})")
for ax, name, m in zip(axes[1:], kernels, maps):
    ax.imshow(m, cmap="RdBu_r", vmin=-np.abs(m).max(), vmax=np.abs(m).max())
    ax.set_title(name)
for ax in axes:
    ax.set_axis_off()
plt.show()

# %% [markdown]
# In Exercise 5.1 you write `conv2d` without `Tensor.conv2d`: pad, gather the kh x kw shifted
# views of the input (strided slices), and contract them with the weights in one matmul; stride,
# dilation and groups are changes to those slices. Max and average pooling are the same sliding
# window with a max or a mean instead of a dot product.
#
# ## 2. Output sizes and receptive fields
#
# Along one axis, a kernel of size k with dilation d spans d(k - 1) + 1 pixels; with padding p on
# both sides and stride s it fits `(n + 2p - d(k - 1) - 1) // s + 1` times. tinygrad computes the
# shape of a lazy result without running anything, so the formula can be checked for free:

# %%
def out_size(n, k, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


probe = Tensor.empty(1, 1, 28, 28)
for k, s, p, d in [(3, 1, 1, 1), (5, 1, 0, 1), (3, 2, 1, 1), (3, 1, 2, 2), (4, 3, 0, 1)]:
    lazy = probe.conv2d(Tensor.empty(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-1]
    print(f"k={k} stride={s} padding={p} dilation={d}:  formula {out_size(28, k, s, p, d):2d}, tinygrad {lazy:2d}")

# %% [markdown]
# The **receptive field** of an output unit is the input region it can see. Each layer with kernel k
# adds (k - 1) times the product of the strides before it. For a LeNet-style network (conv 5, pool 2,
# conv 5, pool 2) that is 1 + 4 + 1 + 4*2 + 1*2 = 16 pixels. The gradient of one output unit with
# respect to the input is non-zero exactly on its receptive field, so tinygrad's `backward()` can
# measure it (average pooling, all-ones kernels, so that no path has a zero weight):

# %%
x = Tensor.zeros(1, 1, 28, 28).contiguous()
ones = Tensor.ones(1, 1, 5, 5).contiguous()
y = x.conv2d(ones).avg_pool2d(2).conv2d(ones).avg_pool2d(2)          # (1, 1, 4, 4)
y[0, 0, 1, 1].backward()
seen = x.grad.numpy()[0, 0] != 0
rows, cols = np.nonzero(seen)
print(f"output {y.shape[-2:]}, unit (1, 1) sees rows {rows.min()}..{rows.max()}, cols {cols.min()}..{cols.max()}: "
      f"{rows.max() - rows.min() + 1} x {cols.max() - cols.min() + 1} pixels")
plt.imshow(digit, cmap="gray_r")
plt.imshow(np.where(seen, 1.0, np.nan), cmap="autumn", alpha=0.4)
plt.title("receptive field of one unit after conv5-pool2-conv5-pool2")
plt.axis("off")
plt.show()

# %% [markdown]
# ## 3. Train mode and eval mode (Exercise 5.2)
#
# BatchNorm normalises each channel with the mean and variance of the *current batch* while training,
# and keeps running averages of them for evaluation. So in training an example's output depends on
# the other examples in its batch; in evaluation it does not. Dropout zeroes a fraction p of the
# activations while training and scales the rest by 1 / (1 - p), so that the expected value is the
# same as in evaluation, where it does nothing. In tinygrad 0.14 both modes follow
# `Context(TRAINING=1)`; `Tensor.training = True` is silently ignored.

# %%
bn = nn.BatchNorm(3)
batch1 = rng.normal(2.0, 3.0, size=(8, 3, 1, 1)).astype(np.float32)      # 8 examples, 3 channels
batch2 = np.concatenate([batch1[:1], rng.normal(2.0, 3.0, size=(7, 3, 1, 1)).astype(np.float32)])
batch1, batch2 = Tensor(batch1), Tensor(batch2)                          # the same first example
with Context(TRAINING=1):
    print("train: the first example in two batches ->", *(bn(t)[0].numpy().ravel().round(3) for t in (batch1, batch2)))
    for _ in range(10):                                                  # running stats move 10% of the way per batch
        bn(batch1).realize(bn.running_mean, bn.running_var)
print("eval:  the first example in two batches ->", *(bn(t)[0].numpy().ravel().round(3) for t in (batch1, batch2)))
n_batches = int(bn.num_batches_tracked.item())
print(f"running mean after {n_batches} batches:", bn.running_mean.numpy().round(3),
      " batch mean:", batch1.numpy().mean(0).ravel().round(3),
      f" (1 - 0.9**{n_batches} = {1 - 0.9 ** n_batches:.3f} of the way from 0)")
units = Tensor.ones(20000).contiguous()
with Context(TRAINING=1):
    dropped = units.dropout(0.25).numpy()
print(f"dropout(0.25) in training: {np.mean(dropped == 0):.3f} zeroed, kept values {dropped.max():.3f}, "
      f"mean {dropped.mean():.3f}; in eval: mean {units.dropout(0.25).numpy().mean():.3f}")

# %% [markdown]
# ## 4. CIFAR-10: statistics from the training set, augmentation per image (Exercise 5.3)
#
# Colour images need per-channel normalisation: subtract the mean of each of R, G, B and divide by its
# standard deviation, both computed on the **training** images only; the test set is normalised with
# those same numbers (computing them on the test set would leak it into training). Augmentation makes
# the training set look larger: a random 32x32 crop of the image padded by 4 black pixels (a shift of
# up to 4 pixels) and a horizontal flip with probability 1/2. Both keep the label true; a vertical flip
# would not (ships are not upside down).

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")                                      # which CIFAR batches are present
    C_train, c_train, C_test, _ = cifar10(subset=500)
mean = C_train.reshape(-1, 3).mean(0) / 255
std = C_train.reshape(-1, 3).std(0) / 255
test_norm = (C_test / 255 - mean) / std
print("train mean (R, G, B):", mean.round(3), " std:", std.round(3))
print("test set normalised with the training statistics: mean", test_norm.reshape(-1, 3).mean(0).round(3),
      "std", test_norm.reshape(-1, 3).std(0).round(3))


def augment(image, gen):
    padded = np.pad(image, ((4, 4), (4, 4), (0, 0)))                    # zeros: black borders
    top, left = gen.integers(0, 9, size=2)
    crop = padded[top:top + 32, left:left + 32]
    return crop[:, ::-1] if gen.random() < 0.5 else crop


fig, axes = plt.subplots(1, 6, figsize=(13, 2.5))
axes[0].imshow(C_train[3])
axes[0].set_title("original")
for k, ax in enumerate(axes[1:], 1):
    ax.imshow(augment(C_train[3], np.random.default_rng(k)))
    ax.set_title(f"augmented {k}")
for ax in axes:
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 5. Inside an LSTM cell (Exercise 5.4)
#
# An LSTM keeps a cell state c and a hidden state h. From the input x and the previous h it computes
# four gates (tinygrad's and PyTorch's order is i, f, g, o):
#
#     i = sigmoid(.)  how much to write     f = sigmoid(.)  how much to keep
#     g = tanh(.)     what to write         o = sigmoid(.)  how much to show
#     c' = f * c + i * g                    h' = o * tanh(c')
#
# Each `(.)` is `x @ W_ih[k].T + b_ih[k] + h @ W_hh[k].T + b_hh[k]` for the k-th quarter of the weights.
# Below, one unit with hand-set weights works as a memory: input 0 is a value, input 1 a "write" flag
# that opens the input gate and closes the forget gate (the new value replaces the old one), input 2 a
# "clear" flag that closes the forget gate alone. The NumPy cell is checked against `nn.LSTMCell` with
# the same weights, step by step.

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x, h, c, W_ih, W_hh, b):
    z = x @ W_ih.T + h @ W_hh.T + b
    i, f, g, o = np.split(z, 4, axis=-1)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c = f * c + i * g
    return o * np.tanh(c), c, (i, f, g, o)


W_ih = np.array([[0, 10, 0], [0, -10, -10], [2, 0, 0], [0, 0, 0]], dtype=np.float32)   # rows: i, f, g, o
b = np.array([-5, 5, 0, 5], dtype=np.float32)
T = 24
xs = np.zeros((T, 1, 3), dtype=np.float32)
xs[:, 0, 0] = rng.uniform(-1, 1, T)                                      # a new value at every step
xs[[3, 12], 0, 0] = 0.6, -0.4                                            # the values written
xs[[3, 12], 0, 1] = 1                                                    # write at steps 3 and 12
xs[18, 0, 2] = 1                                                         # clear at step 18
cell = nn.LSTMCell(3, 1)
cell.weight_ih, cell.weight_hh = Tensor(W_ih), Tensor(np.zeros((4, 1), np.float32))
cell.bias_ih, cell.bias_hh = Tensor(b), Tensor(np.zeros(4, np.float32))
h, c = np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)
ht, ct = Tensor(h), Tensor(c)
trace, worst = [], 0.0
for t in range(T):
    h, c, gates = lstm_step(xs[t], h, c, W_ih, np.zeros((4, 1)), b)
    ht, ct = cell(Tensor(xs[t]), (ht, ct))
    ht, ct = ht.contiguous().realize(), ct.contiguous().realize()        # materialize the state each step
    worst = max(worst, float(np.abs(ht.numpy() - h).max()))
    trace.append([g.item() for g in gates] + [c.item()])
print(f"largest difference NumPy vs nn.LSTMCell over {T} steps: {worst:.1e}")
trace = np.array(trace)
fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
axes[0].step(range(T), xs[:, 0, 0], where="mid", label="value (input 0)", color="0.6")
axes[0].plot(range(T), trace[:, 4], "o-", label="cell state c = tanh(2 * value) when written")
axes[0].set_ylim(-1.6, 1.1)
axes[0].legend(loc="lower center", ncol=2, fontsize=8)
for k, name in ((0, "input gate i"), (1, "forget gate f")):
    axes[1].plot(range(T), trace[:, k], "o-", label=name)
axes[1].set_xlabel("step")
axes[1].legend(loc="center left")
axes[0].set_title("an LSTM unit as a memory: write at steps 3 and 12, clear at 18")
plt.show()

# %% [markdown]
# The cell state passes from step to step through `c' = f * c + ...`, so the gradient of a late c with
# respect to an early one is the product of the forget gates in between. When f stays near 1 the
# gradient survives many steps; a plain tanh RNN multiplies by its weight and tanh' at every step
# instead, so with factors below 1 its gradient shrinks geometrically. Both checked by finite differences
# on the inputs above (the RNN: h' = tanh(0.9 h + value)):

# %%
def final_c(c0, start, stop):
    h, c = np.zeros((1, 1)), np.full((1, 1), c0)
    for t in range(start, stop):
        h, c, _ = lstm_step(xs[t], h, c, W_ih, np.zeros((4, 1)), b)
    return c.item()


def final_h_rnn(h0, start, stop, w=0.9):
    h = h0
    for t in range(start, stop):
        h = np.tanh(w * h + xs[t, 0, 0])
    return h


eps = 1e-4
fd = (final_c(0.3 + eps, 4, 12) - final_c(0.3 - eps, 4, 12)) / (2 * eps)
print(f"LSTM d c_12 / d c_4: finite difference {fd:.4f}, product of forget gates {np.prod(trace[4:12, 1]):.4f}")
fd_rnn = (final_h_rnn(0.3 + eps, 4, 12) - final_h_rnn(0.3 - eps, 4, 12)) / (2 * eps)
print(f"tanh RNN d h_12 / d h_4: {fd_rnn:.4f}")

# %% [markdown]
# In tinygrad an unrolled loop is one lazy graph. Without `.contiguous()` on h and c at every step, the
# elementwise gate maths of all steps fuses into ever larger kernels and compile time explodes; the 5.4
# stub gives you the idiom (with `.contiguous_backward()` for the backward pass), and the README has the
# measured numbers.
#
# ## 6. Sequence to sequence (Exercise 5.5)
#
# An encoder LSTM reads the input digits; its final (h, c) starts a decoder LSTM that writes the output.
# In training the decoder reads the *true* previous token (teacher forcing: its input is BOS followed by
# the target without its last token); at test time it reads its own previous prediction (greedy
# decoding). A task where the answer is known exactly is reversing a digit string (5 digits in the smoke
# tier of the milestone):

# %%
BOS = 10
src = rng.integers(0, 10, size=(3, 5))
tgt = src[:, ::-1]
decoder_in = np.concatenate([np.full((3, 1), BOS), tgt[:, :-1]], axis=1)
for s_, t_, d_ in zip(src, tgt, decoder_in):
    print("source", "".join(map(str, s_)), "| target", "".join(map(str, t_)), "| decoder input", d_.tolist())

# %% [markdown]
# The 5.5 milestone gates on *exact-sequence* accuracy: every digit of the string right. That is much harsher than
# per-token accuracy: with independent errors, a token accuracy of p gives p**L for L tokens.

# %%
p = np.linspace(0.8, 1, 201)
for L in (1, 5, 8, 20):
    plt.plot(p, p ** L, label=f"L = {L}")
plt.xlabel("token accuracy p")
plt.ylabel("sequence accuracy p ** L")
plt.title(f"0.99 per token is {0.99 ** 5:.3f} per 5-digit string, {0.99 ** 8:.3f} per 8 digits")
plt.legend()
plt.show()

# %% [markdown]
# ## 7. Attention (Exercise 5.6)
#
# Each position emits a query q, a key k and a value v. Its output is an average of the values,
# weighted by `softmax(q . k / sqrt(d))` over the keys it may see. A **causal mask** hides later
# positions (a language model must not read the future); a **padding mask** hides keys that are only
# padding. Masked scores are set to -inf before the softmax, so their weight is exactly 0.

# %%
T, d = 8, 16
q, k, v = (rng.normal(size=(T, d)).astype(np.float32) for _ in range(3))


def attention_weights(q, k, allowed):
    scores = np.where(allowed, q @ k.T / np.sqrt(q.shape[-1]), -np.inf)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


causal = np.tril(np.ones((T, T), dtype=bool))
padding = np.arange(T) < 6                                              # the last two keys are padding
A_causal = attention_weights(q, k, causal)
A_both = attention_weights(q, k, causal & padding)
ours = A_causal @ v
theirs = Tensor(q[None]).scaled_dot_product_attention(Tensor(k[None]), Tensor(v[None]), is_causal=True).numpy()[0]
print(f"NumPy causal attention vs Tensor.scaled_dot_product_attention: max difference {np.abs(ours - theirs).max():.1e}")
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, A, title in ((axes[0], A_causal, "causal mask"), (axes[1], A_both, "causal + padding (keys 6, 7)")):
    ax.imshow(A, cmap="viridis")
    ax.set(title=title, xlabel="key position", ylabel="query position")
plt.show()
with np.errstate(invalid="ignore"):
    print("a query that may see no key at all:", attention_weights(q[:1], k, np.zeros((1, T), bool)).round(2),
          "-> give such rows a finite score or zero them")

# %% [markdown]
# Why divide by sqrt(d)? For random q and k with unit-variance entries, q . k has variance d. Without the
# scaling, the scores of a 64-dimensional head are 8 times larger, and the softmax is nearly one-hot
# from the start: almost all weight on one key, and tiny gradients for the others.

# %%
def mean_entropy(scores):
    e = np.exp(scores - scores.max(-1, keepdims=True))
    a = e / e.sum(-1, keepdims=True)
    return float(-(a * np.log(a + 1e-30)).sum(-1).mean())


q64, k64 = rng.normal(size=(2, 64, 64))
print(f"softmax entropy over 64 keys (uniform = {np.log(64):.2f} nats): scaled {mean_entropy(q64 @ k64.T / 8):.2f}, "
      f"unscaled {mean_entropy(q64 @ k64.T):.2f}")

# %% [markdown]
# Attention itself ignores order: permuting the keys and values together permutes nothing in the
# output. Positions are added to the token embeddings, either learned (one vector per position, 5.7) or
# **sinusoidal**: pairs of dimensions that rotate with position at geometrically spaced frequencies. The
# dot product of two sinusoidal encodings depends only on the distance between the positions.

# %%
def sinusoidal(n_pos, dim):
    pos = np.arange(n_pos)[:, None]
    freq = 10000.0 ** (-np.arange(0, dim, 2) / dim)
    pe = np.zeros((n_pos, dim))
    pe[:, 0::2], pe[:, 1::2] = np.sin(pos * freq), np.cos(pos * freq)
    return pe


everything = np.ones((T, T), dtype=bool)
perm = rng.permutation(T)
moved = attention_weights(q, k[perm], everything) @ v[perm]
print(f"keys and values shuffled together: output changes by {np.abs(moved - attention_weights(q, k, everything) @ v).max():.1e}")
pe = sinusoidal(128, 64)
plt.figure(figsize=(10, 3))
plt.imshow(pe.T, aspect="auto", cmap="RdBu_r")
plt.xlabel("position")
plt.ylabel("dimension")
plt.title("sinusoidal position encodings (each row pair is a sine and a cosine)")
plt.colorbar()
plt.show()
gaps = [np.ptp([pe[p_] @ pe[p_ + gap] for p_ in range(128 - gap)]) for gap in (1, 5, 20)]
print(f"pe[p] . pe[p + gap] for every p, gaps 1, 5 and 20: largest spread (max - min) {max(gaps):.1e}")

# %% [markdown]
# ## 8. A character-level GPT (Exercise 5.7)
#
# The GPT of 5.7 stacks pre-LN transformer blocks (x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)))
# and predicts the next character of tiny shakespeare. Its loss is in nats per character. The ladder
# below tells you what a number means: a model that knows nothing pays ln(V); one that knows only how
# frequent each character is pays the unigram entropy; one that sees only the previous character pays
# the bigram cross-entropy, measured here on the validation text. A GPT that learns anything about
# words does better than the last rung.

# %%
train_text, val_text = tiny_shakespeare()
chars = sorted(set(train_text))
ids = {ch: n for n, ch in enumerate(chars)}
tr = np.array([ids[ch] for ch in train_text])
va = np.array([ids[ch] for ch in val_text])
V = len(chars)
unigram = np.bincount(tr, minlength=V) + 1.0
bigram = np.ones((V, V))
np.add.at(bigram, (tr[:-1], tr[1:]), 1)
bigram /= bigram.sum(1, keepdims=True)
print(f"V = {V} characters")
print(f"uniform:  ln V = {np.log(V):.3f} nats/char")
print(f"unigram:  {-np.log(unigram / unigram.sum())[va].mean():.3f}")
print(f"bigram:   {-np.log(bigram[va[:-1], va[1:]]).mean():.3f}")

# %% [markdown]
# Generation feeds the model its own output one character at a time. Two knobs shape the next-character
# distribution: the **temperature** divides the logits (below 1 sharpens, above 1 flattens), and
# **top-k** keeps only the k most likely characters before sampling. Here is the bigram model's
# distribution after the letter "t":

# %%
logits = np.log(bigram[ids["t"]])
top = np.argsort(logits)[::-1][:8]
fig, axes = plt.subplots(1, 4, figsize=(14, 3), sharey=True)
for ax, temp, k_ in zip(axes, (1.0, 0.5, 2.0, 1.0), (None, None, None, 3)):
    z = logits / temp
    if k_ is not None:
        z = np.where(z >= np.sort(z)[-k_], z, -np.inf)
    prob = np.exp(z - z.max())
    prob /= prob.sum()
    ax.bar([repr(chars[n]) for n in top], prob[top])
    ax.set_title(f"temperature {temp}" + (f", top-{k_}" if k_ else "") + f"\nP('h') = {prob[ids['h']]:.2f}")
plt.show()

# %% [markdown]
# A **KV cache** makes generation cheap. Causal attention means that the keys and values of positions
# already generated never change, so `generate` stores them and computes q, k, v only for the new
# position: attending with that one query over the cached keys gives exactly the last row of full
# causal attention. The check below does one position at a time against the full computation.

# %%
K_cache, V_cache, rows = [], [], []
for t in range(T):
    K_cache.append(k[t])
    V_cache.append(v[t])
    a = attention_weights(q[t:t + 1], np.array(K_cache), np.ones((1, t + 1), bool))
    rows.append(a @ np.array(V_cache))
print(f"cached generation vs full causal attention: max difference {np.abs(np.concatenate(rows) - A_causal @ v).max():.1e}")
print(f"score dot products to generate {T} tokens: {T * (T + 1) // 2} with the cache, "
      f"{sum(n * (n + 1) // 2 for n in range(1, T + 1))} recomputing every prefix")

# %% [markdown]
# One pitfall when some targets must not count (padding, or positions without a label): in tinygrad 0.14
# `sparse_categorical_crossentropy(y, ignore_index=-1)` ignores nothing, because -1 is the default and
# means "no ignore index". Labels of -1 then add 0 to the sum but still count in the mean. Use -100:

# %%
two_logits = Tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
print(f"the first row alone (what ignoring the second should give): {np.log(np.exp([2.0, 0, 0]).sum()) - 2:.4f}")
for labels, ignore in (([0, -1], -1), ([0, -100], -100)):
    loss = two_logits.sparse_categorical_crossentropy(Tensor(labels), ignore_index=ignore).item()
    print(f"labels {labels}, ignore_index={ignore}: {loss:.4f}")

# %% [markdown]
# ## 9. The VAE: a gradient through a random sample (Exercise 5.8)
#
# The encoder of a VAE outputs a Gaussian q(z|x) = N(mu, sigma^2). Sampling z from it has no gradient,
# but writing the sample as `z = mu + sigma * eps` with eps ~ N(0, 1) drawn *outside* the graph does:
# dz/dmu = 1 and dz/dsigma = eps (the reparameterisation trick). The loss is the negative ELBO:
# reconstruction error plus KL(q || N(0, 1)), which for Gaussians has the closed form you met in 1.3,
# `0.5 * (mu^2 + sigma^2 - 1 - ln sigma^2)` per dimension. (The 5.8 encoder outputs logvar = ln sigma^2
# instead of sigma: any real number is a valid logvar, and sigma = exp(logvar / 2).) Both checked by
# sampling:

# %%
mu, sigma = 0.7, 0.4
eps = rng.normal(size=200_000)
z = mu + sigma * eps
print(f"d/dmu E[z^2]: reparameterised estimate mean(2z) = {np.mean(2 * z):.4f}, exact 2 mu = {2 * mu:.4f}")
print(f"d/dsigma E[z^2]: estimate mean(2z eps) = {np.mean(2 * z * eps):.4f}, exact 2 sigma = {2 * sigma:.4f}")
log_q = -0.5 * eps ** 2 - np.log(sigma)                                  # ln q(z) + ln sqrt(2 pi)
log_p = -0.5 * z ** 2                                                    # ln p(z) + ln sqrt(2 pi)
kl = 0.5 * (mu ** 2 + sigma ** 2 - 1 - np.log(sigma ** 2))
print(f"KL(q || N(0,1)): closed form {kl:.4f}, Monte Carlo {np.mean(log_q - log_p):.4f}")
grid = np.linspace(0.05, 2.5, 200)
for m in (0.0, 1.0, 2.0):
    plt.plot(grid, 0.5 * (m ** 2 + grid ** 2 - 1 - np.log(grid ** 2)), label=f"mu = {m}")
plt.xlabel("sigma")
plt.ylabel("KL(N(mu, sigma^2) || N(0, 1))")
plt.ylim(0, 4)
plt.title("the KL term pulls every code towards N(0, 1)")
plt.legend()
plt.show()

# %% [markdown]
# ## 10. The GAN: why the generator uses the non-saturating loss (Exercise 5.9)
#
# The discriminator D outputs a logit s; D(x) = sigmoid(s). The original minimax generator loss is
# ln(1 - D(G(z))). Early in training D rejects the fakes easily (s very negative), and there that loss is
# flat: its gradient with respect to s is -sigmoid(s), almost 0. The non-saturating loss -ln D(G(z)) has
# the gradient sigmoid(s) - 1, close to -1 exactly where the generator is worst. The two updates
# alternate: D on real and (detached) fake images, then G through a frozen D.

# %%
s = np.linspace(-8, 4, 300)
plt.plot(s, -sigmoid(s), label="minimax: d/ds ln(1 - D)")
plt.plot(s, sigmoid(s) - 1, label="non-saturating: d/ds -ln D")
plt.axvspan(-8, -3, color="0.9", label="D confidently rejects the fake")
plt.xlabel("discriminator logit s on a fake image")
plt.ylabel("gradient for the generator")
plt.legend()
plt.show()
print(f"at s = -6: minimax gradient {-sigmoid(-6):.4f}, non-saturating {sigmoid(-6) - 1:.4f}")

# %% [markdown]
# ## 11. What things cost in tinygrad
#
# Every new combination of shapes means new kernels to schedule, generate and compile; the first call of
# a `TinyJit` function runs eagerly, the second captures its kernels, and later calls replay them
# without running your Python. The step below is a small conv net on an MNIST batch: forward, loss,
# backward and an SGD update.

# %%
conv, fc = nn.Conv2d(1, 4, 3), nn.Linear(4 * 13 * 13, 10)
conv.weight = Tensor(rng.normal(0, 1 / 3, size=(4, 1, 3, 3)).astype(np.float32))      # NumPy weights: no random
fc.weight = Tensor(rng.normal(0, 676 ** -0.5, size=(10, 676)).astype(np.float32))     # kernels to compile
conv.bias, fc.bias = Tensor(np.zeros(4, np.float32)), Tensor(np.zeros(10, np.float32))
opt = nn.optim.SGD([conv.weight, conv.bias, fc.weight, fc.bias], lr=0.05)


@TinyJit
@Context(TRAINING=1)
def step(x, y):
    opt.zero_grad()
    loss = fc(conv(x).relu().max_pool2d(2).flatten(1)).sparse_categorical_crossentropy(y).backward()
    return loss.realize(*opt.schedule_step())


xb = Tensor(X_train[:32, None].astype(np.float32) / 255).realize()
yb = Tensor(y_train[:32]).realize()
for call in range(1, 6):
    GlobalCounters.reset()
    start = time.perf_counter()
    loss = step(xb, yb).item()
    print(f"call {call}: {1000 * (time.perf_counter() - start):7.1f} ms, loss {loss:.3f}, kernels run {GlobalCounters.kernel_count}")
print("kernels in the captured step:", len(step.captured.linear.src))
try:
    step(xb[:16].contiguous(), yb[:16].contiguous())
except JitError as error:
    print("a batch of 16 instead of 32 ->", type(error).__name__, str(error).split(":")[0])

# %% [markdown]
# The first call pays for compiling (clang caches the binaries on disk, but scheduling and code generation
# are redone in every process); later calls are fast. So keep shapes fixed: one batch size for training,
# one for evaluation (a last, smaller batch is a new shape), and build tensors once outside loops.
# The phase README lists the other rules of this phase (materializing LSTM state, materializing inputs of
# the GPT's linear layers). Next: `make phase5`, then `grader check 5.1`.
