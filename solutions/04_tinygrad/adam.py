"""Exercise 4.2: Adam and AdamW written from scratch with tinygrad tensors.

Adam keeps two running averages per parameter p with gradient g, at step t = 1, 2, ...:

    m_t = b1 m_{t-1} + (1 - b1) g              (first moment)
    v_t = b2 v_{t-1} + (1 - b2) g^2            (second moment, elementwise)
    m_hat = m_t / (1 - b1^t),  v_hat = v_t / (1 - b2^t)    (bias correction: m_0 = v_0 = 0)
    p <- p - lr * ( m_hat / (sqrt(v_hat) + eps)  +  wd * p )

The `wd * p` term is *decoupled* weight decay (AdamW, Loshchilov & Hutter): it is added to the update,
not to the gradient, so it never enters m and v. Adding wd * p to g instead (an L2 penalty) gives a
different optimizer. Plain Adam is wd = 0.

Keep the step counter's powers b1^t and b2^t in tensors (multiply them by b1, b2 every step) rather than
Python floats: a Python float is baked into the kernel as a constant, so every step would compile new code.
"""
from __future__ import annotations

from typing import Iterable

from tinygrad import Tensor


class Adam:
    """Adam over a list of float tensors, matching `tinygrad.nn.optim.Adam` step for step.

    `step()` uses each parameter's `.grad` (filled by `backward()`), updates the parameters in place with
    `assign` and realizes them together with the optimizer state. `zero_grad()` sets every `.grad` to None.
    State: `m`, `v` (one zero-initialised tensor per parameter, same shape) and the step count `t`.
    Raises ValueError for lr < 0, betas outside [0, 1), eps < 0 or weight_decay < 0.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        if lr < 0 or not (0 <= b1 < 1) or not (0 <= b2 < 1) or eps < 0 or weight_decay < 0:
            raise ValueError(f"invalid hyper-parameters lr={lr}, b1={b1}, b2={b2}, eps={eps}, weight_decay={weight_decay}")
        self.params = list(params)
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, b1, b2, eps, weight_decay
        self.t = 0
        ### BEGIN SOLUTION
        self.m = [Tensor.zeros(*p.shape, dtype=p.dtype, device=p.device).contiguous() for p in self.params]
        self.v = [Tensor.zeros(*p.shape, dtype=p.dtype, device=p.device).contiguous() for p in self.params]
        self.b1_t = Tensor.ones(1, device=self.params[0].device).contiguous()   # b1^t, kept on the device
        self.b2_t = Tensor.ones(1, device=self.params[0].device).contiguous()
        ### END SOLUTION

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (set `.grad` to None)."""
        ### BEGIN SOLUTION
        for p in self.params:
            p.grad = None
        ### END SOLUTION

    def step(self) -> None:
        """Apply one update (the formulas in the module docstring) to every parameter and realize it."""
        ### BEGIN SOLUTION
        self.t += 1
        self.b1_t.assign(self.b1_t * self.b1)
        self.b2_t.assign(self.b2_t * self.b2)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.assign(self.b1 * m + (1.0 - self.b1) * g)
            v.assign(self.b2 * v + (1.0 - self.b2) * g * g)
            m_hat = m / (1.0 - self.b1_t)
            v_hat = v / (1.0 - self.b2_t)
            update = m_hat / (v_hat.sqrt() + self.eps) + self.wd * p.detach()
            p.assign(p.detach() - self.lr * update)
        Tensor.realize(self.b1_t, self.b2_t, *self.params, *self.m, *self.v)
        ### END SOLUTION


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01), matching `tinygrad.nn.optim.AdamW`."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01):
        super().__init__(params, lr=lr, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)
