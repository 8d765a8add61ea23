"""Visible tests for Exercise 4.5 (backprop walkthrough). Run: make phase4"""
import numpy as np
from tinygrad import Tensor

from grader.target import exercise

bp = exercise("4.5")


def test_gradient_of_x_squared_adds_two_contributions():
    x = Tensor.empty(3)
    # seed 1.0, broadcast back through the sum, upstream * x, and the ADD that accumulates the two uses of x
    assert bp.gradient_ops((x * x).sum(), x) == ["CONST", "EXPAND", "MUL", "ADD"]


def test_tape_gradient_of_x_squared():
    tape = bp.Tape()
    x = tape.var([1.0, -2.0, 3.0])
    out = (x * x).sum()
    assert [r[0] for r in tape.records] == ["mul", "sum"] and out.value == 14.0   # recorded in execution order
    tape.backward(out)
    np.testing.assert_allclose(x.grad, [2.0, -4.0, 6.0])                    # x is used twice: x + x


def test_tape_matches_tinygrad_on_a_linear_layer():
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))
    tape = bp.Tape()
    w_v, b_v = tape.var(W), tape.var(b)
    tape.backward((tape.var(X) @ w_v + b_v).relu().sum())
    Wt, bt = Tensor(W.astype(np.float32)), Tensor(b.astype(np.float32))
    (Tensor(X.astype(np.float32)) @ Wt + bt).relu().sum().backward()
    np.testing.assert_allclose(w_v.grad, Wt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(b_v.grad, bt.grad.numpy(), rtol=1e-5, atol=1e-5)   # bias grad summed over the batch
