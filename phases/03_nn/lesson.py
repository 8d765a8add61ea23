# %% [markdown]
# # Phase 3: neural networks from scratch
#
# A neural network is a chain of simple functions: a linear map, an element-wise nonlinearity, another
# linear map, and so on, ending in a loss. Training needs the gradient of that loss with respect to
# every parameter, and the chain rule delivers it in one backward sweep. This lesson builds the
# intuition for the six exercises of the phase; the code below is self-contained NumPy (it never
# calls your exercise files).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

# %% [markdown]
# ## 1. Activations and their derivatives (Exercise 3.1)
#
# Without a nonlinearity, a stack of linear layers collapses to a single linear map. The choice of
# nonlinearity matters for the backward pass: its derivative multiplies every gradient that flows
# through it. The sigmoid's derivative is at most 1/4; tanh's at most 1; ReLU's is exactly 1 where
# the unit is active and 0 elsewhere; GELU is a smooth ReLU, z * Phi(z).

# %%
z = np.linspace(-5, 5, 401)
sig = 1 / (1 + np.exp(-z))
erf = np.vectorize(math.erf)
curves = {
    "sigmoid": (sig, sig * (1 - sig)),
    "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
    "ReLU": (np.maximum(z, 0), (z > 0).astype(float)),
    "leaky ReLU (0.1)": (np.where(z > 0, z, 0.1 * z), np.where(z > 0, 1, 0.1)),
    "GELU": (z * 0.5 * (1 + erf(z / math.sqrt(2))), 0.5 * (1 + erf(z / math.sqrt(2))) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for name, (f, df) in curves.items():
    axes[0].plot(z, f, label=name)
    axes[1].plot(z, df, label=name)
axes[0].set(title="activation f(z)", xlabel="z", ylim=(-1.5, 3))
axes[1].set(title="derivative f'(z)", xlabel="z")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend()
plt.show()

# %% [markdown]
# Softmax is different: it maps a vector to a probability vector, and every output depends on every
# input. Its Jacobian is J = diag(s) - s s^T, so the backward pass is
# dL/dz = s * (g - sum(g * s)), not the element-wise s (1 - s) g. Subtracting max(z) before
# exponentiating changes nothing mathematically and avoids overflow.

# %% [markdown]
# ## 2. A computational graph (Exercise 3.4)
#
# Take L = tanh(a * b + c) with a = 2, b = -1.5, c = 3.5. The forward pass computes each node's value;
# the backward pass starts with dL/dL = 1 and multiplies by one local derivative per edge. A node is
# processed only after all its users (topological order), and a node used twice adds both
# contributions (+=).

# %%
a, b, c = 2.0, -1.5, 3.5
ab = a * b
s = ab + c
L = math.tanh(s)
dL_ds = 1 - L ** 2
grads = {"L": 1.0, "s": dL_ds, "c": dL_ds, "a*b": dL_ds, "a": dL_ds * b, "b": dL_ds * a}
values = {"a": a, "b": b, "c": c, "a*b": ab, "s": s, "L": L}
pos = {"a": (0, 2), "b": (0, 1), "c": (0, 0), "a*b": (1.3, 1.5), "s": (2.6, 0.9), "L": (3.9, 0.9)}
edges = [("a", "a*b", "x b"), ("b", "a*b", "x a"), ("a*b", "s", "x 1"), ("c", "s", "x 1"), ("s", "L", "x (1 - tanh^2)")]
fig, ax = plt.subplots(figsize=(9, 4))
for u, v, label in edges:
    (x0, y0), (x1, y1) = pos[u], pos[v]
    ax.annotate("", xy=(x1 - 0.25, y1), xytext=(x0 + 0.25, y0), arrowprops=dict(arrowstyle="->", color="gray"))
    ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.08, label, color="tab:red", fontsize=8, ha="center")
for name, (x, y) in pos.items():
    ax.add_patch(plt.Circle((x, y), 0.25, color="tab:blue", alpha=0.15))
    ax.text(x, y + 0.05, name, ha="center", fontweight="bold")
    ax.text(x, y - 0.12, f"{values[name]:.3g} | grad {grads[name]:.3g}", ha="center", fontsize=7)
ax.set(xlim=(-0.5, 4.5), ylim=(-0.5, 2.5), title="L = tanh(a*b + c): value | dL/dnode (red: local derivative on each edge)")
ax.axis("off")
plt.show()

# %% [markdown]
# ## 3. Vanishing gradients: sigmoid vs ReLU (Exercises 3.3 and 3.5)
#
# Backpropagating through a deep stack multiplies one Jacobian per layer. With sigmoid units each
# factor carries an activation derivative of at most 1/4, so the gradient reaching the first layers
# shrinks geometrically. ReLU with Kaiming initialisation (Var W = 2 / fan_in) keeps the gradient
# norm roughly constant. Below: the gradient norm at every layer of a 20-layer, width-128 network.

# %%
def gradient_norms(act, init_gain, depth=20, width=128, seed=0):
    rng = np.random.default_rng(seed)
    h, cache = rng.normal(size=(64, width)), []
    Ws = [rng.normal(0, math.sqrt(init_gain / width), size=(width, width)) for _ in range(depth)]
    for W in Ws:
        zl = h @ W
        h = 1 / (1 + np.exp(-zl)) if act == "sigmoid" else np.maximum(zl, 0)
        cache.append((zl, h))
    g, norms = np.ones_like(h) / h.size, []
    for W, (zl, hl) in zip(reversed(Ws), reversed(cache)):
        g = g * (hl * (1 - hl) if act == "sigmoid" else (zl > 0))
        norms.append(np.linalg.norm(g))  # gradient at this layer's pre-activation
        g = g @ W.T
    return norms[::-1]


fig, ax = plt.subplots(figsize=(7, 4))
ax.semilogy(gradient_norms("sigmoid", 1.0), "o-", label="sigmoid, Var W = 1/fan_in")
ax.semilogy(gradient_norms("relu", 2.0), "s-", label="ReLU, Kaiming Var W = 2/fan_in")
ax.set(xlabel="layer (0 = closest to the input)", ylabel="gradient norm (log scale)", title="Gradient norm per layer, 20-layer network")
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# ## 4. Training curves (Exercises 3.3 and 3.6)
#
# Mini-batch SGD on a two-spirals problem with a small MLP, written out in full: forward, softmax
# cross-entropy, manual backward (dW = h^T dout, db summed over the batch), update. The same loop,
# with your layers from 3.5, trains the MNIST milestone of 3.6. Compare a ReLU network with a sigmoid
# one of the same shape.

# %%
def spirals(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi
    y = rng.integers(0, 2, n)
    r = t / (3 * np.pi)
    X = np.stack([r * np.cos(t + np.pi * y), r * np.sin(t + np.pi * y)], 1) + rng.normal(0, 0.03, (n, 2))
    return X, y


def train(act, epochs=120, lr=0.5, seed=0):
    X, y = spirals()
    rng = np.random.default_rng(seed)
    sizes = [2, 64, 64, 2]
    gain = 2.0 if act == "relu" else 1.0
    Ws = [rng.normal(0, math.sqrt(gain / m), (m, n)) for m, n in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(n) for n in sizes[1:]]
    f = (lambda u: np.maximum(u, 0)) if act == "relu" else (lambda u: 1 / (1 + np.exp(-u)))
    df = (lambda u, h: (u > 0)) if act == "relu" else (lambda u, h: h * (1 - h))
    losses, accs = [], []
    for _ in range(epochs):
        order, epoch_loss = rng.permutation(len(X)), []
        for start in range(0, len(X), 32):
            idx = order[start:start + 32]
            hs, zs, h = [X[idx]], [], X[idx]
            for i, (W, b) in enumerate(zip(Ws, bs)):
                zl = h @ W + b
                zs.append(zl)
                h = f(zl) if i < len(Ws) - 1 else zl
                hs.append(h)
            p = np.exp(h - h.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            epoch_loss.append(-np.log(p[np.arange(len(idx)), y[idx]]).mean())
            p[np.arange(len(idx)), y[idx]] -= 1
            dout = p / len(idx)
            for i in reversed(range(len(Ws))):
                dW, db = hs[i].T @ dout, dout.sum(0)
                if i > 0:
                    dout = (dout @ Ws[i].T) * df(zs[i - 1], hs[i])
                Ws[i] -= lr * dW
                bs[i] -= lr * db
        h = X
        for i, (W, b) in enumerate(zip(Ws, bs)):
            h = f(h @ W + b) if i < len(Ws) - 1 else h @ W + b
        losses.append(np.mean(epoch_loss))
        accs.append((h.argmax(1) == y).mean())
    return losses, accs


fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for act in ("relu", "sigmoid"):
    losses, accs = train(act)
    axes[0].plot(losses, label=act)
    axes[1].plot(accs, label=act)
axes[0].set(title="training loss", xlabel="epoch")
axes[1].set(title="training accuracy", xlabel="epoch")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend()
plt.show()

# %% [markdown]
# ## What you build in this phase
#
# 1. **3.1** the activations above and their derivatives, stable for extreme inputs.
# 2. **3.2** one neuron with hand-derived gradients, then two layers that solve XOR.
# 3. **3.3** `NeuralNetwork`: forward, manual backprop, mini-batch SGD.
# 4. **3.4** `Value`: the computational graph of section 2 as code, with `backward()`.
# 5. **3.5** `Dense`, `BatchNorm`, `Dropout`, `ResidualBlock` and the initialisers of section 3.
# 6. **3.6** the milestone: a deep MLP from your own layers, at least 97% on MNIST.
