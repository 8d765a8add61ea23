# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Phase 1: mathematical foundations
#
# Four ideas carry most of machine learning: **linear algebra** (data are matrices, models are
# matrix products), **calculus** (learning follows gradients), **probability** (losses are negative
# log-likelihoods and divergences), and **optimisation** (gradient descent). This notebook shows each
# of them at work with a few lines of NumPy, so you can see what the exercises ask you to build.
#
# Nothing here calls your exercise files: the illustrations are self-contained, and seeing them
# does not give away the exercises (those want pure Python for 1.1, and careful edge cases throughout).

# %%
# %matplotlib inline
import math

import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Linear algebra: products, inverses and the dominant eigenvector
#
# A matrix $A \in \mathbb{R}^{n\times m}$ maps vectors of $\mathbb{R}^m$ to $\mathbb{R}^n$.
# The product $C = AB$ composes two such maps: $C_{ik} = \sum_j A_{ij} B_{jk}$, which needs the inner
# sizes to agree and costs $n\,m\,p$ multiply-adds.
#
# **Solving** $Ax = b$ is done by Gaussian elimination: subtract multiples of one row from the rows
# below it until the matrix is upper triangular, then substitute backwards. The divisor at each step
# is the *pivot*. A zero pivot stops the method, and a tiny one multiplies every rounding error by a
# huge factor, so one swaps up the row with the largest entry in the column (*partial pivoting*).
# Gauss–Jordan elimination continues upwards as well and turns $[A \mid I]$ into $[I \mid A^{-1}]$.
# The determinant falls out on the way: it is the product of the pivots, with one sign flip per row swap.
#
# **Power iteration.** If $A$ has an eigenvalue $\lambda_1$ strictly larger in magnitude than all the
# others, then repeatedly applying $A$ to almost any start vector and renormalising,
# $v \leftarrow Av / \lVert Av \rVert$, turns $v$ towards the eigenvector of $\lambda_1$: the component
# along eigenvector $i$ shrinks relative to the first one by $|\lambda_i / \lambda_1|$ per step. The
# Rayleigh quotient $v^\top A v$ (for a unit $v$) estimates $\lambda_1$. This is how PageRank was
# computed, and it is the reason a large gap $|\lambda_1| - |\lambda_2|$ means fast convergence.

# %%
def power_iteration_errors(A, steps):
    """Eigenvalue error after each step of power iteration (NumPy, for illustration)."""
    true = max(np.linalg.eigvalsh(A), key=abs)
    v = rng.normal(size=A.shape[0])
    v /= np.linalg.norm(v)
    errors = []
    for _ in range(steps):
        w = A @ v
        errors.append(abs(v @ w - true))
        v = w / np.linalg.norm(w)
    return np.maximum(errors, 1e-16)


q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for ratio in (0.3, 0.7, 0.9, 0.97):
    A = q @ np.diag([10.0, 10.0 * ratio, 2.0, 1.0, 0.5]) @ q.T
    ax.semilogy(power_iteration_errors(A, 80), label=rf"$|\lambda_2/\lambda_1| = {ratio}$")
ax.set_xlabel("iteration")
ax.set_ylabel(r"$|\hat\lambda - \lambda_1|$")
ax.set_title("Power iteration: geometric convergence, rate set by the eigengap")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The error of the Rayleigh quotient for a symmetric matrix falls like $|\lambda_2/\lambda_1|^{2k}$:
# straight lines on a log scale, whose slope is set by the eigenvalue ratio alone.
#
# ## 2. Calculus: derivatives you can check
#
# The derivative $f'(x) = \lim_{h\to 0} (f(x+h) - f(x))/h$ suggests a numerical recipe, but the
# **forward difference** has a truncation error of order $h$: by Taylor,
# $\frac{f(x+h)-f(x)}{h} = f'(x) + \frac{h}{2} f''(x) + O(h^2)$. The **central difference**
# $\frac{f(x+h)-f(x-h)}{2h} = f'(x) + \frac{h^2}{6} f'''(x) + O(h^4)$ cancels the $h$ term.
#
# Smaller $h$ is not always better: $f(x\pm h)$ carry rounding errors of about $\varepsilon |f|$
# ($\varepsilon \approx 10^{-16}$ in float64), and dividing by $h$ amplifies them to about $\varepsilon/h$.
# The total error is smallest where truncation and rounding balance: near $h \approx \sqrt\varepsilon
# \approx 10^{-8}$ for forward, $h \approx \varepsilon^{1/3} \approx 10^{-5}$ for central differences.

# %%
x0 = 1.0
hs = np.logspace(-15, -1, 57)
forward = [abs((math.exp(x0 + h) - math.exp(x0)) / h - math.exp(x0)) for h in hs]
central = [abs((math.exp(x0 + h) - math.exp(x0 - h)) / (2 * h) - math.exp(x0)) for h in hs]

fig, ax = plt.subplots(figsize=(6, 3.8))
ax.loglog(hs, np.maximum(forward, 1e-17), "o-", ms=3, label="forward  (f(x+h) - f(x)) / h")
ax.loglog(hs, np.maximum(central, 1e-17), "s-", ms=3, label="central  (f(x+h) - f(x-h)) / 2h")
ax.loglog(hs, hs * math.e / 2, "k--", lw=0.8, label=r"slope 1: $h f''/2$")
ax.loglog(hs, hs ** 2 * math.e / 6, "k:", lw=0.8, label=r"slope 2: $h^2 f'''/6$")
ax.set_ylim(1e-13, 1)
ax.set_xlabel("step h")
ax.set_ylabel("|error| of d/dx exp(x) at x = 1")
ax.set_title("Truncation error falls with h, rounding error grows as 1/h")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# A **gradient check** compares an analytic gradient with the central-difference one through a
# scale-free relative error. Every later phase uses it: a hand-derived backward pass that disagrees with
# finite differences beyond about $10^{-6}$ is wrong.
#
# ## 3. Probability: the Gaussian, likelihood and divergences
#
# The normal density $p(x) = \frac{1}{\sigma\sqrt{2\pi}} \exp\!\big(-\frac{(x-\mu)^2}{2\sigma^2}\big)$
# is best computed as $\exp$ of its log, $\log p(x) = -\frac{(x-\mu)^2}{2\sigma^2} - \log\sigma - \frac12\log 2\pi$,
# which is finite even where $p$ underflows to zero. Its distribution function has no elementary form:
# $P(X \le x) = \frac12\big(1 + \operatorname{erf}\frac{x-\mu}{\sigma\sqrt2}\big)$.
#
# Given data $x_1..x_N$, the **maximum-likelihood** parameters maximise $\sum_n \log p(x_n)$. Setting
# the derivatives to zero gives $\hat\mu = \bar x$ and $\hat\sigma^2 = \frac1N\sum_n (x_n - \bar x)^2$
# (dividing by $N$, not $N-1$). Minimising squared error is the same as maximising a Gaussian likelihood:
# that is why linear regression (section 4) uses the MSE.

# %%
true_mu, true_sigma = 1.5, 0.8
samples = true_mu + true_sigma * rng.standard_normal(2000)
mu_hat = samples.mean()
sigma_hat = np.sqrt(np.mean((samples - mu_hat) ** 2))

grid = np.linspace(-1.5, 4.5, 400)
pdf = lambda x, m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.hist(samples, bins=50, density=True, alpha=0.45, label="2000 samples (normalised histogram)")
ax.plot(grid, pdf(grid, true_mu, true_sigma), lw=2, label=rf"true pdf, $\mu={true_mu}, \sigma={true_sigma}$")
ax.plot(grid, pdf(grid, mu_hat, sigma_hat), "--", lw=2, label=rf"MLE fit, $\hat\mu={mu_hat:.3f}, \hat\sigma={sigma_hat:.3f}$")
ax.set_xlabel("x")
ax.set_ylabel("density")
ax.set_title("A Gaussian sample and its maximum-likelihood fit")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# For discrete distributions $p, q$ over the same outcomes (natural logarithms, results in nats):
#
# * **entropy** $H(p) = -\sum_i p_i \log p_i$, the average surprise; $0 \log 0 = 0$ by continuity;
# * **cross-entropy** $H(p, q) = -\sum_i p_i \log q_i$, the classification loss with $p$ the one-hot
#   label and $q$ the model's prediction;
# * **KL divergence** $\mathrm{KL}(p\,\|\,q) = \sum_i p_i \log\frac{p_i}{q_i} = H(p,q) - H(p) \ge 0$,
#   zero only when $p = q$, infinite when $q$ gives zero probability to something $p$ allows, and not
#   symmetric. Between two Gaussians it has a closed form,
#   $\log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{2\sigma_2^2} - \frac12$,
#   which the VAE of Phase 5 uses as its regulariser.
#
# **Bayes' rule** turns a prior over hypotheses and the likelihood of the evidence under each into a
# posterior: $P(h \mid e) = P(e \mid h) P(h) / \sum_{h'} P(e \mid h') P(h')$.

# %%
p = np.array([0.7, 0.2, 0.1])
for q in (np.array([0.7, 0.2, 0.1]), np.array([0.4, 0.4, 0.2]), np.array([0.1, 0.2, 0.7])):
    kl = float(np.sum(p * np.log(p / q)))
    print(f"q = {q}:  H(p) = {-np.sum(p * np.log(p)):.4f}  H(p, q) = {-np.sum(p * np.log(q)):.4f}  KL(p||q) = {kl:.4f}")

# %% [markdown]
# ## 4. Optimisation: least squares two ways
#
# Linear regression predicts $\hat y = Xw + b$. Putting a column of ones in front of $X$ makes the bias
# one more weight: $X_b = [\mathbf 1 \mid X]$. The mean squared error
# $L(w) = \frac1N \lVert X_b w - y\rVert^2$ is a convex quadratic with gradient
# $\nabla L = \frac2N X_b^\top (X_b w - y)$.
#
# * Setting $\nabla L = 0$ gives the **normal equations** $X_b^\top X_b\, w = X_b^\top y$: one linear solve.
# * **Gradient descent** $w \leftarrow w - \eta \nabla L(w)$ gets there iteratively. For a quadratic it
#   converges when $\eta < 2/\lambda_{\max}$ of the Hessian $\frac2N X_b^\top X_b$, and the number of
#   steps grows with the condition number $\lambda_{\max}/\lambda_{\min}$: elongated contours make it zig-zag.
#   Standardising the features (zero mean, unit variance) makes the contours rounder.
#
# The figure shows gradient descent on a two-parameter quadratic loss with correlated features.

# %%
X2 = rng.normal(size=(200, 2)) @ np.array([[1.0, 0.0], [0.85, 0.5]])
y2 = X2 @ np.array([2.0, -1.0]) + 0.3 * rng.normal(size=200)
H = 2 * X2.T @ X2 / len(y2)
w_star = np.linalg.solve(X2.T @ X2, X2.T @ y2)
loss = lambda w: np.mean((X2 @ w - y2) ** 2)

W0, W1 = np.meshgrid(np.linspace(-1.5, 5, 200), np.linspace(-4.5, 2.5, 200))
Z = np.mean((X2 @ np.stack([W0.ravel(), W1.ravel()]) - y2[:, None]) ** 2, axis=0).reshape(W0.shape)

fig, ax = plt.subplots(figsize=(6, 4.6))
ax.contour(W0, W1, np.log(Z - loss(w_star) + 1e-3), levels=25, cmap="viridis", linewidths=0.8)
lam_max = np.linalg.eigvalsh(H).max()
for lr, style in ((0.3 / lam_max, "o-"), (1.9 / lam_max, "s-")):
    w, path = np.array([-1.0, 2.0]), []
    for _ in range(40):
        path.append(w)
        w = w - lr * 2 * X2.T @ (X2 @ w - y2) / len(y2)
    path = np.array(path)
    ax.plot(path[:, 0], path[:, 1], style, ms=3, lw=1, label=rf"$\eta = {lr * lam_max:.1f}/\lambda_{{max}}$")
ax.plot(*w_star, "r*", ms=14, label="normal-equation solution")
ax.set_xlabel("$w_1$")
ax.set_ylabel("$w_2$")
ax.set_title(f"Gradient descent on an MSE with condition number {np.linalg.cond(H):.0f}")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# A small step creeps along the valley floor; a step close to $2/\lambda_{\max}$ bounces between the
# valley walls but still converges. Past $2/\lambda_{\max}$ it would diverge. In the milestone you fit
# the diabetes data both ways and check that the two answers agree.
#
# ## What to do next
#
# Work through the exercises in order (see `README.md`): `make phase1` runs the visible tests,
# `grader check 1` adds the hidden checks and the milestone.
