"""Visible tests for Exercise 1.4 (linear regression from scratch). Run: make phase1"""
import numpy as np
import pytest

from grader.target import exercise

linreg = exercise("1.4")

X = np.array([[0.0], [1.0], [2.0], [3.0]])
y = np.array([1.0, 3.0, 5.0, 7.0])            # exactly y = 1 + 2 x


def test_add_bias_prepends_ones():
    np.testing.assert_array_equal(linreg.add_bias(X), [[1, 0], [1, 1], [1, 2], [1, 3]])


def test_normal_equations_recover_an_exact_line():
    w = linreg.fit_normal_equations(X, y)
    assert w.shape == (2,)
    np.testing.assert_allclose(w, [1.0, 2.0], atol=1e-10)


def test_predict_and_mse():
    w = np.array([1.0, 2.0])
    np.testing.assert_allclose(linreg.predict(X, w), y)
    assert linreg.mse(X, y, w) == pytest.approx(0.0)
    assert linreg.mse(X, y, np.zeros(2)) == pytest.approx((1 + 9 + 25 + 49) / 4)


def test_gradient_descent_converges_to_the_same_line():
    w, history = linreg.fit_gradient_descent(X, y, lr=0.05, epochs=2000)
    assert len(history) == 2000
    assert history[0] == pytest.approx(21.0)      # the loss at w = 0
    assert history[-1] < history[0]
    np.testing.assert_allclose(w, [1.0, 2.0], atol=1e-4)


def test_r2_score():
    assert linreg.r2_score(y, y) == pytest.approx(1.0)
    assert linreg.r2_score(y, np.full(4, y.mean())) == pytest.approx(0.0)
    assert linreg.r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        linreg.r2_score([2.0, 2.0], [1.0, 3.0])
