"""Visible tests for Exercise 3.4 (Value autograd, micrograd style). Run: make phase3"""
import math

import pytest

from grader.target import exercise

ag = exercise("3.4")
Value = ag.Value


def test_add_and_multiply_gradients():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a
    c.backward()
    assert c.data == -4.0
    assert (a.grad, b.grad) == (-2.0, 2.0)


def test_reused_node_accumulates():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0


def test_plain_numbers_on_either_side():
    x = Value(4.0)
    y = 1 - x / 2 + 3 * x - 2 ** 0 * x ** 2 + (1 / x)
    y.backward()
    assert y.data == pytest.approx(1 - 2 + 12 - 16 + 0.25)
    assert x.grad == pytest.approx(-0.5 + 3 - 8 - 1 / 16)


def test_unary_functions():
    for name, f, df, x0 in [("exp", math.exp, math.exp, 0.5), ("log", math.log, lambda v: 1 / v, 2.0),
                            ("tanh", math.tanh, lambda v: 1 - math.tanh(v) ** 2, 0.3),
                            ("relu", lambda v: max(v, 0), lambda v: float(v > 0), -1.5),
                            ("sigmoid", lambda v: 1 / (1 + math.exp(-v)), lambda v: math.exp(-v) / (1 + math.exp(-v)) ** 2, 0.7)]:
        x = Value(x0)
        y = getattr(x, name)()
        y.backward()
        assert y.data == pytest.approx(f(x0)), name
        assert x.grad == pytest.approx(df(x0)), name


def test_diamond_graph_needs_topological_order():
    # a feeds b and c, which both feed d: a's gradient is only complete after both paths are done,
    # and only then may a pass it on to x (a backward that recurses into a too early loses a path)
    x = Value(1.0)
    a = x * 2
    b, c = a * 3, a.tanh()
    d = b * c
    d.backward()
    assert a.grad == pytest.approx(3 * math.tanh(2.0) + 6.0 * (1 - math.tanh(2.0) ** 2))
    assert x.grad == pytest.approx(2 * a.grad)


def test_backward_works_on_a_deep_chain():
    # 20,000 operations in a row: deeper than Python's recursion limit
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y + 0.0001
    y.backward()
    assert x.grad == 1.0


def test_mlp_parameters_and_zero_grad():
    model = ag.MLP(2, [4, 4, 1], seed=0)
    assert len(model.parameters()) == (2 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 1
    out = model([1.0, -2.0])
    out.backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_training_reduces_the_loss():
    X, y = ag.make_moons(8, noise=0.05, seed=0)
    losses = ag.train_classifier(ag.MLP(2, [4, 1], seed=0), X, y, steps=4, lr=0.5)
    assert len(losses) == 4 and losses[-1] < losses[0]
