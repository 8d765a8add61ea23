"""Hidden checks for Exercise 1.4: learner vs reference on random regression problems."""
import numpy as np
import pytest

from grader.compare import assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("1.4"), reference("1.4")


def problem(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = 1.5 + X @ rng.normal(size=d) + 0.3 * rng.normal(size=n)
    return X, y


def test_add_bias_matches_reference():
    X, _ = problem(7, 3, 0)
    assert_matches(mine.add_bias(X), ref.add_bias(X), what="add_bias of a 7x3 X (ones first)")
    Xi = np.arange(6).reshape(3, 2)
    assert_matches(mine.add_bias(Xi), ref.add_bias(Xi), what="add_bias of an integer 3x2 X (result is float64)")


@pytest.mark.parametrize("n,d", [(40, 1), (60, 5), (25, 12)])
def test_normal_equations_match_reference(n, d):
    X, y = problem(n, d, n + d)
    assert_matches(mine.fit_normal_equations(X, y), ref.fit_normal_equations(X, y), what=f"fit_normal_equations weights for N={n}, D={d}", rtol=1e-7, atol=1e-9)


def test_mse_and_predict_match_reference():
    X, y = problem(30, 4, 1)
    w = np.random.default_rng(2).normal(size=5)
    assert_matches(mine.mse(X, y, w), ref.mse(X, y, w), what="mse of random weights, N=30, D=4", rtol=1e-10, n=30)
    assert_matches(mine.predict(X, w), ref.predict(X, w), what="predict with random weights, N=30, D=4", rtol=1e-10)
    assert_raises(ValueError, mine.predict, X, np.ones(4), what="predict with 4 weights for D=4 (the bias is missing)")


@pytest.mark.parametrize("lr,epochs", [(0.05, 1), (0.05, 3), (0.02, 40)])
def test_gradient_descent_matches_reference(lr, epochs):
    X, y = problem(50, 3, 9)
    w, history = mine.fit_gradient_descent(X, y, lr=lr, epochs=epochs)
    w_ref, history_ref = ref.fit_gradient_descent(X, y, lr=lr, epochs=epochs)
    assert_matches(np.asarray(history), np.asarray(history_ref), what=f"loss history for lr={lr}, epochs={epochs} (history[k]: loss before update k)", rtol=1e-9)
    assert_matches(w, w_ref, what=f"weights after {epochs} gradient-descent epochs with lr={lr}", rtol=1e-9, atol=1e-12, n=50)


def test_gradient_descent_reaches_the_least_squares_solution():
    X, y = problem(80, 4, 3)
    w, history = mine.fit_gradient_descent(X, y, lr=0.1, epochs=3000)
    assert_matches(w, ref.fit_normal_equations(X, y), what="gradient-descent weights after 3000 epochs vs the least-squares weights", rtol=1e-6, atol=1e-8)
    assert all(b <= a + 1e-12 for a, b in zip(history, history[1:])), "the loss history should never increase for this small learning rate"


def test_bad_shapes_and_settings_are_rejected():
    X, y = problem(10, 2, 4)
    assert_raises(ValueError, mine.fit_normal_equations, X, y[:-1], what="fit_normal_equations with 10 rows of X and 9 targets")
    assert_raises(ValueError, mine.fit_gradient_descent, X, y[:-1], what="fit_gradient_descent with 10 rows of X and 9 targets")
    assert_raises(ValueError, mine.fit_gradient_descent, X, y, lr=0.0, what="fit_gradient_descent with lr=0")
    assert_raises(ValueError, mine.fit_gradient_descent, X, y, epochs=0, what="fit_gradient_descent with epochs=0")


def test_r2_score_matches_reference():
    rng = np.random.default_rng(5)
    y = rng.normal(10.0, 3.0, size=100)
    for noise in (0.1, 2.0, 10.0):
        pred = y + rng.normal(0, noise, size=100)
        assert_matches(mine.r2_score(y, pred), ref.r2_score(y, pred), what=f"r2_score with prediction noise {noise}", rtol=1e-10, atol=1e-12)
    assert_raises(ValueError, mine.r2_score, np.full(5, 3.0), np.arange(5.0), what="r2_score with a constant y_true")
    assert_raises(ValueError, mine.r2_score, np.arange(5.0), np.arange(4.0), what="r2_score with 5 targets and 4 predictions")
