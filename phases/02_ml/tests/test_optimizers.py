"""Visible tests for Exercise 2.3 (optimizers). Run: make phase2"""
import numpy as np
import pytest

from grader.target import exercise

opt = exercise("2.3")


def test_gradient_descent_updates_in_place():
    w = np.array([1.0, 2.0])
    same = w
    opt.GradientDescent(lr=0.1).step([w], [np.array([1.0, -1.0])])
    np.testing.assert_allclose(same, [0.9, 2.1])


def test_momentum_accumulates_velocity():
    w = np.array([0.0])
    m = opt.Momentum(lr=1.0, beta=0.5)
    m.step([w], [np.array([1.0])])  # v = 1
    m.step([w], [np.array([1.0])])  # v = 0.5 * 1 + 1 = 1.5
    np.testing.assert_allclose(w, [-2.5])


def test_adam_first_step_is_lr_times_sign():
    # with bias correction m_hat = g and v_hat = g^2 at t = 1, so the step is lr * g / |g|
    w = np.array([1.0, 1.0])
    opt.Adam(lr=0.1).step([w], [np.array([3.0, -0.02])])
    np.testing.assert_allclose(w, [0.9, 1.1], atol=1e-6)


@pytest.mark.parametrize("make", [lambda: opt.GradientDescent(0.1), lambda: opt.Momentum(0.05), lambda: opt.Adam(0.1)])
def test_minimises_a_quadratic(make):
    A = np.diag([1.0, 4.0])
    w, b = np.array([2.0, -1.5]), np.array([[0.5]])
    o = make()
    for _ in range(300):
        o.step([w, b], [A @ w, 2 * b])
    assert np.abs(w).max() < 1e-2 and abs(b[0, 0]) < 1e-2


def test_mismatched_gradients_raise():
    with pytest.raises(ValueError):
        opt.GradientDescent().step([np.zeros(2)], [np.zeros(3)])
