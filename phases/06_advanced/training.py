"""Exercise 6.1: the training-loop tools around an optimizer: AdamW for real models, learning-rate
schedules, gradient accumulation and clipping by the global norm.

Exercise 4.2 wrote Adam and AdamW for a bare list of tensors with a fixed learning rate. Real
training code needs four more things, and each has a classic way to get it wrong:

* Weight decay only where it helps. Decaying biases and the gains of normalisation layers pulls
  them towards 0 for no benefit, so they go into a "no decay" group. The usual rule (GPT-2,
  BERT, timm): decay the tensors with two or more dimensions (weight matrices, convolution
  kernels, embeddings) and skip the vectors (biases, LayerNorm/BatchNorm scales and shifts).
* A learning rate that can change inside a compiled step. `TinyJit` captures the kernels of its
  second call; a Python float used there is baked into the code as a constant and never changes
  again. A one-element Tensor is a buffer the kernels read, so assigning a new value to it
  between calls changes the update without recompiling anything.
* Schedules: pure functions from the step number to a learning rate (warm-up, cosine decay,
  one-cycle), evaluated in Python and written into that Tensor before each step.
* A large batch that does not fit: k micro-batches whose gradients, weighted by their share of
  the batch, add up to the gradient of the mean loss over the whole batch, so the update is the
  one the large batch would have made. And clipping by the global norm: all gradients scaled by
  one common factor, which keeps the direction of the update and bounds its length.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

from tinygrad import Tensor


# ----------------------------------------------------------------------------------------------
# AdamW with parameter groups and a learning rate held in a Tensor
# ----------------------------------------------------------------------------------------------

def default_decay(t: Tensor) -> bool:
    """True when weight decay should apply to `t`: tensors with `ndim >= 2` (weight matrices,
    convolution kernels, embeddings). Vectors and scalars (biases, normalisation scales and
    shifts) are not decayed."""
    raise NotImplementedError("Exercise 6.1: implement default_decay (see its docstring)")


class AdamW:
    """AdamW with decoupled weight decay, matching `tinygrad.nn.optim.AdamW` step for step on the
    tensors it decays, and `tinygrad.nn.optim.Adam` (weight decay 0) on the others.

    For a parameter p with gradient g at step t = 1, 2, ... (m, v start at 0):

        m <- b1 m + (1 - b1) g,      v <- b2 v + (1 - b2) g^2
        m_hat = m / (1 - b1^t),      v_hat = v / (1 - b2^t)
        p <- p - lr * (m_hat / (sqrt(v_hat) + eps) + wd * p)     if decay(p)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)                otherwise

    `decay(p) -> bool` chooses the group of each parameter once, in the constructor (default:
    `default_decay`, ndim >= 2); `decay_mask[i]` records the choice for `params[i]`.

    `lr` is a realized float32 Tensor of shape (1,) that every update reads, and `set_lr(value)`
    writes a new value into it, so a step captured by `TinyJit` uses the learning rate set
    before each call. `t` counts the steps taken; `m` and `v` hold one state tensor per
    parameter (same shape, float32). A parameter whose `.grad` is None is left alone by `step`
    (its moments do not move either). `step()` works outside `Context(TRAINING=1)`.

    Raises ValueError for an empty parameter list, lr < 0, betas outside [0, 1), eps < 0 or
    weight_decay < 0.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01,
                 decay: Callable[[Tensor], bool] | None = None):
        self.params = list(params)
        if not self.params:
            raise ValueError("AdamW needs at least one parameter")
        if lr < 0 or not (0 <= b1 < 1) or not (0 <= b2 < 1) or eps < 0 or weight_decay < 0:
            raise ValueError(f"invalid hyper-parameters lr={lr}, b1={b1}, b2={b2}, eps={eps}, "
                             f"weight_decay={weight_decay}")
        self.b1, self.b2, self.eps, self.wd = b1, b2, eps, weight_decay
        self.t = 0
        raise NotImplementedError("Exercise 6.1: implement AdamW.__init__ (see its docstring)")

    def set_lr(self, lr: float) -> None:
        """Write `lr` into the learning-rate Tensor (realized at once). Raises ValueError if lr < 0."""
        if lr < 0:
            raise ValueError(f"learning rate must be >= 0, got {lr}")
        raise NotImplementedError("Exercise 6.1: implement AdamW.set_lr (see its docstring)")

    def zero_grad(self) -> None:
        """Set `.grad` of every parameter to None."""
        raise NotImplementedError("Exercise 6.1: implement AdamW.zero_grad (see its docstring)")

    def schedule_step(self) -> list[Tensor]:
        """Queue one update (the formulas above) with `assign` and return the tensors to realize:
        the parameters and the whole optimizer state. Inside a `TinyJit` step use
        `loss.realize(*opt.schedule_step())`; `step()` does this realize for you."""
        raise NotImplementedError("Exercise 6.1: implement AdamW.schedule_step (see its docstring)")

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient and realize it."""
        raise NotImplementedError("Exercise 6.1: implement AdamW.step (see its docstring)")


# ----------------------------------------------------------------------------------------------
# Learning-rate schedules: pure functions of the step number (0, 1, 2, ...)
# ----------------------------------------------------------------------------------------------

def step_decay(step: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """Piecewise-constant decay: lr = base_lr * gamma ** floor(step / step_size).

    The rate is base_lr for steps 0 .. step_size - 1, base_lr * gamma for the next step_size
    steps, and so on. Returns a Python float. Raises ValueError for step < 0, step_size < 1,
    base_lr < 0 or gamma outside (0, 1].
    """
    raise NotImplementedError("Exercise 6.1: implement step_decay (see its docstring)")


def warmup_cosine(step: int, total_steps: int, base_lr: float, warmup_steps: int = 0,
                  min_lr: float = 0.0) -> float:
    """Linear warm-up from 0 to base_lr, then a half cosine from base_lr down to the floor min_lr.

        step < W:        lr = base_lr * step / W                       (W = warmup_steps)
        W <= step <= T:  q = (step - W) / (T - W)                      (T = total_steps)
                         lr = min_lr + (base_lr - min_lr) * (1 + cos(pi q)) / 2
        step > T:        lr = min_lr

    So lr(0) = 0 when W > 0 (lr(0) = base_lr when W = 0), lr(W) = base_lr, lr(T) = min_lr; the
    rate rises strictly during the warm-up and never rises after it. Returns a Python float.
    Raises ValueError for step < 0, total_steps < 1, warmup_steps outside [0, total_steps),
    base_lr < 0 or min_lr outside [0, base_lr].
    """
    raise NotImplementedError("Exercise 6.1: implement warmup_cosine (see its docstring)")


def one_cycle(step: int, total_steps: int, max_lr: float, pct_start: float = 0.3,
              div_factor: float = 25.0, final_div_factor: float = 1e4) -> float:
    """The one-cycle policy (Smith & Topin; the shape of PyTorch's OneCycleLR with cosine
    annealing): up from lr0 = max_lr / div_factor to max_lr, then down to
    lr_end = lr0 / final_div_factor, both halves cosine-shaped.

        cos_anneal(a, b, q) = b + (a - b) * (1 + cos(pi q)) / 2      (a at q = 0, b at q = 1)
        P = pct_start * total_steps - 1,  L = total_steps - 1
        step <= P:        lr = cos_anneal(lr0, max_lr, step / P)
        P < step <= L:    lr = cos_anneal(max_lr, lr_end, (step - P) / (L - P))
        step > L:         lr = lr_end

    P need not be an integer. Returns a Python float. Raises ValueError for step < 0,
    max_lr <= 0, pct_start outside (0, 1), pct_start * total_steps <= 1 (no room to rise),
    div_factor <= 0 or final_div_factor <= 0.
    """
    raise NotImplementedError("Exercise 6.1: implement one_cycle (see its docstring)")


# ----------------------------------------------------------------------------------------------
# Gradient accumulation and clipping by the global norm
# ----------------------------------------------------------------------------------------------

def accumulate_gradients(loss_fn: Callable[..., Tensor], params: Sequence[Tensor],
                         micro_batches: Iterable[Sequence[Tensor]]) -> float:
    """Fill `p.grad` for every p in `params` with the gradient of the mean loss over the union of
    the micro-batches, as if they were one batch, and return that mean loss (a Python float,
    computed with the parameters as they are, before any update).

    `loss_fn(*batch)` returns the mean loss (scalar Tensor) over one micro-batch; the size of a
    micro-batch is the length of its first tensor. With sizes n_1 .. n_k and N = sum n_i:

        grad = sum_i (n_i / N) * grad(loss_i),     loss = sum_i (n_i / N) * loss_i

    which is the large-batch gradient even when the last micro-batch is smaller (weights n_i / N,
    not 1/k). Gradients already stored in `p.grad` are discarded first. A parameter the loss does
    not depend on keeps `.grad` None. Each micro-batch's loss and gradients are realized before the
    next one is built, so memory stays that of one micro-batch. The caller then runs the optimizer.
    Raises ValueError when there is no micro-batch.
    """
    batches = [tuple(b) for b in micro_batches]
    if not batches:
        raise ValueError("accumulate_gradients needs at least one micro-batch")
    raise NotImplementedError("Exercise 6.1: implement accumulate_gradients (see its docstring)")


def clip_grad_norm(params: Iterable[Tensor], max_norm: float) -> float:
    """Clip the gradients of `params` by their global norm; return that norm before clipping.

        total = sqrt(sum over parameters with a gradient of sum(g^2))
        c = min(1, max_norm / (total + 1e-6));   g <- c * g   for every such gradient

    One factor c for all of them (not one per tensor), so the direction of the whole update is
    kept and its norm becomes at most max_norm; below max_norm (c = 1) nothing changes.
    Parameters whose `.grad` is None are skipped and keep None. The clipped gradients are realized
    and keep their dtype. Returns a Python float (0.0 when no parameter has a gradient).
    Raises ValueError for max_norm <= 0.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    raise NotImplementedError("Exercise 6.1: implement clip_grad_norm (see its docstring)")
