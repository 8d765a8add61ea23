"""Visible tests for Exercise 6.1 (AdamW groups, schedules, accumulation, clipping). Run: make phase6"""
import math

import numpy as np
import pytest
from tinygrad import Context, Tensor, TinyJit
from tinygrad.nn import optim

from grader.target import exercise

tr = exercise("6.1")


def test_decay_groups_default_to_matrices_only():
    w, b = Tensor.ones(2, 3).contiguous(), Tensor.ones(3).contiguous()
    opt = tr.AdamW([w, b], lr=0.1, weight_decay=0.5)
    assert opt.decay_mask == [True, False]             # the bias is not decayed
    (w.sum() * 0 + b.sum() * 0).backward()             # zero gradients: only weight decay acts
    opt.step()
    np.testing.assert_allclose(w.numpy(), 1 - 0.1 * 0.5, rtol=1e-6)   # p - lr * wd * p
    np.testing.assert_allclose(b.numpy(), 1.0)


def test_first_step_matches_tinygrad_adamw():
    w = Tensor([[1.0, -2.0], [0.5, 3.0]]).contiguous()
    ref = Tensor([[1.0, -2.0], [0.5, 3.0]]).contiguous()
    mine, theirs = tr.AdamW([w], lr=0.1, weight_decay=0.2), optim.AdamW([ref], lr=0.1, weight_decay=0.2)
    with Context(TRAINING=1):
        for p, opt in ((w, mine), (ref, theirs)):
            (p * p).sum().backward()
            opt.step()
    np.testing.assert_allclose(w.numpy(), ref.numpy(), rtol=1e-6)


def test_learning_rate_tensor_changes_a_jitted_step():
    w = Tensor([1.0, 1.0]).contiguous().realize()
    opt = tr.AdamW([w], lr=0.1, weight_decay=0.0)
    assert isinstance(opt.lr, Tensor) and opt.lr.shape == (1,)

    @TinyJit
    def step(x: Tensor) -> Tensor:
        opt.zero_grad()
        loss = (w * x).sum().backward()
        return loss.realize(*opt.schedule_step())

    x = Tensor([1.0, -1.0]).contiguous().realize()
    for _ in range(3):                                  # the third call replays the captured kernels
        step(x)
    before = w.numpy().copy()
    opt.set_lr(0.0)
    step(x)
    np.testing.assert_array_equal(w.numpy(), before)    # lr 0: nothing moves, even in a replay


def test_schedules_at_their_landmarks():
    assert tr.step_decay(9, 1.0, step_size=10, gamma=0.5) == 1.0
    assert tr.step_decay(10, 1.0, step_size=10, gamma=0.5) == 0.5
    assert tr.warmup_cosine(0, 100, 1.0, warmup_steps=10) == 0.0
    assert tr.warmup_cosine(5, 100, 1.0, warmup_steps=10) == pytest.approx(0.5)
    assert tr.warmup_cosine(10, 100, 1.0, warmup_steps=10) == pytest.approx(1.0)
    assert tr.warmup_cosine(55, 100, 1.0, warmup_steps=10, min_lr=0.1) == pytest.approx(0.55)
    assert tr.warmup_cosine(100, 100, 1.0, warmup_steps=10, min_lr=0.1) == pytest.approx(0.1)
    assert tr.one_cycle(0, 100, 1.0) == pytest.approx(1 / 25)
    assert tr.one_cycle(29, 100, 1.0) == pytest.approx(1.0)                 # 0.3 * 100 - 1
    assert tr.one_cycle(99, 100, 1.0) == pytest.approx(1 / 25 / 1e4)
    with pytest.raises(ValueError):
        tr.warmup_cosine(-1, 100, 1.0)


def test_accumulated_gradient_equals_the_large_batch_gradient():
    X = Tensor(np.arange(8, dtype=np.float32).reshape(4, 2) / 4)
    w = Tensor([[0.5], [-1.0]]).contiguous()

    def loss_fn(x):
        return (x @ w).square().mean()

    whole = loss_fn(X).backward()
    expected_grad, expected_loss = w.grad.numpy(), whole.item()
    loss = tr.accumulate_gradients(loss_fn, [w], [(X[:2],), (X[2:],)])
    np.testing.assert_allclose(w.grad.numpy(), expected_grad, rtol=1e-6)   # not twice that
    assert loss == pytest.approx(expected_loss, rel=1e-6)


def test_clip_scales_every_gradient_by_one_factor():
    a, b, c = Tensor([0.0, 0.0]).contiguous(), Tensor([0.0]).contiguous(), Tensor([1.0]).contiguous()
    a.grad, b.grad = Tensor([3.0, 0.0]), Tensor([4.0])  # global norm 5; c has no gradient
    norm = tr.clip_grad_norm([a, b, c], max_norm=1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [0.8], rtol=1e-5)
    assert c.grad is None
    assert math.isclose(tr.clip_grad_norm([a, b], max_norm=10.0), 1.0, rel_tol=1e-5)   # below: no-op
    np.testing.assert_allclose(b.grad.numpy(), [0.8], rtol=1e-5)
