# %% [markdown]
# # Phase 2: core machine learning with NumPy
#
# This phase builds the whole loop of classical machine learning by hand: a **loss** that measures how
# wrong a model is, an **optimiser** that follows the loss downhill, **models** whose parameters it
# moves, **preprocessing** and **evaluation** that keep the measurement honest, and one unsupervised
# algorithm, **k-means**. The milestone glues your pieces into a pipeline on a real medical data set.
#
# The code in this notebook is self-contained NumPy so that it runs before you have written anything;
# the exercises ask you to write the real versions in `phases/02_ml/*.py`.

# %%
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Losses and their gradients (Exercise 2.1)
#
# For regression the usual loss is the mean squared error $L = \frac1N\sum_n (\hat y_n - y_n)^2$ with
# gradient $\partial L/\partial \hat y_n = \frac{2}{N}(\hat y_n - y_n)$. Note the $1/N$: because the loss
# is a *mean*, each prediction's share of the gradient shrinks with the batch size. Forgetting it makes
# the effective learning rate grow with $N$.
#
# For classification a model outputs **logits** $z$ and turns them into probabilities with the sigmoid
# (two classes) or the softmax (K classes). The cross-entropy $-\log p_{\text{true class}}$ punishes a
# confident wrong answer without bound. Two numerical traps:
#
# * $e^{z}$ overflows for $z \gtrsim 710$ in float64. Softmax is unchanged when the same constant is
#   subtracted from every logit, so subtract the row maximum first: the largest exponent becomes $e^0=1$.
# * $\log(\text{sigmoid}(z))$ for $z=-1000$ is $\log 0 = -\infty$. Computing the loss **from the logits**,
#   $\max(z,0) - zy + \log(1+e^{-|z|})$, never forms that 0.
#
# The gradient of softmax cross-entropy with respect to the logits is beautifully simple:
# $\frac1N(\text{softmax}(z) - t)$, probabilities minus one-hot targets.

# %%
def log_softmax_naive(z):
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def log_softmax_stable(z):
    s = z - z.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


z = np.array([[1000.0, 0.0, -1000.0]])
with np.errstate(all="ignore"):
    print("naive :", log_softmax_naive(z))
print("stable:", log_softmax_stable(z))

# %% [markdown]
# **Regularisation** adds a penalty on the weights. L2, $\frac{\lambda}{2}\lVert w\rVert^2$ (gradient
# $\lambda w$), shrinks all weights smoothly; L1, $\lambda\lVert w\rVert_1$ (subgradient
# $\lambda\,\text{sign}(w)$), pushes small weights to exactly zero. The figure shows both penalties and
# what they do to a one-dimensional least-squares solution.

# %%
w = np.linspace(-2, 2, 401)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
axes[0].plot(w, 0.5 * w ** 2, label="L2: w²/2")
axes[0].plot(w, np.abs(w), label="L1: |w|")
axes[0].set_title("penalties")
axes[0].legend()
w_ls = np.linspace(-2, 2, 401)  # unregularised optimum of (w - w_ls)^2 / 2
lam = 0.5
axes[1].plot(w_ls, w_ls / (1 + lam), label="with L2 (shrink)")
axes[1].plot(w_ls, np.sign(w_ls) * np.maximum(np.abs(w_ls) - lam, 0), label="with L1 (soft threshold)")
axes[1].plot(w_ls, w_ls, "k:", label="no penalty")
axes[1].set_xlabel("unpenalised optimum")
axes[1].set_title(f"penalised optimum, λ={lam}")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Optimisers on the Rosenbrock valley (Exercise 2.3)
#
# $f(x, y) = (1-x)^2 + 100(y - x^2)^2$ has its minimum at $(1, 1)$ at the bottom of a long, curved,
# narrow valley: the gradient points mostly across the valley, not along it.
#
# * **Gradient descent** $p \leftarrow p - \eta g$ must use a small step (the steep walls would make a
#   large one diverge) and then crawls along the valley floor.
# * **Momentum** keeps a velocity $v \leftarrow \beta v + g$ and steps $p \leftarrow p - \eta v$:
#   oscillations across the valley cancel, the consistent push along it accumulates.
# * **Adam** keeps running means of $g$ and $g^2$ and divides one by the square root of the other, so
#   every coordinate moves at roughly the same speed $\eta$ whatever its gradient's scale. Both means
#   start at 0, which biases them towards 0 during the first steps; dividing by $1-\beta^t$ (bias
#   correction) removes that bias.

# %%
def rosenbrock(p):
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def run(update, steps=3000, start=(-1.5, 2.0)):
    p, state, path = np.array(start), {}, []
    for t in range(1, steps + 1):
        path.append(p.copy())
        p = update(p, rosenbrock_grad(p), state, t)
    return np.array(path)


def gd(p, g, s, t, lr=1e-3):
    return p - lr * g


def momentum(p, g, s, t, lr=1e-3, beta=0.9):
    s["v"] = beta * s.get("v", 0) + g
    return p - lr * s["v"]


def adam(p, g, s, t, lr=0.02, b1=0.9, b2=0.999, eps=1e-8):
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    m_hat, v_hat = s["m"] / (1 - b1 ** t), s["v"] / (1 - b2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


xs, ys = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].contour(xs, ys, np.log1p(rosenbrock((xs, ys))), levels=25, cmap="gray", linewidths=0.6)
for name, update in (("gradient descent", gd), ("momentum", momentum), ("Adam", adam)):
    path = run(update)
    axes[0].plot(path[:, 0], path[:, 1], label=name, lw=1.3)
    axes[1].semilogy([rosenbrock(p) for p in path], label=name)
axes[0].plot(1, 1, "k*", ms=12)
axes[0].set_title("paths from (-1.5, 2) on Rosenbrock")
axes[0].legend()
axes[1].set_xlabel("step")
axes[1].set_title("f(p) per step")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Linear models and the bias–variance trade-off (Exercise 2.4)
#
# Linear regression predicts $\hat y = Xw + b$ and minimises $\frac{1}{2N}\lVert Xw + b - y\rVert^2$
# (plus penalties); its gradient is $\frac1N X^\top r$ with residual $r = \hat y - y$. Features can be
# anything computed from the input, for example the powers $x, x^2, \dots, x^d$ of one variable.
#
# A model with too few features cannot bend to the data (**bias**: high training *and* test error); one
# with too many bends to the noise of the particular training sample (**variance**: low training error,
# high test error). Below, polynomials of growing degree are fit by least squares to 20 noisy samples
# of a sine; the test error is smallest in between.

# %%
def poly(x, d):
    return np.vander(x, d + 1, increasing=True)


f_true = lambda x: np.sin(2 * np.pi * x)
x_tr = rng.uniform(0, 1, 20)
y_tr = f_true(x_tr) + rng.normal(scale=0.25, size=20)
x_te = rng.uniform(0, 1, 500)
y_te = f_true(x_te) + rng.normal(scale=0.25, size=500)
degrees = range(0, 13)
train_err, test_err, fits = [], [], {}
for d in degrees:
    w_d = np.linalg.lstsq(poly(x_tr, d), y_tr, rcond=None)[0]
    train_err.append(np.mean((poly(x_tr, d) @ w_d - y_tr) ** 2))
    test_err.append(np.mean((poly(x_te, d) @ w_d - y_te) ** 2))
    fits[d] = w_d

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
grid = np.linspace(0, 1, 200)
axes[0].scatter(x_tr, y_tr, c="k", s=15, label="training data")
for d in (1, 4, 12):
    axes[0].plot(grid, poly(grid, d) @ fits[d], label=f"degree {d}")
axes[0].set_ylim(-2, 2)
axes[0].legend()
axes[0].set_title("underfit, good fit, overfit")
axes[1].semilogy(list(degrees), train_err, "o-", label="train MSE")
axes[1].semilogy(list(degrees), test_err, "o-", label="test MSE")
axes[1].set_xlabel("polynomial degree")
axes[1].legend()
axes[1].set_title("bias–variance trade-off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Logistic regression and its decision boundary
#
# Logistic regression models $P(y=1\mid x) = \sigma(w^\top x + b)$ and minimises the mean binary
# cross-entropy; its gradient has the same shape as linear regression's, $\frac1N X^\top(p - y)$. The
# decision boundary $p = 0.5$ is where $w^\top x + b = 0$: a straight line (a hyperplane in more
# dimensions). Softmax regression generalises this to K classes with one weight vector per class.

# %%
n = 100
Xc = np.vstack([rng.normal([-1, -0.5], 0.9, (n, 2)), rng.normal([1.2, 0.8], 0.9, (n, 2))])
yc = np.repeat([0.0, 1.0], n)
w2, b2 = np.zeros(2), 0.0
for _ in range(2000):
    p = 1 / (1 + np.exp(-(Xc @ w2 + b2)))
    w2 -= 0.5 * Xc.T @ (p - yc) / len(yc)
    b2 -= 0.5 * np.mean(p - yc)
gx, gy = np.meshgrid(np.linspace(-4, 4, 200), np.linspace(-4, 4, 200))
prob = 1 / (1 + np.exp(-(np.c_[gx.ravel(), gy.ravel()] @ w2 + b2))).reshape(gx.shape)
fig, ax = plt.subplots(figsize=(5, 4.3))
cs = ax.contourf(gx, gy, prob, levels=20, cmap="RdBu_r", alpha=0.6)
ax.contour(gx, gy, prob, levels=[0.5], colors="k")
ax.scatter(*Xc[yc == 0].T, s=10, c="tab:blue", label="class 0")
ax.scatter(*Xc[yc == 1].T, s=10, c="tab:red", label="class 1")
fig.colorbar(cs, label="P(y=1 | x)")
ax.set_title("logistic regression: p = 0.5 is a line")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Honest evaluation (Exercise 2.2)
#
# A model is judged on data it never learned from. Three rules follow:
#
# 1. **Split first**, then learn anything, including the mean and standard deviation a scaler uses.
#    A scaler fitted on all rows has seen the test rows: the test score is then slightly optimistic,
#    and on small or shifted data sets, very optimistic. `fit` on train, `transform` on everything.
# 2. **Stratify** classification splits so both sides keep the class proportions.
# 3. **Cross-validate** when data is scarce: k folds, each one the test set once, report the mean and
#    spread of the k scores.
#
# Accuracy alone hides what kind of errors a classifier makes. The confusion matrix counts them;
# precision $= TP/(TP+FP)$ asks "when it says positive, is it right?", recall $= TP/(TP+FN)$ asks
# "does it find the positives?". For a tumour classifier they are very different questions.

# %% [markdown]
# ## 6. k-means (Exercise 2.5)
#
# k-means alternates two steps that each lower the inertia $\sum_i \lVert x_i - c_{k(i)}\rVert^2$:
# assign every point to its nearest centre, then move every centre to the mean of its points. It stops
# when the centres stop moving. It only finds a *local* minimum, so the start matters: k-means++ picks
# each new centre with probability proportional to the squared distance to the nearest centre already
# chosen, which spreads them out, and several restarts (`n_init`) keep the best result.

# %%
blobs = np.array([[0, 0], [5, 1], [2, 5]])
Xk = np.vstack([c + rng.normal(scale=0.9, size=(60, 2)) for c in blobs])
centres = Xk[[0, 1, 2]].copy()  # a deliberately poor start: three points of the same blob
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4), sharex=True, sharey=True)
for it, ax in enumerate(axes):
    labels = ((Xk[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
    inertia = ((Xk - centres[labels]) ** 2).sum()
    ax.scatter(*Xk.T, c=labels, s=8, cmap="viridis")
    ax.scatter(*centres.T, c="red", marker="X", s=120)
    ax.set_title(f"iteration {it}: inertia {inertia:.0f}")
    centres = np.array([Xk[labels == j].mean(0) for j in range(3)])
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 7. The milestone (Exercise 2.6)
#
# `grader check 2` runs your pipeline on scikit-learn's breast-cancer data (569 tumours, 30 features):
# stratified split, `StandardScaler` fitted on the training rows only, your `LogisticRegression`, then
# accuracy, precision, recall, the confusion matrix and 5-fold cross-validation; and your
# `SoftmaxRegression` on the 8×8 digits. It writes `metrics.json` and a learning-curve figure: how
# train and test accuracy change as the model sees more rows. A large gap between the two curves is
# variance; two low curves that meet are bias.
