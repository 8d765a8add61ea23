"""Visible tests for Exercise 1.2 (numeric calculus). Run: make phase1"""
import math

import numpy as np
import pytest

from grader.target import exercise

calculus = exercise("1.2")


def test_derivative_of_sine_is_cosine():
    for x in (-1.0, 0.0, 0.7, 2.5):
        assert calculus.derivative(math.sin, x) == pytest.approx(math.cos(x), abs=1e-8)


def test_derivative_is_central_not_one_sided():
    # for x**2 a central difference is exact up to rounding; a forward difference is off by h
    assert calculus.derivative(lambda x: x * x, 3.0, h=1e-3) == pytest.approx(6.0, abs=1e-9)


def test_derivative_rejects_non_positive_step():
    with pytest.raises(ValueError):
        calculus.derivative(math.sin, 0.0, h=0.0)


def test_gradient_of_quadratic():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    x = np.array([1.0, -2.0])
    grad = calculus.gradient(lambda v: 0.5 * v @ A @ v, x)
    assert grad.shape == (2,)
    np.testing.assert_allclose(grad, A @ x, atol=1e-6)


def test_gradient_keeps_shape_and_input():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    before = x.copy()
    grad = calculus.gradient(lambda v: float((v ** 2).sum()), x)
    assert grad.shape == (2, 3)
    np.testing.assert_allclose(grad, 2 * before, atol=1e-6)
    np.testing.assert_array_equal(x, before)


def test_jacobian_of_linear_map_is_the_matrix():
    M = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    J = calculus.jacobian(lambda v: M @ v, np.array([0.5, -1.0, 2.0]))
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J, M, atol=1e-6)


def test_gradient_check_accepts_right_and_rejects_wrong():
    f = lambda v: float(np.sum(np.sin(v)))
    x = np.array([0.1, 0.2, 0.3])
    assert calculus.gradient_check(f, np.cos(x), x) < 1e-6
    assert calculus.gradient_check(f, -np.cos(x), x) > 0.5
