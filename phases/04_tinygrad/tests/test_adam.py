"""Visible tests for Exercise 4.2 (Adam and AdamW from scratch). Run: make phase4"""
import numpy as np
import pytest
from tinygrad import Context, Tensor
from tinygrad.nn import optim

from grader.target import exercise

adam = exercise("4.2")
X = Tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))


def loss_of(w: Tensor, b: Tensor) -> Tensor:
    return ((X @ w + b).tanh() - 0.5).square().sum()


def run(make_opt, steps=3):
    w = Tensor(np.arange(8, dtype=np.float32).reshape(4, 2) / 8 - 0.4).contiguous()
    b = Tensor([0.1, -0.2]).contiguous()
    opt = make_opt([w, b])
    with Context(TRAINING=1):   # tinygrad's own optimizers refuse to step outside training mode
        for _ in range(steps):
            opt.zero_grad()
            loss_of(w, b).backward()
            opt.step()
    return w.numpy(), b.numpy()


def test_first_step_moves_each_coordinate_by_lr():
    # after bias correction m_hat = g and v_hat = g^2, so the first update is lr * sign(g)
    w = Tensor([1.0, -2.0, 3.0]).contiguous()
    opt = adam.Adam([w], lr=0.1)
    (w * Tensor([2.0, -5.0, 0.5])).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.9, -1.9, 2.9], atol=1e-6)
    assert opt.t == 1
    with pytest.raises(ValueError):
        adam.Adam([w], lr=-1.0)


def test_zero_grad_clears_gradients():
    w = Tensor([1.0]).contiguous()
    opt = adam.Adam([w])
    (w * 3).sum().backward()
    opt.zero_grad()
    assert w.grad is None


def test_matches_tinygrad_adam_over_three_steps():
    got, want = run(lambda p: adam.Adam(p, lr=0.05)), run(lambda p: optim.Adam(p, lr=0.05))
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_adamw_matches_tinygrad_adamw():
    got, want = run(lambda p: adam.AdamW(p, lr=0.05, weight_decay=0.1)), run(lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1))
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
